"""The live host (this machine): every check runs without error, and verdicts agree with
independent oracles: `sysctl -a`, `stat`, `findmnt`, `dpkg-query` and `find`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mamori.posture.checks.host import host_checks
from mamori.workload.host.result import HostResult, HostVerdict
from mamori.workload.host.scan import HostScanRequest, run_host_scan
from mamori.workload.host.view import HostView
from tests.support import need_tool

pytestmark = pytest.mark.skipif(not Path("/proc/self/mountinfo").exists(), reason="no /proc")


@pytest.fixture(scope="module")
def results() -> dict[str, list[HostResult]]:
    outcome = run_host_scan(HostScanRequest(root=Path("/")))
    assert outcome.report.stats["live"] == 1
    assert outcome.report.stats["results_error"] == 0, outcome.report.notices
    return outcome.results


def _verdict(results: dict[str, list[HostResult]], check: str) -> HostVerdict:
    [result] = results[check]
    return result.verdict


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout


def test_every_check_gives_one_verdict(results: dict[str, list[HostResult]]) -> None:
    assert set(results) == set(host_checks.names())
    assert all(len(r) == 1 for r in results.values())


def test_sysctl_values_and_verdicts_match_sysctl(results: dict[str, list[HostResult]]) -> None:
    need_tool("sysctl")
    oracle = {}
    for line in _run("sysctl", "-a").splitlines():
        key, sep, value = line.partition(" = ")
        if sep:
            oracle[key] = " ".join(value.split())
    compared = 0
    for check, found in results.items():
        if not check.startswith("sysctl_"):
            continue
        for evidence in found[0].evidence:
            if evidence.source.startswith("live:/proc/sys/"):
                name = evidence.source.removeprefix("live:/proc/sys/").replace("/", ".")
                assert oracle.get(name) == evidence.value, name
                compared += 1
    assert compared >= 20

    def expect(ok: bool) -> HostVerdict:
        return HostVerdict.PASS if ok else HostVerdict.FAIL

    assert _verdict(results, "sysctl_aslr_enabled") == expect(
        oracle["kernel.randomize_va_space"] == "2"
    )
    assert _verdict(results, "sysctl_tcp_syncookies_enabled") == expect(
        oracle["net.ipv4.tcp_syncookies"] == "1"
    )
    assert _verdict(results, "sysctl_suid_dumpable_disabled") == expect(
        oracle["fs.suid_dumpable"] == "0"
    )
    assert _verdict(results, "sysctl_ip_forwarding_disabled") == expect(
        oracle["net.ipv4.ip_forward"] == "0"
        and oracle.get("net.ipv6.conf.all.forwarding", "0") == "0"
    )
    ptrace = oracle.get("kernel.yama.ptrace_scope")
    assert _verdict(results, "sysctl_ptrace_scope_restricted") == (
        HostVerdict.NOT_APPLICABLE if ptrace is None else expect(ptrace in ("1", "2", "3"))
    )


@pytest.mark.parametrize(
    ("check", "path", "max_mode", "groups"),
    [
        ("file_passwd_permissions", "/etc/passwd", 0o644, ("root",)),
        ("file_group_permissions", "/etc/group", 0o644, ("root",)),
        ("file_shadow_permissions", "/etc/shadow", 0o640, ("root", "shadow")),
        ("file_gshadow_permissions", "/etc/gshadow", 0o640, ("root", "shadow")),
    ],
)
def test_file_modes_match_stat(
    results: dict[str, list[HostResult]],
    check: str,
    path: str,
    max_mode: int,
    groups: tuple[str, ...],
) -> None:
    need_tool("stat")
    mode, user, group = _run("stat", "-c", "%a %U %G", path).split()
    ok = not int(mode, 8) & ~max_mode and user == "root" and group in groups
    assert _verdict(results, check) == (HostVerdict.PASS if ok else HostVerdict.FAIL)
    assert results[check][0].evidence[0].value == f"{int(mode, 8):04o} {user}:{group}"


def test_mount_verdicts_match_findmnt(results: dict[str, list[HostResult]]) -> None:
    need_tool("findmnt")
    table: dict[str, set[str]] = {}
    for line in _run("findmnt", "-rn", "-o", "TARGET,VFS-OPTIONS,FS-OPTIONS").splitlines():
        target, vfs, fs = [*line.split(" "), "", ""][:3]
        table[target] = set(vfs.split(",")) | set(fs.split(","))  # the last one wins
    for target, prefix in (("/tmp", "mount_tmp_"), ("/dev/shm", "mount_dev_shm_")):
        options = table.get(target)
        for option in ("nodev", "nosuid", "noexec"):
            expected = (
                HostVerdict.NOT_APPLICABLE
                if options is None
                else HostVerdict.PASS
                if option in options
                else HostVerdict.FAIL
            )
            assert _verdict(results, prefix + option) == expected, (target, option)
    assert _verdict(results, "mount_tmp_separate") == (
        HostVerdict.PASS if "/tmp" in table else HostVerdict.FAIL
    )


def test_package_verdicts_match_dpkg_query(results: dict[str, list[HostResult]]) -> None:
    need_tool("dpkg-query")
    installed = {
        line.split("\t")[0]
        for line in _run("dpkg-query", "-W", "-f", "${Package}\t${db:Status-Status}\n").splitlines()
        if line.endswith("\tinstalled")
    }
    assert _verdict(results, "package_prelink_not_installed") == (
        HostVerdict.FAIL if "prelink" in installed else HostVerdict.PASS
    )
    assert _verdict(results, "audit_packages_installed") == (
        HostVerdict.PASS if {"auditd", "audispd-plugins"} <= installed else HostVerdict.FAIL
    )
    sshd = "openssh-server" in installed or shutil.which("sshd")
    if not sshd:
        assert _verdict(results, "ssh_permit_root_login_disabled") == HostVerdict.NOT_APPLICABLE
    cron = {"cron", "cronie", "systemd-cron", "bcron"} & installed
    if not cron and not os.path.exists("/usr/sbin/cron"):
        assert _verdict(results, "cron_crontab_permissions") == HostVerdict.NOT_APPLICABLE


def test_world_writable_matches_find(results: dict[str, list[HostResult]]) -> None:
    need_tool("find")
    from mamori.posture.checks.host._files import SYSTEM_DIRS

    tops = [d for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)]
    found = _run(
        "find",
        *tops,
        "-xdev",
        "(",
        "-type",
        "f",
        "-perm",
        "-0002",
        ")",
        "-o",
        "(",
        "-type",
        "d",
        "-perm",
        "-0002",
        "!",
        "-perm",
        "-1000",
        ")",
        "-print",
    ).split()
    expected = HostVerdict.FAIL if found else HostVerdict.PASS
    assert _verdict(results, "file_world_writable_secured") == expected, found[:5]


def test_directory_mode_of_slash_uses_no_live_facts() -> None:
    view = HostView.open(Path("/"), live=False)
    [result] = host_checks.get("sysctl_aslr_enabled")().run(view)
    assert all(not e.source.startswith("live:") for e in result.evidence)
