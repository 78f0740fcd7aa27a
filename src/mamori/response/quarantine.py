"""Quarantine a file: move it into a root-only directory, make it unusable, record it.

    q = Quarantine(Path("/var/lib/mamori/quarantine"))
    entry = q.quarantine("/tmp/xmrig", rule="Crypto miner")   # -> LedgerEntry
    q.restore(entry.id)                                         # back, owner and mode too

The file is renamed into the store when both are on one filesystem (atomic: the name
disappears and the content is never copied), else copied (fsync'ed) and unlinked. A
process running the file keeps its mapping; new opens by its old name fail. The stored
copy gets mode 000 in a 0700 root directory; the ledger (``ledger.json`` in the store,
rewritten atomically) records the original path, owner, mode, size, sha256 (of the
stored bytes, read after the move so it is what was quarantined), the rule and the time.

Only regular files are taken (a symlink is refused, never followed), never a file of the
store itself nor the agent's own interpreter; ``restore`` refuses to overwrite a file
that has appeared at the original path since.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from mamori.response.base import ActionError

LEDGER = "ledger.json"
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: str
    original: str
    stored: str
    uid: int
    gid: int
    mode: int
    size: int
    sha256: str
    time: float
    rule: str = ""
    method: str = "rename"


class Quarantine:
    """A quarantine store (created 0700, root-owned, on first use)."""

    def __init__(self, store: Path) -> None:
        self.store = Path(store)
        self._lock = threading.Lock()

    # -- the store ------------------------------------------------------------------
    def _ensure(self) -> None:
        self.store.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(self.store)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            raise ActionError(f"quarantine store {self.store} is not a directory of ours")
        if st.st_mode & 0o077:
            os.chmod(self.store, 0o700)

    def entries(self) -> list[LedgerEntry]:
        try:
            raw = json.loads((self.store / LEDGER).read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ActionError(f"quarantine ledger unreadable: {exc}") from None
        if not isinstance(raw, list):
            raise ActionError(f"quarantine ledger {self.store / LEDGER} is not a list")
        names = set(LedgerEntry.__slots__)
        out = []
        for item in raw:
            try:
                out.append(LedgerEntry(**{k: v for k, v in item.items() if k in names}))
            except (TypeError, AttributeError):  # not an entry: kept out, never fatal
                continue
        return out

    def _save(self, entries: list[LedgerEntry]) -> None:
        tmp = self.store / f".{LEDGER}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump([asdict(e) for e in entries], out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.store / LEDGER)

    # -- actions --------------------------------------------------------------------
    def check(self, path: str) -> os.stat_result:
        """The file's lstat, or ActionError when it must not be quarantined."""
        if not path or not path.startswith("/"):
            raise ActionError(f"{path!r} is not an absolute path")
        real = os.path.realpath(os.path.dirname(path))
        if Path(real).is_relative_to(self.store.resolve()):
            raise ActionError(f"{path} is inside the quarantine store")
        try:
            st = os.lstat(path)
        except OSError as exc:
            raise ActionError(f"{path}: {exc.strerror}") from None
        if not stat.S_ISREG(st.st_mode):
            raise ActionError(f"{path} is not a regular file (symlinks are never followed)")
        with contextlib.suppress(OSError):
            own = os.stat(sys.executable)
            if (own.st_dev, own.st_ino) == (st.st_dev, st.st_ino):
                raise ActionError(f"{path} is the agent's own interpreter")
        return st

    def quarantine(self, path: str, *, rule: str = "") -> LedgerEntry:
        with self._lock:
            st = self.check(path)
            self._ensure()
            ident = uuid.uuid4().hex
            stored = self.store / ident
            method = "rename"
            try:
                os.rename(path, stored)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise ActionError(f"moving {path}: {exc.strerror}") from None
                method = "copy"
                _copy(path, stored, st)
                try:
                    os.unlink(path)
                except OSError as exc2:
                    stored.unlink()
                    raise ActionError(f"removing {path}: {exc2.strerror}") from None
            os.chmod(stored, 0)
            entry = LedgerEntry(
                id=ident, original=path, stored=str(stored), uid=st.st_uid, gid=st.st_gid,
                mode=stat.S_IMODE(st.st_mode), size=st.st_size, sha256=_sha256(stored),
                time=time.time(), rule=rule, method=method,
            )  # fmt: skip
            self._save([*self.entries(), entry])
            return entry

    def restore(self, ident: str) -> LedgerEntry:
        """Put a quarantined file back (owner and mode too) and drop it from the ledger."""
        with self._lock:
            entries = self.entries()
            entry = next((e for e in entries if e.id == ident), None)
            if entry is None:
                raise ActionError(f"no quarantined file {ident!r}")
            if os.path.lexists(entry.original):
                raise ActionError(f"{entry.original} exists again: not overwriting it")
            try:
                os.rename(entry.stored, entry.original)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise ActionError(f"restoring {entry.original}: {exc.strerror}") from None
                _copy(entry.stored, Path(entry.original), os.lstat(entry.stored))
                os.unlink(entry.stored)
            os.chown(entry.original, entry.uid, entry.gid, follow_symlinks=False)
            os.chmod(entry.original, entry.mode)
            self._save([e for e in entries if e.id != ident])
            return entry


def _copy(src: str | Path, dst: Path, expected: os.stat_result) -> None:
    """Copy without following a symlink, checking it is still the file that was looked
    at (same inode), into a new file created with no permissions."""
    try:
        fd_in = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise ActionError(f"opening {src}: {exc.strerror}") from None
    try:
        st = os.fstat(fd_in)
        if (st.st_dev, st.st_ino) != (expected.st_dev, expected.st_ino):
            raise ActionError(f"{src} was replaced while being quarantined")
        fd_out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0)
        try:
            while chunk := os.read(fd_in, _CHUNK):
                os.write(fd_out, chunk)
            os.fsync(fd_out)
        finally:
            os.close(fd_out)
    finally:
        os.close(fd_in)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
