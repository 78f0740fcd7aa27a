"""`status()`: what the advisory database holds, for `mamori db status` and scan reports."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

from mamori.model import DatabaseInfo
from mamori.vuln.db.store import VulnDb, VulnDbError
from mamori.vuln.paths import default_db_path


@dataclass(frozen=True)
class FeedInfo:
    feed: str
    etag: str | None
    last_modified: str | None
    modified_watermark: str | None
    updated_at: str | None


@dataclass(frozen=True)
class DbStatus:
    info: DatabaseInfo
    per_ecosystem: dict[str, int] = field(default_factory=dict)  # advisories per ecosystem
    withdrawn: int = 0
    kev_entries: int = 0
    size_bytes: int = 0
    feeds: tuple[FeedInfo, ...] = ()
    error: str | None = None


def status(db: VulnDb | str | os.PathLike[str] | None = None) -> DbStatus:
    """The database's state; a missing or unreadable file gives `available=False`."""
    if isinstance(db, VulnDb):
        return _status(db)
    path = default_db_path(db)
    try:
        opened = VulnDb.open(path, readonly=True)
    except VulnDbError as exc:
        info = DatabaseInfo(path=str(path), advisories=0, available=False)
        return DbStatus(info=info, error=str(exc))
    with opened:
        return _status(opened)


def _status(db: VulnDb) -> DbStatus:
    conn = db.conn
    total = int(conn.execute("SELECT COUNT(*) FROM advisories WHERE withdrawn = 0").fetchone()[0])
    withdrawn = int(
        conn.execute("SELECT COUNT(*) FROM advisories WHERE withdrawn = 1").fetchone()[0]
    )
    per_ecosystem = {
        str(eco): int(n)
        for eco, n in conn.execute(
            "SELECT ecosystem, COUNT(DISTINCT advisory_id) FROM affected GROUP BY ecosystem"
            " ORDER BY ecosystem"
        )
    }
    kev = int(conn.execute("SELECT COUNT(*) FROM kev").fetchone()[0])
    feeds = tuple(
        FeedInfo(*row)
        for row in conn.execute(
            "SELECT feed, etag, last_modified, modified_watermark, updated_at FROM feeds"
            " ORDER BY feed"
        )
    )
    stamps = [db.get_meta("last_update"), db.get_meta("last_import")]
    updated = max((datetime.fromisoformat(s) for s in stamps if s), default=None)
    info = DatabaseInfo(
        path=str(db.path),
        advisories=total,
        ecosystems=tuple(sorted(per_ecosystem)),
        updated_at=updated,
        available=True,
    )
    size = db.path.stat().st_size if db.path.exists() else 0
    return DbStatus(
        info=info,
        per_ecosystem=per_ecosystem,
        withdrawn=withdrawn,
        kev_entries=kev,
        size_bytes=size,
        feeds=feeds,
    )
