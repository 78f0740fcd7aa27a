"""fanotify: file opens, writes and exec opens on the marked mounts or filesystems.

Each event comes with an fd the kernel opened on the file in *this* process; its path is
``readlink /proc/self/fd/N`` and its inode ``fstat``, and the fd is closed right away,
whatever happens (``read`` closes every fd of a batch, even when one fails).

fanotify does not report the open flags. They are approximated from what follows: an
open merged with or followed by FAN_MODIFY / FAN_CLOSE_WRITE is a write (``O_WRONLY``),
one followed by FAN_CLOSE_NOWRITE a read (``O_RDONLY``), an exec open (FAN_OPEN_EXEC)
``O_RDONLY`` plus mamori's marker ``ppm.PPM_O_F_EXEC`` (no Falco name; the kernel's
``__FMODE_EXEC`` 0x20 would read as PPM_O_EXCL). Flags are in Falco's encoding
(``PPM_O_*``, converted by ``sensor.ppm``). An open not
resolved within ``hold`` seconds (a file kept open) is reported without ``flags``.
Events are ``openat`` exits with ``name``, ``flags``, ``dev`` and ``ino``; ``fd`` and
``dirfd`` are unknown. The pid is the thread group, so ``tid`` is the pid.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
import time
from typing import NamedTuple

from mamori.model.events import Param, SyscallEvent
from mamori.sensor.fallback.procinfo import ContextCache
from mamori.sensor.ppm import PPM_O_F_EXEC, open_flags

FAN_MODIFY, FAN_CLOSE_WRITE, FAN_CLOSE_NOWRITE, FAN_OPEN = 0x2, 0x8, 0x10, 0x20
FAN_OPEN_EXEC, FAN_Q_OVERFLOW = 0x1000, 0x4000
FAN_CLOEXEC, FAN_NONBLOCK, FAN_CLASS_NOTIF = 0x1, 0x2, 0x0
FAN_MARK_ADD, FAN_MARK_MOUNT, FAN_MARK_FILESYSTEM = 0x1, 0x10, 0x100
FANOTIFY_METADATA_VERSION = 3
AT_FDCWD = -100
FMODE_EXEC = PPM_O_F_EXEC
_READ, _WRITE_ONLY = open_flags(os.O_RDONLY), open_flags(os.O_WRONLY)
EXEC_OPEN_FLAGS = _READ | FMODE_EXEC
MASK = FAN_OPEN | FAN_OPEN_EXEC | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_CLOSE_NOWRITE
MARKS = {"mount": FAN_MARK_MOUNT, "filesystem": FAN_MARK_FILESYSTEM}
EVENT_TYPES = frozenset({"openat"})

_META = struct.Struct("=IBBHQii")  # event_len, vers, reserved, metadata_len, mask, fd, pid
_WRITE = FAN_MODIFY | FAN_CLOSE_WRITE


class FanEvent(NamedTuple):
    mask: int
    fd: int
    pid: int


def parse(buf: bytes) -> list[FanEvent]:
    """The events of one read(); a malformed length or version ends the walk."""
    out = []
    off = 0
    while off + _META.size <= len(buf):
        length, vers, _, meta_len, mask, fd, pid = _META.unpack_from(buf, off)
        if vers != FANOTIFY_METADATA_VERSION or length < _META.size or meta_len < _META.size:
            break
        out.append(FanEvent(mask, fd, pid))
        off += length
    return out


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fanotify_init.argtypes = [ctypes.c_uint, ctypes.c_uint]
    libc.fanotify_mark.argtypes = [
        ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p,
    ]  # fmt: skip
    return libc


def _check(ret: int, what: str) -> int:
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def open_group() -> int:
    """A notification group: non-blocking, close-on-exec, events opened read-only."""
    flags = os.O_RDONLY | os.O_LARGEFILE | os.O_CLOEXEC | os.O_NONBLOCK
    return _check(
        _libc().fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, flags), "fanotify_init"
    )


def probe() -> tuple[bool, str]:
    try:
        os.close(open_group())
    except OSError as exc:
        return False, f"fanotify: {exc.strerror} (needs CAP_SYS_ADMIN)"
    return True, "fanotify (file open, write, exec)"


class _Pending(NamedTuple):
    ts: int
    params: dict[str, Param]


class FanotifySource:
    """Reads fanotify events on ``paths`` (mount or filesystem marks) as ``openat`` events."""

    name = "fanotify"

    def __init__(
        self,
        cache: ContextCache,
        paths: tuple[str, ...] = ("/",),
        mark: str = "mount",
        hold: float = 0.5,
        max_pending: int = 65536,
    ) -> None:
        if mark not in MARKS:
            raise ValueError(f"fanotify mark must be one of {sorted(MARKS)}")
        self.cache = cache
        self.paths = paths
        self.mark = mark
        self.hold_ns = int(hold * 1e9)
        self.max_pending = max_pending
        self.fd = -1
        self.overflows = 0
        # pid -> files opened for exec since its last exec event: the first is the file
        # execve named (a script, for #!), then its interpreter(s)
        self.exec_opens: dict[int, list[str]] = {}
        self._pending: dict[tuple[int, str], _Pending] = {}
        self._self = 0

    def start(self) -> None:
        self._self = os.getpid()
        fd = open_group()
        libc = _libc()
        try:
            for path in self.paths:
                _check(
                    libc.fanotify_mark(
                        fd, FAN_MARK_ADD | MARKS[self.mark], MASK, AT_FDCWD, os.fsencode(path)
                    ),
                    f"fanotify_mark {path}",
                )
        except OSError:
            os.close(fd)
            raise
        self.fd = fd

    def stop(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self._pending.clear()

    def fileno(self) -> int:
        return self.fd

    def read(self, limit: int) -> list[SyscallEvent]:
        out: list[SyscallEvent] = []
        while self.fd >= 0 and len(out) < limit:
            try:
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not buf:
                break
            now = time.time_ns()
            events = parse(buf)
            try:
                for ev in events:
                    out.extend(self._handle(ev, now))
            finally:
                for ev in events:
                    if ev.fd >= 0:
                        with contextlib.suppress(OSError):
                            os.close(ev.fd)
        return out

    def expire(self, now: int, everything: bool = False) -> list[SyscallEvent]:
        """Opens held longer than ``hold`` (or all): reported with the flags unknown."""
        out = []
        for key, pending in list(self._pending.items()):
            if everything or now - pending.ts >= self.hold_ns:
                del self._pending[key]
                out.append(self._event(pending.ts, key[0], pending.params))
        return out

    def _handle(self, ev: FanEvent, now: int) -> list[SyscallEvent]:
        if ev.mask & FAN_Q_OVERFLOW:
            self.overflows += 1
            return []
        if ev.fd < 0 or ev.pid == self._self:
            return []
        try:
            path = os.readlink(f"/proc/self/fd/{ev.fd}")
            st = os.fstat(ev.fd)
        except OSError:
            return []
        key = (ev.pid, path)
        if ev.mask & FAN_OPEN_EXEC:
            opens = self.exec_opens.setdefault(ev.pid, [])
            if len(opens) < 8:
                opens.append(path)
            if len(self.exec_opens) > self.max_pending:
                del self.exec_opens[next(iter(self.exec_opens))]
            params: dict[str, Param] = {"name": path, "flags": EXEC_OPEN_FLAGS}
            return [self._event(now, ev.pid, {**params, "dev": st.st_dev, "ino": st.st_ino})]
        out = []
        if ev.mask & FAN_OPEN and key not in self._pending:  # a repeated open merges
            params = {"name": path, "dev": st.st_dev, "ino": st.st_ino}
            self._pending[key] = _Pending(now, params)
            if len(self._pending) > self.max_pending:
                out.extend(self.expire(now, everything=True))
        pending = self._pending.get(key)
        if pending is not None and ev.mask & (_WRITE | FAN_CLOSE_NOWRITE):
            del self._pending[key]
            flags = _WRITE_ONLY if ev.mask & _WRITE else _READ
            out.append(self._event(pending.ts, ev.pid, {**pending.params, "flags": flags}))
        return out

    def _event(self, ts: int, pid: int, params: dict[str, Param]) -> SyscallEvent:
        return SyscallEvent(ts, pid, "openat", "<", params, 0, 0, self.cache.get(pid))
