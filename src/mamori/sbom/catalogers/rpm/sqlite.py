"""rpm's sqlite database, rpmdb.sqlite (Fedora 33+, RHEL 9, Mariner, Amazon Linux 2023).

The blobs live in `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`. The file is opened
read-only and immutable through the tree's on-disk path, so nothing is ever written next
to the target's database (no -shm, no -wal, no lock). When the target has a non-empty
write-ahead log, or the tree has no on-disk path, the database (and its log) is copied
into a private temporary directory and opened there instead.
"""

from __future__ import annotations

import sqlite3
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from mamori.sbom.catalogers.rpm._io import RpmDbError, Warn
from mamori.sources.tree import Tree, TreeError

MAX_BLOB = 64 * 1024 * 1024
MAX_COPY = 4 * 1024 * 1024 * 1024
SQLITE_MAGIC = b"SQLite format 3\0"


def _uri(path: Path, *, immutable: bool) -> str:
    query = "mode=ro&immutable=1" if immutable else "mode=ro"
    return f"file:{urllib.parse.quote(str(path))}?{query}"


def _copy(tree: Tree, path: str, dest: Path) -> None:
    copied = 0
    with tree.open(path) as src, dest.open("wb") as out:
        while chunk := src.read(1024 * 1024):
            copied += len(chunk)
            if copied > MAX_COPY:
                raise RpmDbError(f"larger than the {MAX_COPY}-byte copy limit")
            out.write(chunk)


@contextmanager
def _connect(tree: Tree, path: str) -> Iterator[sqlite3.Connection]:
    wal = tree.stat(path + "-wal")
    host = tree.host_path(path)
    if host is not None and (wal is None or wal.size == 0):
        with closing(sqlite3.connect(_uri(host, immutable=True), uri=True)) as conn:
            yield conn
        return
    with tempfile.TemporaryDirectory(prefix="mamori-rpmdb-") as tmp:
        copy = Path(tmp) / "rpmdb.sqlite"
        _copy(tree, path, copy)
        if wal is not None and wal.size:
            _copy(tree, path + "-wal", Path(tmp) / "rpmdb.sqlite-wal")
        # Our own copy: sqlite may replay the log into it and write its -shm beside it.
        with closing(sqlite3.connect(copy)) as conn:
            yield conn


def read_sqlite(tree: Tree, path: str, warn: Warn) -> Iterator[tuple[int, bytes]]:
    """(hnum, header blob) for every row of the Packages table."""
    try:
        with tree.open(path) as fh:
            if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                raise RpmDbError("not an sqlite database")
        with _connect(tree, path) as conn:
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA trusted_schema = OFF")
            kind = conn.execute("SELECT type FROM sqlite_master WHERE name = 'Packages'").fetchone()
            if kind is None or kind[0] != "table":
                raise RpmDbError("no Packages table")
            rows = conn.execute(
                "SELECT hnum, CASE WHEN length(blob) <= ? THEN blob END, length(blob)"
                " FROM Packages ORDER BY hnum",
                (MAX_BLOB,),
            )
            for hnum, blob, length in rows:
                if not isinstance(blob, bytes) or not isinstance(hnum, int):
                    warn(f"package {hnum}: blob of {length} bytes skipped")
                    continue
                yield hnum, blob
    except sqlite3.Error as exc:
        raise RpmDbError(f"sqlite: {exc}") from exc
    except (TreeError, OSError) as exc:
        raise RpmDbError(str(exc)) from exc
