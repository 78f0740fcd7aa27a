"""`mamori scan iac`: table, JSON and SARIF output, --check, --fail-on, bad paths."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mamori.cli.main import app

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def test_table_and_fail_on() -> None:
    target = str(FIXTURES / "cloudformation")
    shown = runner.invoke(app, ["scan", "iac", target])
    assert shown.exit_code == 0, shown.output
    assert "ec2_securitygroup_no_admin_ports_ipv4" in shown.output
    gated = runner.invoke(app, ["scan", "iac", target, "--fail-on", "high"])
    assert gated.exit_code == 1


def test_json_has_file_and_line(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    done = runner.invoke(
        app,
        [
            "scan",
            "iac",
            str(FIXTURES / "terraform" / "checks"),
            "-f",
            "json",
            "-o",
            str(out),
            "--check",
            "kms_cmk_rotation_enabled",
        ],
    )
    assert done.exit_code == 0, done.output
    report = json.loads(out.read_text())
    findings = report["findings"]
    assert {f["rule_id"] for f in findings} == {"kms_cmk_rotation_enabled"}
    failing = [f for f in findings if f["status"] == "open"]
    assert [f["evidence"]["address"] for f in failing] == ["aws_kms_key.fail"]
    assert failing[0]["evidence"]["file"] == "logging.tf"


def test_sarif_locations_and_suppressions(tmp_path: Path) -> None:
    out = tmp_path / "iac.sarif"
    done = runner.invoke(
        app, ["scan", "iac", str(FIXTURES / "terraform" / "checks"), "-f", "sarif", "-o", str(out)]
    )
    assert done.exit_code == 0, done.output
    sarif = json.loads(out.read_text())
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "Remediation" in rules["kms_cmk_rotation_enabled"]["help"]["text"]
    assert "iac" in rules["kms_cmk_rotation_enabled"]["properties"]["tags"]
    located = [
        r["locations"][0]["physicalLocation"]
        for r in run["results"]
        if r["ruleId"] == "ec2_ebs_volume_encrypted"
    ]
    assert located == [
        {
            "artifactLocation": {"uri": "compute.tf", "uriBaseId": "SRCROOT"},
            "region": {"startLine": 7},
        }
    ]
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert [s["suppressions"][0]["kind"] for s in suppressed] == ["inSource"]


def test_missing_path_and_unknown_check() -> None:
    assert runner.invoke(app, ["scan", "iac", "/nonexistent/iac"]).exit_code != 0
    refused = runner.invoke(
        app, ["scan", "iac", str(FIXTURES / "plan"), "--check", "iam_root_mfa_enabled"]
    )
    assert refused.exit_code != 0 and "not an IaC check" in refused.output
