"""Forensic captures: on an alert, the events around it written as a ``.scap`` file.

The agent keeps the events it processed in a rolling buffer (`EventBuffer`, bounded by
``max_events`` and by ``seconds``). When a rule fires, `Forensics.trigger` starts a
capture of the affected *group*: the alerting process's container when it runs in one,
else the process tree under its ancestor ``tree_levels`` up (never init, pid 1). The
capture gets the group's events from ``seconds`` before the alert out of the buffer at
once, then its live events until ``seconds`` after, and is then closed and renamed from
``NAME.scap.partial`` to ``NAME.scap``: a file with that name is always complete. The
alert links the final path; `mamori replay` reads it (it is sysdig's format).

What the file holds, in libscap's format (written by `mamori.captures.scap.ScapWriter`):
the machine block; the process list and fds of the group's live processes and their
ancestors *as the state engine has them at the alert* (a capture taken after the fact:
earlier execs in the window are replayed over them, and processes that exited before
the alert come back through their clone/execve events when those are in the window);
the host's users and groups of those processes; for a container, a ``container`` event
with its metadata and ``user_added``/``group_added`` events with its users; then the
events, in order.

Bounds: the buffer (``max_events``, default 100 000: ~60 MB at the agent's typical
events; see docs/agent.md), at most ``max_pending`` captures open at once (a further
alert in the same group joins the open capture; in another group it gets none, counted
in ``skipped``), at most ``max_capture_events`` events per file, at most ``keep`` files
in the directory (the oldest are removed).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections import deque
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from mamori.captures.scap import EVENTS, ScapWriter, newest_code
from mamori.captures.scap.events import FIXED_SIZES, SIGNED_TYPES, EventInfo
from mamori.model.events import FdInfo, SyscallEvent, ThreadInfo
from mamori.runtime.state import StateEngine
from mamori.runtime.state.containers import HOST
from mamori.runtime.state.model import FdState, ThreadState

log = logging.getLogger(__name__)
_NS = 1_000_000_000
_CONTAINER_JSON = 324  # "container" event, json:s (large payload), as Falco writes it
_USER_ADDED, _GROUP_ADDED = 354, 358
_CONTAINER_TYPES = {"docker": 0, "lxc": 1, "libvirt-lxc": 2, "mesos": 3, "rkt": 4, "custom": 5,
                    "cri-o": 7, "containerd": 8, "cri": 9, "bpm": 10, "podman": 11}  # fmt: skip
_MAX_DEPTH = 64


@cache
def _code(name: str, direction: str) -> int | None:
    try:
        return newest_code(name, direction)
    except KeyError:
        return None


# One buffered event: the event, its process id, parent id, thread id, container and
# cgroups (a reference to the thread's tuple: live clone/exec events carry none).
Entry = tuple[SyscallEvent, int, int, int, str, tuple[str, ...]]


def event_values(event: SyscallEvent, info: EventInfo, cgroups: tuple[str, ...] = ()) -> list[Any]:
    """`event`'s parameters in the order of the table entry `info`, ready for
    `ScapWriter.event`: missing ones empty (None), ``cgroups`` filled from the thread
    when the live event has none, and unsigned values of signed wire types (a live
    ``loginuid`` of 4294967295) wrapped to the signed value libscap would hold."""
    params = event.params
    values: list[Any] = []
    for p in info.params:
        value = params.get(p.name)
        if value is None and p.name == "cgroups" and cgroups:
            value = cgroups
        elif isinstance(value, int) and p.type in SIGNED_TYPES:
            bits = 8 * FIXED_SIZES.get(p.type, 8)
            value %= 1 << bits
            if value >= 1 << (bits - 1):
                value -= 1 << bits
        values.append(value)
    while values and values[-1] is None:
        values.pop()
    return values


class EventBuffer:
    """The recent events (bounded by count and by age)."""

    def __init__(self, max_events: int = 100_000, seconds: float = 10.0) -> None:
        self.max_events = max(1, max_events)
        self.window = int(seconds * _NS)
        self.entries: deque[Entry] = deque(maxlen=self.max_events)

    def add(self, entry: Entry) -> None:
        entries = self.entries
        entries.append(entry)
        oldest = entry[0].ts - self.window
        while entries[0][0].ts < oldest:
            entries.popleft()

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(slots=True)
class _Capture:
    key: str  # "container:<id>" or "tree:<pid>"
    path: Path
    partial: Path
    out: BinaryIO
    writer: ScapWriter
    end: int  # ns: events after this close the capture
    container: str | None
    members: set[int] = field(default_factory=set)
    events: int = 0
    unencodable: int = 0

    def wants(self, pid: int, ptid: int, tid: int, cid: str) -> bool:
        if self.container is not None:
            return cid == self.container
        if pid in self.members or ptid in self.members:
            self.members.add(pid)
            self.members.add(tid)
            return True
        return False


class Forensics:
    """Rolling buffer + captures on alerts (see the module docstring)."""

    def __init__(
        self,
        directory: str | Path,
        *,
        seconds: float = 5.0,
        max_events: int = 100_000,
        max_pending: int = 8,
        max_capture_events: int = 50_000,
        keep: int = 200,
        tree_levels: int = 2,
        hostname: str = "",
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.seconds = seconds
        self.buffer = EventBuffer(max_events, seconds)
        self.max_pending = max_pending
        self.max_capture_events = max_capture_events
        self.keep = keep
        self.tree_levels = max(0, tree_levels)
        self.hostname = hostname
        self.pending: dict[str, _Capture] = {}
        self.written = self.skipped = self.errors = 0

    # -- the event path ---------------------------------------------------------------
    def record(self, event: SyscallEvent, thread: ThreadState) -> None:
        """Buffer one processed event and feed the open captures (call for each)."""
        entry = (event, thread.pid, thread.ptid, thread.tid, thread.container_id,
                 thread.cgroups)  # fmt: skip
        self.buffer.add(entry)
        if self.pending:
            for capture in list(self.pending.values()):
                if event.ts > capture.end:
                    self._finish(capture)
                elif capture.wants(thread.pid, thread.ptid, thread.tid, thread.container_id):
                    self._write(capture, event, thread.cgroups)

    def tick(self, now: int | None = None) -> None:
        """Close the captures whose window has passed (call when no events come)."""
        now = time.time_ns() if now is None else now
        for capture in list(self.pending.values()):
            if now > capture.end:
                self._finish(capture)

    def close(self) -> None:
        """Close every open capture with what it has."""
        for capture in list(self.pending.values()):
            self._finish(capture)

    # -- alerts -----------------------------------------------------------------------
    def trigger(self, engine: StateEngine, thread: ThreadState, ts: int, rule: str) -> str | None:
        """Start (or join) the capture of `thread`'s group for an alert at `ts`; returns
        the path the capture will have, or None when none can be taken."""
        container = thread.container_id if thread.container_id != HOST else None
        root = None if container is not None else self._tree_root(engine, thread)
        key = f"container:{container}" if container is not None else f"tree:{root}"
        found = self.pending.get(key)
        if found is not None:
            return str(found.path)
        if len(self.pending) >= self.max_pending:
            self.skipped += 1
            if self.skipped == 1 or self.skipped % 100 == 0:
                log.warning("forensics: %d captures open, %d alerts without one",
                            len(self.pending), self.skipped)  # fmt: skip
            return None
        try:
            capture = self._open(engine, thread, ts, rule, key, container, root)
        except OSError as exc:
            self.errors += 1
            log.warning("forensics: cannot write a capture in %s: %s", self.directory, exc)
            return None
        self.pending[key] = capture
        return str(capture.path)

    def _tree_root(self, engine: StateEngine, thread: ThreadState) -> int:
        main = engine.main_thread(thread)
        for _ in range(self.tree_levels):
            parent = engine.parent(main)
            if parent is None or parent.pid <= 1 or parent.pid == os.getpid():
                break
            main = engine.main_thread(parent)
        return main.pid

    def _open(self, engine: StateEngine, thread: ThreadState, ts: int, rule: str, key: str,
              container: str | None, root: int | None) -> _Capture:  # fmt: skip
        slug = re.sub(r"[^A-Za-z0-9]+", "-", rule).strip("-")[:48].lower() or "alert"
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ts // _NS))
        path = self.directory / f"mamori-{stamp}.{ts % _NS:09d}-{slug}-{thread.pid}.scap"
        partial = path.with_name(path.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        out = os.fdopen(fd, "wb", buffering=1 << 16)
        writer = ScapWriter(out)
        members = self._members(engine, root) if root is not None else set()
        capture = _Capture(key, path, partial, out, writer, ts + int(self.seconds * _NS),
                           container, members)  # fmt: skip
        threads = [t for t in engine.threads if capture.wants(t.pid, t.ptid, t.tid,
                                                               t.container_id)]  # fmt: skip
        threads = self._with_ancestors(engine, threads)
        writer.machine(self.hostname or "mamori", os.cpu_count() or 1)
        writer.threads([_thread_info(t) for t in threads])
        for t in threads:
            if t.tid == t.pid and t.fds:
                writer.fds(t.pid, [_fd_info(t.pid, f) for f in t.fds.values()])
        self._write_users(engine, writer, threads, container, ts)
        start = ts - int(self.seconds * _NS)
        for event, pid, ptid, tid, cid, cgroups in self.buffer.entries:
            if event.ts >= start and capture.wants(pid, ptid, tid, cid):
                self._write(capture, event, cgroups)
        return capture

    @staticmethod
    def _members(engine: StateEngine, root: int) -> set[int]:
        """The tids and pids of `root` and every live descendant of it."""
        inside: dict[int, bool] = {root: True}

        def under(t: ThreadState) -> bool:
            chain: list[int] = []
            current: ThreadState | None = t
            verdict = False
            while current is not None and len(chain) < _MAX_DEPTH:
                known = inside.get(current.pid)
                if known is not None:
                    verdict = known
                    break
                chain.append(current.pid)
                current = engine.parent(engine.main_thread(current))
            for pid in chain:
                inside[pid] = verdict
            return verdict

        members = {root}
        for t in list(engine.threads):
            if under(t):
                members.update((t.pid, t.tid))
        return members

    @staticmethod
    def _with_ancestors(engine: StateEngine, threads: list[ThreadState]) -> list[ThreadState]:
        seen = {t.tid for t in threads}
        out = list(threads)
        for t in threads:
            parent = engine.parent(engine.main_thread(t))
            depth = 0
            while parent is not None and parent.tid not in seen and depth < _MAX_DEPTH:
                seen.add(parent.tid)
                out.append(parent)
                parent = engine.parent(engine.main_thread(parent))
                depth += 1
        return out

    def _write_users(self, engine: StateEngine, writer: ScapWriter, threads: list[ThreadState],
                     container: str | None, ts: int) -> None:  # fmt: skip
        users, groups = {}, {}
        for t in threads:
            where = t.container_id
            user, group = engine.users.user(t.uid, where), engine.users.group(t.gid, where)
            if user is not None:
                users[(where, user.uid)] = user
            if group is not None:
                groups[(where, group.gid)] = group
        writer.users([(u.uid, u.gid, u.name, u.homedir, u.shell)
                      for (w, _), u in users.items() if w == HOST],
                     [(g.gid, g.name) for (w, _), g in groups.items() if w == HOST])  # fmt: skip
        at = ts - int(self.seconds * _NS) - 1  # before every event of the window
        if container is not None:
            info = engine.containers.get(container)
            if info is not None:
                doc = {"container": {
                    "id": info.id, "type": _CONTAINER_TYPES.get(info.type, 5), "name": info.name,
                    "image": info.image, "imageid": info.image_id,
                    "imagerepo": info.image_repository, "imagetag": info.image_tag,
                    "imagedigest": info.image_digest, "ip": info.ip,
                    "privileged": info.privileged, "labels": info.labels,
                    "Mounts": list(info.mounts)}}  # fmt: skip
                writer.event(at, -1, _CONTAINER_JSON, [json.dumps(doc)])
        for (where, _), u in users.items():
            if where != HOST:
                writer.event(at, -1, _USER_ADDED, [u.uid, u.gid, u.name, u.homedir, u.shell,
                                                   where])  # fmt: skip
        for (where, _), g in groups.items():
            if where != HOST:
                writer.event(at, -1, _GROUP_ADDED, [g.gid, g.name, where])

    # -- writing ----------------------------------------------------------------------
    def _write(self, capture: _Capture, event: SyscallEvent, cgroups: tuple[str, ...]) -> None:
        if capture.events >= self.max_capture_events:
            return
        code = _code(event.name, event.dir)
        if code is None:
            capture.unencodable += 1
            return
        values = event_values(event, EVENTS[code], cgroups)
        try:
            capture.writer.event(event.ts, event.tid, code, values, event.cpu)
        except (TypeError, ValueError, OverflowError, OSError) as exc:
            capture.unencodable += 1
            if capture.unencodable == 1:
                log.debug("forensics: %s %s not written: %s", event.dir, event.name, exc)
            return
        capture.events += 1

    def _finish(self, capture: _Capture) -> None:
        self.pending.pop(capture.key, None)
        try:
            capture.out.close()
            os.replace(capture.partial, capture.path)
            self.written += 1
        except OSError as exc:
            self.errors += 1
            log.warning("forensics: capture %s not completed: %s", capture.path, exc)
            return
        self._prune()

    def _prune(self) -> None:
        try:
            files = sorted(self.directory.glob("mamori-*.scap"), key=lambda p: p.stat().st_mtime)
        except OSError:
            return
        for old in files[: max(0, len(files) - self.keep)]:
            with contextlib.suppress(OSError):
                old.unlink()


def _thread_info(t: ThreadState) -> ThreadInfo:
    return ThreadInfo(
        tid=t.tid, pid=t.pid, ptid=t.ptid, comm=t.comm, exe=t.exe, exepath=t.exepath,
        args=t.args, env=t.env, cwd=t.cwd, uid=t.uid, gid=t.gid, euid=t.euid,
        loginuid=t.loginuid, sid=t.sid, vpgid=t.vpgid, vtid=t.vtid, vpid=t.vpid,
        fdlimit=t.fdlimit, tty=t.tty, cgroups=t.cgroups, root=t.root, clone_ts=t.clone_ts,
    )  # fmt: skip


def _fd_info(pid: int, f: FdState) -> FdInfo:
    return FdInfo(pid, f.fd, f.type, f.name, f.tuple, f.local, f.flags, f.ino, f.dev)
