"""CIS AWS 3.0 2.2.1: EBS encryption by default is on in every region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import judge_each


def _judge(setting: CloudResource) -> tuple[Verdict, str]:
    if setting.attributes.get("enabled") is True:
        return Verdict.PASS, f"EBS encryption by default is enabled in {setting.region}."
    return Verdict.FAIL, f"EBS encryption by default is disabled in {setting.region}."


@check(__file__)
class Ec2EbsDefaultEncryption:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_each(inventory, self.metadata.requires, _judge)
