"""sshd judgements over the effective configuration (mamori.workload.host.sshd).

On a live host with openssh-server installed, `sshd -T` (the daemon's own view) decides
the global values; the file parser still supplies Match-block overrides, which `sshd -T`
does not print. Without openssh-server the checks are not applicable.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable

from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.sshd import (
    DEFAULTS,
    Setting,
    SshdConfig,
    from_sshd_t,
    parse_sshd_config,
)
from mamori.workload.host.view import HostView

SSHD_BINARY = "/usr/sbin/sshd"


def installed(view: HostView) -> bool:
    return "openssh-server" in view.packages() or view.tree.is_file(SSHD_BINARY)


def configs(view: HostView) -> tuple[SshdConfig, SshdConfig] | None:
    """(global values, file view for Match overrides); None when sshd is not installed."""
    if "sshd" not in view.cache:
        parsed = parse_sshd_config(view) if installed(view) else None
        if parsed is not None:
            for error in parsed.errors:
                view.warn(error)
        live = view.live.sshd_t if view.live is not None and parsed is not None else None
        view.cache["sshd"] = (
            None if parsed is None else (from_sshd_t(live) if live else parsed, parsed)
        )
    found: tuple[SshdConfig, SshdConfig] | None = view.cache["sshd"]
    return found


def _evidence(setting: Setting) -> Evidence:
    source = setting.file or "sshd default"
    value = f"{setting.keyword} {setting.value}"
    if setting.match:
        value += f" (Match {setting.match})"
    return Evidence(source, value, setting.line)


def judge(view: HostView, keyword: str, ok: Callable[[str], bool], want: str) -> HostResult:
    """The effective global value and every Match override must satisfy `ok`."""
    found = configs(view)
    if found is None:
        return not_applicable("openssh-server is not installed")
    effective, parsed = found
    setting = effective.get(keyword)
    bad = [s for s in parsed.overrides_of(keyword) if not ok(s.value)]
    evidence = [_evidence(setting), *(_evidence(s) for s in bad)]
    if not ok(setting.value):
        return failed(
            f"{keyword} is {setting.value or 'unset'} ({setting.where}); {want}", *evidence
        )
    if bad:
        return failed(
            f"a Match block sets {keyword} {bad[0].value} ({bad[0].where}); {want}", *evidence
        )
    return passed(f"{keyword} is {setting.value} ({setting.where})", *evidence)


def is_(*allowed: str) -> Callable[[str], bool]:
    wanted = {a.lower() for a in allowed}
    return lambda value: value.lower() in wanted


def int_between(low: int, high: int) -> Callable[[str], bool]:
    def ok(value: str) -> bool:
        number = seconds(value) if value else None
        return number is not None and low <= number <= high

    return ok


def seconds(value: str) -> int | None:
    """sshd time format: 90, 1m30s, 2h... (sshd_config(5) TIME FORMATS)."""
    units = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    text = value.strip().lower()
    if not re.fullmatch(r"(\d+[smhdw]?)+", text):
        return None
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smhdw]?)", text))


def algorithm_list(value: str, default: str) -> list[str]:
    """Apply sshd's +/-/^ list modifiers to the default list."""
    base = default.split(",")
    if value.startswith("+"):
        return base + value[1:].split(",")
    if value.startswith("^"):
        return value[1:].split(",") + base
    if value.startswith("-"):
        patterns = value[1:].split(",")
        return [a for a in base if not any(fnmatch.fnmatchcase(a, p) for p in patterns)]
    return value.split(",")


def none_of(keyword: str, weak: tuple[str, ...]) -> Callable[[str], bool]:
    default = DEFAULTS[keyword.lower()]

    def ok(value: str) -> bool:
        chosen = algorithm_list(value or default, default)
        return not any(fnmatch.fnmatchcase(a.strip(), w) for a in chosen for w in weak)

    return ok


def client_alive(view: HostView) -> HostResult:
    """ClientAliveInterval > 0 and ClientAliveCountMax > 0: idle sessions are ended."""
    first = judge(view, "ClientAliveInterval", int_between(1, 2**31), "it must be above 0")
    if first.verdict.value != "pass":
        return first
    second = judge(view, "ClientAliveCountMax", int_between(1, 2**31), "it must be above 0")
    if second.verdict.value != "pass":
        return second
    return passed(f"{first.reason}; {second.reason}", *first.evidence, *second.evidence)


def host_keys(view: HostView) -> HostResult:
    """Every /etc/ssh/ssh_host_*_key: root-owned, 0600 (or 0640 for group ssh_keys)."""
    if configs(view) is None:
        return not_applicable("openssh-server is not installed")
    keys = view.glob("/etc/ssh", "ssh_host_*_key")
    if not keys:
        return not_applicable("no host private keys in /etc/ssh (generated at first start)")
    problems, evidence = [], []
    for path in keys:
        info = view.stat(path)
        if info is None:
            continue
        group = view.group(info.gid)
        max_mode = 0o640 if group == "ssh_keys" else 0o600
        shown = f"{info.mode:04o} {view.user(info.uid)}:{group}"
        evidence.append(Evidence(path, shown))
        if info.mode & ~max_mode or view.user(info.uid) != "root":
            problems.append(f"{path} is {shown}")
    if problems:
        return failed("; ".join(problems), *evidence)
    return passed(f"{len(evidence)} host private key(s) readable only by root", *evidence)
