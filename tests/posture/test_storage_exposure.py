"""Storage exposure: buckets, snapshots, AMIs and RDS, on what the collectors make of moto.

Oracles: S3's own public-policy verdict (GetBucketPolicyStatus, evaluated by moto) for
policies without conditions; for blocks and conditions, the documented S3 rules (only
RestrictPublicBuckets and IgnorePublicAcls act on grants that already exist).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.cloud.aws.collect import Target, collect
from mamori.model import CloudResource, Inventory
from mamori.posture.exposure.s3_policy import public_statements
from mamori.posture.exposure.storage import (
    apply_storage_exposure,
    s3_exposure,
    shared_exposure,
)
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.storage_seed import (
    ALL_USERS,
    STORAGE_TYPES,
    account_block,
    all_four,
    bucket,
    owned_image,
    public_read,
    rds_instance,
)


def test_everything_public_is_exposed_and_nothing_else(aws: boto3.Session, target: Target) -> None:
    bucket(aws, "by-policy", policy=public_read("by-policy"))
    bucket(aws, "acl-ignored", acl="public-read")
    bucket(aws, "restricted", policy=public_read("restricted"), block=True)
    bucket(aws, "private")
    # The account ignores public ACLs but leaves public policies alone.
    account_block(aws, {**all_four(False), "IgnorePublicAcls": True})
    ec2 = aws.client("ec2")
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=snap, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
    )
    image = owned_image(aws)
    ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
    rds_instance(aws, "db-public", PubliclyAccessible=True)
    rds_instance(aws, "db-private", PubliclyAccessible=False)
    aws.client("rds").create_db_snapshot(
        DBInstanceIdentifier="db-private", DBSnapshotIdentifier="s"
    )
    aws.client("rds").modify_db_snapshot_attribute(
        DBSnapshotIdentifier="s", AttributeName="restore", ValuesToAdd=["all"]
    )

    inv = apply_storage_exposure(collect([target], regions=[REGION], types=STORAGE_TYPES))

    assert not inv.errors
    exposed = {(r.type, r.id) for r in inv.resources if r.exposure and r.exposure.internet}
    assert exposed == {
        ("aws.s3.bucket", "by-policy"),
        ("aws.ec2.snapshot", snap),
        ("aws.ec2.image", image),
        ("aws.rds.instance", "db-public"),
        ("aws.rds.snapshot", "s"),
    }
    judged = {r.id: r.exposure for r in inv.of_type("aws.s3.bucket")}
    assert all(e is not None for e in judged.values())
    assert "IgnorePublicAcls at account level" in " ".join(judged["acl-ignored"].reasons)
    assert "RestrictPublicBuckets at bucket level" in " ".join(judged["restricted"].reasons)
    unexposed = [r for r in inv.resources if r.type in ("aws.ec2.volume", "aws.kms.key")]
    assert all(r.exposure is None for r in unexposed)  # not this module's to judge


def _bucket(attributes: dict[str, Any]) -> CloudResource:
    base = {"policy": None, "policy_is_public": None, "acl": None, "public_access_block": None}
    return CloudResource(
        type="aws.s3.bucket", id="b", account=ACCOUNT, attributes={**base, **attributes}
    )


def _block(**on: bool) -> CloudResource:
    settings_ = {
        "block_public_acls": False,
        "ignore_public_acls": False,
        "block_public_policy": False,
        "restrict_public_buckets": False,
    }
    return CloudResource(
        type="aws.s3.account_public_access_block",
        id=ACCOUNT,
        account=ACCOUNT,
        attributes={"exists": bool(on), **settings_, **on},
    )


def internet(bucket_: CloudResource, block: CloudResource | None) -> bool:
    exposure = s3_exposure(bucket_, block)
    assert exposure is not None, "every call here was readable"
    return exposure.internet


def _allow(condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    if condition is not None:
        statement["Condition"] = condition
    return {"Statement": [statement]}


@pytest.mark.parametrize(
    ("condition", "public"),
    [
        (None, True),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, False),
        ({"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "0.0.0.0/0"]}}, True),
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/1"}}, True),  # wider than /8: open
        ({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, False),
        ({"StringEquals": {"AWS:SourceVpce": "vpce-1234"}}, False),  # keys are case-blind
        ({"StringLike": {"aws:SourceVpce": "vpce-*"}}, True),  # a wildcard is not fixed
        ({"StringNotEquals": {"aws:SourceVpce": "vpce-1234"}}, True),
        ({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1234"}}, True),
        ({"StringEquals": {"s3:prefix": "public/"}}, True),  # does not say who calls
        ({"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}, True),
    ],
)
def test_conditions_that_pin_callers_make_a_grant_private(
    condition: dict[str, Any] | None, public: bool
) -> None:
    found = list(public_statements(_allow(condition)))
    assert bool(found) is public, found


def test_blocks_act_only_through_restrict_and_ignore() -> None:
    policy = _bucket({"policy": _allow()})
    acl = _bucket(
        {
            "acl": {
                "owner": "o",
                "grants": [
                    {
                        "type": "Group",
                        "grantee": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                        "permission": "WRITE",
                    }
                ],
            }
        }
    )
    assert internet(policy, _block())
    assert internet(policy, _block(block_public_policy=True))  # only refuses new grants
    assert not internet(policy, _block(restrict_public_buckets=True))
    assert internet(acl, _block(block_public_acls=True, restrict_public_buckets=True))
    assert not internet(acl, _block(ignore_public_acls=True))
    unknown = s3_exposure(policy, None)
    assert unknown is not None and unknown.internet and "unknown" in unknown.reasons[-1]
    own = _bucket({"policy": _allow(), "public_access_block": {"restrict_public_buckets": True}})
    assert not internet(own, None)
    s3_says_no = _bucket({"policy": _allow(), "policy_is_public": False})
    assert not internet(s3_says_no, _block())


def test_what_could_not_be_read_is_unknown_not_private() -> None:
    unread = _bucket({"errors": {"policy": "AccessDenied: GetBucketPolicy"}})
    assert s3_exposure(unread, _block()) is None
    public_acl = _bucket(
        {
            "errors": {"policy": "AccessDenied: GetBucketPolicy"},
            "acl": {"owner": "o", "grants": [{"grantee": ALL_USERS, "permission": "READ"}]},
        }
    )
    seen = s3_exposure(public_acl, _block())
    assert seen is not None and seen.internet and "could not be read" in seen.reasons[-1]
    snapshot = CloudResource(
        type="aws.ec2.snapshot",
        id="snap-1",
        account=ACCOUNT,
        attributes={"public": None, "shared_with": None, "errors": {"permissions": "x"}},
    )
    assert shared_exposure(snapshot) is None
    inv = apply_storage_exposure(Inventory(resources=(unread, snapshot)))
    assert [r.exposure for r in inv.resources] == [None, None]


PRINCIPALS = st.sampled_from(
    [
        "*",
        {"AWS": "*"},
        {"AWS": ["arn:aws:iam::111122223333:root", "*"]},
        {"AWS": "arn:aws:iam::111122223333:root"},
        {"Service": "cloudtrail.amazonaws.com"},
    ]
)
STATEMENTS = st.lists(
    st.fixed_dictionaries(
        {
            "Effect": st.sampled_from(["Allow", "Deny"]),
            "Principal": PRINCIPALS,
            "Action": st.sampled_from(["s3:GetObject", "s3:*", ["s3:PutObject", "s3:GetObject"]]),
        }
    ),
    min_size=1,
    max_size=3,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(statements=STATEMENTS)
def test_unconditioned_policies_agree_with_s3s_own_verdict(
    aws: boto3.Session, statements: list[dict[str, Any]]
) -> None:
    s3 = aws.client("s3")
    with contextlib.suppress(ClientError):  # the fixture's moto state outlives one example
        s3.create_bucket(Bucket="verdict")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{**s, "Resource": "arn:aws:s3:::verdict/*"} for s in statements],
    }
    s3.put_bucket_policy(Bucket="verdict", Policy=json.dumps(policy))
    oracle = s3.get_bucket_policy_status(Bucket="verdict")["PolicyStatus"]["IsPublic"]
    assert bool(list(public_statements(policy))) is oracle


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    ["Statement", "Effect", "Principal", "NotPrincipal", "Action", "Condition", "AWS"]
)


@settings(max_examples=200, deadline=None)
@given(
    policy=st.dictionaries(KEYS, JSON, max_size=4) | st.builds(lambda s: {"Statement": s}, JSON),
    acl=JSON,
    block=JSON,
)
def test_any_document_is_judged_without_crashing(policy: Any, acl: Any, block: Any) -> None:
    bucket_ = CloudResource(
        type="aws.s3.bucket",
        id="b",
        account=ACCOUNT,
        attributes={
            "policy": policy,
            "acl": acl if isinstance(acl, dict) else None,
            "public_access_block": block if isinstance(block, dict) else None,
        },
    )
    exposure = s3_exposure(bucket_, None)
    assert exposure is not None and exposure.reasons  # nothing failed to read here
    inv = apply_storage_exposure(Inventory(resources=(bucket_,)))
    assert inv.resources[0].exposure == exposure
