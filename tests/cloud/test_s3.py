"""S3 collectors against moto: what was configured through the S3 API is what is collected.

The oracle is the seeding itself, plus direct boto3 calls for values moto invents (the
owner's canonical id). moto cannot emulate MFA delete (it ignores MFADelete), nor the
SSE-S3 default encryption AWS has applied to every new bucket since 2023: a fresh moto
bucket has no encryption configuration, where AWS would report AES256.
"""

from __future__ import annotations

from datetime import datetime

import boto3

from mamori.cloud.aws.collect import Target, collect
from mamori.cloud.aws.resources._common import attempt
from mamori.model import GLOBAL_REGION
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.storage_seed import (
    ALL_USERS,
    OTHER_REGION,
    account_block,
    all_four,
    bucket,
    deny_http,
    public_read,
    s3control_on_loopback,
)

KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"


def test_buckets_with_their_configuration(aws: boto3.Session, target: Target) -> None:
    logs = bucket(aws, "mamori-logs", acl="log-delivery-write")
    s3 = bucket(aws, "mamori-open", policy=public_read("mamori-open"), acl="public-read")
    s3.put_bucket_encryption(
        Bucket="mamori-open",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": KEY,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_versioning(Bucket="mamori-open", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(
        Bucket="mamori-open",
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": "mamori-logs", "TargetPrefix": "open/"}
        },
    )
    eu = bucket(
        aws, "mamori-locked", region=OTHER_REGION, policy=deny_http("mamori-locked"), block=True
    )
    for status in ("Enabled", "Suspended"):
        eu.put_bucket_versioning(Bucket="mamori-locked", VersioningConfiguration={"Status": status})
    log_acl = logs.get_bucket_acl(Bucket="mamori-logs")
    owner = log_acl["Owner"]["ID"]

    inv = collect([target], regions=[REGION], types=["aws.s3.bucket"])

    assert not inv.errors
    found = {r.id: r for r in inv.of_type("aws.s3.bucket")}
    assert sorted(found) == ["mamori-locked", "mamori-logs", "mamori-open"]
    opened, locked, logged = found["mamori-open"], found["mamori-locked"], found["mamori-logs"]
    assert (opened.region, locked.region, logged.region) == (REGION, OTHER_REGION, REGION)
    assert opened.arn == "arn:aws:s3:::mamori-open" and opened.account == ACCOUNT
    assert datetime.fromisoformat(opened.attributes["created"]).tzinfo is not None
    assert opened.attributes == {
        "created": opened.attributes["created"],
        "acl": {
            "owner": owner,
            "grants": [
                {"type": "CanonicalUser", "grantee": owner, "permission": "FULL_CONTROL"},
                {"type": "Group", "grantee": ALL_USERS, "permission": "READ"},
            ],
        },
        "policy": public_read("mamori-open"),
        "policy_is_public": True,
        "public_access_block": None,
        "encryption": [{"algorithm": "aws:kms", "kms_key_id": KEY, "bucket_key": True}],
        "versioning": "Enabled",
        "mfa_delete": False,
        "logging": {"target_bucket": "mamori-logs", "target_prefix": "open/"},
        "errors": {},
    }
    assert locked.attributes["policy"] == deny_http("mamori-locked")
    assert locked.attributes["policy_is_public"] is False
    assert locked.attributes["public_access_block"] == {
        "block_public_acls": True,
        "ignore_public_acls": True,
        "block_public_policy": True,
        "restrict_public_buckets": True,
    }
    assert locked.attributes["versioning"] == "Suspended"
    assert locked.attributes["encryption"] is None  # moto: no SSE-S3 default (see above)
    assert logged.attributes["policy"] is None and logged.attributes["policy_is_public"] is None
    assert logged.attributes["versioning"] == "Disabled" and logged.attributes["logging"] is None
    assert [(g["grantee"], g["permission"]) for g in logged.attributes["acl"]["grants"]] == [
        (g["Grantee"].get("URI") or g["Grantee"]["ID"], g["Permission"]) for g in log_acl["Grants"]
    ]
    assert (LOG_DELIVERY, "READ_ACP") in {
        (g["grantee"], g["permission"]) for g in logged.attributes["acl"]["grants"]
    }


def test_account_public_access_block_absent_then_set(aws: boto3.Session, target: Target) -> None:
    s3control_on_loopback(aws)
    types = ["aws.s3.account_public_access_block"]
    before = collect([target], regions=[REGION], types=types).of_type(types[0])
    account_block(aws, {**all_four(True), "RestrictPublicBuckets": False})
    after = collect([target], regions=[REGION, OTHER_REGION], types=types).of_type(types[0])

    assert [(r.id, r.region) for r in before] == [(ACCOUNT, GLOBAL_REGION)]
    assert before[0].attributes == {
        "exists": False,
        "block_public_acls": False,
        "ignore_public_acls": False,
        "block_public_policy": False,
        "restrict_public_buckets": False,
    }
    assert len(after) == 1  # a global type: once per account, not per region
    assert after[0].attributes == {
        "exists": True,
        "block_public_acls": True,
        "ignore_public_acls": True,
        "block_public_policy": True,
        "restrict_public_buckets": False,
    }


def test_a_failed_sub_call_is_recorded_on_the_item(aws: boto3.Session) -> None:
    """The per-item recorder, fed real moto errors: "nothing there" is not a failure."""
    s3 = bucket(aws, "mamori-plain")
    errors: dict[str, str] = {}
    none = attempt(
        errors,
        "policy",
        lambda: s3.get_bucket_policy(Bucket="mamori-plain"),
        missing=("NoSuchBucketPolicy",),
    )
    assert none is None and errors == {}
    gone = attempt(
        errors,
        "policy",
        lambda: s3.get_bucket_policy(Bucket="mamori-absent"),
        missing=("NoSuchBucketPolicy",),
    )
    assert gone is None and errors["policy"].startswith("NoSuchBucket:")


def test_a_malformed_policy_is_recorded_not_raised(aws: boto3.Session, target: Target) -> None:
    """AWS validates policies; moto stores anything, which lets the bad-input path run."""
    s3 = bucket(aws, "mamori-garbled")
    s3.put_bucket_policy(Bucket="mamori-garbled", Policy="{not json")

    inv = collect([target], regions=[REGION], types=["aws.s3.bucket"])

    assert not inv.errors
    found = {r.id: r.attributes for r in inv.of_type("aws.s3.bucket")}
    assert found["mamori-garbled"]["policy"] is None
    assert found["mamori-garbled"]["errors"] == {"policy": "unparsable bucket policy document"}
    assert found["mamori-garbled"]["acl"] is not None  # the other calls still ran
