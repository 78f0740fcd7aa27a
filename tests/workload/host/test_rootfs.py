"""ROOT as a mounted image: the Debian bookworm rootfs the tests build (tests/targets.py)
judged as a directory, checked against the image's own tools run in a chroot (its stat
with its own users and groups, dpkg-query on its database) and its stock files."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mamori.cli.main import app
from mamori.workload.host.result import HostResult, HostVerdict
from mamori.workload.host.scan import HostScanOutcome, HostScanRequest, run_host_scan
from tests.support import need_root, need_tool
from tests.targets import bookworm_rootfs

HARDENING = ["scan", "host", "--hardening"]


@pytest.fixture(scope="module")
def rootfs() -> Path:
    return bookworm_rootfs()


@pytest.fixture(scope="module")
def outcome(rootfs: Path) -> HostScanOutcome:
    return run_host_scan(HostScanRequest(root=rootfs))


def _one(results: dict[str, list[HostResult]], check: str) -> HostResult:
    [result] = results[check]
    return result


def test_directory_scan_of_an_image(outcome: HostScanOutcome) -> None:
    stats = outcome.report.stats
    assert stats["live"] == 0 and stats["results_error"] == 0
    assert stats["checks"] >= 40
    assert stats["results_pass"] and stats["results_fail"] and stats["results_not_applicable"]
    for results in outcome.results.values():
        for result in results:
            assert all(not e.source.startswith("live:") for e in result.evidence)


def test_file_modes_agree_with_the_image_own_stat(rootfs: Path, outcome: HostScanOutcome) -> None:
    need_root()
    need_tool("chroot")
    for check, path in (
        ("file_shadow_permissions", "/etc/shadow"),
        ("file_passwd_permissions", "/etc/passwd"),
        ("file_gshadow_permissions", "/etc/gshadow"),
    ):
        shown = subprocess.run(
            ["chroot", str(rootfs), "stat", "-c", "%a %U:%G", path],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        result = _one(outcome.results, check)
        assert result.evidence[0].value == f"{int(shown[0], 8):04o} {shown[1]}"
        assert result.verdict is HostVerdict.PASS  # Debian's stock modes are compliant


def test_package_facts_agree_with_dpkg_query(rootfs: Path, outcome: HostScanOutcome) -> None:
    need_tool("dpkg-query")
    listing = subprocess.run(
        [
            "dpkg-query",
            f"--admindir={rootfs}/var/lib/dpkg",
            "-W",
            "-f",
            "${Package}\t${db:Status-Status}\n",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {ln.split("\t")[0] for ln in listing.splitlines() if ln.endswith("\tinstalled")}
    assert "openssh-server" not in installed and "cron" not in installed  # minbase
    assert _one(outcome.results, "ssh_permit_root_login_disabled").verdict is (
        HostVerdict.NOT_APPLICABLE
    )
    assert _one(outcome.results, "cron_crontab_permissions").verdict is (HostVerdict.NOT_APPLICABLE)
    assert _one(outcome.results, "audit_packages_installed").verdict is HostVerdict.FAIL
    assert _one(outcome.results, "service_avahi_not_in_use").verdict is HostVerdict.PASS


def test_stock_debian_policy_findings(rootfs: Path, outcome: HostScanOutcome) -> None:
    defs = (rootfs / "etc/login.defs").read_text().splitlines()
    [line] = [n for n, text in enumerate(defs, 1) if text.startswith("PASS_MAX_DAYS")]
    result = _one(outcome.results, "login_defs_pass_max_days")
    assert result.verdict is HostVerdict.FAIL
    assert (result.evidence[0].source, result.evidence[0].line) == ("/etc/login.defs", line)
    nullok = "nullok" in (rootfs / "etc/pam.d/common-auth").read_text()
    assert _one(outcome.results, "pam_unix_no_nullok").verdict is (
        HostVerdict.FAIL if nullok else HostVerdict.PASS
    )
    aslr = _one(outcome.results, "sysctl_aslr_enabled")
    assert aslr.verdict is HostVerdict.PASS and aslr.evidence[0].source == "kernel default"


def test_cli_sarif_on_the_image(rootfs: Path, tmp_path: Path) -> None:
    out = tmp_path / "host.sarif"
    result = CliRunner().invoke(app, [*HARDENING, str(rootfs), "-f", "sarif", "-o", str(out)])
    assert result.exit_code == 0, result.output
    run = json.loads(out.read_text())["runs"][0]
    ids = {r["ruleId"] for r in run["results"]}
    assert "login_defs_pass_max_days" in ids and "ssh_permit_root_login_disabled" not in ids
    located = next(r for r in run["results"] if r["ruleId"] == "login_defs_pass_max_days")
    where = located["locations"][0]["physicalLocation"]
    assert where["artifactLocation"] == {"uri": "etc/login.defs", "uriBaseId": "SRCROOT"}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == rootfs.resolve().as_uri() + "/"
