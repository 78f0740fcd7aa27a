"""What /proc/PID still says about a process, for sources that only get a pid.

The proc connector and fanotify report a pid and nothing else; the process's exe, argv,
cwd, credentials and cgroups must be read from /proc afterwards, and a short-lived
process may be gone (or have exec'd again) by then. ``exec_params`` returns what it could
read and the Falco names of what it missed; ``ContextCache`` keeps the last
``TaskContext`` seen per process so that an exit (when /proc is already empty) still
carries who it was.
"""

from __future__ import annotations

import os
from pathlib import Path

from mamori.model.events import Param, TaskContext

_LIMIT = 64 * 1024
_UNSET = 4294967295


def _read(path: str, limit: int = _LIMIT) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(limit)


def _status(pid: int, proc: str) -> dict[str, str]:
    out = {}
    for line in _read(f"{proc}/{pid}/status").decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def _ids(value: str) -> list[int]:
    return [int(v) for v in value.split() if v.isdigit()]


def cgroup_entries(raw: str) -> tuple[str, ...]:
    """/proc/PID/cgroup lines -> Falco's "controller=path" list (cgroup v2: "unified")."""
    out = []
    for line in raw.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for ctl in parts[1].split(",") if parts[1] else ["unified"]:
            out.append(f"{ctl.removeprefix('name=')}={parts[2]}")
    return tuple(out)


def _strings(raw: bytes) -> tuple[str, ...]:
    return tuple(a.decode("utf-8", "surrogateescape") for a in raw.rstrip(b"\0").split(b"\0"))


def exec_params(pid: int, proc: str = "/proc") -> tuple[dict[str, Param], tuple[str, ...]]:
    """Falco execve-exit parameters of ``pid`` as /proc shows them now, and the names of
    those that could not be read (the process exited, or is a zombie)."""
    params: dict[str, Param] = {}
    missed: list[str] = []
    base = f"{proc}/{pid}"
    try:
        argv = _read(f"{base}/cmdline")
        if not argv:
            raise OSError("no cmdline (zombie or kernel thread)")
        words = _strings(argv)
        params["exe"], params["args"] = words[0], words[1:]
    except OSError:
        missed += ["exe", "args"]
    for name, link in (("trusted_exepath", "exe"), ("cwd", "cwd")):
        try:
            params[name] = os.readlink(f"{base}/{link}").removesuffix(" (deleted)")
        except OSError:
            missed.append(name)
    try:
        params["env"] = _strings(_read(f"{base}/environ"))
    except OSError:
        missed.append("env")
    try:
        status = _status(pid, proc)
        params["comm"] = status.get("Name", "")
        params["ptid"] = int(status.get("PPid", "0") or 0)
        uids, gids = _ids(status.get("Uid", "")), _ids(status.get("Gid", ""))
        if len(uids) > 1 and len(gids) > 1:
            params["uid"], params["gid"] = uids[1], gids[1]
        for cap in ("inheritable", "permitted", "effective"):
            params[f"cap_{cap}"] = int(status.get(f"Cap{cap[:3].title()}", "0") or "0", 16)
    except (OSError, ValueError):
        missed += ["comm", "ptid", "uid", "gid"]
    try:
        params["cgroups"] = cgroup_entries(_read(f"{base}/cgroup").decode("utf-8", "replace"))
    except OSError:
        missed.append("cgroups")
    try:
        params["loginuid"] = int(_read(f"{base}/loginuid") or _UNSET)
    except (OSError, ValueError):
        missed.append("loginuid")
    try:
        # after the ")" closing comm: state ppid pgrp session tty_nr ... (proc(5)); tty_nr
        # is the kernel's new_encode_dev form, Falco's encoding of proc.tty
        stat = _read(f"{base}/stat").rsplit(b")", 1)[1].split()
        params["pgid"], params["tty"] = int(stat[2]), int(stat[4])
    except (OSError, ValueError, IndexError):
        missed += ["pgid", "tty"]
    return params, tuple(missed)


def _cgroup_base() -> Path:
    for base in (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup")):
        if (base / "cgroup.controllers").exists():
            return base
    return Path("/sys/fs/cgroup")


class ContextCache:
    """TaskContext per process (thread group), read from /proc once and kept until the
    process execs, changes credentials or exits. Bounded: the oldest entries go first."""

    def __init__(self, proc: str = "/proc", limit: int = 65536) -> None:
        self.proc = proc
        self.limit = limit
        self._by_pid: dict[int, TaskContext] = {}
        self._cgroup_base = _cgroup_base()

    def get(self, pid: int) -> TaskContext | None:
        ctx = self._by_pid.get(pid)
        if ctx is None:
            ctx = self.refresh(pid)
        return ctx

    def refresh(self, pid: int) -> TaskContext | None:
        """Read /proc/PID now; on failure keep (and return) what was known before."""
        try:
            ctx = self._read(pid)
        except (OSError, ValueError, IndexError):
            return self._by_pid.get(pid)
        if len(self._by_pid) >= self.limit:
            del self._by_pid[next(iter(self._by_pid))]
        self._by_pid[pid] = ctx
        return ctx

    def update(self, pid: int, **fields: int | str) -> None:
        ctx = self._by_pid.get(pid)
        if ctx is not None:
            self._by_pid[pid] = ctx._replace(**fields)  # type: ignore[arg-type]

    def inherit(self, child: int, parent: int) -> None:
        """A new process: read it now, or else start it as a copy of its parent (same
        credentials, cgroup and namespaces until it changes them), so a child that
        exits before /proc is read still has a context."""
        if child == parent or self.refresh(child) is not None:
            return
        ctx = self.get(parent)
        if ctx is not None:
            self._by_pid[child] = ctx._replace(pid=child, ppid=parent)

    def forget(self, pid: int) -> TaskContext | None:
        return self._by_pid.pop(pid, None)

    def _read(self, pid: int) -> TaskContext:
        base = f"{self.proc}/{pid}"
        status = _status(pid, self.proc)
        uids, gids = _ids(status["Uid"]), _ids(status["Gid"])
        try:
            loginuid = int(_read(f"{base}/loginuid") or _UNSET)
        except (OSError, ValueError):
            loginuid = _UNSET
        cgroup_id = 0
        for entry in cgroup_entries(_read(f"{base}/cgroup").decode("utf-8", "replace")):
            ctl, _, path = entry.partition("=")
            if ctl == "unified":
                cgroup_id = os.stat(self._cgroup_base / path.lstrip("/")).st_ino
        ns = [os.stat(f"{base}/ns/{n}").st_ino for n in ("pid", "mnt", "net")]
        return TaskContext(
            pid=pid,
            ppid=int(status["PPid"]),
            uid=uids[0],
            gid=gids[0],
            euid=uids[1],
            loginuid=loginuid,
            comm=status.get("Name", ""),
            cgroup_id=cgroup_id,
            pidns=ns[0],
            mntns=ns[1],
            netns=ns[2],
        )
