"""`import_osv`: load OSV records from files, directories or archives into the database.

A malformed record is skipped with its reason and the import goes on; the whole import
is one transaction, so an interrupted import leaves the database as it was. Records are
upserted by id, keeping the newest `modified` (an equal `modified` with different
content replaces, since some feeds, e.g. Go's, publish placeholder timestamps).
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mamori.model import Notice, NoticeLevel
from mamori.model.common import utcnow
from mamori.vuln.db.osv import RecordError, parse_record, record_key
from mamori.vuln.db.readers import RecordDecodeError, decode, iter_members
from mamori.vuln.db.store import VulnDb, record_digest

log = logging.getLogger("mamori.vuln.db")
MAX_REPORTED = 1000  # skipped entries kept with their reasons; the rest are only counted
NOTICE_SOURCE = "vuln.db.import"


@dataclass(frozen=True)
class Skipped:
    name: str  # file or "archive:member", with "#n" for the n-th record of a list
    reason: str


@dataclass
class ImportResult:
    """What an import did. `ecosystems` counts stored records by affected ecosystem."""

    path: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0  # an equal or newer record was already stored
    withdrawn: int = 0  # withdrawn records among those added or updated
    skipped_count: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ecosystems: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        """Records read and accepted (stored, refreshed or already current)."""
        return self.added + self.updated + self.unchanged + self.older

    def skip(self, name: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_REPORTED:
            self.skipped.append(Skipped(name, reason))
            log.warning("skipped %s: %s", name, reason)

    def merge(self, other: ImportResult) -> None:
        for name in ("added", "updated", "unchanged", "older", "withdrawn", "skipped_count"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.skipped += other.skipped[: MAX_REPORTED - len(self.skipped)]
        self.warnings += other.warnings[: MAX_REPORTED - len(self.warnings)]
        self.ecosystems.update(other.ecosystems)
        self.seconds += other.seconds

    def notices(self) -> list[Notice]:
        out = [
            Notice(level=NoticeLevel.WARNING, source=NOTICE_SOURCE, message=s.reason, path=s.name)
            for s in self.skipped
        ]
        if self.skipped_count > len(self.skipped):
            more = self.skipped_count - len(self.skipped)
            out.append(
                Notice(
                    level=NoticeLevel.WARNING,
                    source=NOTICE_SOURCE,
                    message=f"{more} more records skipped",
                    path=self.path,
                )
            )
        return out


Progress = Callable[[int], None]  # called with the number of members read so far


def import_osv(
    path: str | os.PathLike[str],
    db: VulnDb | None = None,
    *,
    source: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import OSV JSON/YAML records from a file, a directory (recursively), a .zip or a
    .tar(.gz). Opens the default database when `db` is None."""
    own = db is None
    target = db if db is not None else VulnDb.open()
    try:
        with target.transaction():
            result = import_into(target, Path(path), source=source, progress=progress)
            target.set_meta("last_import", utcnow().isoformat())
        return result
    finally:
        if own:
            target.close()


def import_into(
    db: VulnDb,
    path: Path,
    *,
    source: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import into `db` inside the caller's transaction."""
    started = time.perf_counter()
    result = ImportResult(path=str(path))
    watermarks: dict[str, str] = {}
    for number, member in enumerate(iter_members(path), start=1):
        if progress is not None and number % 500 == 0:
            progress(number)
        if member.error is not None:
            result.skip(member.name, member.error)
            continue
        try:
            raws = decode(member)
        except RecordDecodeError as exc:
            result.skip(member.name, str(exc))
            continue
        if not raws:
            result.skip(member.name, "holds no records")
        for position, raw in enumerate(raws):
            name = member.name if len(raws) == 1 else f"{member.name}#{position}"
            _import_one(db, raw, name, source, result, watermarks)
    for ecosystem, modified in watermarks.items():
        db.raise_watermark(ecosystem, modified)
    result.seconds = time.perf_counter() - started
    return result


def _import_one(
    db: VulnDb,
    raw: object,
    name: str,
    source: str | None,
    result: ImportResult,
    watermarks: dict[str, str],
) -> None:
    try:
        ident, modified = record_key(raw)
        stored = db.stored_modified(ident)
        if stored is not None and modified < stored[0]:
            result.older += 1
            return
        digest = record_digest(raw)
        if stored is not None and (modified, digest) == stored:
            result.unchanged += 1  # the common case of an update: no need to parse
            return
        record = parse_record(raw, source)
    except (RecordError, RecursionError, ValueError) as exc:
        result.skip(name, str(exc))
        return
    action = db.upsert(record, digest)
    setattr(result, action, getattr(result, action) + 1)
    if record.advisory.withdrawn is not None:
        result.withdrawn += 1
    room = MAX_REPORTED - len(result.warnings)
    result.warnings += [f"{ident}: {w}" for w in record.warnings][: max(room, 0)]
    for ecosystem in {affected.ecosystem for affected in record.advisory.affected}:
        result.ecosystems[ecosystem] += 1
        if modified > watermarks.get(ecosystem, ""):
            watermarks[ecosystem] = modified
