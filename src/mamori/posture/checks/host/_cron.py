"""cron judgements: not applicable when no cron daemon is installed."""

from __future__ import annotations

from mamori.posture.checks.host._files import judge_mode
from mamori.workload.host.result import HostResult, failed, not_applicable
from mamori.workload.host.view import HostView

CRON_PACKAGES = ("cron", "cronie", "systemd-cron", "bcron")


def installed(view: HostView) -> bool:
    if any(p in view.packages() for p in CRON_PACKAGES):
        return True
    return view.tree.is_file("/usr/sbin/cron") or view.tree.is_file("/usr/sbin/crond")


def judge_path(view: HostView, path: str, max_mode: int) -> HostResult:
    if not installed(view):
        return not_applicable("no cron daemon is installed")
    return judge_mode(view, path, max_mode, missing=not_applicable(f"{path} does not exist"))


def access_restricted(view: HostView) -> HostResult:
    """crontab limited by /etc/cron.allow (root-owned, 0640 or stricter)."""
    if not installed(view):
        return not_applicable("no cron daemon is installed")
    allow = judge_mode(
        view,
        "/etc/cron.allow",
        0o640,
        groups=("root", "crontab"),
        missing=failed("/etc/cron.allow does not exist: every user may use crontab"),
    )
    if allow.verdict.value != "pass" or not view.exists("/etc/cron.deny"):
        return allow
    return judge_mode(view, "/etc/cron.deny", 0o640, groups=("root", "crontab"))
