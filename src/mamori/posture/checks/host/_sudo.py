"""Privilege escalation (CIS 5.2): sudo (package, use_pty, logfile, NOPASSWD,
!authenticate, timeout) and su limited to an empty group by pam_wheel.

Every sudo check but the package one is not applicable when sudo is not installed (neither
the sudo nor the sudo-ldap package, and no /etc/sudoers): there is nothing to judge.
"""

from __future__ import annotations

import re

from mamori.workload.host.policy import pam_stack
from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.sudoers import SUDOERS, Default, Sudoers, sudoers
from mamori.workload.host.view import HostView

PACKAGES = ("sudo", "sudo-ldap")
PAM_SU = "/etc/pam.d/su"
MAX_TIMEOUT = 15.0  # minutes (CIS 5.2.6)
DEFAULT_TIMEOUT = "15"  # sudoers(5): timestamp_timeout defaults to 15 minutes
SHOWN = 10
_NOPASSWD = re.compile(r"(?<![A-Za-z0-9_])NOPASSWD\s*:")


def _evidence(default: Default) -> Evidence:
    return Evidence(default.file, default.text, default.line)


def _read(config: Sudoers, what: str) -> Evidence:
    """Evidence for something absent from every file read."""
    return Evidence(SUDOERS, f"{what} in {len(config.files)} sudoers file(s)")


def _config(view: HostView) -> Sudoers | HostResult:
    if not any(p in view.packages() for p in PACKAGES) and not view.tree.is_file(SUDOERS):
        return not_applicable("sudo is not installed")
    return sudoers(view)


def installed(view: HostView) -> HostResult:
    found = {p: v for p, v in view.packages().items() if p in PACKAGES}
    if found:
        return passed(
            f"installed: {', '.join(found)}",
            *(Evidence("/var/lib/dpkg/status", f"{p} {v}") for p, v in found.items()),
        )
    return failed(
        "neither sudo nor sudo-ldap is installed",
        Evidence("/var/lib/dpkg/status", "sudo not installed"),
    )


def flag_on(view: HostView, name: str) -> HostResult:
    """`Defaults name` in effect for everyone: set globally, no scoped `!name`."""
    config = _config(view)
    if isinstance(config, HostResult):
        return config
    effective = config.global_value(name)
    scoped_off = [d for d in config.named(name) if d.binding and d.negated]
    if effective is None:
        return failed(f"no global Defaults {name}", _read(config, f"no Defaults {name}"))
    if effective.negated:
        return failed(f"Defaults !{name} turns it off", _evidence(effective))
    if scoped_off:
        return failed(
            f"{name} is turned off for some users or commands",
            _evidence(effective),
            *(_evidence(d) for d in scoped_off[:SHOWN]),
        )
    return passed(f"Defaults {name} is set", _evidence(effective))


def logfile(view: HostView) -> HostResult:
    config = _config(view)
    if isinstance(config, HostResult):
        return config
    effective = config.global_value("logfile")
    if effective is None:
        return failed("no global Defaults logfile=...", _read(config, "no Defaults logfile"))
    if effective.negated or not effective.value:
        return failed("sudo's log file is turned off", _evidence(effective))
    return passed(f"sudo logs to {effective.value}", _evidence(effective))


def password_required(view: HostView) -> HostResult:
    config = _config(view)
    if isinstance(config, HostResult):
        return config
    found = [e for e in config.entries if _NOPASSWD.search(e.text)]
    if found:
        return failed(
            f"{len(found)} sudoers rule(s) with NOPASSWD",
            *(Evidence(e.file, e.text, e.line) for e in found[:SHOWN]),
        )
    return passed("no NOPASSWD rule", _read(config, "no NOPASSWD"))


def reauthentication(view: HostView) -> HostResult:
    config = _config(view)
    if isinstance(config, HostResult):
        return config
    found = [d for d in config.named("authenticate") if d.negated]
    if found:
        return failed(
            "Defaults !authenticate lets sudo run without a password",
            *(_evidence(d) for d in found[:SHOWN]),
        )
    return passed("no Defaults !authenticate", _read(config, "no !authenticate"))


def _minutes(default: Default) -> float | None:
    if default.negated:
        return 0.0  # !timestamp_timeout: a password every time
    try:
        return float(default.value or "")
    except ValueError:
        return None


def timeout(view: HostView) -> HostResult:
    config = _config(view)
    if isinstance(config, HostResult):
        return config
    entries = config.named("timestamp_timeout")
    bad = []
    for entry in entries:
        minutes = _minutes(entry)
        if minutes is None or minutes < 0 or minutes > MAX_TIMEOUT or minutes != minutes:
            bad.append(entry)
    effective = config.global_value("timestamp_timeout")
    if bad:
        return failed(
            "timestamp_timeout is longer than 15 minutes, never expires (negative) or invalid",
            *(_evidence(d) for d in bad[:SHOWN]),
        )
    if effective is None:
        return passed(
            f"timestamp_timeout is sudo's default, {DEFAULT_TIMEOUT} minutes",
            Evidence("sudo default", f"timestamp_timeout={DEFAULT_TIMEOUT}"),
            *(_evidence(d) for d in entries[:SHOWN]),
        )
    return passed(f"timestamp_timeout is {_minutes(effective):g} minutes", _evidence(effective))


def su_restricted(view: HostView) -> HostResult:
    """5.2.7: `auth required pam_wheel.so use_uid group=G` in /etc/pam.d/su, G empty."""
    if not view.exists(PAM_SU):
        return not_applicable(f"{PAM_SU} does not exist")
    wheel = [
        line
        for line in pam_stack(view, "su", "auth")
        if line.module == "pam_wheel.so" and line.control in ("required", "requisite")
    ]
    good = [
        w
        for w in wheel
        if w.option("use_uid") is not None and w.option("group") and w.option("deny") is None
    ]
    if not good:
        return failed(
            "su is not limited to a group (auth required pam_wheel.so use_uid group=...)",
            *(Evidence(w.file, f"{w.module} {' '.join(w.args)}", w.line) for w in wheel),
            Evidence(PAM_SU, "no pam_wheel.so use_uid group=" if not wheel else "incomplete"),
        )
    line = good[0]
    group = line.option("group") or ""
    evidence = Evidence(
        line.file, f"{line.kind} {line.control} {line.module} {' '.join(line.args)}", line.line
    )
    for number, text in view.lines("/etc/group"):
        fields = text.split(":")
        if fields[0] == group and len(fields) >= 4:
            members = fields[3].strip()
            if members:
                return failed(
                    f"group {group}, which may use su, has members: {members}",
                    evidence,
                    Evidence("/etc/group", text.strip()[:200], number),
                )
            return passed(
                f"only the empty group {group} may use su",
                evidence,
                Evidence("/etc/group", text.strip()[:200], number),
            )
    return failed(f"group {group} named by pam_wheel does not exist", evidence)
