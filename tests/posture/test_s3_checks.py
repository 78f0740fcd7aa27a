"""S3 checks on what the collectors make of moto-seeded buckets: exact verdict per bucket.

moto cannot turn on MFA delete (it ignores MFADelete), so that check's PASS is shown on
a bucket whose collected attributes are edited to what AWS reports for such a bucket.
"""

from __future__ import annotations

from typing import Any

import boto3

from mamori.cloud.aws.collect import Target, collect
from mamori.model import GLOBAL_REGION, CloudResource, CollectionError, ErrorKind, Inventory
from mamori.posture.check import Result, Verdict, checks
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.storage_seed import (
    OTHER_REGION,
    account_block,
    all_four,
    bucket,
    deny_http,
    public_read,
    s3control_on_loopback,
)


def scan(target: Target, check_id: str) -> tuple[Inventory, list[Result]]:
    cls = checks.get(check_id)
    inv = collect([target], regions=[REGION], types=cls.metadata.requires)
    return inv, list(cls().run(inv))


def by_bucket(results: list[Result]) -> dict[str, Verdict]:
    assert all(r.resource is not None for r in results), results
    return {r.resource.id: r.verdict for r in results if r.resource is not None}


def edited(resource: CloudResource, **attributes: Any) -> CloudResource:
    return resource.model_copy(update={"attributes": {**resource.attributes, **attributes}})


def test_secure_transport_policy(aws: boto3.Session, target: Target) -> None:
    bucket(aws, "tls-only", policy=deny_http("tls-only"))
    bucket(aws, "tls-aws-star", policy=deny_http("tls-aws-star", Principal={"AWS": "*"}))
    bucket(aws, "tls-eu", region=OTHER_REGION, policy=deny_http("tls-eu", Action="*"))
    bucket(aws, "no-policy")
    bucket(aws, "public", policy=public_read("public"))
    bucket(
        aws,
        "objects-only",
        policy=deny_http("objects-only", Resource="arn:aws:s3:::objects-only/*"),
    )
    bucket(aws, "get-only", policy=deny_http("get-only", Action="s3:GetObject"))
    bucket(aws, "one-principal", policy=deny_http("one-principal", Principal={"AWS": ACCOUNT}))
    narrowed = deny_http("narrowed")
    narrowed["Statement"][0]["Condition"]["StringEquals"] = {"aws:SourceVpce": "vpce-1"}
    bucket(aws, "narrowed", policy=narrowed)
    bucket(
        aws,
        "tls-true",
        policy=deny_http("tls-true", Condition={"Bool": {"aws:SecureTransport": "true"}}),
    )

    inv, results = scan(target, "s3_bucket_secure_transport_policy")

    assert by_bucket(results) == {
        "tls-only": Verdict.PASS,
        "tls-aws-star": Verdict.PASS,
        "tls-eu": Verdict.PASS,
        "no-policy": Verdict.FAIL,
        "public": Verdict.FAIL,
        "objects-only": Verdict.FAIL,
        "get-only": Verdict.FAIL,
        "one-principal": Verdict.FAIL,
        "narrowed": Verdict.FAIL,
        "tls-true": Verdict.FAIL,
    }
    # A policy that could not be read is MANUAL, and so is a bucket list that failed.
    unread = edited(
        inv.of_type("aws.s3.bucket")[0], policy=None, errors={"policy": "AccessDenied: no"}
    )
    error = CollectionError(
        type="aws.s3.bucket",
        account=ACCOUNT,
        region=GLOBAL_REGION,
        kind=ErrorKind.ACCESS_DENIED,
        message="AccessDenied: ListBuckets",
    )
    broken = Inventory(accounts=(ACCOUNT,), resources=(unread,), errors=(error,))
    results = list(checks.get("s3_bucket_secure_transport_policy")().run(broken))
    assert [(r.verdict, r.resource is None) for r in results] == [
        (Verdict.MANUAL, True),
        (Verdict.MANUAL, False),
    ]
    assert "AccessDenied" in results[0].reason and "AccessDenied" in results[1].reason


