"""CIS AWS 3.0 2.3.1: RDS instances are encrypted at rest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import judge_each


def _judge(db: CloudResource) -> tuple[Verdict, str]:
    if db.attributes.get("storage_encrypted") is True:
        key = db.attributes.get("kms_key_id") or "the default key"
        return Verdict.PASS, f"Storage is encrypted at rest with {key}."
    return Verdict.FAIL, "Storage is not encrypted at rest."


@check(__file__)
class RdsInstanceStorageEncrypted:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_each(inventory, self.metadata.requires, _judge)
