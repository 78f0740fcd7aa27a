"""CIS AWS 3.0 1.4-1.9, 1.17, 1.19 against moto, passing, failing and missing.

moto's root user is fixed (no MFA, no access keys, no virtual device assignable), so
the root checks see moto's real summary for one verdict and a copy of it with the
other values for the opposite one. moto reports every server certificate as expiring
on 2012-05-08, so the certificate is judged before and after that date.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3

from mamori.cloud.aws.collect import Target
from mamori.model import Inventory
from mamori.posture.check import Verdict
from tests.cloud.conftest import ACCOUNT
from tests.cloud.moto_auth import denying, enforced, principal
from tests.cloud.test_iam_account import certificate
from tests.posture.iam_helpers import collect_for, verdicts

PASS, FAIL, MANUAL = Verdict.PASS, Verdict.FAIL, Verdict.MANUAL
ACCOUNT_RESULT = f"{ACCOUNT}/global"
SUPPORT = "arn:aws:iam::aws:policy/AWSSupportAccess"
ROOT_CHECKS = ("iam_root_no_access_keys", "iam_root_mfa_enabled", "iam_root_hardware_mfa_enabled")


def with_summary(inventory: Inventory, **attributes: Any) -> Inventory:
    (summary,) = inventory.of_type("aws.iam.account_summary")
    changed = summary.model_copy(update={"attributes": {**summary.attributes, **attributes}})
    return inventory.model_copy(update={"resources": (changed,)})


def root(inventory: Inventory) -> dict[str, Verdict]:
    return {check: verdicts(check, inventory)["account-summary"] for check in ROOT_CHECKS}


def test_root_user_checks(aws: boto3.Session, target: Target) -> None:
    inv = collect_for(target, *ROOT_CHECKS)
    assert inv.errors == ()
    assert root(inv) == {
        "iam_root_no_access_keys": PASS,
        "iam_root_mfa_enabled": FAIL,
        "iam_root_hardware_mfa_enabled": FAIL,
    }
    keys_and_hardware = with_summary(
        inv, account_access_keys_present=True, account_mfa_enabled=True
    )
    assert root(keys_and_hardware) == {
        "iam_root_no_access_keys": FAIL,
        "iam_root_mfa_enabled": PASS,
        "iam_root_hardware_mfa_enabled": PASS,
    }
    virtual = with_summary(
        inv,
        account_mfa_enabled=True,
        root_virtual_mfa_devices=[f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"],
    )
    assert verdicts("iam_root_hardware_mfa_enabled", virtual) == {"account-summary": FAIL}


def test_root_checks_are_manual_when_unseen(
    aws: boto3.Session, target: Target, moto_url: str
) -> None:
    session = principal(aws, "scanner", denying("iam:ListVirtualMFADevices"))
    with enforced(moto_url):
        partial = collect_for(Target(session, ACCOUNT), *ROOT_CHECKS)
    assert partial.errors == ()
    mfa_on = with_summary(partial, account_mfa_enabled=True)
    assert verdicts("iam_root_hardware_mfa_enabled", mfa_on) == {"account-summary": MANUAL}

    session = principal(aws, "blind", denying("iam:GetAccountSummary"))
    with enforced(moto_url):
        failed = collect_for(Target(session, ACCOUNT), *ROOT_CHECKS)
    assert [e.type for e in failed.errors] == ["aws.iam.account_summary"]
    for check in ROOT_CHECKS:
        assert verdicts(check, failed) == {ACCOUNT_RESULT: MANUAL}
    empty = failed.model_copy(update={"errors": ()})  # not collected at all
    assert verdicts("iam_root_mfa_enabled", empty) == {ACCOUNT_RESULT: MANUAL}


def test_password_policy_checks(aws: boto3.Session, target: Target) -> None:
    checks = ("iam_password_policy_minimum_length_14", "iam_password_policy_reuse_24")

    def judge() -> list[Verdict]:
        inv = collect_for(target, *checks)
        return [verdicts(c, inv)["password-policy"] for c in checks]

    assert judge() == [FAIL, FAIL]  # no policy at all
    iam = aws.client("iam")
    iam.update_account_password_policy(MinimumPasswordLength=13, PasswordReusePrevention=23)
    assert judge() == [FAIL, FAIL]
    iam.update_account_password_policy(MinimumPasswordLength=14, PasswordReusePrevention=24)
    assert judge() == [PASS, PASS]
    iam.update_account_password_policy(MinimumPasswordLength=20)  # reuse unset again
    assert judge() == [PASS, FAIL]


def test_support_role(aws: boto3.Session, target: Target) -> None:
    check = "iam_support_role_created"
    assert verdicts(check, collect_for(target, check)) == {ACCOUNT_RESULT: FAIL}
    iam = aws.client("iam")
    iam.create_group(GroupName="helpdesk")
    iam.attach_group_policy(GroupName="helpdesk", PolicyArn=SUPPORT)
    assert verdicts(check, collect_for(target, check)) == {SUPPORT: FAIL}  # not a role
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    iam.create_role(RoleName="support", AssumeRolePolicyDocument=trust)
    iam.attach_role_policy(RoleName="support", PolicyArn=SUPPORT)
    assert verdicts(check, collect_for(target, check)) == {SUPPORT: PASS}


def test_expired_server_certificates(aws: boto3.Session, target: Target) -> None:
    check = "iam_server_certificates_not_expired"
    assert verdicts(check, collect_for(target, check)) == {}
    aws.client("iam").upload_server_certificate(
        ServerCertificateName="web", CertificateBody=certificate(30), PrivateKey="k"
    )
    inv = collect_for(target, check)
    (cert,) = inv.of_type("aws.iam.server_certificate")
    assert cert.attributes["expiration"].startswith("2012-05-08")  # moto's fixed date
    assert verdicts(check, inv) == {"web": FAIL}
    before = inv.model_copy(update={"collected_at": datetime(2012, 5, 1, tzinfo=UTC)})
    assert verdicts(check, before) == {"web": PASS}
