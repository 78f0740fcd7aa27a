"""The advisory database's SQLite schema.

Why a separate SQLite file (stdlib `sqlite3`) rather than the SQLAlchemy store: the
advisory database is a read-mostly artifact of its own. It is bulk-loaded from tens of
thousands of OSV records (one transaction of plain `executemany` calls, no ORM objects),
read with a handful of indexed queries per scan, and can be built once, shipped and
replaced whole as one file. Findings and scan history live in the store; advisories do not.

Tables:
- `advisories`: one row per OSV id, the record as compact JSON (zlib) plus the columns
  needed to upsert (modified, digest) and to filter (withdrawn).
- `affected`: the match index, (ecosystem base, normalised package name) -> advisory id,
  with the full ecosystem string ("Debian:12") for the release filter. Withdrawn
  advisories have no rows here, so they never match.
- `aliases`: alias -> advisory id (find a record by CVE/GHSA id).
- `kev`: CISA's Known Exploited Vulnerabilities catalogue, keyed by CVE.
- `feeds`: per OSV ecosystem (and "kev"): download validators (ETag, Last-Modified)
  and the newest `modified` imported (the watermark).
- `meta`: key/value facts (last update time, the source of the last update).
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS advisories (
    id TEXT PRIMARY KEY,
    modified TEXT NOT NULL,
    withdrawn INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT '',
    digest TEXT NOT NULL,
    related TEXT NOT NULL DEFAULT '[]',
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS affected (
    ecosystem_base TEXT NOT NULL,
    name TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    advisory_id TEXT NOT NULL,
    PRIMARY KEY (ecosystem_base, name, ecosystem, advisory_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS aliases (
    alias TEXT NOT NULL,
    advisory_id TEXT NOT NULL,
    PRIMARY KEY (alias, advisory_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kev (
    cve TEXT PRIMARY KEY,
    vendor TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    date_added TEXT NOT NULL DEFAULT '',
    due_date TEXT NOT NULL DEFAULT '',
    ransomware TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS feeds (
    feed TEXT PRIMARY KEY,
    url TEXT,
    etag TEXT,
    last_modified TEXT,
    modified_watermark TEXT,
    checked_at TEXT,
    updated_at TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""


class SchemaError(RuntimeError):
    """The file is not an advisory database of a version this code can read."""


def read_version(conn: sqlite3.Connection) -> int | None:
    """The schema version stored in `conn`, or None for an empty database."""
    try:
        row = conn.execute("SELECT version FROM schema_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return int(row[0]) if row else None


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables in an empty database; refuse one of another schema version."""
    version = read_version(conn)
    if version == SCHEMA_VERSION:
        return
    if version is not None:
        raise SchemaError(
            f"advisory database has schema version {version}, this mamori reads "
            f"{SCHEMA_VERSION}: delete the file and run `mamori db update` to rebuild it"
        )
    # One transaction: one sync to disk instead of one per statement.
    conn.executescript(
        f"BEGIN;\n{DDL}\nDELETE FROM schema_version;\n"
        f"INSERT INTO schema_version (version) VALUES ({SCHEMA_VERSION});\nCOMMIT;"
    )