def test_public_access_block_at_bucket_or_account_level(aws: boto3.Session, target: Target) -> None:
    s3control_on_loopback(aws)
    bucket(aws, "all-four", block=True)
    partial = bucket(aws, "three-of-four")
    partial.put_public_access_block(
        Bucket="three-of-four",
        PublicAccessBlockConfiguration={**all_four(True), "RestrictPublicBuckets": False},
    )
    bucket(aws, "none", region=OTHER_REGION)
    check_id = "s3_bucket_public_access_block"

    inv, results = scan(target, check_id)
    assert by_bucket(results) == {
        "all-four": Verdict.PASS,
        "three-of-four": Verdict.FAIL,
        "none": Verdict.FAIL,
    }
    failed = next(r for r in results if r.resource and r.resource.id == "three-of-four")
    assert "restrict_public_buckets" in failed.reason

    account_block(aws, {**all_four(True), "BlockPublicPolicy": False})  # not enough
    assert set(by_bucket(scan(target, check_id)[1]).values()) == {Verdict.PASS, Verdict.FAIL}
    account_block(aws, all_four(True))
    assert set(by_bucket(scan(target, check_id)[1]).values()) == {Verdict.PASS}

    # Without the account's block, only a bucket that blocks on its own can be judged.
    error = CollectionError(
        type="aws.s3.account_public_access_block",
        account=ACCOUNT,
        region=GLOBAL_REGION,
        kind=ErrorKind.ACCESS_DENIED,
        message="AccessDenied: GetPublicAccessBlock",
    )
    unseen = Inventory(accounts=(ACCOUNT,), resources=inv.of_type("aws.s3.bucket"), errors=(error,))
    assert by_bucket(list(checks.get(check_id)().run(unseen))) == {
        "all-four": Verdict.PASS,
        "three-of-four": Verdict.MANUAL,
        "none": Verdict.MANUAL,
    }


def test_mfa_delete(aws: boto3.Session, target: Target) -> None:
    versioned = bucket(aws, "versioned")
    versioned.put_bucket_versioning(
        Bucket="versioned", VersioningConfiguration={"Status": "Enabled"}
    )
    bucket(aws, "unversioned")
    check_id = "s3_bucket_mfa_delete_enabled"

    inv, results = scan(target, check_id)
    assert by_bucket(results) == {"versioned": Verdict.FAIL, "unversioned": Verdict.FAIL}

    found = {r.id: r for r in inv.of_type("aws.s3.bucket")}
    as_aws_reports = edited(found["versioned"], mfa_delete=True)  # what moto cannot set
    unread = edited(
        found["unversioned"],
        versioning=None,
        mfa_delete=None,
        errors={"versioning": "AccessDenied: x"},
    )
    results = list(checks.get(check_id)().run(Inventory(resources=(as_aws_reports, unread))))
    assert by_bucket(results) == {"versioned": Verdict.PASS, "unversioned": Verdict.MANUAL}


def test_server_access_logging(aws: boto3.Session, target: Target) -> None:
    bucket(aws, "log-sink", acl="log-delivery-write")
    logged = bucket(aws, "logged")
    logged.put_bucket_logging(
        Bucket="logged",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "log-sink", "TargetPrefix": "l/"}},
    )
    check_id = "s3_bucket_server_access_logging_enabled"

    inv, results = scan(target, check_id)
    assert by_bucket(results) == {"logged": Verdict.PASS, "log-sink": Verdict.FAIL}

    unread = edited(inv.of_type("aws.s3.bucket")[0], logging=None, errors={"logging": "x: y"})
    results = list(checks.get(check_id)().run(Inventory(resources=(unread,))))
    assert [r.verdict for r in results] == [Verdict.MANUAL]
