"""File integrity: real-time change detection on watched paths (drift of the files an
attacker edits for access and persistence), naming the process that changed the file
and the content hash before and after.

The sensor says *who* touched a watched path and *how* (opened for writing, renamed
over, removed, chmod/chown'ed, linked); the monitor then re-reads the file once the
activity has settled (``settle`` seconds after the last touch, or the writer's close)
and compares it with what it knew: a baseline read at start for host paths, the last
state it saw for paths inside containers (read through ``/proc/PID/root``: the first
change of a container path has no "before"). A touch that leaves the file as it was
(an editor opening and quitting) raises nothing.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from mamori.alerts import Alert
from mamori.protect.actor import actor, identity, who
from mamori.protect.hashing import MAX_BYTES, FileState, state_under
from mamori.rules import Priority

log = logging.getLogger(__name__)

DEFAULT_WATCH: tuple[str, ...] = (
    "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers",
    "/etc/sudoers.d/", "/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/", "/etc/crontab",
    "/etc/cron.d/", "/etc/cron.hourly/", "/etc/cron.daily/", "/etc/cron.weekly/",
    "/etc/cron.monthly/", "/var/spool/cron/", "/etc/ld.so.preload", "/etc/pam.d/",
    "/etc/systemd/system/", "/root/.ssh/authorized_keys", "/etc/profile", "/etc/profile.d/",
    "/etc/bash.bashrc", "/root/.bashrc", "/root/.profile",
)  # fmt: skip
"""Paths watched by default; a trailing ``/`` watches everything below a directory."""

RULE = "Watched file changed"
TAGS = ("filesystem", "file_integrity", "mitre_persistence", "mitre_defense_evasion")

# PPM open flags (Falco's encoding, which live events carry): write access, create, trunc
_WRITING = 2 | 4 | 256
_PATH_PARAMS = {
    "rename": ("oldpath", "newpath"), "renameat": ("oldpath", "newpath"),
    "renameat2": ("oldpath", "newpath"), "unlink": ("path",), "unlinkat": ("name",),
    "chmod": ("filename",), "fchmodat": ("filename",), "chown": ("path",),
    "lchown": ("path",), "fchownat": ("pathname",), "symlink": ("linkpath",),
    "symlinkat": ("linkpath",), "link": ("newpath",), "linkat": ("newpath",),
}  # fmt: skip
_OPENS = frozenset({"open", "openat", "openat2", "creat"})
_FD_EVENTS = frozenset({"fchmod", "fchown", "close"})
EVENT_TYPES = frozenset(_PATH_PARAMS) | _OPENS | _FD_EVENTS
"""The event types the monitor needs the sensor to capture."""


@dataclass(frozen=True, slots=True)
class FileChange:
    """One settled change of a watched path."""

    ts: int
    path: str
    change: str  # created, modified, deleted, metadata
    before: FileState | None  # None: not known (first sight of a container path)
    after: FileState
    actor: dict[str, Any]

    def alert(self, hostname: str) -> Alert:
        before = self.before.describe() if self.before else "unknown"
        fields = {
            "fs.path": self.path, "fs.change": self.change,
            "fs.before.sha256": self.before.sha256 if self.before else None,
            "fs.after.sha256": self.after.sha256,
            "fs.before.mode": _mode(self.before), "fs.after.mode": _mode(self.after),
            **self.actor,
        }  # fmt: skip
        output = (
            f"{RULE} (file={self.path} change={self.change} before={before} "
            f"after={self.after.describe()} {who(self.actor)})"
        )
        return Alert(ts=self.ts, rule=RULE, priority=Priority.WARNING, output=output,
                     source="syscall", tags=TAGS, fields=fields, hostname=hostname,
                     identity=identity(self.actor, hostname))  # fmt: skip


def _mode(state: FileState | None) -> str | None:
    return f"{state.mode & 0o7777:04o}" if state and state.kind == "file" else None


@dataclass
class _Pending:
    root: str  # "" for the host, else /proc/PID/root of a process that saw the path
    last: float  # monotonic time of the last touch
    actor: dict[str, Any]
    ts: int


class FileIntegrityMonitor:
    """Watches ``paths`` (files, or directories with a trailing ``/``) on the host and
    in containers. Feed it every event view (`observe`); call `flush` regularly."""

    def __init__(
        self,
        paths: Iterable[str] = DEFAULT_WATCH,
        *,
        settle: float = 0.3,
        max_bytes: int = MAX_BYTES,
        max_files: int = 20_000,
        hostname: str = "",
    ) -> None:
        watched = [p for p in paths if p.startswith("/")]
        self.files = frozenset(p for p in watched if not p.endswith("/"))
        self.dirs = tuple(p for p in watched if p.endswith("/"))
        self.settle = settle
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.hostname = hostname
        self.known: dict[tuple[str, str], FileState] = {}  # (container, path) -> state
        self.pending: dict[tuple[str, str], _Pending] = {}
        self.skipped = 0  # paths over max_files, not baselined
        self.errors = 0  # events the monitor failed on (logged)

    def watched(self, path: str) -> bool:
        return path in self.files or path.startswith(self.dirs)

    def baseline(self) -> int:
        """Read every watched host path now; returns how many were recorded."""
        for path in self._host_paths():
            if len(self.known) >= self.max_files:
                self.skipped += 1
                continue
            self.known[("host", path)] = state_under("/", path, self.max_bytes)
        return len(self.known)

    def _host_paths(self) -> Iterator[str]:
        yield from sorted(self.files)
        for top in self.dirs:
            for base, dirs, names in os.walk(top, followlinks=False):
                dirs.sort()
                for name in sorted(names):
                    yield os.path.join(base, name)

    # -- events -------------------------------------------------------------------------
    def observe(self, view: Any) -> None:
        """Note the watched paths one event touched (cheap: no file is read here)."""
        name = view.name
        if name not in EVENT_TYPES:
            return
        try:
            self._observe(view, name)
        except Exception:  # protection must never stop the agent's loop: count it
            self.errors += 1
            log.exception("file integrity: event %s not understood", name)

    def _observe(self, view: Any, name: str) -> None:
        res = view.params.get("fd" if name in _OPENS else "res")
        if isinstance(res, int) and res < 0:
            return
        for path in self._touched(view, name):
            if self.watched(path):
                self._touch(view, path, refresh_only=name == "close")

    def _touched(self, view: Any, name: str) -> list[str]:
        params = view.params
        if name in _OPENS:
            flags = params.get("flags")
            if name != "creat" and not (isinstance(flags, int) and flags & _WRITING):
                return []
            keys: tuple[str, ...] = ("name",)
        elif name in _FD_EVENTS:
            fd = view.fd
            return [fd.name] if fd is not None and isinstance(fd.name, str) else []
        else:
            keys = _PATH_PARAMS[name]
        return [p for k in keys if isinstance(p := params.get(k), str) and p.startswith("/")]

    def _touch(self, view: Any, path: str, *, refresh_only: bool) -> None:
        thread = view.thread
        container = getattr(thread, "container_id", "host") or "host"
        key = (container, path)
        if refresh_only:  # a close: the writer is done, settle from now
            entry = self.pending.get(key)
            if entry is not None:
                entry.last = time.monotonic()
            return
        pid = getattr(thread, "pid", 0)
        root = "" if container == "host" else f"/proc/{pid}/root"
        # the latest toucher is the one named (a rename over the file comes last)
        self.pending[key] = _Pending(root, time.monotonic(), actor(view), view.ts)

    # -- results ------------------------------------------------------------------------
    def flush(self, *, force: bool = False) -> list[Alert]:
        """Alerts for the paths whose activity has settled (all pending with ``force``)."""
        return [c.alert(self.hostname) for c in self.changes(force=force)]

    def changes(self, *, force: bool = False) -> list[FileChange]:
        now = time.monotonic()
        out: list[FileChange] = []
        for key, entry in list(self.pending.items()):
            if not force and now - entry.last < self.settle:
                continue
            del self.pending[key]
            after = state_under(entry.root or "/", key[1], self.max_bytes)
            path = key[1]
            before = self.known.get(key)
            if len(self.known) < self.max_files or key in self.known:
                self.known[key] = after
            change = _change(before, after)
            if change is not None:
                out.append(FileChange(entry.ts, path, change, before, after, entry.actor))
        return out


def _change(before: FileState | None, after: FileState) -> str | None:
    if before is None:
        return "deleted" if after.kind == "absent" else "modified"
    if before.kind == "absent":
        return None if after.kind == "absent" else "created"
    if after.kind == "absent":
        return "deleted"
    if (before.kind, before.sha256, before.size) != (after.kind, after.sha256, after.size):
        return "modified"
    if (before.mode, before.uid, before.gid) != (after.mode, after.uid, after.gid):
        return "metadata"
    return None
