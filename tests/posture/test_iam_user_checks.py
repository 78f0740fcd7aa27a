"""CIS AWS 3.0 1.10, 1.12-1.16 against moto: seeded good and bad users and policies.

moto cannot backdate keys or passwords, nor record a console sign-in; the age-based
checks are judged on the same collected inventory with `collected_at` moved forward,
which is how a stored inventory is re-judged.
"""

from __future__ import annotations

import json

import boto3

from mamori.cloud.aws.collect import Target
from mamori.posture.check import Verdict
from tests.cloud.conftest import ACCOUNT
from tests.cloud.moto_auth import denying, enforced, principal
from tests.posture.iam_helpers import collect_for, later, verdicts

PASS, FAIL, MANUAL = Verdict.PASS, Verdict.FAIL, Verdict.MANUAL
PASSWORD = "correct-horse-battery-9"


def user(aws: boto3.Session, name: str, *, password: bool = False, keys: int = 0) -> list[str]:
    iam = aws.client("iam")
    iam.create_user(UserName=name)
    if password:
        iam.create_login_profile(UserName=name, Password=PASSWORD)
    return [iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] for _ in range(keys)]


def deactivate(aws: boto3.Session, name: str, key: str) -> None:
    aws.client("iam").update_access_key(UserName=name, AccessKeyId=key, Status="Inactive")


def test_mfa_for_console_users(aws: boto3.Session, target: Target) -> None:
    iam = aws.client("iam")
    user(aws, "with-mfa", password=True)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="with-mfa")["VirtualMFADevice"]
    iam.enable_mfa_device(
        UserName="with-mfa",
        SerialNumber=device["SerialNumber"],
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    user(aws, "no-mfa", password=True)
    user(aws, "api-only", keys=1)
    inv = collect_for(target, "iam_user_mfa_enabled_console_access")
    assert verdicts("iam_user_mfa_enabled_console_access", inv) == {
        "with-mfa": PASS,
        "no-mfa": FAIL,
        "api-only": PASS,
    }


def test_one_active_access_key(aws: boto3.Session, target: Target) -> None:
    user(aws, "two-active", keys=2)
    old, _ = user(aws, "one-rotated", keys=2)
    deactivate(aws, "one-rotated", old)
    user(aws, "none")
    inv = collect_for(target, "iam_user_one_active_access_key")
    assert verdicts("iam_user_one_active_access_key", inv) == {
        "two-active": FAIL,
        "one-rotated": PASS,
        "none": PASS,
    }


def test_access_keys_rotated_90_days(aws: boto3.Session, target: Target) -> None:
    user(aws, "active", keys=1)
    (key,) = user(aws, "inactive", keys=1)
    deactivate(aws, "inactive", key)
    user(aws, "none")
    inv = collect_for(target, "iam_user_access_keys_rotated_90_days")
    check = "iam_user_access_keys_rotated_90_days"
    everyone_passes = {"active": PASS, "inactive": PASS, "none": PASS}
    assert verdicts(check, inv) == everyone_passes
    assert verdicts(check, later(inv, 90)) == everyone_passes  # 90 days is still in time
    assert verdicts(check, later(inv, 91)) == {"active": FAIL, "inactive": PASS, "none": PASS}


def test_credentials_unused_45_days(aws: boto3.Session, target: Target) -> None:
    user(aws, "console", password=True)
    (key,) = user(aws, "api", keys=1)
    (idle,) = user(aws, "disabled", keys=1)
    deactivate(aws, "disabled", idle)
    user(aws, "nothing")
    inv = collect_for(target, "iam_user_credentials_unused_45_days")
    api = next(u for u in inv.of_type("aws.iam.user") if u.id == "api")
    assert api.attributes["access_keys"][0]["id"] == key
    check = "iam_user_credentials_unused_45_days"
    fresh = {"console": PASS, "api": PASS, "disabled": PASS, "nothing": PASS}
    assert verdicts(check, inv) == fresh
    assert verdicts(check, later(inv, 44)) == fresh
    stale = {"console": FAIL, "api": FAIL, "disabled": PASS, "nothing": PASS}
    assert verdicts(check, later(inv, 45)) == stale


def test_users_get_permissions_only_through_groups(aws: boto3.Session, target: Target) -> None:
    iam = aws.client("iam")
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    user(aws, "grouped")
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.add_user_to_group(GroupName="readers", UserName="grouped")
    user(aws, "attached")
    iam.attach_user_policy(UserName="attached", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    user(aws, "inline")
    iam.put_user_policy(UserName="inline", PolicyName="s3", PolicyDocument=doc)
    inv = collect_for(target, "iam_user_no_attached_policies")
    assert verdicts("iam_user_no_attached_policies", inv) == {
        "grouped": PASS,
        "attached": FAIL,
        "inline": FAIL,
    }


def statement(**fields: object) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": fields})


def test_no_full_admin_policy_attached(aws: boto3.Session, target: Target) -> None:
    iam = aws.client("iam")
    iam.create_role(
        RoleName="holder",
        AssumeRolePolicyDocument=statement(
            Effect="Allow", Principal={"Service": "ec2.amazonaws.com"}, Action="sts:AssumeRole"
        ),
    )
    documents = {
        "star-string": statement(Effect="Allow", Action="*", Resource="*"),
        "star-list": json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": ["*"]}
                ],
            }
        ),
        "not-action": statement(Effect="Allow", NotAction="iam:*", Resource="*"),
        "deny-all": statement(Effect="Deny", Action="*", Resource="*"),
        "one-bucket": statement(Effect="Allow", Action="*", Resource="arn:aws:s3:::b/*"),
        "unattached": statement(Effect="Allow", Action="*", Resource="*"),
    }
    arns = {}
    for name, document in documents.items():
        arns[name] = iam.create_policy(PolicyName=name, PolicyDocument=document)["Policy"]["Arn"]
        if name != "unattached":
            iam.attach_role_policy(RoleName="holder", PolicyArn=arns[name])
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    user(aws, "ops")
    iam.attach_user_policy(UserName="ops", PolicyArn=admin)
    iam.attach_user_policy(UserName="ops", PolicyArn=read_only)
    inv = collect_for(target, "iam_policy_no_full_admin_attached")
    assert verdicts("iam_policy_no_full_admin_attached", inv) == {
        arns["star-string"]: FAIL,
        arns["star-list"]: FAIL,
        arns["not-action"]: PASS,
        arns["deny-all"]: PASS,
        arns["one-bucket"]: PASS,
        admin: FAIL,
        read_only: PASS,
    }


