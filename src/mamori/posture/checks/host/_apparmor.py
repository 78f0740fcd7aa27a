"""AppArmor judgements (CIS 1.3.1): packages, boot parameters, profile modes.

Live, the kernel decides: /proc/cmdline for the boot parameters, and the loaded
profiles in securityfs (/sys/kernel/security/apparmor/profiles, "name (mode)" lines;
found beside the LiveFacts' /proc, so a fabricated /proc brings its own /sys). As a
directory: GRUB_CMDLINE_LINUX from /etc/default/grub(.d) and the `linux` lines of
grub.cfg; the profile files of /etc/apparmor.d with their `flags=(...)`, the disable/
and force-complain/ symlink directories.
"""

from __future__ import annotations

import re
from pathlib import Path

from mamori.posture.checks.host._audit import packages
from mamori.sources.tree import EntryKind
from mamori.workload.host.grub import GRUB_CFG, assignments, default_files, linux_lines
from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.view import HostView

PACKAGES = ("apparmor", "apparmor-utils")
BOOT_PARAMETERS = ("apparmor=1", "security=apparmor")
PROFILE_DIR = "/etc/apparmor.d"
SECURITYFS = "kernel/security/apparmor/profiles"
OK_MODES = ("enforce", "complain", "kill")  # kill: enforce, and kill the offender
MAX_SECURITYFS = 4 * 1024 * 1024
SHOWN = 10
MAX_PROFILES = 5000  # profile files read from /etc/apparmor.d
_SKIPPED_SUFFIXES = (
    ".dpkg-new",
    ".dpkg-old",
    ".dpkg-dist",
    ".dpkg-bak",
    ".dpkg-remove",
    ".rpmnew",
    ".rpmsave",
    ".pacnew",
    ".pacsave",
    "~",
    ".orig",
    ".rej",
)
_FLAGS = re.compile(r"\bflags\s*=\s*\(([^)]*)\)")


def installed(view: HostView) -> HostResult:
    return packages(view, PACKAGES)


def bootloader(view: HostView) -> HostResult:
    if view.live is not None:
        cmdline = view.live.cmdline
        shown = Evidence("live:/proc/cmdline", " ".join(cmdline)[:300])
        absent = [p for p in BOOT_PARAMETERS if p not in cmdline]
        if absent:
            return failed(f"the running kernel was booted without {' '.join(absent)}", shown)
        return passed("the running kernel was booted with apparmor=1 security=apparmor", shown)
    defaults = default_files(view)
    kernels = linux_lines(view)
    if not defaults and not kernels:
        return not_applicable("no GRUB configuration (/etc/default/grub, /boot/grub/grub.cfg)")
    problems: list[str] = []
    evidence: list[Evidence] = []
    if defaults:
        found = assignments(view).get("GRUB_CMDLINE_LINUX")
        words = found.value.split() if found else []
        missing = [p for p in BOOT_PARAMETERS if p not in words]
        if found is not None:
            evidence.append(Evidence(found.file, found.text, found.line))
        if missing:
            problems.append(f"GRUB_CMDLINE_LINUX lacks {' '.join(missing)}")
    stale = [(n, a) for n, a in kernels if not all(p in a for p in BOOT_PARAMETERS)]
    if stale:
        problems.append(f"{len(stale)} kernel line(s) of {GRUB_CFG} lack them")
        evidence += [Evidence(GRUB_CFG, "linux " + " ".join(a)[:200], n) for n, a in stale[:5]]
    if problems:
        return failed("; ".join(problems), *evidence)
    return passed("the kernel command line has apparmor=1 security=apparmor", *evidence)


def _loaded(view: HostView) -> list[tuple[str, str]] | None:
    """(profile, mode) loaded in the running kernel; None when securityfs is unreadable."""
    if view.live is None:
        return None
    path = Path(view.live.proc).parent / "sys" / SECURITYFS
    try:
        with path.open("rb") as fh:
            text = fh.read(MAX_SECURITYFS).decode("utf-8", errors="replace")
    except OSError:
        return None
    loaded = []
    for line in text.splitlines():
        name, sep, mode = line.rpartition(" (")
        if sep and mode.endswith(")"):
            loaded.append((name, mode[:-1]))
    return loaded


def profile_files(view: HostView) -> list[str]:
    """Profile files apparmor_parser loads: regular files at the top of /etc/apparmor.d."""
    return [
        path
        for path in view.glob(PROFILE_DIR, "*")
        if view.tree.is_file(path)
        and not path.rsplit("/", 1)[1].startswith(".")
        and not path.endswith(_SKIPPED_SUFFIXES)
        and path.rsplit("/", 1)[1] != "README"
    ]


def _judge_loaded(loaded: list[tuple[str, str]]) -> HostResult:
    source = f"live:/sys/{SECURITYFS}"
    bad = [(n, m) for n, m in loaded if m not in OK_MODES]
    if not loaded:
        return failed("no AppArmor profile is loaded", Evidence(source, "empty"))
    if bad:
        return failed(
            f"{len(bad)} loaded profile(s) neither enforcing nor complaining",
            *(Evidence(source, f"{n} ({m})") for n, m in bad[:SHOWN]),
        )
    enforcing = sum(1 for _, m in loaded if m != "complain")
    return passed(
        f"{len(loaded)} profiles loaded: {enforcing} enforce, {len(loaded) - enforcing} complain",
        Evidence(source, f"{len(loaded)} profiles"),
    )


def profiles(view: HostView) -> HostResult:
    entry = view.stat(PROFILE_DIR)
    if entry is None or entry.kind is not EntryKind.DIR:
        return not_applicable(f"{PROFILE_DIR} does not exist")
    loaded = _loaded(view)
    if loaded is not None:
        return _judge_loaded(loaded)
    files = profile_files(view)
    if len(files) > MAX_PROFILES:
        view.warn(f"{PROFILE_DIR}: more than {MAX_PROFILES} profiles, the rest not read")
        files = files[:MAX_PROFILES]
    if not files:
        return not_applicable(f"{PROFILE_DIR} holds no profiles")
    if view.live is not None:
        return failed(
            f"AppArmor is not active in the running kernel: {len(files)} profile(s) not loaded",
            Evidence(f"live:/sys/{SECURITYFS}", "absent"),
        )
    disabled = set(view.listdir(f"{PROFILE_DIR}/disable"))
    forced = set(view.listdir(f"{PROFILE_DIR}/force-complain"))
    bad: list[Evidence] = []
    complain = 0
    for path in files:
        name = path.rsplit("/", 1)[1]
        if name in disabled:
            bad.append(Evidence(f"{PROFILE_DIR}/disable/{name}", "profile disabled"))
            continue
        modes: set[str] = {"complain"} if name in forced else set()
        for number, raw in view.lines(path):
            text = raw.split("#", 1)[0]
            for match in _FLAGS.finditer(text):
                flags = {f for f in re.split(r"[\s,]+", match.group(1)) if f}
                modes |= flags
                if flags & {"unconfined", "prompt", "default_allow"}:
                    bad.append(Evidence(path, text.strip()[:200], number))
        complain += "complain" in modes
    if bad:
        return failed(f"{len(bad)} profile(s) neither enforcing nor complaining", *bad[:SHOWN])
    return passed(
        f"{len(files)} profiles: {len(files) - complain} enforce, {complain} complain",
        Evidence(PROFILE_DIR, f"{len(files)} profile files"),
    )
