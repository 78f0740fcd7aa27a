"""The other config readers: sysctl.d ordering and syntax, mountinfo, fstab, PAM stacks,
login.defs, audit rules; plus hypothesis fuzzing of each pure parser."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.workload.host.audit import parse_rule
from mamori.workload.host.live import parse_mountinfo, unescape
from mamori.workload.host.mounts import fstab_entry, unit_name
from mamori.workload.host.policy import _pam_tokens, login_defs, pam_stack
from mamori.workload.host.sysctl import assignments, configured, normalize_key, parse_line
from mamori.workload.host.view import HostView
from tests.workload.host.roots import F, build


def test_sysctl_order_shadowing_globs_and_slash_keys(tmp_path: Path) -> None:
    root = build(
        tmp_path,
        {
            "/usr/lib/sysctl.d/50-default.conf": "net.ipv4.conf.*.rp_filter = 2\n",
            "/etc/sysctl.d/50-default.conf": "# the admin's copy hides the vendor's\n",
            "/usr/lib/sysctl.d/10-early.conf": "-net.ipv4.conf.all.rp_filter=0\n",
            "/run/sysctl.d/70-run.conf": "net/ipv4/ip_forward = 1\nkernel.domainname = a.b\n",
            "/etc/sysctl.conf": "net.ipv4.ip_forward=0\n",
            "/etc/sysctl.d/99-sysctl.conf": F(link="../sysctl.conf"),
            "/etc/sysctl.d/80-glob.conf": "net.ipv4.conf.*.log_martians = 1\n",
        },
    )
    found = assignments(HostView.open(root, live=False))
    rp = configured(found, "net.ipv4.conf.all.rp_filter")
    assert rp is not None and (rp.value, rp.file) == ("0", "/usr/lib/sysctl.d/10-early.conf")
    fwd = configured(found, "net.ipv4.ip_forward")
    assert fwd is not None and (fwd.value, fwd.file) == ("0", "/etc/sysctl.d/99-sysctl.conf")
    assert sum(1 for a in found if a.file.endswith("sysctl.conf")) == 1  # read once
    martians = configured(found, "net.ipv4.conf.eth0.log_martians")
    assert martians is not None and martians.value == "1"
    assert configured(found, "kernel.domainname").value == "a.b"  # type: ignore[union-attr]
    assert normalize_key("net/ipv4/conf/eth0.100/rp_filter") == "net.ipv4.conf.eth0/100.rp_filter"


def test_mountinfo_and_fstab(tmp_path: Path) -> None:
    text = (
        "22 1 0:21 / /tmp rw,nosuid,nodev - tmpfs tmpfs rw,size=10m\n"
        "23 1 0:22 / /mnt/with\\040space rw shared:1 - ext4 /dev/sda1 rw\n"
        "garbage\n"
    )
    mounts = parse_mountinfo(text)
    assert [m.target for m in mounts] == ["/tmp", "/mnt/with space"]
    assert {"nosuid", "nodev", "size=10m"} <= mounts[0].options
    root = build(
        tmp_path,
        {
            "/etc/fstab": "tmpfs /tmp tmpfs defaults 0 0\n"
            "tmpfs /tmp tmpfs nodev,noexec 0 0  # later line wins\n"
        },
    )
    entry = fstab_entry(HostView.open(root, live=False), "/tmp")
    assert entry is not None and entry.line == 2 and entry.options == {"nodev", "noexec"}
    assert unit_name("/dev/shm") == "dev-shm.mount" and unit_name("/var/x-y") == "var-x\\x2dy.mount"
    assert unescape("a\\134b\\011") == "a\\b\t"


def test_pam_includes_brackets_and_login_defs(tmp_path: Path) -> None:
    root = build(
        tmp_path,
        {
            "/etc/pam.d/sshd": "@include common-auth\nauth optional pam_motd.so\n",
            "/etc/pam.d/common-auth": "auth\t[success=1 default=ignore]\tpam_unix.so nullok\n"
            "-auth optional /lib/security/pam_x.so a=1\n",
            "/etc/login.defs": "PASS_MAX_DAYS 99999\n# PASS_MAX_DAYS 1\nPASS_MAX_DAYS 60 # last\n",
        },
    )
    view = HostView.open(root, live=False)
    stack = pam_stack(view, "sshd", "auth")
    assert [(p.module, p.control, p.file) for p in stack] == [
        ("pam_unix.so", "[success=1 default=ignore]", "/etc/pam.d/common-auth"),
        ("pam_x.so", "optional", "/etc/pam.d/common-auth"),
        ("pam_motd.so", "optional", "/etc/pam.d/sshd"),
    ]
    assert stack[0].option("nullok") == "" and stack[1].option("a") == "1"
    assert login_defs(view)["PASS_MAX_DAYS"].value == "60"


def test_audit_rule_syntax() -> None:
    rule = parse_rule("-a always,exit -F arch=b64 -S adjtimex -S settimeofday,stime -k t", "f", 3)
    assert rule is not None
    assert rule.syscalls == {"adjtimex", "settimeofday", "stime"} and "arch=b64" in rule.fields
    watch = parse_rule("-w /etc/shadow -p wa -k identity # comment", "f", 1)
    assert watch is not None and (watch.watch, watch.perms) == ("/etc/shadow", "wa")
    assert parse_rule("  # only a comment", "f", 1) is None


TEXT = st.text(max_size=200)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_line_parsers_never_crash(text: str) -> None:
    parse_line(text)
    normalize_key(text)
    parse_mountinfo(text)
    unescape(text)
    _pam_tokens(text)
    parse_rule(text, "f", 1)


CONFIGS = (
    "/etc/ssh/sshd_config",
    "/etc/ssh/sshd_config.d/a.conf",
    "/etc/sysctl.d/a.conf",
    "/etc/fstab",
    "/etc/login.defs",
    "/etc/pam.d/common-auth",
    "/etc/pam.d/common-password",
    "/etc/security/pwquality.conf",
    "/etc/security/faillock.conf",
    "/etc/audit/auditd.conf",
    "/etc/audit/rules.d/a.rules",
    "/etc/passwd",
    "/etc/group",
    "/etc/shadow",
    "/etc/default/grub",
    "/var/lib/dpkg/status",
)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=400), min_size=len(CONFIGS), max_size=len(CONFIGS)))
def test_every_check_survives_garbage_configs(texts: list[str]) -> None:
    import tempfile

    from mamori.posture.checks.host import host_checks

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for path, text in zip(CONFIGS, texts, strict=True):
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, errors="surrogatepass")
        view = HostView.open(root, live=False)
        for name, cls in host_checks.items():
            assert list(cls().run(view)), name