def test_unknown_credentials_are_manual(aws: boto3.Session, target: Target, moto_url: str) -> None:
    user(aws, "console", password=True)
    user(aws, "api", keys=2)
    session = principal(aws, "scanner", denying("iam:GetLoginProfile", "iam:ListAccessKeys"))
    with enforced(moto_url):
        inv = collect_for(
            Target(session, ACCOUNT),
            "iam_user_mfa_enabled_console_access",
            "iam_user_one_active_access_key",
            "iam_user_credentials_unused_45_days",
        )
    assert inv.errors == ()
    unknown = {"console": MANUAL, "api": MANUAL, "scanner": MANUAL}
    assert verdicts("iam_user_mfa_enabled_console_access", inv) == unknown
    assert verdicts("iam_user_one_active_access_key", inv) == unknown
    assert verdicts("iam_user_credentials_unused_45_days", inv) == unknown


def test_a_type_that_failed_is_manual_never_pass(
    aws: boto3.Session, target: Target, moto_url: str
) -> None:
    user(aws, "someone", keys=2)
    session = principal(aws, "scanner", denying("iam:GetAccountAuthorizationDetails"))
    with enforced(moto_url):
        inv = collect_for(Target(session, ACCOUNT), "iam_user_one_active_access_key")
    assert [e.type for e in inv.errors] == ["aws.iam.user"]
    assert verdicts("iam_user_one_active_access_key", inv) == {f"{ACCOUNT}/global": MANUAL}
