"""CIS AWS 3.0 2.1.4: Block Public Access is fully on for each bucket (or its account)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from mamori.model import CloudResource, Inventory
from mamori.posture.check import CheckMetadata, Result, Verdict, check
from mamori.posture.checks.aws._storage import failed_call, result, unseen

BUCKET, ACCOUNT = "aws.s3.bucket", "aws.s3.account_public_access_block"
SETTINGS = (
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
)


def _off(settings: Mapping[str, Any] | None) -> list[str]:
    return [s for s in SETTINGS if (settings or {}).get(s) is not True]


def _judge(
    bucket: CloudResource, account: Mapping[str, Any] | None, lost: str
) -> tuple[Verdict, str]:
    own = bucket.attributes.get("public_access_block")
    if own is not None and not _off(own):
        return Verdict.PASS, "All four Block Public Access settings are on for the bucket."
    if account is not None and not _off(account):
        return Verdict.PASS, "All four Block Public Access settings are on for the account."
    if account is None:
        return Verdict.MANUAL, f"The account's Block Public Access could not be read ({lost})."
    if error := failed_call(bucket, "public_access_block"):
        return Verdict.MANUAL, f"The bucket's Block Public Access could not be read ({error})."
    off = f"bucket: {', '.join(_off(own))}; account: {', '.join(_off(account))}"
    return Verdict.FAIL, f"Block Public Access settings are off ({off})."


@check(__file__)
class S3BucketPublicAccessBlock:
    metadata: ClassVar[CheckMetadata]

    def run(self, inventory: Inventory) -> Iterator[Result]:
        yield from unseen(inventory, [BUCKET])
        blocks = {r.account: r.attributes for r in inventory.of_type(ACCOUNT)}
        lost = {e.account: f"{e.kind}: {e.message}" for e in inventory.failed(ACCOUNT)}
        for bucket in inventory.of_type(BUCKET):
            account = blocks.get(bucket.account)
            why = lost.get(bucket.account, f"{ACCOUNT} was not collected")
            yield result(*_judge(bucket, account, why), bucket)
