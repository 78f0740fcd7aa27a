"""Checkov as an independent oracle on the IaC fixtures: where one of its checks means the
same thing as a mamori check and judges the same resource, the verdicts agree, except
for the differences listed (each with the reason mamori's answer is the one intended).

Checkov runs from its own venv (.cache/bench/checkov-venv; never the project's), once
over the three fixture formats.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from mamori.model import FindingStatus
from mamori.workload.iac.scan import IacScanRequest, run_iac_scan
from tests.support import need
from tests.workload.checkov_oracle import CHECKOV, install_checkov

FIXTURES = Path(__file__).parent / "fixtures"
DIRS = {
    "terraform": FIXTURES / "terraform" / "checks",
    "plan": FIXTURES / "plan",
    "cloudformation": FIXTURES / "cloudformation",
}
FRAMEWORK = {"terraform": "terraform", "plan": "terraform_plan", "cloudformation": "cloudformation"}
SAME = {
    "s3_bucket_server_access_logging_enabled": ("CKV_AWS_18",),
    "ec2_securitygroup_admin_ports": ("CKV_AWS_24", "CKV_AWS_25"),
    "cloudtrail_log_file_validation_enabled": ("CKV_AWS_36",),
    "cloudtrail_kms_encryption_enabled": ("CKV_AWS_35",),
    "kms_cmk_rotation_enabled": ("CKV_AWS_7",),
    "ec2_ebs_volume_encrypted": ("CKV_AWS_3",),
    "ec2_ebs_default_encryption": ("CKV_AWS_106",),
    "rds_instance_storage_encrypted": ("CKV_AWS_16",),
    "rds_instance_not_publicly_accessible": ("CKV_AWS_17",),
    "rds_instance_minor_version_upgrade_enabled": ("CKV_AWS_226",),
    "eks_cluster_endpoint_not_public": ("CKV_AWS_38",),
    "eks_cluster_control_plane_logging_enabled": ("CKV_AWS_37",),
    "iam_policy_no_full_admin_attached": ("CKV_AWS_62",),
    "efs_encryption_at_rest_enabled": ("CKV_AWS_42",),
    "ec2_instance_imdsv2_required": ("CKV_AWS_79",),
    "ecr_repository_scan_on_push_enabled": ("CKV_AWS_163",),
}
MERGED = {
    "ec2_securitygroup_no_admin_ports_ipv4": "ec2_securitygroup_admin_ports",
    "ec2_securitygroup_no_admin_ports_ipv6": "ec2_securitygroup_admin_ports",
}
# (format, check, resource) -> why mamori's verdict is the intended one
KNOWN = {
    (
        "terraform",
        "rds_instance_minor_version_upgrade_enabled",
        "aws_db_instance.pass",
    ): "the AWS provider defaults auto_minor_version_upgrade to true; Checkov wants it written",
    (
        "terraform",
        "ec2_securitygroup_admin_ports",
        "aws_security_group.fail_v4",
    ): "a separate aws_security_group_rule opens 0-1024: Checkov flags the rule, not the group",
    (
        "terraform",
        "ec2_securitygroup_admin_ports",
        "aws_security_group.fail_v6",
    ): "a separate aws_vpc_security_group_ingress_rule opens 3389 to ::/0; Checkov misses it",
    (
        "plan",
        "ec2_securitygroup_admin_ports",
        "aws_security_group.fail_v6",
    ): "a separate aws_security_group_rule opens 3389 to ::/0; Checkov judges the rule alone",
    (
        "plan",
        "s3_bucket_server_access_logging_enabled",
        "aws_s3_bucket.fail",
    ): "the planned bucket has logging [] and no aws_s3_bucket_logging; Checkov passes it",
    (
        "cloudformation",
        "ec2_securitygroup_admin_ports",
        "FailGroupV4",
    ): "the CIDR is !If [IsProd, 0.0.0.0/0, ...] with IsProd true: Checkov does not evaluate it",
    (
        "cloudformation",
        "ec2_securitygroup_admin_ports",
        "FailGroupV6",
    ): "a separate SecurityGroupIngress allows all traffic (-1) from ::/0; CIS 5.3 counts it",
}


def _name(resource: str) -> str:
    bare = re.sub(r"\[[^\]]*\]", "", resource)
    if bare.startswith("AWS::"):
        return bare.rsplit(".", 1)[-1]
    return ".".join(bare.split(".")[-2:])


def checkov_verdicts(tmp: Path) -> dict[tuple[str, str, str], bool]:
    """(format, check, resource) -> passed, for the mapped checks Checkov ran."""
    need(install_checkov(), "Checkov could not be installed (PyPI unreachable)")
    args = [str(CHECKOV), "--skip-download", "-o", "json", "--output-file-path", str(tmp)]
    for folder in DIRS.values():
        args += ["-d", str(folder)]
    args += ["--framework", *FRAMEWORK.values()]
    env = {**os.environ, "LOG_LEVEL": "ERROR"}
    subprocess.run(args, capture_output=True, timeout=600, env=env, check=False)
    data = json.loads((tmp / "results_json.json").read_text())
    by_framework = {v: k for k, v in FRAMEWORK.items()}
    ours_for = {ckv: check for check, ids in SAME.items() for ckv in ids}
    out: dict[tuple[str, str, str], bool] = {}
    for part in data if isinstance(data, list) else [data]:
        fmt = by_framework.get(part.get("check_type", ""))
        results = part.get("results") or {}
        for passed, items in ((True, "passed_checks"), (False, "failed_checks")):
            for item in results.get(items) or []:
                check = ours_for.get(item["check_id"])
                if fmt is None or check is None:
                    continue
                key = (fmt, check, _name(item["resource"]))
                out[key] = out.get(key, True) and passed
    return out


def mamori_verdicts() -> dict[tuple[str, str, str], bool]:
    out: dict[tuple[str, str, str], bool] = {}
    for fmt, folder in DIRS.items():
        for finding in run_iac_scan(IacScanRequest(folder, include_passed=True)).report.findings:
            check = MERGED.get(finding.rule_id, finding.rule_id)
            if check not in SAME:
                continue
            key = (fmt, check, _name(finding.evidence["address"]))
            passed = finding.status == FindingStatus.PASS
            out[key] = out.get(key, True) and passed
    return out


@pytest.mark.slow
def test_fixture_verdicts_agree_with_checkov(tmp_path: Path) -> None:
    theirs = checkov_verdicts(tmp_path)
    ours = mamori_verdicts()
    compared = sorted(set(theirs) & set(ours))
    assert len(compared) >= 60  # most mapped checks judge both fixture resources
    per_check: dict[str, int] = defaultdict(int)
    wrong = []
    for key in compared:
        per_check[key[1]] += 1
        if theirs[key] != ours[key] and key not in KNOWN:
            mine = "pass" if ours[key] else "fail"
            wrong.append(f"{key}: mamori {mine}, checkov {'pass' if theirs[key] else 'fail'}")
    assert not wrong, "\n".join(wrong)
    stale = [k for k in KNOWN if k in theirs and k in ours and theirs[k] == ours[k]]
    assert not stale, f"listed differences that no longer differ: {stale}"
    assert set(per_check) == set(SAME)  # every mapped check was compared at least once
