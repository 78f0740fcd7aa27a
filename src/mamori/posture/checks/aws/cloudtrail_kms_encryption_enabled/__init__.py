"""CIS AWS 3.0 3.5: every trail encrypts its logs with a KMS key."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._trails import trail_results


@check(__file__)
class CloudtrailKmsEncryptionEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterable[Result]:
        return trail_results(inventory, _judge)


def _judge(trail: CloudResource) -> tuple[Verdict, str]:
    key = trail.attributes.get("kms_key_id")
    if key:
        return Verdict.PASS, f"Trail {trail.name} encrypts its logs with KMS key {key}."
    return Verdict.FAIL, f"Trail {trail.name} does not encrypt its logs with a KMS key."
