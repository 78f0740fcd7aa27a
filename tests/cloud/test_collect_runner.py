"""The collection runner against moto: concurrency, error recording, account discovery."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
from botocore.exceptions import ClientError

from mamori.cloud.aws.collect import Target, caller_account, collect, enabled_regions
from mamori.cloud.aws.context import AwsContext
from mamori.cloud.aws.types import resource_types
from mamori.model import CloudResource, ErrorKind
from tests.cloud.conftest import ACCOUNT, REGION


def test_caller_account_and_regions(aws: boto3.Session) -> None:
    assert caller_account(aws) == (ACCOUNT, "aws")
    regions = enabled_regions(aws, REGION)
    assert REGION in regions and "eu-west-1" in regions


def test_failures_are_recorded_per_type_and_never_abort(target: Target) -> None:
    def denied(ctx: AwsContext) -> Iterator[CloudResource]:
        yield ctx.resource("test.partial", "first")
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListThings")

    def fine(ctx: AwsContext) -> Iterator[CloudResource]:
        buckets = ctx.client("s3").list_buckets()["Buckets"]
        yield ctx.resource("test.fine", f"{ctx.region}:{len(buckets)}")

    from mamori.cloud.aws.types import resource_type

    resource_type("test.denied", service="test", calls=("ListThings",))(denied)
    resource_type("test.fine", service="s3", calls=("ListBuckets",))(fine)
    try:
        inv = collect([target], regions=[REGION, "eu-west-1"], types=["test.denied", "test.fine"])
    finally:
        resource_types._items.pop("test.denied")
        resource_types._items.pop("test.fine")
    assert {r.id for r in inv.of_type("test.fine")} == {f"{REGION}:0", "eu-west-1:0"}
    assert len(inv.of_type("test.partial")) == 2  # what was read before the failure is kept
    assert {(e.type, e.region, e.kind) for e in inv.errors} == {
        ("test.denied", REGION, ErrorKind.ACCESS_DENIED),
        ("test.denied", "eu-west-1", ErrorKind.ACCESS_DENIED),
    }
