"""CIS AWS 3.0 2.1.2 (manual in CIS): versioned buckets require MFA to delete versions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import failed_call, judge_each


def _judge(bucket: CloudResource) -> tuple[Verdict, str]:
    if error := failed_call(bucket, "versioning"):
        return Verdict.MANUAL, f"The versioning configuration could not be read ({error})."
    versioning = bucket.attributes.get("versioning")
    if bucket.attributes.get("mfa_delete") is True:
        return Verdict.PASS, f"MFA delete is enabled (versioning {versioning})."
    return Verdict.FAIL, f"MFA delete is not enabled (versioning {versioning})."


@check(__file__)
class S3BucketMfaDeleteEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_each(inventory, self.metadata.requires, _judge)
