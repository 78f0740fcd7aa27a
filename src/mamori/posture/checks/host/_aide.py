"""AIDE judgements (CIS 6.3.1, 6.3.2): installed, and run regularly.

A regular check is an enabled aidecheck.timer (CIS's unit) or dailyaidecheck.timer
(what Debian's aide-common ships), or, when a cron daemon is installed, a crontab line
(/etc/crontab, /etc/cron.d, root's spool crontab) that runs aide --check (or -C, or
Debian's dailyaidecheck). Debian's /etc/cron.daily/dailyaidecheck is not counted: it
does nothing on systemd hosts, where the timer does the work.
"""

from __future__ import annotations

import re

from mamori.posture.checks.host._audit import packages
from mamori.posture.checks.host._cron import installed as cron_installed
from mamori.workload.host.result import Evidence, HostResult, failed, passed
from mamori.workload.host.view import HostView

PACKAGES = ("aide", "aide-common")
TIMERS = ("aidecheck.timer", "dailyaidecheck.timer")
_AIDE = re.compile(r"(^|[\s/])aide(\.wrapper)?(\s.*)?\s(--check|-C)(\s|$)")
_DAILY = re.compile(r"(^|[\s/])dailyaidecheck(\s|$)")
MAX_CRONTABS = 1000
_CRON_NAME = re.compile(r"^[A-Za-z0-9_-]+$")  # what Debian's cron reads in cron.d


def installed(view: HostView) -> HostResult:
    return packages(view, PACKAGES)


def _crontabs(view: HostView) -> list[str]:
    files = ["/etc/crontab"]
    files += [p for p in view.glob("/etc/cron.d", "*") if _CRON_NAME.match(p.rsplit("/", 1)[1])]
    files += view.glob("/var/spool/cron/crontabs", "*")
    return [f for f in files[:MAX_CRONTABS] if view.tree.is_file(f)]


def cron_entry(view: HostView) -> Evidence | None:
    for path in _crontabs(view):
        for number, raw in view.lines(path):
            text = raw.strip()
            if text.startswith("#") or not text:
                continue
            if _AIDE.search(text) or _DAILY.search(text):
                return Evidence(path, text[:200], number)
    return None


def periodic(view: HostView) -> HostResult:
    if "aide" not in view.packages() and not view.tree.is_file("/usr/bin/aide"):
        return failed(
            "aide is not installed: nothing checks file integrity",
            Evidence("/var/lib/dpkg/status", "aide not installed"),
        )
    for timer in TIMERS:
        if timer in view.enabled_units() and not view.unit_masked(timer):
            return passed(f"{timer} runs AIDE", Evidence("/etc/systemd/system", f"{timer} enabled"))
    if cron_installed(view) and (entry := cron_entry(view)) is not None:
        return passed("cron runs aide --check", entry)
    return failed(
        "no enabled aidecheck.timer or dailyaidecheck.timer, and no cron entry running aide --check"
    )
