"""Where incremental log readers remember what they have read: cursors in a state file.

A cursor belongs to one *location* (``s3://bucket/AWSLogs/<account>/CloudTrail/<region>/``)
and holds the last object key read there plus the keys already read that share its
delivery minute (`Cursor.seen`; see `mamori.logs.cloudtrail_s3` for why).

Why a JSON file and not a table of mamori's store: a cursor is one reader's bookmark,
not a security record anybody queries; a table would need a schema migration in a
store whose migration tests pin its exact table set, and a watcher would pay for
SQLAlchemy and the store's lock on every object. The file is small (one entry per
account and region) and written atomically (temporary file, fsync, rename), under an
``flock`` on a sibling lock file, re-reading what is on disk first: two readers sharing
the file (two ``watch`` processes on different prefixes) merge instead of overwriting
each other. A state file that is not ours (bad JSON, other shape) is an error, never
silently reset: starting over would re-read, and re-alert on, every object.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

ENV_VAR = "MAMORI_LOG_STATE"
VERSION = 1
MAX_SEEN = 1000
MAX_STATE_BYTES = 64 << 20


class StateError(RuntimeError):
    """The state file cannot be read or written (the message says which and why)."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """The newest key read at a location and the keys of its delivery minute read so far."""

    last_key: str
    seen: tuple[str, ...] = ()


class CursorStore(Protocol):
    """What a reader needs: the cursor of a location, and saving a new one."""

    def load(self, location: str) -> Cursor | None: ...

    def save(self, location: str, cursor: Cursor) -> None: ...

    def flush(self) -> None: ...


class MemoryCursors:
    """Cursors kept in memory only (``--no-state``, tests)."""

    def __init__(self) -> None:
        self.cursors: dict[str, Cursor] = {}

    def load(self, location: str) -> Cursor | None:
        return self.cursors.get(location)

    def save(self, location: str, cursor: Cursor) -> None:
        self.cursors[location] = cursor

    def flush(self) -> None:
        return None


def default_state_path() -> Path:
    """``$MAMORI_LOG_STATE``, else ``<XDG data dir>/mamori/log-cursors.json``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("mamori")) / "log-cursors.json"


class StateFile:
    """Cursors in a JSON file. `save` buffers; the file is written at most every
    `flush_every` seconds and on `flush` (call it before exiting)."""

    def __init__(self, path: Path | None = None, flush_every: float = 1.0) -> None:
        self.path = path or default_state_path()
        self.flush_every = flush_every
        self._pending: dict[str, Cursor] = {}
        self._cache: dict[str, Cursor] | None = None
        self._last_flush = time.monotonic()

    def load(self, location: str) -> Cursor | None:
        if location in self._pending:
            return self._pending[location]
        if self._cache is None:
            self._cache = self._read()
        return self._cache.get(location)

    def save(self, location: str, cursor: Cursor) -> None:
        self._pending[location] = cursor
        if time.monotonic() - self._last_flush >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StateError(f"cannot create {self.path.parent}: {exc.strerror}") from None
        with self._locked():
            merged = self._read()
            merged.update(self._pending)
            self._write(merged)
        self._cache = merged
        self._pending.clear()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            raise StateError(f"cannot lock {lock}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _read(self) -> dict[str, Cursor]:
        try:
            if self.path.stat().st_size > MAX_STATE_BYTES:
                raise StateError(f"{self.path}: larger than {MAX_STATE_BYTES} bytes")
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StateError(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            doc = json.loads(raw)
            return {loc: _cursor(v) for loc, v in doc["cursors"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateError(
                f"{self.path} is not a mamori cursor file ({exc!s:.100}); fix or remove it "
                "(removing it makes the next run read everything again)"
            ) from None

    def _write(self, cursors: dict[str, Cursor]) -> None:
        doc: dict[str, Any] = {
            "version": VERSION,
            "cursors": {
                loc: {"last_key": c.last_key, "seen": list(c.seen[-MAX_SEEN:])}
                for loc, c in sorted(cursors.items())
            },
        }
        data = json.dumps(doc, indent=1, ensure_ascii=False).encode()
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", dir=self.path.parent)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
            tmp = None
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise StateError(f"cannot write {self.path}: {exc.strerror}") from None
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)


def _cursor(value: Any) -> Cursor:
    last, seen = value["last_key"], value.get("seen", [])
    if not isinstance(last, str) or not all(isinstance(s, str) for s in seen):
        raise TypeError("a cursor is a last_key string and a seen list of strings")
    return Cursor(last, tuple(seen))
