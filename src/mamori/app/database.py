"""The advisory database as a scan needs it: present, fresh when possible, honest when not."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta

from mamori.model import DatabaseInfo, Notice, NoticeLevel, utcnow
from mamori.vuln.db.status import status
from mamori.vuln.db.store import VulnDb, VulnDbError
from mamori.vuln.db.update import OSV_BASE_URL, UpdateProgress, update

SOURCE = "app.database"
STALE_AFTER = timedelta(hours=24)
# The ecosystems a host or image scan needs out of the box (Go stdlib included).
DEFAULT_ECOSYSTEMS = (
    "Debian",
    "Ubuntu",
    "Alpine",
    "AlmaLinux",
    "Rocky Linux",
    "PyPI",
    "npm",
    "Go",
    "crates.io",
    "Maven",
    "RubyGems",
    "Packagist",
)


def base_url() -> str:
    return os.environ.get("MAMORI_OSV_URL", OSV_BASE_URL)


def prepare(
    *,
    allow_update: bool,
    notices: list[Notice],
    progress: Callable[[UpdateProgress], None] | None = None,
) -> VulnDb | None:
    """Open the advisory DB, updating it first when allowed and stale or absent.

    Returns None (with a notice) when no database can be had: the scan still reports
    the inventory.
    """
    info = status().info
    stale = (
        not info.available or info.updated_at is None or (utcnow() - info.updated_at > STALE_AFTER)
    )
    if allow_update and stale:
        try:
            report = update(base_url(), list(DEFAULT_ECOSYSTEMS), progress)
        except Exception as exc:  # network and disk errors: the scan goes on
            notices.append(_notice(NoticeLevel.WARNING, f"advisory database update failed: {exc}"))
        else:
            failed = report.errors
            if failed and len(failed) == len(report.feeds):
                notices.append(
                    _notice(
                        NoticeLevel.WARNING,
                        f"offline: could not reach {base_url()} to fetch advisories ({failed[0]})",
                    )
                )
            for err in failed[:3] if len(failed) < len(report.feeds) else ():
                notices.append(_notice(NoticeLevel.WARNING, f"advisory update: {err}"))
    hint = "Run `mamori db update` online or `mamori db import PATH`."
    try:
        db = VulnDb.open(readonly=True)
    except VulnDbError as exc:
        notices.append(
            _notice(NoticeLevel.WARNING, f"no advisory database ({exc}); inventory only. {hint}")
        )
        return None
    if describe(db).advisories == 0:
        db.close()
        notices.append(
            _notice(
                NoticeLevel.WARNING,
                f"the advisory database {db.path} is empty; inventory only. {hint}",
            )
        )
        return None
    return db


def describe(db: VulnDb) -> DatabaseInfo:
    return status(db).info


def _notice(level: NoticeLevel, message: str) -> Notice:
    return Notice(level=level, source=SOURCE, message=message)
