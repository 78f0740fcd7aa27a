"""iam_inline_policy_no_full_admin on a moto account: inline policies of roles, users
and groups, collected with the account authorization details."""

from __future__ import annotations

import json

import boto3

from mamori.cloud.aws.collect import Target
from mamori.posture.check import Verdict, checks
from tests.posture.iam_helpers import collect_for, verdicts

CHECK = "iam_inline_policy_no_full_admin"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole",
}]})  # fmt: skip


def _doc(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_inline_admin_grants_fail_per_principal(aws: boto3.Session, target: Target) -> None:
    iam = aws.client("iam")
    admin = _doc({"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": "*"})
    narrow = _doc({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"})
    deny = _doc({"Effect": "Deny", "Action": "*", "Resource": "*"})
    for name in ("admin-role", "narrow-role", "bare-role"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="admin-role", PolicyName="ok", PolicyDocument=narrow)
    iam.put_role_policy(RoleName="admin-role", PolicyName="god", PolicyDocument=admin)
    iam.put_role_policy(RoleName="narrow-role", PolicyName="ok", PolicyDocument=narrow)
    iam.create_user(UserName="deny-user")
    iam.put_user_policy(UserName="deny-user", PolicyName="nothing", PolicyDocument=deny)
    iam.create_group(GroupName="ops")
    iam.put_group_policy(GroupName="ops", PolicyName="all", PolicyDocument=admin)
    inventory = collect_for(target, CHECK)
    got = verdicts(CHECK, inventory)
    by_name = {r.id: r.name for t in ("aws.iam.role", "aws.iam.user", "aws.iam.group")
               for r in inventory.of_type(t)}  # fmt: skip
    named = {by_name[k]: v for k, v in got.items()}
    assert named == {
        "admin-role": Verdict.FAIL,
        "narrow-role": Verdict.PASS,
        "deny-user": Verdict.PASS,  # Deny *:* grants nothing
        "ops": Verdict.FAIL,
    }  # bare-role has no inline policy: no verdict
    results = {r.resource.name: r for r in checks.get(CHECK)().run(inventory)
               if r.resource is not None}  # fmt: skip
    assert "god" in results["admin-role"].reason and "ok" not in results["admin-role"].reason
