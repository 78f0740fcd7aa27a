"""Start-up snapshot of the threads alive when the sensor starts.

The sensor only sees what happens after it attaches; the state engine needs the processes
that already exist (their exe, args, cwd, credentials, cgroups) to give old processes the
same context as new ones. Processes may exit while they are read: each one that vanishes
is skipped, never an error.

``snapshot_threads`` takes them from the BPF task iterator (``snapshot_iter``: one kernel
walk, the live sensor's own values, /proc only for argv/env/paths) when its object loads,
else from /proc alone (``proc_threads``). ``last_snapshot()`` says which was used and why,
for the agent to log; ``MAMORI_SNAPSHOT=iter|proc`` forces one.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mamori.model.events import ThreadInfo
from mamori.sensor.snapshot_fds import snapshot_fds

__all__ = ["SnapshotReport", "last_snapshot", "proc_threads", "snapshot_fds", "snapshot_threads"]

log = logging.getLogger(__name__)

_MAX_ARGS = 64 * 1024


def _read(path: Path, limit: int = _MAX_ARGS) -> bytes:
    with path.open("rb") as fh:
        return fh.read(limit)


def _link(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def _status(raw: str) -> dict[str, str]:
    out = {}
    for line in raw.splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def _ids(value: str) -> list[int]:
    try:
        return [int(v) for v in value.split()]
    except ValueError:
        return []


def _boot_epoch_ns() -> int:
    """Epoch time of boot, to turn /proc/PID/stat start times into timestamps."""
    return time.time_ns() - time.clock_gettime_ns(time.CLOCK_BOOTTIME)


def _cgroups(raw: str) -> tuple[str, ...]:
    """/proc/PID/cgroup lines "ID:controllers:path" -> Falco's "controller=path" list."""
    out = []
    for line in raw.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        controllers = parts[1].split(",") if parts[1] else ["unified"]
        for ctl in controllers:
            out.append(f"{ctl.removeprefix('name=')}={parts[2]}")
    return tuple(out)


def _fdlimit(raw: str) -> int:
    for line in raw.splitlines():
        if line.startswith("Max open files"):
            soft = line[len("Max open files") :].split()[0]
            return int(soft) if soft.isdigit() else 0
    return 0


def _cgroup_id(cgroups: tuple[str, ...], root: Path) -> int:
    """The cgroup v2 id (inode of the unified-hierarchy directory), as eBPF reports it."""
    for entry in cgroups:
        ctl, _, path = entry.partition("=")
        if ctl != "unified":
            continue
        for base in (root / "sys/fs/cgroup/unified", root / "sys/fs/cgroup"):
            try:
                return (base / path.lstrip("/")).stat().st_ino
            except OSError:
                continue
    return 0


def _process(proc: Path, pid: int, boot_ns: int, ticks: int, host_root: Path) -> ThreadInfo:
    base = proc / str(pid)
    stat = _read(base / "stat").decode("utf-8", "replace")
    comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is state (field 3 of stat): ppid 4, pgrp 5, session 6, tty 7, starttime 22
    status = _status(_read(base / "status").decode("utf-8", "replace"))
    uids = _ids(status.get("Uid", ""))
    gids = _ids(status.get("Gid", ""))
    nspid = _ids(status.get("NSpid", ""))
    argv = tuple(
        a.decode("utf-8", "surrogateescape")
        for a in _read(base / "cmdline").rstrip(b"\0").split(b"\0")
        if a or False
    )
    try:
        loginuid = int(_read(base / "loginuid").decode() or -1)
    except (OSError, ValueError):
        loginuid = -1
    try:
        env = tuple(
            e.decode("utf-8", "surrogateescape") for e in _read(base / "environ").split(b"\0") if e
        )
    except OSError:
        env = ()
    cgroups = _cgroups(_read(base / "cgroup").decode("utf-8", "replace"))
    exepath = _link(base / "exe")
    try:
        exe_ino = (base / "exe").stat().st_ino
    except OSError:
        exe_ino = 0
    ns = {n: _link(base / "ns" / n) for n in ("pid", "mnt", "net")}
    extra: dict[str, int | str] = {
        "cgroup_id": _cgroup_id(cgroups, host_root),
        **{f"{n}ns": int(v[v.find("[") + 1 : -1]) for n, v in ns.items() if "[" in v},
    }
    return ThreadInfo(
        tid=pid,
        pid=pid,
        ptid=int(fields[1]),
        comm=comm,
        exe=argv[0] if argv else "",
        exepath=exepath.removesuffix(" (deleted)"),
        args=argv[1:],
        env=env,
        cwd=_link(base / "cwd"),
        uid=uids[0] if uids else -1,
        gid=gids[0] if gids else -1,
        euid=uids[1] if len(uids) > 1 else -1,
        loginuid=loginuid,
        sid=int(fields[3]),
        vpgid=int(fields[2]),
        vtid=nspid[-1] if nspid else pid,
        vpid=nspid[-1] if nspid else pid,
        fdlimit=_fdlimit(_read(base / "limits").decode("utf-8", "replace")),
        tty=int(fields[4]),
        cgroups=cgroups,
        root=_link(base / "root") or "/",
        clone_ts=boot_ns + int(fields[19]) * 1_000_000_000 // ticks,
        exe_ino=exe_ino,
        exe_from_memfd=exepath.startswith("/memfd:"),
        cap_permitted=int(status.get("CapPrm", "0"), 16),
        cap_effective=int(status.get("CapEff", "0"), 16),
        cap_inheritable=int(status.get("CapInh", "0"), 16),
        extra={**extra, "exe_deleted": int(exepath.endswith(" (deleted)"))},
    )


