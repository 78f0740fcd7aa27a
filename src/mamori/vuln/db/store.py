"""`VulnDb`: the connection to one advisory database file and its queries.

Writers go through `transaction()` (one SQLite transaction: an import or an update of
one feed either lands whole or not at all). Readers use batched, indexed queries: one
query per ecosystem and batch of names, one per batch of advisory ids.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from mamori.model import Advisory
from mamori.vuln.db.osv import ParsedRecord, index_keys
from mamori.vuln.db.schema import SchemaError, ensure_schema, read_version
from mamori.vuln.paths import default_db_path

BUSY_SECONDS = 60.0  # how long to wait for another process's import to commit
BATCH = 500  # well under SQLite's default limit of bound parameters


class VulnDbError(RuntimeError):
    """The database cannot be opened or read."""


@dataclass(frozen=True)
class StoredAdvisory:
    """An advisory as read back, with the ids it relates to but does not alias.

    `related` holds OSV `related`/`upstream` ids: distro advisories (ALSA, DSA...) list
    the CVEs they fix there. They mark a match as known-exploited but are not merged on.
    """

    advisory: Advisory
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpsertOutcome:
    action: str  # "added", "updated", "unchanged", "older"


def encode(advisory: Advisory) -> bytes:
    return zlib.compress(advisory.model_dump_json(exclude_defaults=True).encode(), 6)


def decode(blob: bytes) -> Advisory:
    return Advisory.model_validate_json(zlib.decompress(blob))


def record_digest(raw: object) -> str:
    """A digest of a decoded source record, the same for its JSON and YAML forms."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _chunks(items: Sequence[str], size: int = BATCH) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class VulnDb:
    """An open advisory database. Use `VulnDb.open(...)` and close it (or `with`)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, readonly: bool) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, readonly: bool = False) -> VulnDb:
        """Open (creating unless `readonly`) the database at `path` or the default one."""
        target = default_db_path(path)
        try:
            if readonly:
                if not target.is_file():
                    raise VulnDbError(f"no advisory database at {target}: run `mamori db update`")
                conn = sqlite3.connect(
                    f"{target.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_SECONDS
                )
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(target, timeout=BUSY_SECONDS)
            conn.isolation_level = None  # explicit BEGIN/COMMIT in transaction()
            if readonly:
                version = read_version(conn)
                if version is None:
                    raise VulnDbError(f"{target} is not an advisory database")
            ensure_schema(conn)
        except (sqlite3.Error, SchemaError, OSError) as exc:
            raise VulnDbError(f"cannot open advisory database {target}: {exc}") from None
        conn.execute("PRAGMA foreign_keys = OFF")
        return cls(conn, target, readonly)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside land together or not at all."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # --- writes (inside a transaction) -------------------------------------------------

    def stored_modified(self, advisory_id: str) -> tuple[str, str] | None:
        """(modified, digest) of the stored record with this id, if any."""
        row = self.conn.execute(
            "SELECT modified, digest FROM advisories WHERE id = ?", (advisory_id,)
        ).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def upsert(self, record: ParsedRecord, digest: str) -> str:
        """Store `record` unless an equal or newer one is there; returns what happened.

        `digest` identifies the source record's content (see `record_digest`).
        """
        advisory = record.advisory
        blob = encode(advisory)
        existing = self.stored_modified(advisory.id)
        action = "added"
        if existing is not None:
            old_modified, old_digest = existing
            if record.modified < old_modified:
                return "older"
            if record.modified == old_modified and digest == old_digest:
                return "unchanged"
            action = "updated"
            self._unindex(advisory.id)
        self.conn.execute(
            "INSERT OR REPLACE INTO advisories (id, modified, withdrawn, source, digest,"
            " related, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                advisory.id,
                record.modified,
                int(advisory.withdrawn is not None),
                advisory.source,
                digest,
                json.dumps(list(record.related)),
                blob,
            ),
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO affected (ecosystem_base, name, ecosystem, advisory_id)"
            " VALUES (?, ?, ?, ?)",
            [(base, name, eco, advisory.id) for base, name, eco in sorted(record.index)],
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO aliases (alias, advisory_id) VALUES (?, ?)",
            [(alias, advisory.id) for alias in advisory.aliases],
        )
        return action

    def _unindex(self, advisory_id: str) -> None:
        """Drop the index rows of the stored version (found from its own data, so the
        index tables need no second index by advisory id)."""
        row = self.conn.execute(
            "SELECT data FROM advisories WHERE id = ?", (advisory_id,)
        ).fetchone()
        old = decode(row[0])
        self.conn.executemany(
            "DELETE FROM affected WHERE ecosystem_base = ? AND name = ? AND ecosystem = ?"
            " AND advisory_id = ?",
            [(*key, advisory_id) for key in index_keys(old)],
        )
        self.conn.executemany(
            "DELETE FROM aliases WHERE alias = ? AND advisory_id = ?",
            [(alias, advisory_id) for alias in old.aliases],
        )

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def feed_state(self, feed: str) -> dict[str, str | None]:
        row = self.conn.execute(
            "SELECT url, etag, last_modified, modified_watermark, checked_at, updated_at"
            " FROM feeds WHERE feed = ?",
            (feed,),
        ).fetchone()
        keys = ("url", "etag", "last_modified", "modified_watermark", "checked_at", "updated_at")
        return dict(zip(keys, row or (None,) * len(keys), strict=True))

    def set_feed_state(self, feed: str, **values: str | None) -> None:
        state = self.feed_state(feed)
        state.update(values)
        self.conn.execute(
            "INSERT OR REPLACE INTO feeds (feed, url, etag, last_modified, modified_watermark,"
            " checked_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (feed, *state.values()),
        )

    def raise_watermark(self, feed: str, modified: str) -> None:
        current = self.feed_state(feed)["modified_watermark"]
        if current is None or modified > current:
            self.set_feed_state(feed, modified_watermark=modified)

    # --- reads ---------------------------------------------------------------------

    def lookup(self, ecosystem_base: str, names: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """For each normalised name: the (ecosystem, advisory id) pairs indexed under it."""
        wanted = sorted(set(names))
        found: dict[str, list[tuple[str, str]]] = {}
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                "SELECT name, ecosystem, advisory_id FROM affected"
                f" WHERE ecosystem_base = ? AND name IN ({marks})",
                (ecosystem_base, *chunk),
            )
            for name, ecosystem, advisory_id in rows:
                found.setdefault(name, []).append((ecosystem, advisory_id))
        return found

    def advisories(self, ids: Iterable[str]) -> dict[str, StoredAdvisory]:
        """The stored advisories with these ids (missing ids are left out)."""
        wanted = sorted(set(ids))
        out: dict[str, StoredAdvisory] = {}
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT id, related, data FROM advisories WHERE id IN ({marks})", tuple(chunk)
            )
            for ident, related, blob in rows:
                out[ident] = StoredAdvisory(decode(blob), tuple(json.loads(related)))
        return out

    def ids_for_alias(self, alias: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT advisory_id FROM aliases WHERE alias = ? UNION"
            " SELECT id FROM advisories WHERE id = ?",
            (alias, alias),
        )
        return sorted(str(r[0]) for r in rows)

    def known_exploited(self, ids: Iterable[str]) -> set[str]:
        """The ids among `ids` that are in the KEV catalogue."""
        wanted = sorted({i for i in ids if i.startswith("CVE-")})
        hits: set[str] = set()
        for chunk in _chunks(wanted):
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(f"SELECT cve FROM kev WHERE cve IN ({marks})", tuple(chunk))
            hits.update(str(r[0]) for r in rows)
        return hits
