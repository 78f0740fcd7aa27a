"""Each AWS check that applies to IaC, on a passing and a failing fixture resource, in each
format: Terraform HCL, Terraform plan JSON and CloudFormation (fixtures/).

The same check code judges resources read from the AWS API (tests/cloud); here the
resources come from the files, so a pass or a fail proves the mapping feeds the check
the attributes it reads, with the meaning the collectors give them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mamori.model import FindingStatus
from mamori.workload.iac.applicability import READS
from mamori.workload.iac.scan import IacScanOutcome, IacScanRequest, run_iac_scan

FIXTURES = Path(__file__).parent / "fixtures"
OPEN, PASS, IGNORED = FindingStatus.OPEN, FindingStatus.PASS, FindingStatus.IGNORED

# check -> (passing address, failing address) per format; None: not expressible there
TERRAFORM = {
    "s3_bucket_public_access_block": ("aws_s3_bucket.pass", "aws_s3_bucket.fail"),
    "s3_bucket_server_access_logging_enabled": ("aws_s3_bucket.pass", "aws_s3_bucket.fail"),
    "s3_bucket_secure_transport_policy": ("aws_s3_bucket.pass", "aws_s3_bucket.fail"),
    "s3_bucket_mfa_delete_enabled": ("aws_s3_bucket.pass", "aws_s3_bucket.fail"),
    "ec2_securitygroup_no_admin_ports_ipv4": (
        "aws_security_group.pass",
        "aws_security_group.fail_v4",
    ),
    "ec2_securitygroup_no_admin_ports_ipv6": (
        "aws_security_group.pass",
        "aws_security_group.fail_v6",
    ),
    "ec2_securitygroup_default_restricts_all": (
        "aws_default_security_group.pass",
        "aws_default_security_group.fail",
    ),
    "cloudtrail_log_file_validation_enabled": ("aws_cloudtrail.pass", "aws_cloudtrail.fail"),
    "cloudtrail_kms_encryption_enabled": ("aws_cloudtrail.pass", "aws_cloudtrail.fail"),
    "cloudtrail_bucket_access_logging_enabled": ("aws_cloudtrail.pass", "aws_cloudtrail.fail"),
    "kms_cmk_rotation_enabled": ("aws_kms_key.pass", "aws_kms_key.fail"),
    "ec2_ebs_volume_encrypted": ("aws_ebs_volume.pass", "aws_ebs_volume.fail"),
    "ec2_ebs_default_encryption": (
        "aws_ebs_encryption_by_default.pass",
        "aws_ebs_encryption_by_default.fail",
    ),
    "rds_instance_storage_encrypted": ("aws_db_instance.pass", "aws_db_instance.fail"),
    "rds_instance_not_publicly_accessible": ("aws_db_instance.pass", "aws_db_instance.fail"),
    "rds_instance_minor_version_upgrade_enabled": ("aws_db_instance.pass", "aws_db_instance.fail"),
    "eks_cluster_endpoint_not_public": ("aws_eks_cluster.pass", "aws_eks_cluster.fail"),
    "eks_cluster_control_plane_logging_enabled": ("aws_eks_cluster.pass", "aws_eks_cluster.fail"),
    "lambda_function_url_auth_required": ("aws_lambda_function.pass", "aws_lambda_function.fail"),
    "iam_policy_no_full_admin_attached": ("aws_iam_policy.pass", "aws_iam_policy.fail"),
    "iam_inline_policy_no_full_admin": ("aws_iam_role_policy.pass", "aws_iam_role_policy.fail"),
    "efs_encryption_at_rest_enabled": ("aws_efs_file_system.pass", "aws_efs_file_system.fail"),
    "ec2_instance_imdsv2_required": ("aws_instance.pass", "aws_instance.fail"),
    "ecr_repository_scan_on_push_enabled": ("aws_ecr_repository.pass", "aws_ecr_repository.fail"),
}
# the plan fixture declares the same resources (the bucket policy's document is only known
# after apply there, so its pass is not applicable: see test_plan_unknowns)
PLAN = {
    **TERRAFORM,
    "s3_bucket_secure_transport_policy": (None, "aws_s3_bucket.fail"),
}
CLOUDFORMATION = {
    # the account's block is not a CloudFormation resource: a bucket without its own
    # block is not applicable (see test_not_applicable_without_account_block)
    "s3_bucket_public_access_block": ("PassBucket", None),
    "s3_bucket_server_access_logging_enabled": ("PassBucket", "FailBucket"),
    "s3_bucket_secure_transport_policy": ("PassBucket", "FailBucket"),
    "s3_bucket_mfa_delete_enabled": (None, "FailBucket"),  # CloudFormation cannot enable it
    "ec2_securitygroup_no_admin_ports_ipv4": ("PassGroup", "FailGroupV4"),
    "ec2_securitygroup_no_admin_ports_ipv6": ("PassGroup", "FailGroupV6"),
    "cloudtrail_log_file_validation_enabled": ("PassTrail", "FailTrail"),
    "cloudtrail_kms_encryption_enabled": ("PassTrail", "FailTrail"),
    "cloudtrail_bucket_access_logging_enabled": ("PassTrail", "FailTrail"),
    "kms_cmk_rotation_enabled": ("PassKey", "FailKey"),
    "ec2_ebs_volume_encrypted": ("PassVolume", "FailVolume"),
    "rds_instance_storage_encrypted": ("PassDb", "FailDb"),
    "rds_instance_not_publicly_accessible": ("PassDb", "FailDb"),
    "rds_instance_minor_version_upgrade_enabled": ("PassDb", "FailDb"),
    "eks_cluster_endpoint_not_public": ("PassCluster", "FailCluster"),
    "eks_cluster_control_plane_logging_enabled": ("PassCluster", "FailCluster"),
    "lambda_function_url_auth_required": ("PassFunction", "FailFunction"),
    "iam_policy_no_full_admin_attached": ("PassPolicy", "FailPolicy"),
    "iam_inline_policy_no_full_admin": ("PassInlineRole", "FailInlineRole"),
    "efs_encryption_at_rest_enabled": ("PassFileSystem", None),  # the failing one is ignored
    "ecr_repository_scan_on_push_enabled": ("PassRepository", "FailRepository"),
}


@pytest.fixture(scope="module")
def outcomes() -> dict[str, IacScanOutcome]:
    return {
        "terraform": run_iac_scan(
            IacScanRequest(FIXTURES / "terraform" / "checks", include_passed=True)
        ),
        "plan": run_iac_scan(IacScanRequest(FIXTURES / "plan", include_passed=True)),
        "cloudformation": run_iac_scan(
            IacScanRequest(FIXTURES / "cloudformation", include_passed=True)
        ),
    }


def verdicts(outcome: IacScanOutcome) -> dict[tuple[str, str], FindingStatus]:
    return {(f.rule_id, f.evidence["address"]): f.status for f in outcome.report.findings}


def test_every_iac_check_has_fixtures() -> None:
    assert set(TERRAFORM) == set(READS)
    assert set(PLAN) == set(READS)
    # not expressible in CloudFormation: the default group, account EBS default, IMDS
    assert set(READS) - set(CLOUDFORMATION) == {
        "ec2_securitygroup_default_restricts_all",
        "ec2_ebs_default_encryption",
        "ec2_instance_imdsv2_required",
    }


@pytest.mark.parametrize("fmt", ["terraform", "plan", "cloudformation"])
def test_pass_and_fail(outcomes: dict[str, IacScanOutcome], fmt: str) -> None:
    tables: dict[str, dict[str, tuple[str | None, str | None]]] = {
        "terraform": TERRAFORM,  # type: ignore[dict-item]
        "plan": PLAN,  # type: ignore[dict-item]
        "cloudformation": CLOUDFORMATION,
    }
    table = tables[fmt]
    seen = verdicts(outcomes[fmt])
    assert not outcomes[fmt].iac.errors
    wrong = []
    for check_id, (good, bad) in table.items():
        if good is not None and seen.get((check_id, good)) != PASS:
            wrong.append(f"{check_id} {good}: {seen.get((check_id, good))}, want pass")
        if bad is not None and seen.get((check_id, bad)) != OPEN:
            wrong.append(f"{check_id} {bad}: {seen.get((check_id, bad))}, want open")
    assert not wrong, "\n".join(wrong)


def test_findings_carry_file_and_line(outcomes: dict[str, IacScanOutcome]) -> None:
    findings = {
        (f.rule_id, f.evidence["address"]): f for f in outcomes["terraform"].report.findings
    }
    trail = findings[("cloudtrail_kms_encryption_enabled", "aws_cloudtrail.fail")]
    assert trail.evidence["file"] == "logging.tf"
    text = (FIXTURES / "terraform" / "checks" / "logging.tf").read_text().splitlines()
    assert text[int(trail.evidence["line"]) - 1].startswith('resource "aws_cloudtrail" "fail"')
    assert trail.provenance.source == f"logging.tf:{trail.evidence['line']}"
    cfn = {
        (f.rule_id, f.evidence["address"]): f for f in outcomes["cloudformation"].report.findings
    }
    group = cfn[("ec2_securitygroup_no_admin_ports_ipv4", "FailGroupV4")]
    lines = (FIXTURES / "cloudformation" / "checks.yaml").read_text().splitlines()
    assert lines[int(group.evidence["line"]) - 1].strip() == "FailGroupV4:"
    plan = {(f.rule_id, f.evidence["address"]): f for f in outcomes["plan"].report.findings}
    volume = plan[("ec2_ebs_volume_encrypted", "aws_ebs_volume.fail")]
    plan_lines = (FIXTURES / "plan" / "checks.json").read_text().splitlines()
    assert '"aws_ebs_volume.fail"' in plan_lines[int(volume.evidence["line"]) - 1]


def test_unknown_is_not_applicable(outcomes: dict[str, IacScanOutcome]) -> None:
    dropped = {(c, rid.split("#")[-1]): why for c, rid, why in outcomes["terraform"].not_applicable}
    assert (
        "ingress"
        in dropped[("ec2_securitygroup_no_admin_ports_ipv4", "aws_security_group.unknown")]
    )
    assert "document" in dropped[("iam_policy_no_full_admin_attached", "aws_iam_policy.unknown")]
    seen = verdicts(outcomes["terraform"])
    assert ("iam_policy_no_full_admin_attached", "aws_iam_policy.unknown") not in seen


def test_plan_unknowns(outcomes: dict[str, IacScanOutcome]) -> None:
    """Known after apply: the policy is not applicable; a separate rule on a group whose
    rule list the plan computes still fails it (and cannot make it pass)."""
    dropped = {(c, rid.split("#")[-1]) for c, rid, _ in outcomes["plan"].not_applicable}
    assert ("s3_bucket_secure_transport_policy", "aws_s3_bucket.pass") in dropped
    assert ("ec2_securitygroup_no_admin_ports_ipv4", "aws_security_group.fail_v6") in dropped
    seen = verdicts(outcomes["plan"])
    # count expanded by the plan: both instances judged, inside their module
    assert seen[("ec2_ebs_volume_encrypted", "module.storage.aws_ebs_volume.data[0]")] == OPEN
    assert seen[("ec2_ebs_volume_encrypted", "module.storage.aws_ebs_volume.data[1]")] == OPEN


def test_not_applicable_without_account_block(tmp_path: Path) -> None:
    outcome = run_iac_scan(IacScanRequest(FIXTURES / "terraform" / "no_account_block"))
    seen = verdicts(outcome)
    assert ("s3_bucket_public_access_block", "aws_s3_bucket.open") not in seen
    assert seen[("s3_bucket_server_access_logging_enabled", "aws_s3_bucket.open")] == OPEN


def test_inline_suppressions(outcomes: dict[str, IacScanOutcome]) -> None:
    tf = {(f.rule_id, f.evidence["address"]): f for f in outcomes["terraform"].report.findings}
    ignored = tf[("s3_bucket_server_access_logging_enabled", "aws_s3_bucket.suppressed")]
    assert ignored.status == IGNORED and "CloudTrail data events" in ignored.reason
    assert tf[("s3_bucket_mfa_delete_enabled", "aws_s3_bucket.suppressed")].status == OPEN
    cfn = {
        (f.rule_id, f.evidence["address"]): f for f in outcomes["cloudformation"].report.findings
    }
    assert cfn[("efs_encryption_at_rest_enabled", "FailFileSystem")].status == IGNORED


def test_config_exceptions_and_severity(tmp_path: Path) -> None:
    config = tmp_path / "mamori.yaml"
    config.write_text(
        "exceptions:\n"
        "  - check: ec2_ebs_volume_encrypted\n"
        "    reason: test volumes\n"
        "    kind: aws_ebs_volume\n"
        "    path: compute.tf\n"
        "severity:\n"
        "  kms_cmk_rotation_enabled: critical\n"
    )
    outcome = run_iac_scan(IacScanRequest(FIXTURES / "terraform" / "checks", config=config))
    found = {(f.rule_id, f.evidence["address"]): f for f in outcome.report.findings}
    volume = found[("ec2_ebs_volume_encrypted", "aws_ebs_volume.fail")]
    assert volume.status == IGNORED and volume.reason.endswith("test volumes")
    assert found[("kms_cmk_rotation_enabled", "aws_kms_key.fail")].severity.value == "critical"


def test_condition_false_resource_is_skipped(outcomes: dict[str, IacScanOutcome]) -> None:
    addresses = {r.address for r in outcomes["cloudformation"].iac.resources}
    assert "PassBucket" in addresses and "DevOnlyBucket" not in addresses


def test_unknown_check_is_refused() -> None:
    with pytest.raises(ValueError, match="not an IaC check"):
        run_iac_scan(IacScanRequest(FIXTURES / "plan", checks=["iam_root_mfa_enabled"]))
