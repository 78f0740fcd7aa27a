"""CIS AWS 3.0 2.4.1: EFS file systems are encrypted at rest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import judge_each


def _judge(fs: CloudResource) -> tuple[Verdict, str]:
    if fs.attributes.get("encrypted") is True:
        key = fs.attributes.get("kms_key_id") or "the default key"
        return Verdict.PASS, f"The file system is encrypted at rest with {key}."
    return Verdict.FAIL, "The file system is not encrypted at rest."


@check(__file__)
class EfsEncryptionAtRestEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_each(inventory, self.metadata.requires, _judge)
