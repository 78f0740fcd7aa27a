"""End to end: `mamori scan aws` and `mamori diff` on a seeded moto account."""

from __future__ import annotations

import csv
import io
import json

import boto3
from typer.testing import CliRunner

from mamori.cli.main import app
from tests.cloud.conftest import REGION

runner = CliRunner()


CHECKS = (
    "iam_password_policy_minimum_length_14",
    "iam_password_policy_reuse_24",
    "s3_bucket_secure_transport_policy",
    "ec2_securitygroup_no_admin_ports_ipv4",
    "ec2_securitygroup_no_admin_ports_ipv6",
)


def scan(*args: str) -> tuple[int, str]:
    """A scan restricted to a few checks: only their resource types are collected."""
    selected = [arg for check in CHECKS for arg in ("--check", check)]
    result = runner.invoke(
        app, ["scan", "aws", "--region", REGION, "--framework", "", *selected, *args]
    )
    return result.exit_code, result.stdout


def verdicts(report: dict[str, object]) -> dict[tuple[str, str], str]:
    """(check id, resource name) -> status, from a JSON report."""
    return {
        (f["rule_id"], f["resource"]["name"]): f["status"]
        for f in report["findings"]  # type: ignore[attr-defined]
    }


def test_scan_judges_seeded_resources_and_diff_follows_changes(aws: boto3.Session) -> None:
    iam = aws.client("iam")
    s3 = aws.client("s3")
    ec2 = aws.client("ec2")
    iam.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=1)
    s3.create_bucket(Bucket="no-tls-policy")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    open_ssh = ec2.create_security_group(GroupName="open-ssh", Description="x", VpcId=vpc)
    ec2.authorize_security_group_ingress(
        GroupId=open_ssh["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    closed = ec2.create_security_group(GroupName="closed", Description="x", VpcId=vpc)

    code, out = scan("-f", "json", "--fail-on", "high")
    report = json.loads(out)
    got = verdicts(report)
    assert (
        got[
            (
                "iam_password_policy_minimum_length_14",
                "aws.iam.password_policy:123456789012:global:password-policy",
            )
        ]
        == "open"
    )
    assert got[("s3_bucket_secure_transport_policy", "arn:aws:s3:::no-tls-policy")] == "open"
    sg_arn = f"arn:aws:ec2:{REGION}:123456789012:security-group/"
    assert got[("ec2_securitygroup_no_admin_ports_ipv4", sg_arn + open_ssh["GroupId"])] == "open"
    assert got[("ec2_securitygroup_no_admin_ports_ipv4", sg_arn + closed["GroupId"])] == "pass"
    assert got[("ec2_securitygroup_no_admin_ports_ipv6", sg_arn + open_ssh["GroupId"])] == "pass"
    high = [
        f
        for f in report["findings"]
        if f["status"] == "open" and f["severity"] in ("high", "critical")
    ]
    assert code == (1 if high else 0)

    # Fix one thing, add one thing: the next scan's diff says exactly that.
    iam.update_account_password_policy(MinimumPasswordLength=14, PasswordReusePrevention=24)
    s3.create_bucket(Bucket="second-bucket")
    code, _ = scan("-f", "json")
    assert code == 0
    result = runner.invoke(app, ["diff", "--json"])
    assert result.exit_code == 0, result.output
    diff = json.loads(result.stdout)
    added = {r["arn"] for r in diff["inventory"]["added"]}
    assert added == {"arn:aws:s3:::second-bucket"}
    changed = {c["type"] for c in diff["inventory"]["changed"]}
    assert "aws.iam.password_policy" in changed
    resolved = {f["rule_id"] for f in diff["resolved_findings"]}
    assert {"iam_password_policy_minimum_length_14", "iam_password_policy_reuse_24"} <= resolved
    new = {(f["rule_id"], f["resource"]["name"]) for f in diff["new_findings"]}
    assert ("s3_bucket_secure_transport_policy", "arn:aws:s3:::second-bucket") in new


def test_csv_and_ocsf_outputs(aws: boto3.Session) -> None:
    aws.client("s3").create_bucket(Bucket="csv-output-bucket")
    code, out = scan("-f", "csv", "--no-store")
    assert code == 0
    rows = [
        r
        for r in csv.DictReader(io.StringIO(out))
        if r["check_id"] == "s3_bucket_secure_transport_policy"
    ]
    assert [r["resource_arn"] for r in rows] == ["arn:aws:s3:::csv-output-bucket"]
    code, out = scan("-f", "ocsf", "--no-store")
    events = json.loads(out)
    assert events and all(e["class_uid"] == 2003 for e in events)
