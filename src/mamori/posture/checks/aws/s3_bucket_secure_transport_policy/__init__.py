"""CIS AWS 3.0 2.1.1: every bucket policy denies requests made over plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import denies_insecure_transport, failed_call, judge_each
from mamori.posture.exposure.s3_policy import statements


def _judge(bucket: CloudResource) -> tuple[Verdict, str]:
    if error := failed_call(bucket, "policy"):
        return Verdict.MANUAL, f"The bucket policy could not be read ({error})."
    policy = bucket.attributes.get("policy")
    if not policy:
        return Verdict.FAIL, "The bucket has no policy, so requests over HTTP are allowed."
    arn = bucket.arn or f"arn:aws:s3:::{bucket.id}"
    if any(denies_insecure_transport(s, arn) for s in statements(policy)):
        return (
            Verdict.PASS,
            "The bucket policy denies all S3 actions over HTTP (SecureTransport false).",
        )
    return (
        Verdict.FAIL,
        "No bucket policy statement denies every S3 action on the bucket and its objects "
        "to everyone when aws:SecureTransport is false.",
    )


@check(__file__)
class S3BucketSecureTransportPolicy:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from judge_each(inventory, self.metadata.requires, _judge)
