"""IAM principal and policy collectors against moto: what was seeded is what is collected.

The oracle is the seeding itself (names, paths, devices, keys, documents written through
the IAM API), plus boto3 calls made here directly for values moto invents (ids, dates).
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from mamori.cloud.aws.collect import Target, collect
from mamori.model import CloudResource
from tests.cloud.conftest import ACCOUNT, REGION
from tests.cloud.moto_auth import denying, enforced, principal

ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
SUPPORT = "arn:aws:iam::aws:policy/AWSSupportAccess"
TYPES = ["aws.iam.user", "aws.iam.group", "aws.iam.role", "aws.iam.policy"]


def by_id(resources: list[CloudResource]) -> dict[str, dict[str, Any]]:
    return {r.id: r.attributes for r in resources}


def seed(aws: boto3.Session) -> dict[str, str]:
    iam = aws.client("iam")
    iam.create_user(UserName="alice", Path="/eng/")
    iam.create_login_profile(UserName="alice", Password="correct-horse-battery-9")
    virtual = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
    for serial in (virtual["SerialNumber"], "GAHT12345678"):
        iam.enable_mfa_device(
            UserName="alice",
            SerialNumber=serial,
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    used = iam.create_access_key(UserName="alice")["AccessKey"]
    idle = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.update_access_key(UserName="alice", AccessKeyId=idle["AccessKeyId"], Status="Inactive")
    # moto records the last use of a key that signs a request, as AWS does.
    boto3.Session(
        aws_access_key_id=used["AccessKeyId"],
        aws_secret_access_key=used["SecretAccessKey"],
        region_name=REGION,
    ).client("sts").get_caller_identity()
    iam.put_user_policy(UserName="alice", PolicyName="everything", PolicyDocument=json.dumps(ADMIN))
    iam.attach_user_policy(UserName="alice", PolicyArn=READ_ONLY)
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.add_user_to_group(GroupName="devs", UserName="bob")
    iam.attach_group_policy(GroupName="devs", PolicyArn=READ_ONLY)
    iam.put_group_policy(GroupName="devs", PolicyName="inline", PolicyDocument=json.dumps(ADMIN))
    iam.create_group(GroupName="empty")
    iam.create_role(RoleName="support", AssumeRolePolicyDocument=json.dumps(TRUST), Path="/ops/")
    iam.attach_role_policy(RoleName="support", PolicyArn=SUPPORT)
    admin = iam.create_policy(PolicyName="admin", PolicyDocument=json.dumps(ADMIN))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="support", PolicyArn=admin)
    iam.create_policy(PolicyName="unattached", PolicyDocument=json.dumps(ADMIN))
    return {
        "virtual": virtual["SerialNumber"],
        "used": used["AccessKeyId"],
        "idle": idle["AccessKeyId"],
        "admin": admin,
    }


def test_users_groups_roles_and_policies(aws: boto3.Session, target: Target) -> None:
    seeded = seed(aws)
    inv = collect([target], regions=[REGION], types=TYPES)
    assert inv.errors == ()
    for resource in inv.resources:  # stored and diffed as JSON: must survive the round trip
        assert json.loads(json.dumps(resource.attributes)) == resource.attributes
        assert resource.account == ACCOUNT and resource.region == "global"

    users = by_id(inv.of_type("aws.iam.user"))
    assert set(users) == {"alice", "bob"}
    alice, bob = users["alice"], users["bob"]
    assert alice["path"] == "/eng/" and alice["console_access"] is True
    assert alice["login_profile"]["password_reset_required"] is False
    assert {(d["serial"], d["kind"]) for d in alice["mfa_devices"]} == {
        (seeded["virtual"], "virtual"),
        ("GAHT12345678", "hardware"),
    }
    keys = {k["id"]: k for k in alice["access_keys"]}
    assert {k: v["status"] for k, v in keys.items()} == {
        seeded["used"]: "Active",
        seeded["idle"]: "Inactive",
    }
    assert keys[seeded["used"]]["last_used"] is not None
    assert keys[seeded["used"]]["last_used_service"] == "sts"
    assert (
        keys[seeded["idle"]]["last_used"] is None
        and keys[seeded["idle"]]["last_used_error"] is None
    )
    listed = aws.client("iam").list_access_keys(UserName="alice")["AccessKeyMetadata"]
    assert {k["AccessKeyId"]: k["CreateDate"].isoformat() for k in listed} == {
        k: v["created"] for k, v in keys.items()
    }
    assert alice["attached_policies"] == [{"name": "ReadOnlyAccess", "arn": READ_ONLY}]
    assert alice["inline_policies"] == [{"name": "everything", "document": ADMIN}]
    assert alice["groups"] == ["devs"] and alice["errors"] == {}
    assert bob["console_access"] is False and bob["login_profile"] is None
    assert bob["mfa_devices"] == [] and bob["access_keys"] == []
    assert bob["attached_policies"] == [] and bob["inline_policies"] == []

    groups = by_id(inv.of_type("aws.iam.group"))
    assert groups["devs"]["members"] == ["alice", "bob"] and groups["empty"]["members"] == []
    assert groups["devs"]["attached_policies"] == [{"name": "ReadOnlyAccess", "arn": READ_ONLY}]
    assert groups["devs"]["inline_policies"] == [{"name": "inline", "document": ADMIN}]

    role = by_id(inv.of_type("aws.iam.role"))["support"]
    assert role["path"] == "/ops/" and role["trust_policy"] == TRUST
    assert role["service_linked"] is False and role["last_used"] is None
    assert {p["arn"] for p in role["attached_policies"]} == {SUPPORT, seeded["admin"]}

    policies = by_id(inv.of_type("aws.iam.policy"))
    # Only attached policies: the unattached one and the ~1,000 other AWS ones are left out.
    assert set(policies) == {READ_ONLY, SUPPORT, seeded["admin"]}
    assert policies[seeded["admin"]]["document"] == ADMIN
    assert policies[seeded["admin"]]["aws_managed"] is False
    assert policies[READ_ONLY]["aws_managed"] is True
    assert policies[READ_ONLY]["attached_to"] == {
        "users": ["alice"],
        "groups": ["devs"],
        "roles": [],
    }
    assert policies[SUPPORT]["attached_to"] == {"users": [], "groups": [], "roles": ["support"]}
    support = aws.client("iam").get_policy(PolicyArn=SUPPORT)["Policy"]
    version = aws.client("iam").get_policy_version(
        PolicyArn=SUPPORT, VersionId=support["DefaultVersionId"]
    )["PolicyVersion"]["Document"]
    assert policies[SUPPORT]["document"] == version
    assert policies[SUPPORT]["default_version"] == support["DefaultVersionId"]


def test_a_denied_sub_call_is_recorded_on_the_item(aws: boto3.Session, moto_url: str) -> None:
    iam = aws.client("iam")
    iam.create_user(UserName="carol")
    iam.create_login_profile(UserName="carol", Password="correct-horse-battery-9")
    iam.create_access_key(UserName="carol")
    iam.attach_user_policy(UserName="carol", PolicyArn=READ_ONLY)
    session = principal(
        aws,
        "auditor",
        denying("iam:GetLoginProfile", "iam:GetAccessKeyLastUsed", "iam:ListEntitiesForPolicy"),
    )
    with enforced(moto_url):
        inv = collect(
            [Target(session, ACCOUNT)], regions=[REGION], types=["aws.iam.user", "aws.iam.policy"]
        )
    assert inv.errors == ()  # the types were collected; only some facts are unknown
    carol = by_id(inv.of_type("aws.iam.user"))["carol"]
    assert carol["console_access"] is None and carol["login_profile"] is None
    assert carol["errors"]["GetLoginProfile"].startswith("AccessDenied")
    assert carol["mfa_devices"] == []  # ListMFADevices was allowed
    (key,) = carol["access_keys"]
    assert key["last_used"] is None and key["last_used_error"].startswith("AccessDenied")
    read_only = by_id(inv.of_type("aws.iam.policy"))[READ_ONLY]
    assert read_only["document"] is not None and read_only["attached_to"] is None
    assert read_only["errors"]["ListEntitiesForPolicy"].startswith("AccessDenied")
