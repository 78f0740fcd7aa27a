"""Every EBS volume is encrypted at rest (PCI DSS 3.5.1; CIS 2.2.1 covers only new ones)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import judge_each


def _judge(volume: CloudResource) -> tuple[Verdict, str]:
    if volume.attributes.get("encrypted") is True:
        key = volume.attributes.get("kms_key_id") or "the default key"
        return Verdict.PASS, f"The volume is encrypted with {key}."
    attached = [a["instance_id"] for a in volume.attributes.get("attachments") or []]
    where = f" (attached to {', '.join(attached)})" if attached else ""
    return Verdict.FAIL, f"The volume is not encrypted{where}."


@check(__file__)
class Ec2EbsVolumeEncrypted:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_each(inventory, self.metadata.requires, _judge)
