"""Deny exec of listed files through fanotify permission events (FAN_OPEN_EXEC_PERM).

    deny = ExecDeny(["/tmp", "/dev/shm"], deny_paths=["/tmp/*"], deny_sha256=[digest])
    deny.start()              # the kernel now waits for our answer on every exec there
    deny.add_sha256(digest)   # at any time (a per-alert ``deny_exec`` action)
    deny.stop()               # every pending exec is allowed, then the group is closed

A ``FAN_CLASS_CONTENT`` group marks the mounts (or, ``mark="filesystem"``, the whole
filesystems) of the given paths. For every exec open there, the kernel blocks the
exec'ing process until this group writes FAN_ALLOW or FAN_DENY (EPERM for the caller).

Nothing here may hang the host, so three threads split the work:

- the *reader* reads events and files them as pending; it answers at once only what
  needs no I/O (`quick`: the agent's own execs, pid 1's, files whose path is not listed
  and whose content is known not to be);
- the *worker* decides the rest (path globs, then the sha256 of the content, cached by inode,
  size and times) and answers;
- the *watchdog* answers FAN_ALLOW for any event still pending after ``timeout``
  seconds (default 1 s): a slow hash, a stuck worker, a bug.

Every answer goes through one locked ``_answer``, which writes the response and closes
the event's fd exactly once (a later answer for the same event is a no-op, so the worker
and the watchdog can race safely; events are numbered, so a reused fd number never
confuses two events). An exception while deciding is answered FAN_ALLOW. ``stop``
allows everything pending and closes the group; if the agent dies the kernel closes the
group and allows every pending event itself.

Limits, as fanotify's: only exec *opens* are seen (``sh script`` reads the script, and
``ld.so ./binary`` maps it: neither is an exec open); mount marks do not cover other
mounts of the same filesystem (bind mounts, a container's own mounts): use filesystem
marks for those.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import logging
import os
import queue
import select
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from mamori.sensor.fallback.fanotify import AT_FDCWD, FAN_Q_OVERFLOW, parse

log = logging.getLogger(__name__)

FAN_CLASS_CONTENT = 0x04
FAN_CLOEXEC, FAN_NONBLOCK = 0x1, 0x2
FAN_OPEN_EXEC_PERM = 0x00040000
FAN_MARK_ADD, FAN_MARK_REMOVE = 0x1, 0x2
MARKS = {"mount": 0x10, "filesystem": 0x100}
FAN_ALLOW, FAN_DENY = 0x01, 0x02
_RESPONSE = struct.Struct("=iI")
_MAX_HASH = 256 << 20
_CACHE = 4096
_QUEUE = 4096


@dataclass(frozen=True, slots=True)
class ExecDecision:
    """One decided exec (``denied`` False with a ``reason``: matched, but dry-run or
    not decidable; ``timed_out``: the watchdog allowed it)."""

    pid: int
    path: str
    sha256: str
    denied: bool
    reason: str
    latency: float  # seconds from read to answer
    timed_out: bool = False


class _Pending:
    __slots__ = ("fd", "pid", "received")

    def __init__(self, fd: int, pid: int, received: float) -> None:
        self.fd, self.pid, self.received = fd, pid, received


def _key(st: os.stat_result) -> tuple[int, ...]:
    """A file's content identity for the hash cache: a write changes mtime and ctime."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fanotify_init.argtypes = [ctypes.c_uint, ctypes.c_uint]
    libc.fanotify_mark.argtypes = [
        ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p,
    ]  # fmt: skip
    return libc


