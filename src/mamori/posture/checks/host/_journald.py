"""systemd-journald judgements (CIS 6.1.2.x and 6.1.3.3): storage, compression, syslog.

Not applicable where journald is absent (no systemd). Defaults are Debian's compiled-in
ones (its journald.conf lists them commented out): Storage=auto, Compress=yes, and
ForwardToSyslog=yes (Debian re-enables forwarding, upstream's default is no).
"""

from __future__ import annotations

import re

from mamori.workload.host.journald import journald_conf, journald_files, parse_boolean
from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.view import HostView

JOURNALD_BINARIES = ("/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald")
DEFAULTS = {"Storage": "auto", "Compress": "yes", "ForwardToSyslog": "yes"}
_SIZE = re.compile(r"^\d+(\.\d+)?\s*[KMGTPE]?$")


def present(view: HostView) -> bool:
    return "systemd" in view.packages() or any(view.tree.is_file(p) for p in JOURNALD_BINARIES)


def rsyslog_in_use(view: HostView) -> list[Evidence]:
    """Evidence that rsyslog is the system's syslog daemon (enabled, or running live)."""
    if "rsyslog" not in view.packages():
        return []
    evidence = []
    if "rsyslog.service" in view.enabled_units() and not view.unit_masked("rsyslog.service"):
        evidence.append(Evidence("/etc/systemd/system", "rsyslog.service enabled"))
    if view.live is not None and "rsyslogd" in view.live.programs:
        evidence.append(Evidence("live:/proc", "rsyslogd running"))
    return evidence


def _setting(view: HostView, key: str) -> tuple[str, Evidence]:
    found = journald_conf(view).get(key)
    if found is None:
        return DEFAULTS[key], Evidence("journald default", f"{key}={DEFAULTS[key]}")
    return found.value, Evidence(found.file, f"{key}={found.value}", found.line)


def _absent(view: HostView) -> HostResult | None:
    if not present(view):
        return not_applicable("systemd-journald is not installed")
    return None


def storage(view: HostView) -> HostResult:
    if (absent := _absent(view)) is not None:
        return absent
    value, evidence = _setting(view, "Storage")
    if value == "persistent":
        return passed("journald stores logs persistently on disk", evidence)
    return failed(f"Storage={value}; want Storage=persistent", evidence)


def compress(view: HostView) -> HostResult:
    if (absent := _absent(view)) is not None:
        return absent
    value, evidence = _setting(view, "Compress")
    on = parse_boolean(value)
    if on or (on is None and _SIZE.match(value)):
        return passed(f"journald compresses large entries (Compress={value})", evidence)
    return failed(f"Compress={value}; want Compress=yes", evidence)


def forward_disabled(view: HostView) -> HostResult:
    """6.1.2.2: with journald as the only logging system, nothing goes to syslog."""
    if (absent := _absent(view)) is not None:
        return absent
    rsyslog = rsyslog_in_use(view)
    if rsyslog:
        return not_applicable(
            "rsyslog is the logging system: journald must forward to it (6.1.3.3)", *rsyslog
        )
    value, evidence = _setting(view, "ForwardToSyslog")
    if parse_boolean(value) is False:
        return passed("journald does not forward to syslog", evidence)
    return failed(f"ForwardToSyslog={value} with no syslog daemon in use", evidence)


def forward_to_rsyslog(view: HostView) -> HostResult:
    """6.1.3.3: with rsyslog in use, journald forwards to it."""
    if (absent := _absent(view)) is not None:
        return absent
    rsyslog = rsyslog_in_use(view)
    if not rsyslog:
        return not_applicable("rsyslog is not in use (journald alone keeps the logs)")
    value, evidence = _setting(view, "ForwardToSyslog")
    if parse_boolean(value) is True:
        return passed("journald forwards to rsyslog", evidence, *rsyslog)
    files = ", ".join(journald_files(view)) or "no journald.conf"
    return failed(f"ForwardToSyslog={value}: rsyslog receives nothing ({files})", evidence)
