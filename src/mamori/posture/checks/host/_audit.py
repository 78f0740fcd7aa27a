"""auditd judgements: packages, service, boot parameter, auditd.conf and rules."""

from __future__ import annotations

from mamori.workload.host.audit import AUDITD_CONF, AuditRules, audit_rules, auditd_conf
from mamori.workload.host.result import Evidence, HostResult, failed, passed
from mamori.workload.host.view import HostView

GRUB_DEFAULT = "/etc/default/grub"


def rules(view: HostView) -> AuditRules:
    if "audit_rules" not in view.cache:
        view.cache["audit_rules"] = audit_rules(view)
    found: AuditRules = view.cache["audit_rules"]
    return found


def packages(view: HostView, names: tuple[str, ...]) -> HostResult:
    installed = view.packages()
    missing = [n for n in names if n not in installed]
    evidence = [
        Evidence("/var/lib/dpkg/status", f"{n} {installed.get(n, 'not installed')}") for n in names
    ]
    if missing:
        return failed(f"not installed: {', '.join(missing)}", *evidence)
    return passed(f"installed: {', '.join(names)}", *evidence)


def service(view: HostView, unit: str, program: str) -> HostResult:
    enabled = unit in view.enabled_units() and not view.unit_masked(unit)
    evidence = [
        Evidence("/etc/systemd/system", f"{unit} {'enabled' if enabled else 'not enabled'}")
    ]
    if view.live is not None:
        running = program in view.live.programs
        evidence.append(
            Evidence("live:/proc", f"{program} {'running' if running else 'not running'}")
        )
        if not running:
            return failed(f"{program} is not running", *evidence)
    if not enabled:
        return failed(f"{unit} is not enabled at boot", *evidence)
    return passed(f"{unit} is enabled" + (" and running" if view.live else ""), *evidence)


def boot_parameter(view: HostView, wanted: str) -> HostResult:
    """`wanted` (e.g. audit=1) on the kernel command line: live, or GRUB's defaults."""
    if view.live is not None:
        present = wanted in view.live.cmdline
        evidence = Evidence("live:/proc/cmdline", " ".join(view.live.cmdline)[:300])
        if present:
            return passed(f"the running kernel was booted with {wanted}", evidence)
        return failed(f"the running kernel was booted without {wanted}", evidence)
    for number, line in view.lines(GRUB_DEFAULT):
        key, _, value = line.strip().partition("=")
        if (
            key in ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")
            and wanted in value.strip("\"'").split()
        ):
            return passed(f"{key} has {wanted}", Evidence(GRUB_DEFAULT, line.strip(), number))
    return failed(f"{GRUB_DEFAULT} does not add {wanted} to the kernel command line")


def conf(view: HostView, key: str, allowed: tuple[str, ...], default: str) -> HostResult:
    values = auditd_conf(view)
    if not view.exists(AUDITD_CONF):
        return failed(f"{AUDITD_CONF} does not exist (auditd not installed)")
    value, line = values.get(key, (default, 0))
    evidence = Evidence(AUDITD_CONF if line else "auditd default", f"{key} = {value}", line)
    if value.lower() not in allowed:
        return failed(f"{key} is {value} (want {' or '.join(allowed)})", evidence)
    return passed(f"{key} is {value}", evidence)


def watches(view: HostView, paths: tuple[str, ...]) -> HostResult:
    """A write/attribute watch (-p containing w and a) on each path."""
    found = rules(view)
    if not found.files:
        return failed("no audit rules files in /etc/audit/rules.d or /etc/audit/audit.rules")
    missing, evidence = [], []
    for path in paths:
        good = [r for r in found.watches(path) if "w" in r.perms and "a" in r.perms]
        if good:
            evidence.append(Evidence(good[0].file, good[0].text, good[0].line))
        else:
            missing.append(path)
    if missing:
        return failed(f"no -w ... -p wa rule for {', '.join(missing)}", *evidence)
    return passed(f"every one of {', '.join(paths)} is watched for writes", *evidence)


def syscalls(view: HostView, names: tuple[str, ...], arches: tuple[str, ...]) -> HostResult:
    """An always,exit rule for each syscall on each architecture."""
    found = rules(view)
    if not found.files:
        return failed("no audit rules files in /etc/audit/rules.d or /etc/audit/audit.rules")
    missing, evidence = [], []
    for arch in arches:
        for name in names:
            hits = found.syscall_rules(name, arch)
            if hits:
                evidence.append(Evidence(hits[0].file, hits[0].text, hits[0].line))
            else:
                missing.append(f"{name} ({arch})")
    if missing:
        return failed(f"no always,exit rule for {', '.join(missing)}", *evidence[:10])
    return passed(f"{', '.join(names)} are audited", *evidence[:10])


def immutable(view: HostView) -> HostResult:
    found = rules(view)
    enables = [r for r in found.rules if r.enable]
    if enables and enables[-1].enable == "2":
        last = enables[-1]
        return passed("the rules end with -e 2", Evidence(last.file, last.text, last.line))
    if enables:
        last = enables[-1]
        return failed(
            f"the last -e is {last.enable}, not 2", Evidence(last.file, last.text, last.line)
        )
    return failed("no -e 2: audit rules can be changed until reboot")
