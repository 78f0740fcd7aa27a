"""IAM part of the seeded account: users in 8 profiles, groups, roles, policies, certs.

User profiles (index % 8) and the CIS v3.0 verdicts they are built to get:
  0 console + MFA, password used 10 days ago, in a group          1.10 P 1.12 P 1.15 P
  1 console, no MFA, created 100 days ago, never signed in         1.10 F 1.12 F
  2 one active key, 10 days old, used 2 days ago                   1.12 P 1.13 P 1.14 P
  3 two active keys: 120 days old never used + 5 days old          1.12 F 1.13 F 1.14 F
  4 old key inactive + new active key; AWS policy attached         1.13 P 1.14 P 1.15 F
  5 one active key 120 days old used 5 days ago; inline policy     1.12 P 1.14 F 1.15 F
  6 no credentials; AWS policy attached                            1.15 F
  7 console + MFA, password last used 60 days ago                  1.10 P 1.12 F
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from _aws_moto import backdate_key, backdate_user
from _aws_seed import Clients, Truth, run_all

ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
LIMITED = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
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
AWS_POLICY = "arn:aws:iam::aws:policy/"


def _policies(iam: Any, n: int, truth: Truth) -> list[str]:
    """pol-i: i%3 0 admin (attached to a role), 1 admin unattached, 2 limited (group)."""
    arns = []
    for i in range(n):
        doc = LIMITED if i % 3 == 2 else ADMIN
        arns.append(
            iam.create_policy(PolicyName=f"pol-{i:05d}", PolicyDocument=json.dumps(doc))["Policy"][
                "Arn"
            ]
        )
        truth.put("1.16", f"pol-{i:05d}", i % 3 != 0, required=i % 3 != 1)
    truth.count("iam_policy", n)
    return arns


def _roles(iam: Any, n: int, policies: list[str], truth: Truth) -> None:
    """role-0 support role, role-1 AdministratorAccess, others the admin customer policies."""
    for i in range(n):
        name = f"role-{i:05d}"
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
        if i == 0:
            iam.attach_role_policy(RoleName=name, PolicyArn=AWS_POLICY + "AWSSupportAccess")
        elif i == 1:
            iam.attach_role_policy(RoleName=name, PolicyArn=AWS_POLICY + "AdministratorAccess")
    # every admin customer policy with i%3 == 0 is attached to some role
    for j, arn in enumerate(policies[::3]):
        iam.attach_role_policy(RoleName=f"role-{j % n:05d}", PolicyArn=arn)
    truth.put("1.17", "account", True)
    truth.put("1.16", "AWSSupportAccess", True)
    truth.put("1.16", "AdministratorAccess", False)
    truth.put("1.16", "ReadOnlyAccess", True)
    truth.count("iam_role", n)


def _groups(iam: Any, n: int, policies: list[str], truth: Truth) -> None:
    for i in range(n):
        iam.create_group(GroupName=f"group-{i:05d}")
    iam.attach_group_policy(GroupName="group-00000", PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    for j, arn in enumerate(policies[2::3]):
        iam.attach_group_policy(GroupName=f"group-{j % n:05d}", PolicyArn=arn)
    truth.count("iam_group", n)


def _user(iam: Any, i: int, truth: Truth) -> None:
    name, p = f"user-{i:05d}", i % 8
    iam.create_user(UserName=name)
    keys: list[str] = []
    if p in (0, 1, 7):
        iam.create_login_profile(UserName=name, Password="Correct-Horse-Battery-9")
    if p in (0, 7):
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"][
            "SerialNumber"
        ]
        iam.enable_mfa_device(
            UserName=name,
            SerialNumber=serial,
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    for _ in range({2: 1, 3: 2, 4: 2, 5: 1}.get(p, 0)):
        keys.append(iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"])
    if p == 4:
        iam.update_access_key(UserName=name, AccessKeyId=keys[0], Status="Inactive")
    if p in (4, 6):
        iam.attach_user_policy(UserName=name, PolicyArn=AWS_POLICY + "ReadOnlyAccess")
    if p == 5:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=json.dumps(LIMITED))
    if p == 0:
        iam.add_user_to_group(GroupName="group-00000", UserName=name)
    # timestamps no API can set (see _aws_moto)
    backdate_user(name, created={1: 100, 7: 200}.get(p, 300), password_used={0: 10, 7: 60}.get(p))
    ages: dict[int, list[tuple[int, int | None]]] = {
        2: [(10, 2)],
        3: [(120, None), (5, 1)],
        4: [(200, None), (20, 3)],
        5: [(120, 5)],
    }
    for key, (created, used) in zip(keys, ages.get(p, []), strict=True):
        backdate_key(name, key, created=created, used=used)
    console, has_keys = p in (0, 1, 7), bool(keys)
    truth.put("1.10", name, p != 1, required=console)
    truth.put("1.12", name, p not in (1, 3, 7), required=console or has_keys)
    truth.put("1.13", name, p != 3, required=has_keys)
    truth.put("1.14", name, p not in (3, 5), required=has_keys)
    truth.put("1.15", name, p not in (4, 5, 6))
    truth.count("iam_user")
    truth.count("iam_access_key", len(keys))
    truth.count("iam_mfa_device", int(p in (0, 7)))


def _certificate(days: int) -> tuple[str, str]:
    """A self-signed certificate (PEM) and its key, valid until `days` from now."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench.example")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=800))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), pem_key.decode()


def seed_iam(aws: Clients, counts: dict[str, int], truth: Truth) -> None:
    iam = aws("iam")
    policies = _policies(iam, counts["policies"], truth)
    _groups(iam, counts["groups"], policies, truth)
    _roles(iam, counts["roles"], policies, truth)
    run_all([partial(_user, iam, i, truth) for i in range(counts["users"])])
    for name, days in (("cert-valid", 365), ("cert-expired", -30)):
        body, key = _certificate(days)
        iam.upload_server_certificate(
            ServerCertificateName=name, CertificateBody=body, PrivateKey=key
        )
        truth.put("1.19", name, days > 0)
    truth.count("iam_server_certificate", 2)
    iam.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=5)
    truth.put("1.8", "account", False)
    truth.put("1.9", "account", False)
    # moto's root user has no access keys and no MFA (get_account_summary says so)
    truth.put("1.4", "account", True)
    truth.put("1.5", "account", False)
    truth.count("iam_password_policy")
