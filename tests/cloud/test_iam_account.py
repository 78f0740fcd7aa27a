"""Account-wide IAM collectors against moto: password policy, summary, certificates and
the credential report (plus its CSV parser, fuzzed).

moto cannot emulate the root user: its account summary always says AccountMFAEnabled=0
and AccountAccessKeysPresent=0, no virtual device can be assigned to root, and its
credential report has no `<root_account>` row. The root row is tested on a report in
the documented format instead.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.cloud.aws.collect import Target, collect
from mamori.cloud.aws.resources.iam_credential_report import ROOT, parse_report
from tests.cloud.conftest import ACCOUNT, REGION


def one(target: Target, type_: str) -> dict[str, object]:
    inv = collect([target], regions=[REGION], types=[type_])
    assert inv.errors == ()
    (resource,) = inv.of_type(type_)
    assert resource.account == ACCOUNT
    return resource.attributes


def test_password_policy_absent_then_set(aws: boto3.Session, target: Target) -> None:
    absent = one(target, "aws.iam.password_policy")
    assert absent["exists"] is False and absent["minimum_length"] is None
    aws.client("iam").update_account_password_policy(
        MinimumPasswordLength=14, PasswordReusePrevention=24, RequireSymbols=True
    )
    policy = one(target, "aws.iam.password_policy")
    assert policy["exists"] is True
    assert (policy["minimum_length"], policy["reuse_prevention"]) == (14, 24)
    assert policy["require_symbols"] is True and policy["require_numbers"] is False


def test_account_summary_and_root_virtual_mfa(aws: boto3.Session, target: Target) -> None:
    iam = aws.client("iam")
    before = one(target, "aws.iam.account_summary")
    assert before["account_mfa_enabled"] is False  # moto's fixed root values
    assert before["account_access_keys_present"] is False
    assert before["root_virtual_mfa_devices"] == [] and before["errors"] == {}
    # moto cannot assign a device to root; a device with root's well-known serial,
    # assigned to a user, stands in for it. A user's ordinary device does not count.
    iam.create_user(UserName="stand-in")
    for name in ("root-account-mfa-device", "stand-in"):
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        iam.enable_mfa_device(
            UserName="stand-in",
            SerialNumber=serial["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
    after = one(target, "aws.iam.account_summary")
    assert after["root_virtual_mfa_devices"] == [
        f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"
    ]
    summary = iam.get_account_summary()["SummaryMap"]
    assert after["summary"] == summary and summary["Users"] == 1


def certificate(days: int) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "example.test")])
    start = datetime.now(UTC) - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_server_certificates(aws: boto3.Session, target: Target) -> None:
    iam = aws.client("iam")
    iam.upload_server_certificate(
        ServerCertificateName="web", CertificateBody=certificate(365), PrivateKey="k", Path="/cf/"
    )
    cert = one(target, "aws.iam.server_certificate")
    (listed,) = iam.list_server_certificates()["ServerCertificateMetadataList"]
    assert cert["path"] == "/cf/" and cert["certificate_id"] == listed["ServerCertificateId"]
    # moto reports a fixed 2012 expiration whatever the certificate says.
    assert cert["expiration"] == listed["Expiration"].astimezone(UTC).isoformat()


def test_credential_report_rows(aws: boto3.Session, target: Target) -> None:
    iam = aws.client("iam")
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="correct-horse-battery-9")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.create_user(UserName="bob")
    inv = collect([target], regions=[REGION], types=["aws.iam.credential_report_row"])
    assert inv.errors == ()
    rows = {r.id: r for r in inv.of_type("aws.iam.credential_report_row")}
    assert set(rows) == {"alice", "bob"}  # moto's report has no <root_account> row
    assert all(r.arn is None for r in rows.values())  # the user resource owns the ARN
    alice, bob = rows["alice"].attributes, rows["bob"].attributes
    assert alice["user_arn"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert alice["password_enabled"] is True and alice["mfa_active"] is False
    assert alice["password_last_used"] is None  # "no_information"
    assert alice["access_key_1_active"] is True and alice["access_key_2_active"] is False
    created = key["CreateDate"].astimezone(UTC).replace(microsecond=0).isoformat()
    assert alice["access_key_1_last_rotated"] == created
    assert bob["password_enabled"] is False and bob["access_key_1_last_rotated"] is None
    assert alice["report_generated"] is not None


# The documented layout (IAM User Guide, "Getting credential reports"), root row first.
HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
)
ROOT_ROW = (
    "<root_account>,arn:aws:iam::123456789012:root,2015-03-11T09:32:46+00:00,not_supported,"
    "2024-05-01T10:00:00+00:00,not_supported,not_supported,true,true,2016-01-02T03:04:05+00:00,"
    "2024-04-30T08:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
)


def test_parse_documented_report_with_root_row() -> None:
    (root,) = parse_report(f"{HEADER}\n{ROOT_ROW}\n".encode())
    assert root["user"] == ROOT and root["user_arn"] == "arn:aws:iam::123456789012:root"
    assert root["password_enabled"] is None and root["mfa_active"] is True
    assert root["password_last_used"] == "2024-05-01T10:00:00+00:00"
    assert root["access_key_1_active"] is True
    assert root["access_key_1_last_used_service"] == "s3"
    assert root["access_key_2_last_rotated"] is None


CELLS = st.one_of(
    st.sampled_from(["true", "false", "N/A", "not_supported", "no_information", ""]),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0).isoformat()),
    st.text(max_size=20),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.text(min_size=1, max_size=12), st.lists(CELLS, min_size=21, max_size=21)),
        max_size=5,
    )
)
def test_parser_reads_what_a_csv_writer_wrote(rows: list[tuple[str, list[str]]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER.split(","))
    for user, cells in rows:
        writer.writerow([user, *cells])
    parsed = parse_report(out.getvalue().encode())
    expected = [u.replace("\0", "").strip() for u, _ in rows]
    assert [r["user"] for r in parsed] == [u for u in expected if u]
    for row in parsed:
        assert set(row) == {"user", "user_arn", *HEADER.split(",")[2:]}
        for column, value in row.items():
            if column.endswith(("_active", "_enabled")) and value is not None:
                assert isinstance(value, bool | str)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_parser_never_crashes_on_garbage(data: bytes) -> None:
    try:
        rows = parse_report(data)
    except ValueError as exc:  # reported as a collection error for the type
        assert "malformed credential report" in str(exc)
        return
    for row in rows:
        assert row["user"] and row["user"] == row["user"].strip()