class ExecDeny:
    """See the module docstring. ``on_decision`` is called (from the worker or the
    watchdog thread) for every exec that matched the deny list or timed out."""

    def __init__(
        self,
        mounts: Iterable[str],
        *,
        deny_paths: Iterable[str] = (),
        deny_sha256: Iterable[str] = (),
        timeout: float = 1.0,
        mark: str = "mount",
        dry_run: bool = False,
        on_decision: Callable[[ExecDecision], None] | None = None,
    ) -> None:
        if mark not in MARKS:
            raise ValueError(f"mark must be one of {sorted(MARKS)}")
        self.mounts = tuple(mounts)
        self.deny_paths: set[str] = set(deny_paths)
        self.deny_sha256: set[str] = {d.lower() for d in deny_sha256}
        self.timeout = timeout
        self.mark = mark
        self.dry_run = dry_run
        self.on_decision = on_decision
        self.fd = -1
        self.events = self.denied = self.timeouts = self.errors = 0
        self._serial = 0
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[int | None] = queue.Queue(_QUEUE)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._hashes: dict[tuple[int, ...], str] = {}
        self._self = os.getpid()

    # -- the deny list ----------------------------------------------------------------
    def add_sha256(self, digest: str) -> None:
        self.deny_sha256.add(digest.lower())

    def add_path(self, pattern: str) -> None:
        self.deny_paths.add(pattern)

    # -- life cycle -------------------------------------------------------------------
    def start(self) -> ExecDeny:
        libc = _libc()
        flags = os.O_RDONLY | os.O_LARGEFILE | os.O_CLOEXEC
        fd = libc.fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, flags)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"fanotify_init: {os.strerror(err)} (needs CAP_SYS_ADMIN)")
        try:
            for path in self.mounts:
                rc = libc.fanotify_mark(fd, FAN_MARK_ADD | MARKS[self.mark], FAN_OPEN_EXEC_PERM,
                                        AT_FDCWD, os.fsencode(path))  # fmt: skip
                if rc < 0:
                    err = ctypes.get_errno()
                    raise OSError(err, f"fanotify_mark {path}: {os.strerror(err)}")
        except OSError:
            os.close(fd)
            raise
        self.fd = fd
        self._stop.clear()
        for name, target in (("reader", self._read_loop), ("worker", self._work_loop),
                             ("watchdog", self._watchdog_loop)):  # fmt: skip
            thread = threading.Thread(target=target, name=f"mamori-exec-deny-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Allow everything pending and close the group. Never waits for a stuck
        decider: its late answer finds nothing pending and is dropped."""
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        for thread in self._threads:  # reader (polls every 0.1 s), worker, watchdog
            thread.join(timeout=1.0 if thread.name.endswith("reader") else 0.2)
        self._threads.clear()
        for serial in list(self._pending):
            self._answer(serial, FAN_ALLOW)
        with self._lock:
            if self.fd >= 0:
                os.close(self.fd)  # the kernel allows anything still unanswered
                self.fd = -1

    def __enter__(self) -> ExecDeny:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- threads ----------------------------------------------------------------------
    def _read_loop(self) -> None:
        try:
            self._read()
        except Exception:
            log.exception("exec deny: the reader failed")
        if not self._stop.is_set():
            self._fail_open()

    def _fail_open(self) -> None:
        """Without a reader nothing would answer the kernel: give up the marks (closing
        the group allows every pending exec and no new one waits for us)."""
        log.error("exec deny: stopped reading; closing the group so that no exec waits")
        for serial in list(self._pending):
            self._answer(serial, FAN_ALLOW)
        with self._lock:
            if self.fd >= 0:
                os.close(self.fd)
                self.fd = -1

    def _read(self) -> None:
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while not self._stop.is_set():
            try:
                if not poller.poll(100):
                    continue
                buf = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            except OSError as exc:
                log.error("exec deny: reading fanotify failed: %s", exc)
                return
            for ev in parse(buf):
                if ev.mask & FAN_Q_OVERFLOW or ev.fd < 0:
                    continue
                self.events += 1
                with self._lock:
                    self._serial += 1
                    serial = self._serial
                    self._pending[serial] = _Pending(ev.fd, ev.pid, time.monotonic())
                if ev.pid == self._self or ev.pid <= 1:
                    self._answer(serial, FAN_ALLOW)
                    continue
                verdict = self.quick(ev.fd)
                if verdict is not None:
                    self._answer(serial, verdict)
                    continue
                try:
                    self._queue.put_nowait(serial)
                except queue.Full:
                    self._answer(serial, FAN_ALLOW)

    def _work_loop(self) -> None:
        while True:
            serial = self._queue.get()
            if serial is None or self._stop.is_set():
                return
            with self._lock:
                pending = self._pending.get(serial)
                # our own reference: the watchdog may answer (and close) the event's fd
                # while we read, and its number may then be reused by another event
                try:
                    own = os.dup(pending.fd) if pending is not None else -1
                except OSError:  # out of fds: cannot look, so allow
                    own = -1
            if pending is None:
                continue  # the watchdog was first
            if own < 0:
                self._answer(serial, FAN_ALLOW)
                continue
            response = FAN_ALLOW
            try:
                response = self.decide(own, pending)
            except Exception:
                self.errors += 1
                log.exception("exec deny: deciding failed; allowing")
            finally:
                os.close(own)
                self._answer(serial, response)

    def _watchdog_loop(self) -> None:
        tick = min(0.05, self.timeout / 4)
        while not self._stop.wait(tick):
            try:
                self._expire()
            except Exception:  # the watchdog must outlive any bug
                log.exception("exec deny: watchdog")

    def _expire(self) -> None:
        limit = time.monotonic() - self.timeout
        with self._lock:
            late = [(s, p) for s, p in self._pending.items() if p.received <= limit]
        for serial, pending in late:
            if self._answer(serial, FAN_ALLOW):
                self.timeouts += 1
                log.warning("exec deny: pid %d's exec not decided in %.2fs: allowed",
                            pending.pid, self.timeout)  # fmt: skip
                waited = time.monotonic() - pending.received
                self._report(
                    ExecDecision(pending.pid, "", "", False, "watchdog timeout", waited, True)
                )

    def _answer(self, serial: int, response: int) -> bool:
        """Write the answer and close the event's fd, once; False if already answered."""
        with self._lock:
            pending = self._pending.pop(serial, None)
            if pending is None:
                return False
            if self.fd < 0:  # the group is closed: the kernel has allowed it
                with contextlib.suppress(OSError):
                    os.close(pending.fd)
                return False
            try:
                os.write(self.fd, _RESPONSE.pack(pending.fd, response))
            except OSError as exc:
                log.error("exec deny: answering pid %d failed: %s", pending.pid, exc)
            finally:
                with contextlib.suppress(OSError):
                    os.close(pending.fd)
        return True

    # -- deciding ---------------------------------------------------------------------
    def quick(self, fd: int) -> int | None:
        """The reader's shortcut for the common case, no I/O beyond a readlink and an
        fstat: FAN_ALLOW when the path is not listed and the content cannot be (no hash
        list, or the file's hash is cached and not listed); None hands the event to the
        worker (anything listed, or a hash to compute). Saves a thread hand-off per exec."""
        try:
            path = os.readlink(f"/proc/self/fd/{fd}")
            if any(fnmatchcase(path, pattern) for pattern in tuple(self.deny_paths)):
                return None
            if not self.deny_sha256:
                return FAN_ALLOW
            st = os.fstat(fd)
        except OSError:
            return None
        digest = self._hashes.get(_key(st))
        return FAN_ALLOW if digest is not None and digest not in self.deny_sha256 else None

    def decide(self, fd: int, pending: _Pending) -> int:
        """FAN_DENY for a listed path or content, else FAN_ALLOW. `fd` is open on the
        file being exec'd (a duplicate of the event's)."""
        path = os.readlink(f"/proc/self/fd/{fd}")
        reason, digest = "", ""
        if any(fnmatchcase(path, pattern) for pattern in tuple(self.deny_paths)):
            reason = "path"
        elif self.deny_sha256:
            digest = self._sha256(fd)
            if digest in self.deny_sha256:
                reason = "sha256"
        if not reason:
            return FAN_ALLOW
        deny = not self.dry_run
        if deny:
            self.denied += 1
        latency = time.monotonic() - pending.received
        why = f"{reason} on the deny list" + ("" if deny else " (dry run: allowed)")
        self._report(ExecDecision(pending.pid, path, digest, deny, why, latency))
        return FAN_DENY if deny else FAN_ALLOW

    def _sha256(self, fd: int) -> str:
        st = os.fstat(fd)
        key = _key(st)
        found = self._hashes.get(key)
        if found is not None:
            return found
        if st.st_size > _MAX_HASH:
            return ""
        digest = hashlib.sha256()
        offset = 0
        while chunk := os.pread(fd, 1 << 20, offset):
            digest.update(chunk)
            offset += len(chunk)
        if len(self._hashes) >= _CACHE:
            self._hashes.pop(next(iter(self._hashes)))
        self._hashes[key] = digest.hexdigest()
        return self._hashes[key]

    def _report(self, decision: ExecDecision) -> None:
        if self.on_decision is None:
            return
        try:
            self.on_decision(decision)
        except Exception:
            log.exception("exec deny: decision callback failed")
