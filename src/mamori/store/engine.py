"""Engine setup: SQLite tuned for several writers, PostgreSQL through psycopg 3.

SQLite allows one writer at a time. Two processes saving scans must queue, not fail, so
every SQLite connection gets a busy timeout, WAL journaling (readers never block the
writer) and foreign keys; and a write transaction starts with `BEGIN IMMEDIATE`, taking
the write lock up front. A deferred transaction that reads first and writes later can
meet SQLITE_BUSY on the lock upgrade, which SQLite reports at once without waiting.
"""

from __future__ import annotations

import os
import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import StaticPool

from mamori.store._url import is_sqlite, sqlite_file

BUSY_TIMEOUT_S = 60.0
# Execution option that marks a connection whose transactions will write.
WRITE_OPTION = "mamori_write"


def _prepare_sqlite_file(url: URL) -> None:
    """Create the parent directories and an owner-only database file (findings are sensitive)."""
    path = sqlite_file(url)
    if path is None or path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


def _on_sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Take transaction control from the sqlite3 module: SQLAlchemy's "begin" event issues it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _wal(cursor)
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _wal(cursor: sqlite3.Cursor) -> None:
    """Switch a database to WAL journaling, waiting for other processes.

    On a fresh database the switch needs an exclusive lock, and SQLite may answer
    "database is locked" at once instead of calling the busy handler (two processes
    opening a new store together: tests/store/test_concurrency.py), so it is retried
    here for as long as the busy timeout. Once a database is in WAL mode (persistent)
    the pragma needs no lock."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    pause = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _on_sqlite_begin(conn: Connection) -> None:
    mode = "IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: URL) -> Engine:
    """An engine for `url`; SQLite files are created (with their directories) on first use."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, future=True)
    _prepare_sqlite_file(url)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_S}}
    if sqlite_file(url) is None:
        # One shared connection, or every checkout would see a new empty database.
        kwargs["poolclass"] = StaticPool
        kwargs["connect_args"]["check_same_thread"] = False
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions take SQLite's write lock at BEGIN."""
    return engine.execution_options(**{WRITE_OPTION: True})
