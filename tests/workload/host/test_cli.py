"""`mamori scan host --hardening ROOT` through the CLI: table, JSON, SARIF, --fail-on,
--check, --framework, `.mamori.yaml` exceptions and severity overrides; and plain
`mamori scan host ROOT`, the package vulnerability scan, unchanged."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from mamori.cli.main import app
from tests.workload.host.pairs import FILES, POLICY, SSHD
from tests.workload.host.roots import build

RUNNER = CliRunner()

HARDENING = ["scan", "host", "--hardening"]


def _root(tmp_path: Path) -> Path:
    """A root with hardened files and sshd, the stock (weak) login.defs of Debian."""
    spec = {
        **FILES,
        **POLICY,
        **SSHD,
        "/etc/login.defs": "PASS_MAX_DAYS 99999\nPASS_MIN_DAYS 0\nPASS_WARN_AGE 7\n",
    }
    return build(tmp_path / "root", spec, ("openssh-server",))


def _json(args: list[str]) -> dict:  # type: ignore[type-arg]
    result = RUNNER.invoke(app, [*HARDENING, *args, "-f", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_json_statuses_and_evidence(tmp_path: Path) -> None:
    doc = _json([str(_root(tmp_path))])
    by_id = {f["rule_id"]: f for f in doc["findings"]}
    assert by_id["login_defs_pass_max_days"]["status"] == "open"
    assert by_id["login_defs_pass_max_days"]["evidence"]["file"] == "etc/login.defs"
    assert by_id["login_defs_pass_max_days"]["evidence"]["line"] == "1"
    assert by_id["login_defs_pass_max_days"]["provenance"]["source"] == "/etc/login.defs:1"
    assert by_id["ssh_permit_root_login_disabled"]["status"] == "pass"
    na = by_id["cron_crontab_permissions"]
    assert (na["status"], na["evidence"]["verdict"]) == ("pass", "not_applicable")
    assert doc["stats"]["results_not_applicable"] >= 1 and doc["stats"]["live"] == 0


def test_table_fail_on_and_check_selection(tmp_path: Path) -> None:
    root = str(_root(tmp_path))
    result = RUNNER.invoke(app, [*HARDENING, root, "--check", "login_defs_pass_max_days"])
    assert result.exit_code == 0 and "login_defs_pass_max_days" in result.stdout
    assert "FAIL" in result.stdout and "ssh_" not in result.stdout
    failing = RUNNER.invoke(app, [*HARDENING, root, "--fail-on", "low"])
    assert failing.exit_code == 1
    unknown = RUNNER.invoke(app, [*HARDENING, root, "--check", "nope_nope"])
    assert unknown.exit_code != 0


def test_config_exceptions_and_severity(tmp_path: Path) -> None:
    root = _root(tmp_path)
    config = tmp_path / "mamori.yaml"
    config.write_text(
        "exceptions:\n"
        "  - check: login_defs_pass_max_days\n    reason: passwords are managed by SSO\n"
        "    path: etc/login.defs\n"
        "  - check: login_defs_pass_min_days\n    reason: other file only\n"
        "    path: etc/other\n"
        "severity:\n  login_defs_pass_min_days: critical\n"
    )
    doc = _json([str(root), "--config", str(config)])
    by_id = {f["rule_id"]: f for f in doc["findings"]}
    assert by_id["login_defs_pass_max_days"]["status"] == "ignored"
    assert "SSO" in by_id["login_defs_pass_max_days"]["reason"]
    assert by_id["login_defs_pass_min_days"]["status"] == "open"
    assert by_id["login_defs_pass_min_days"]["severity"] == "critical"
    bad = tmp_path / "bad.yaml"
    bad.write_text("exceptions:\n  - check: x\n")
    assert RUNNER.invoke(app, [*HARDENING, str(root), "--config", str(bad)]).exit_code != 0


def test_framework_summary_and_sarif(tmp_path: Path) -> None:
    root = str(_root(tmp_path))
    doc = _json([root, "--framework", "cis_debian_12"])
    assert doc["stats"]["requirements_fail"] >= 1 and 0 < doc["stats"]["score"] < 1
    result = RUNNER.invoke(app, [*HARDENING, root, "-f", "sarif"])
    run = json.loads(result.stdout)["runs"][0]
    assert {r["ruleId"] for r in run["results"]} >= {"login_defs_pass_max_days"}
    rule = run["tool"]["driver"]["rules"][0]
    assert any(t.startswith("CIS-Debian-12-") for t in rule["properties"]["tags"])


def test_bad_root_and_format(tmp_path: Path) -> None:
    assert RUNNER.invoke(app, [*HARDENING, str(tmp_path / "missing")]).exit_code != 0
    root = str(_root(tmp_path))
    assert RUNNER.invoke(app, [*HARDENING, root, "-f", "cyclonedx"]).exit_code != 0


def test_vulns_keeps_the_package_scan(tmp_path: Path) -> None:
    root = str(_root(tmp_path))
    result = RUNNER.invoke(app, ["scan", "host", root, "--offline", "--no-store", "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    names = {p["name"] for p in doc["sbom"]["packages"]}
    assert "openssh-server" in names and doc["target"]["kind"] == "host"


def test_hardening_options_need_hardening(tmp_path: Path) -> None:
    """Without --hardening `scan host` is the vulnerability scan: a hardening option
    there is a usage error, not silently ignored."""
    root = str(_root(tmp_path))
    result = RUNNER.invoke(app, ["scan", "host", root, "--check", "sysctl_aslr_enabled"])
    assert result.exit_code == 2 and "--hardening" in result.output