def _pids(proc: Path) -> Iterator[int]:
    try:
        names = os.listdir(proc)
    except OSError:
        return
    for name in names:
        if name.isdigit():
            yield int(name)


def proc_threads(proc: Path = Path("/proc"), pids: Iterable[int] | None = None) -> list[ThreadInfo]:
    """One ThreadInfo per thread of every process alive now (or of ``pids`` only), from
    /proc alone (threads share the process's details with their own tid and comm)."""
    boot_ns = _boot_epoch_ns()
    ticks = os.sysconf("SC_CLK_TCK")
    host_root = Path("/")
    out: list[ThreadInfo] = []
    for pid in _pids(proc) if pids is None else pids:
        try:
            info = _process(proc, pid, boot_ns, ticks, host_root)
        except (OSError, ValueError, IndexError):
            continue  # exited while read, or not readable
        out.append(info)
        try:
            tids = [int(t) for t in os.listdir(proc / str(pid) / "task") if t.isdigit()]
        except OSError:
            continue
        for tid in tids:
            if tid == pid:
                continue
            try:
                raw = _read(proc / str(pid) / "task" / str(tid) / "status")
            except OSError:
                continue
            status = _status(raw.decode("utf-8", "replace"))
            nstid = _ids(status.get("NSpid", ""))
            out.append(
                dataclasses.replace(
                    info,
                    tid=tid,
                    comm=status.get("Name", info.comm),
                    vtid=nstid[-1] if nstid else tid,
                    extra=dict(info.extra),
                )
            )
    return out


def proc_pids(proc: Path = Path("/proc")) -> set[int]:
    """The process ids /proc lists now."""
    return set(_pids(proc))


@dataclass(frozen=True, slots=True)
class SnapshotReport:
    """How the last ``snapshot_threads`` ran: ``method`` is "iter" (BPF task iterator) or
    "proc"; ``reason`` why /proc was used (empty for the iterator)."""

    method: str
    reason: str
    threads: int
    seconds: float
    from_proc: int = 0  # with the iterator: threads of processes it did not visit

    def describe(self) -> str:
        how = "the BPF task iterator" if self.method == "iter" else "/proc"
        if self.from_proc:
            how += f" (+{self.from_proc} it did not visit, read from /proc)"
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.threads} threads from {how} in {self.seconds:.3f} s{why}"


_LAST: list[SnapshotReport] = []
_METHODS = ("auto", "iter", "proc")


def last_snapshot() -> SnapshotReport | None:
    """The report of the last ``snapshot_threads`` call in this process, if any."""
    return _LAST[-1] if _LAST else None


def snapshot_threads(proc: Path = Path("/proc"), method: str | None = None) -> list[ThreadInfo]:
    """One ThreadInfo per thread alive now. ``method``: "auto" (default, or the
    ``MAMORI_SNAPSHOT`` environment variable) tries the BPF task iterator and falls back to
    /proc, saying why in ``last_snapshot()`` and the log; "iter" raises
    ``snapshot_iter.IterUnavailableError`` instead of falling back; "proc" reads /proc only. A
    ``proc`` other than /proc (a test tree) always means /proc reading."""
    if method is None:
        method = os.environ.get("MAMORI_SNAPSHOT", "auto") or "auto"
        if method not in _METHODS:
            log.warning("MAMORI_SNAPSHOT=%r is not one of auto, iter, proc: using auto", method)
            method = "auto"
    elif method not in _METHODS:
        raise ValueError(f"unknown snapshot method {method!r} (auto, iter or proc)")
    started = time.monotonic()
    reason = "asked for" if method == "proc" else "not the host's /proc"
    if method != "proc" and proc == Path("/proc"):
        # imported here: snapshot_iter reuses this module's /proc readers
        from mamori.sensor.snapshot_iter import IterUnavailableError, iter_threads

        try:
            threads = iter_threads()
        except (IterUnavailableError, OSError, ValueError) as exc:
            if method == "iter":
                raise
            reason = f"task iterator unavailable: {exc}"
        else:
            hidden = sum(1 for t in threads if t.extra.get("from_proc"))
            _report("iter", "", threads, started, hidden)
            return threads
    threads = proc_threads(proc)
    _report("proc", reason, threads, started)
    return threads


def _report(
    method: str, reason: str, threads: list[ThreadInfo], started: float, from_proc: int = 0
) -> None:
    report = SnapshotReport(method, reason, len(threads), time.monotonic() - started, from_proc)
    _LAST[:] = [report]
    log.info("start-up snapshot: %s", report.describe())
