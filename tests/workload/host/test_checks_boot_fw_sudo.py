"""The AppArmor, bootloader, firewall, sudo, journald and AIDE checks beyond their fixture
pairs (tests/workload/host/pairs_more.py, run by test_checks.py): the rules that decide
them (sudo's include and skip rules, journald's drop-in order checked against
`systemd-analyze cat-config`, GRUB's sourced defaults, nftables declarations), the live
branch on a fabricated /proc and /sys, and the bookworm rootfs image."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mamori.posture.checks.host import host_checks
from mamori.workload.host.journald import journald_files
from mamori.workload.host.live import LiveFacts
from mamori.workload.host.result import HostResult, HostVerdict
from mamori.workload.host.scan import HostScanOutcome, HostScanRequest, run_host_scan
from mamori.workload.host.sudoers import sudoers
from mamori.workload.host.view import HostView
from tests.support import need_tool
from tests.targets import bookworm_rootfs
from tests.workload.host.pairs_more import (
    BOOT,
    BOOT_PACKAGES,
    JOURNALD,
    NFT,
    NFT_STOCK,
    UFW,
    grub_cfg,
)
from tests.workload.host.roots import F, Spec, build, enabled

PASS, FAIL, NA = HostVerdict.PASS, HostVerdict.FAIL, HostVerdict.NOT_APPLICABLE


def _one(view: HostView, check: str) -> HostResult:
    [result] = host_checks.get(check)().run(view)
    return result


def _dir(root: Path, spec: Spec, packages: tuple[str, ...] = ()) -> HostView:
    return HostView.open(build(root, spec, packages), live=False)


# --- sudo -----------------------------------------------------------------------------


def test_sudoers_includes_continuations_and_comments(tmp_path: Path) -> None:
    spec: Spec = {
        "/etc/sudoers": "Defaults use_pty # a comment\n#includedir /etc/sudoers.d\n"
        "@include local/extra\n"
        "#1000 ALL=(ALL) ALL\n",
        "/etc/local/extra": "Defaults \\\n  timestamp_timeout=30\n@include /etc/sudoers\n",
        "/etc/sudoers.d/50-a": 'Defaults logfile="/var/log/a,b.log" , !lecture\n',
        "/etc/sudoers.d/60-b": "Defaults !use_pty\nDefaults use_pty\n",
        "/etc/sudoers.d/70.skipped": "Defaults !use_pty\n",
        "/etc/sudoers.d/80-skipped~": "Defaults !use_pty\n",
    }
    view = _dir(tmp_path, spec, ("sudo",))
    config = sudoers(view)
    # includedir in lexical order, the relative @include under /etc, loops cut
    assert config.files == [
        "/etc/sudoers",
        "/etc/sudoers.d/50-a",
        "/etc/sudoers.d/60-b",
        "/etc/local/extra",
    ]
    assert any("loop" in n.message for n in view.notices)
    logfile = config.global_value("logfile")
    assert logfile is not None and logfile.value == "/var/log/a,b.log"
    timeout = config.global_value("timestamp_timeout")
    assert timeout is not None and (timeout.file, timeout.line) == ("/etc/local/extra", 1)
    assert [e.text for e in config.entries] == ["#1000 ALL=(ALL) ALL"]  # a uid, not a comment
    # the last global use_pty (60-b:2) wins over its own !use_pty one line before
    assert _one(view, "sudo_use_pty").verdict is PASS
    result = _one(view, "sudo_timestamp_timeout")
    assert result.verdict is FAIL and result.evidence[0].source == "/etc/local/extra"


@pytest.mark.parametrize(
    ("line", "verdict"),
    [
        ("Defaults timestamp_timeout=15", PASS),
        ("Defaults timestamp_timeout=0", PASS),
        ("Defaults !timestamp_timeout", PASS),
        ("Defaults timestamp_timeout=15.5", FAIL),
        ("Defaults:alice timestamp_timeout=60", FAIL),
        ("Defaults timestamp_timeout=soon", FAIL),
        ("# Defaults timestamp_timeout=60", PASS),
    ],
)
def test_sudo_timeout_values(tmp_path: Path, line: str, verdict: HostVerdict) -> None:
    view = _dir(tmp_path, {"/etc/sudoers": f"Defaults use_pty\n{line}\n"}, ("sudo",))
    assert _one(view, "sudo_timestamp_timeout").verdict is verdict


def test_sudo_default_timeout_and_nopasswd_tag_forms(tmp_path: Path) -> None:
    rules = "alice ALL=(ALL) ALL\nCmnd_Alias NOPASSWD_OK = /bin/true\n"
    view = _dir(tmp_path / "a", {"/etc/sudoers": rules}, ("sudo",))
    result = _one(view, "sudo_timestamp_timeout")
    assert result.verdict is PASS and result.evidence[0].source == "sudo default"
    assert _one(view, "sudo_password_required").verdict is PASS  # an alias name only
    tagged = rules + "bob ALL = (root) NOEXEC:NOPASSWD:/usr/bin/apt\n"
    view = _dir(tmp_path / "b", {"/etc/sudoers": tagged}, ("sudo",))
    result = _one(view, "sudo_password_required")
    assert result.verdict is FAIL and (result.evidence[0].line, result.evidence[0].source) == (
        3,
        "/etc/sudoers",
    )


def test_sudo_checks_not_applicable_without_sudo(tmp_path: Path) -> None:
    view = _dir(tmp_path, {})
    assert _one(view, "sudo_installed").verdict is FAIL
    for check in ("sudo_use_pty", "sudo_logfile", "sudo_password_required"):
        assert _one(view, check).verdict is NA


# --- journald -------------------------------------------------------------------------


def test_journald_drop_in_order_matches_systemd_analyze(tmp_path: Path) -> None:
    tool = need_tool("systemd-analyze")
    spec: Spec = {
        **JOURNALD,
        "/run/systemd/journald.conf.d/05-run.conf": "[Journal]\nCompress=no\n",
        "/usr/lib/systemd/journald.conf.d/20-masked.conf": "[Journal]\nStorage=volatile\n",
        "/etc/systemd/journald.conf.d/20-masked.conf": F(link="/dev/null"),
        "/etc/systemd/journald.conf.d/notes.txt": "[Journal]\nStorage=volatile\n",
    }
    view = _dir(tmp_path, spec, ("systemd",))
    shown = subprocess.run(
        [tool, "cat-config", f"--root={tmp_path}", "systemd/journald.conf"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    oracle = [
        line[2:].removeprefix(str(tmp_path))
        for line in shown.splitlines()
        if line.startswith(f"# {tmp_path}/")
    ]
    assert oracle, shown
    masked = "/etc/systemd/journald.conf.d/20-masked.conf"
    assert journald_files(view) == [p for p in oracle if p != masked]
    assert _one(view, "journald_storage_persistent").verdict is PASS
    assert _one(view, "journald_compress").verdict is PASS  # 60-cis.conf comes after 05-run


def test_journald_sections_and_sizes(tmp_path: Path) -> None:
    text = "Storage=persistent\n[Unit]\nStorage=persistent\n[Journal]\n; Storage=persistent\n"
    spec: Spec = {"/etc/systemd/journald.conf": text + "Compress=\\\n64K\n"}
    view = _dir(tmp_path, spec, ("systemd",))
    result = _one(view, "journald_storage_persistent")
    assert result.verdict is FAIL and result.evidence[0].source == "journald default"
    compress = _one(view, "journald_compress")
    assert compress.verdict is PASS and compress.evidence[0].line == 6  # a size threshold


def test_journald_not_applicable_without_systemd(tmp_path: Path) -> None:
    view = _dir(tmp_path, JOURNALD)
    assert _one(view, "journald_storage_persistent").verdict is NA


def test_rsyslog_in_use_switches_the_forwarding_checks(tmp_path: Path) -> None:
    spec: Spec = {**JOURNALD, **dict([enabled("rsyslog.service")])}
    view = _dir(tmp_path, spec, ("systemd", "rsyslog"))
    assert _one(view, "journald_forward_to_syslog_disabled").verdict is NA
    assert _one(view, "journald_forward_to_rsyslog").verdict is FAIL  # 60-cis.conf: no
    view = _dir(tmp_path / "b", JOURNALD, ("systemd", "rsyslog"))  # installed, not enabled
    assert _one(view, "journald_forward_to_rsyslog").verdict is NA


# --- GRUB and AppArmor ----------------------------------------------------------------


def test_stale_grub_cfg_and_pending_password(tmp_path: Path) -> None:
    spec: Spec = {
        **BOOT,
        "/boot/grub/grub.cfg": grub_cfg(password="", args="root=/dev/sda1 ro apparmor=1"),
        "/etc/grub.d/40_custom": F(
            "#!/bin/sh\nexec tail -n +3 $0\nset superusers='root'\n"
            "password_pbkdf2 root grub.pbkdf2.sha512.10000.AA.BB\n",
            0o755,
        ),
    }
    view = _dir(tmp_path, spec, BOOT_PACKAGES)
    boot = _one(view, "apparmor_bootloader_enabled")
    assert boot.verdict is FAIL and "2 kernel line(s)" in boot.reason
    assert {e.line for e in boot.evidence if e.source == "/boot/grub/grub.cfg"} == {3, 7}
    password = _one(view, "boot_password_set")
    assert password.verdict is FAIL and "update-grub" in password.reason
    # without grub.cfg (e.g. /boot not mounted) /etc/grub.d decides
    view = _dir(tmp_path / "b", {**spec, "/boot/grub/grub.cfg": None}, BOOT_PACKAGES)
    assert _one(view, "boot_password_set").verdict is PASS
    assert _one(view, "boot_config_permissions").verdict is NA


def test_no_grub_is_not_applicable(tmp_path: Path) -> None:
    view = _dir(tmp_path, {"/etc/apparmor.d/usr.sbin.foo": "/usr/sbin/foo {\n}\n"})
    for check in ("apparmor_bootloader_enabled", "boot_password_set", "boot_config_permissions"):
        assert _one(view, check).verdict is NA, check
    assert _one(view, "apparmor_profiles_enforce_or_complain").verdict is PASS


def test_unconfined_profile_fails_with_its_line(tmp_path: Path) -> None:
    spec: Spec = {
        **BOOT,
        "/etc/apparmor.d/usr.bin.qux": "# x\nprofile qux flags=(unconfined) {\n}\n",
    }
    result = _one(_dir(tmp_path, spec, BOOT_PACKAGES), "apparmor_profiles_enforce_or_complain")
    assert result.verdict is FAIL
    assert (result.evidence[0].source, result.evidence[0].line) == (
        "/etc/apparmor.d/usr.bin.qux",
        2,
    )


def _live(tmp_path: Path, cmdline: str, profiles: str | None) -> HostView:
    root = build(tmp_path / "root", BOOT, BOOT_PACKAGES)
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/cmdline").write_text(cmdline)
    if profiles is not None:
        securityfs = tmp_path / "sys/kernel/security/apparmor"
        securityfs.mkdir(parents=True)
        (securityfs / "profiles").write_text(profiles)
    return HostView(root, LiveFacts(tmp_path / "proc"))


def test_live_kernel_decides_apparmor(tmp_path: Path) -> None:
    view = _live(tmp_path / "a", "root=/dev/sda1 ro apparmor=1 security=apparmor\n", "")
    assert _one(view, "apparmor_bootloader_enabled").verdict is PASS
    assert _one(view, "apparmor_profiles_enforce_or_complain").verdict is FAIL  # none loaded
    loaded = "/usr/sbin/foo (enforce)\nman_filter (complain)\nbar (unconfined)\n"
    view = _live(tmp_path / "b", "root=/dev/sda1 ro quiet\n", loaded)
    boot = _one(view, "apparmor_bootloader_enabled")
    assert boot.verdict is FAIL and boot.evidence[0].source == "live:/proc/cmdline"
    result = _one(view, "apparmor_profiles_enforce_or_complain")
    assert result.verdict is FAIL and [e.value for e in result.evidence] == ["bar (unconfined)"]
    view = _live(tmp_path / "c", "apparmor=1 security=apparmor\n", None)  # not in the kernel
    assert _one(view, "apparmor_profiles_enforce_or_complain").verdict is FAIL


# --- firewall -------------------------------------------------------------------------


def test_no_firewall_fails_every_firewall_check(tmp_path: Path) -> None:
    view = _dir(tmp_path, {})
    for check in (
        "firewall_single_utility",
        "ufw_service_enabled",
        "ufw_default_deny",
        "nftables_default_deny",
        "nftables_service_enabled",
    ):
        result = _one(view, check)
        assert result.verdict is FAIL and "no firewall utility" in result.reason, check


def test_the_firewall_in_use_decides_which_checks_apply(tmp_path: Path) -> None:
    view = _dir(tmp_path / "nft", NFT, ("nftables", "ufw"))  # ufw installed, not enabled
    assert _one(view, "firewall_single_utility").verdict is PASS
    assert _one(view, "nftables_default_deny").verdict is PASS
    assert _one(view, "ufw_service_enabled").verdict is NA
    view = _dir(tmp_path / "ufw", UFW, ("ufw", "nftables"))
    assert _one(view, "nftables_default_deny").verdict is NA
    assert _one(view, "ufw_default_deny").verdict is PASS
    view = _dir(tmp_path / "off", {**UFW, "/etc/ufw/ufw.conf": "ENABLED=no\n"}, ("ufw",))
    single = _one(view, "firewall_single_utility")
    assert single.verdict is FAIL and "not switched on" in single.reason


def test_nftables_flat_syntax_flush_and_missing_hook(tmp_path: Path) -> None:
    conf = (
        "table inet old { chain input { type filter hook input priority 0; policy drop; } }\n"
        + NFT_STOCK  # flush ruleset: the table above is gone
        + "add chain inet filter input { type filter hook input priority 0 ; policy drop ; }\n"
        + 'include "extra/*.nft"\n'
    )
    spec: Spec = {
        **NFT,
        "/etc/nftables.conf": conf,
        "/etc/extra/1.nft": "table ip t {\n chain fw { type filter hook forward priority 0\n"
        " policy drop\n }\n}\n",
    }
    result = _one(_dir(tmp_path, spec, ("nftables",)), "nftables_default_deny")
    assert result.verdict is FAIL and result.reason == "the output base chain accepts by default"
    sources = {(e.source, e.line) for e in result.evidence}
    assert ("/etc/nftables.conf", len(conf.splitlines()) - 1) in sources
    assert ("/etc/extra/1.nft", 3) in sources


# --- AIDE -----------------------------------------------------------------------------


def test_aide_cron_entry_counts_only_with_cron(tmp_path: Path) -> None:
    job = "0 5 * * * root /usr/bin/aide.wrapper --config /etc/aide/aide.conf --check\n"
    spec: Spec = {"/etc/cron.d/aide": job, "/etc/cron.d/aide.disabled": job}
    view = _dir(tmp_path / "a", spec, ("aide", "aide-common", "cron"))
    result = _one(view, "aide_periodic_check")
    assert result.verdict is PASS and result.evidence[0].source == "/etc/cron.d/aide"
    view = _dir(tmp_path / "b", spec, ("aide", "aide-common"))
    assert _one(view, "aide_periodic_check").verdict is FAIL
    view = _dir(tmp_path / "c", {"/etc/cron.d/aide.disabled": job}, ("aide", "cron"))
    assert _one(view, "aide_periodic_check").verdict is FAIL  # cron skips names with a dot


# --- the bookworm rootfs image --------------------------------------------------------


@pytest.fixture(scope="module")
def outcome() -> HostScanOutcome:
    return run_host_scan(HostScanRequest(root=bookworm_rootfs()))


def test_bookworm_rootfs_verdicts(outcome: HostScanOutcome) -> None:
    need_tool("dpkg-query")
    rootfs = bookworm_rootfs()
    listing = subprocess.run(
        ["dpkg-query", f"--admindir={rootfs}/var/lib/dpkg", "-W", "-f", "${Package}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    absent = {"sudo", "aide", "apparmor", "ufw", "nftables", "systemd", "grub-common"}
    assert not absent & set(listing)  # minbase: the oracle agrees nothing is there

    def verdict(check: str) -> HostVerdict:
        [result] = outcome.results[check]
        return result.verdict

    failing = (
        "sudo_installed", "aide_installed", "aide_periodic_check", "apparmor_installed",
        "firewall_single_utility", "ufw_default_deny", "nftables_default_deny",
    )  # fmt: skip
    for check in failing:
        assert verdict(check) is FAIL, check
    absent_things = (
        "sudo_use_pty", "sudo_timestamp_timeout", "journald_storage_persistent",
        "journald_forward_to_rsyslog", "boot_password_set", "boot_config_permissions",
        "apparmor_bootloader_enabled", "apparmor_profiles_enforce_or_complain",
    )  # fmt: skip
    for check in absent_things:
        assert verdict(check) is NA, check
    su = FAIL if (rootfs / "etc/pam.d/su").exists() else NA  # stock: pam_wheel commented out
    assert verdict("su_access_restricted") is su
    assert outcome.report.stats["checks"] == len(host_checks.names()) == 121
