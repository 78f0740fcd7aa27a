"""Reading a file's state and content safely, as root, on a host an attacker may
control: never through a symlink (every path component is opened with ``O_NOFOLLOW``
below an explicit root, so a container cannot point the walk at the host's files),
never blocking on a FIFO or device (``O_NONBLOCK``, regular files only), never more
than ``max_bytes``. Kernel magic links (``/proc/PID/exe``) are the one thing followed,
and only when asked."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass

MAX_BYTES = 64 << 20
_CHUNK = 1 << 20
_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True, slots=True)
class FileState:
    """What one path was at one moment. ``kind``: file, dir, symlink, other, absent or
    unreadable; ``sha256`` only for a regular file of at most the size limit."""

    kind: str
    sha256: str | None = None
    size: int = 0
    mode: int = 0
    uid: int = -1
    gid: int = -1
    mtime_ns: int = 0
    dev: int = 0
    ino: int = 0

    @property
    def key(self) -> tuple[int, int, int, int]:
        """Identity of this content for caches: (dev, inode, mtime, size)."""
        return (self.dev, self.ino, self.mtime_ns, self.size)

    def describe(self) -> str:
        if self.kind != "file":
            return self.kind
        digest = self.sha256[:12] if self.sha256 else "too-large-to-hash"
        return f"{digest} mode={stat.S_IMODE(self.mode):04o} owner={self.uid}:{self.gid}"


def _from_stat(kind: str, st: os.stat_result, sha256: str | None = None) -> FileState:
    return FileState(kind, sha256, st.st_size, st.st_mode, st.st_uid, st.st_gid,
                     st.st_mtime_ns, st.st_dev, st.st_ino)  # fmt: skip


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def _hash(fd: int, size: int, max_bytes: int) -> str | None:
    """sha256 of an open regular file, or None when it is (or grows) over the limit."""
    if size > max_bytes:
        return None
    digest, read = hashlib.sha256(), 0
    while chunk := os.read(fd, _CHUNK):
        read += len(chunk)
        if read > max_bytes:
            return None
        digest.update(chunk)
    return digest.hexdigest()


def _open(root: str | None, path: str) -> int | FileState:
    """An fd of the final component (not followed), or the state that explains why not.
    ``root`` None: open ``path`` itself, following it (magic links)."""
    if root is None:
        try:
            return os.open(path, _FLAGS & ~os.O_NOFOLLOW)
        except FileNotFoundError:
            return FileState("absent")
        except (OSError, ValueError):
            return FileState("unreadable")
    parts = [p for p in path.split("/") if p and p != "."]
    if not parts or ".." in parts or "\0" in path:
        return FileState("unreadable")
    try:
        dirfd = os.open(root or "/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return FileState("unreadable")
    try:
        for part in parts[:-1]:
            nxt = os.open(part, _DIR_FLAGS, dir_fd=dirfd)
            os.close(dirfd)
            dirfd = nxt
        try:
            return os.open(parts[-1], _FLAGS, dir_fd=dirfd)
        except OSError:  # a symlink (ELOOP), a socket (ENXIO)...: say what it is
            st = os.stat(parts[-1], dir_fd=dirfd, follow_symlinks=False)
            return _from_stat(_kind(st.st_mode), st)
    except FileNotFoundError:
        return FileState("absent")
    except OSError as exc:  # an intermediate symlink is never followed
        return FileState("symlink" if exc.errno in (errno.ELOOP, errno.ENOTDIR) else "unreadable")
    finally:
        os.close(dirfd)


def state_under(root: str | None, path: str, max_bytes: int = MAX_BYTES) -> FileState:
    """The state (and hash) of absolute ``path`` below directory ``root`` (``/`` for the
    host, ``/proc/PID/root`` for a container); ``root`` None follows ``path`` itself."""
    opened = _open(root, path)
    if isinstance(opened, FileState):
        return opened
    try:
        st = os.fstat(opened)
        if not stat.S_ISREG(st.st_mode):
            return _from_stat(_kind(st.st_mode), st)
        return _from_stat("file", st, _hash(opened, st.st_size, max_bytes))
    except OSError:
        return FileState("unreadable")
    finally:
        os.close(opened)


def read_file(root: str | None, path: str, max_bytes: int = MAX_BYTES) -> bytes | None:
    """The content of a regular file of at most ``max_bytes`` (None otherwise), opened as
    `state_under` does."""
    opened = _open(root, path)
    if isinstance(opened, FileState):
        return None
    try:
        st = os.fstat(opened)
        if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
            return None
        chunks, total = [], 0
        while chunk := os.read(opened, _CHUNK):
            total += len(chunk)
            if total > max_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(opened)
