"""The live branch of the checks on a fabricated /proc (deterministic, unlike the host):
running sysctl values beat the configuration, the last mount at a path wins, running
programs count as "in use", and `sshd -T` decides sshd's global values while the files
still supply Match overrides."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from mamori.posture.checks.host import host_checks
from mamori.workload.host.live import LiveFacts
from mamori.workload.host.result import HostVerdict
from mamori.workload.host.view import HostView
from tests.workload.host.pairs import SSHD, SYSCTL
from tests.workload.host.roots import build


class FakeLive(LiveFacts):
    def __init__(self, proc: Path, sshd: dict[str, list[str]] | None = None) -> None:
        super().__init__(proc)
        self._sshd = sshd

    @cached_property
    def sshd_t(self) -> dict[str, list[str]] | None:
        return self._sshd


def _proc(tmp_path: Path) -> Path:
    proc = tmp_path / "proc"
    (proc / "sys/net/ipv4").mkdir(parents=True)
    (proc / "sys/net/ipv4/ip_forward").write_text("1\n")
    (proc / "sys/kernel").mkdir(parents=True)
    (proc / "sys/kernel/randomize_va_space").write_text("2\n")
    (proc / "self").mkdir()
    (proc / "self/mountinfo").write_text(
        "30 1 0:27 / /dev/shm rw,nosuid,nodev,noexec - tmpfs tmpfs rw\n"
        "31 30 0:28 / /dev/shm rw - tmpfs tmpfs rw\n"
    )
    (proc / "cmdline").write_text("BOOT_IMAGE=/vmlinuz root=/dev/sda1 audit=1\n")
    (proc / "4242").mkdir()
    (proc / "4242/comm").write_text("avahi-daemon\n")
    return proc


def _verdict(view: HostView, check: str) -> tuple[HostVerdict, str]:
    [result] = host_checks.get(check)().run(view)
    return result.verdict, "; ".join(str(e) for e in result.evidence)


def test_running_values_mounts_programs_and_cmdline(tmp_path: Path) -> None:
    root = build(tmp_path / "root", SYSCTL, ("avahi-daemon",))
    view = HostView(root, FakeLive(_proc(tmp_path)))
    verdict, evidence = _verdict(view, "sysctl_ip_forwarding_disabled")
    assert verdict is HostVerdict.FAIL  # configured 0, running 1: the running value decides
    assert "live:/proc/sys/net/ipv4/ip_forward: 1" in evidence
    assert "/etc/sysctl.d/60-cis.conf" in evidence
    assert _verdict(view, "sysctl_aslr_enabled")[0] is HostVerdict.PASS
    # a parameter the running kernel lacks (here: no ptrace_scope file) is not applicable
    assert _verdict(view, "sysctl_ptrace_scope_restricted")[0] is HostVerdict.NOT_APPLICABLE
    assert _verdict(view, "mount_dev_shm_noexec")[0] is HostVerdict.FAIL  # the later mount
    assert _verdict(view, "mount_tmp_separate")[0] is HostVerdict.FAIL
    assert _verdict(view, "audit_boot_enabled")[0] is HostVerdict.PASS
    verdict, evidence = _verdict(view, "service_avahi_not_in_use")
    assert verdict is HostVerdict.FAIL and "avahi-daemon running" in evidence


def test_sshd_t_decides_globals_and_files_add_match_overrides(tmp_path: Path) -> None:
    spec = {**SSHD, "/etc/ssh/sshd_config.d/50-m.conf": "Match User backup\nPermitRootLogin yes\n"}
    root = build(tmp_path / "root", spec, ("openssh-server",))
    proc = _proc(tmp_path)
    view = HostView(root, FakeLive(proc, {"permitrootlogin": ["no"], "maxauthtries": ["6"]}))
    verdict, evidence = _verdict(view, "ssh_max_auth_tries_limited")
    assert verdict is HostVerdict.FAIL and "live:sshd -T" in evidence  # file says 4
    verdict, evidence = _verdict(view, "ssh_permit_root_login_disabled")
    assert verdict is HostVerdict.FAIL and "Match User backup" in evidence
    view = HostView(root, FakeLive(proc, None))  # sshd -T unavailable: the parser decides
    assert _verdict(view, "ssh_max_auth_tries_limited")[0] is HostVerdict.PASS
