"""CIS AWS 3.0 3.4: the S3 bucket of every trail has server access logging."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._trails import failed_call, trail_results


@check(__file__)
class CloudtrailBucketAccessLoggingEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterable[Result]:
        return trail_results(inventory, _judge)


def _judge(trail: CloudResource) -> tuple[Verdict, str]:
    bucket = trail.attributes.get("s3_bucket_name")
    logging = trail.attributes.get("s3_bucket_logging")
    if logging is None:
        why = failed_call(trail, "GetBucketLogging") or f"trail {trail.name} names no bucket"
        return Verdict.MANUAL, f"Could not verify: {why}."
    if logging.get("enabled"):
        target = logging.get("target_bucket")
        return Verdict.PASS, f"Bucket {bucket} of trail {trail.name} logs access to {target}."
    return Verdict.FAIL, f"Bucket {bucket} of trail {trail.name} has no server access logging."
