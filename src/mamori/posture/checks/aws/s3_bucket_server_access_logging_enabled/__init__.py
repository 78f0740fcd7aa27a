"""Every bucket records server access logs (PCI DSS 10.2.1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import failed_call, judge_each


def _judge(bucket: CloudResource) -> tuple[Verdict, str]:
    if error := failed_call(bucket, "logging"):
        return Verdict.MANUAL, f"The logging configuration could not be read ({error})."
    target = bucket.attributes.get("logging")
    if target:
        where = f"{target.get('target_bucket')}/{target.get('target_prefix') or ''}"
        return Verdict.PASS, f"Server access logs go to s3://{where}."
    return Verdict.FAIL, "Server access logging is disabled."


@check(__file__)
class S3BucketServerAccessLoggingEnabled:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_each(inventory, self.metadata.requires, _judge)
