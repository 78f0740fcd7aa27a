"""Processes an action may touch, and proof that a pid is still the alert's process.

A pid named in an alert can be reused by the time an action runs. Before signalling, the
kill opens a pidfd (which pins *one* process) and then checks, through ``/proc``, that
this process is the one the alert named:

- it started no later than the alert's event (a process born after the event cannot
  have caused it), and at the start time the state engine recorded when one is known
  (within the kernel's clock-tick resolution);
- its executable is the alert's (same inode when known, else the same path).

The signal then goes through the pidfd, so it reaches that process or nobody.

Never touched whatever the caller asks: pid 0 and 1, the agent itself (any of its
threads), and kernel threads (``PF_KTHREAD``, or children of kthreadd, pid 2).
"""

from __future__ import annotations

import os
import select
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from mamori.response.base import ActionError, ResponseContext

PF_KTHREAD = 0x00200000
_TICK_NS = 1_000_000_000 // os.sysconf("SC_CLK_TCK")
_SLACK_NS = 2 * _TICK_NS + 20_000_000  # tick rounding + clock conversion error
PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class ProcStat:
    """The few ``/proc/PID/stat`` fields the checks read."""

    pid: int
    comm: str
    ppid: int
    flags: int
    start_ns: int  # since the epoch (converted from clock ticks since boot)


def _boot_ns() -> int:
    """Boot time in ns since the epoch, from the two clocks (more precise than btime)."""
    return time.time_ns() - time.clock_gettime_ns(time.CLOCK_BOOTTIME)


def read_stat(pid: int, proc: Path = PROC) -> ProcStat:
    """Raises ActionError when the process is gone or the file is not understood."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError as exc:
        raise ActionError(f"pid {pid}: no such process ({exc.strerror})") from None
    close = text.rfind(")")
    fields = text[close + 2 :].split()
    if close < 0 or len(fields) < 20:
        raise ActionError(f"pid {pid}: unreadable /proc stat")
    comm = text[text.find("(") + 1 : close]
    start = _boot_ns() + int(fields[19]) * _TICK_NS
    return ProcStat(pid, comm, int(fields[1]), int(fields[6]), start)


def protected(pid: int, stat: ProcStat | None = None) -> str | None:
    """Why this pid must never be acted on, or None."""
    if pid <= 1:
        return f"pid {pid} is init (or invalid)"
    if pid == os.getpid() or _is_own_thread(pid):
        return "the agent itself"
    if stat is None:
        try:
            stat = read_stat(pid)
        except ActionError:
            return None  # gone: nothing to protect, the action fails on its own
    if pid == 2 or stat.ppid == 2 or stat.flags & PF_KTHREAD:
        return f"pid {pid} ({stat.comm}) is a kernel thread"
    return None


def _is_own_thread(pid: int) -> bool:
    return (PROC / "self" / "task" / str(pid)).exists()


def exe_identity(pid: int, proc: Path = PROC) -> tuple[str, int]:
    """(path, inode) of a process's executable ("" / 0 where unreadable)."""
    try:
        path = os.readlink(proc / str(pid) / "exe").removesuffix(" (deleted)")
    except OSError:
        return "", 0
    try:
        ino = os.stat(proc / str(pid) / "exe").st_ino
    except OSError:
        ino = 0
    return path, ino


def check_identity(ctx: ResponseContext, stat: ProcStat, pid: int) -> None:
    """Raise ActionError when the process at `pid` is not provably the context's."""
    if pid == ctx.pid and not (ctx.event_ts or ctx.start_ts):
        raise ActionError(f"pid {pid}: the alert gives no event or start time to prove the pid")
    if ctx.event_ts and stat.start_ns > ctx.event_ts + _SLACK_NS:
        raise ActionError(
            f"pid {pid} started after the alert's event: the pid was reused, not killing"
        )
    if ctx.start_ts and pid == ctx.pid and abs(stat.start_ns - ctx.start_ts) > _SLACK_NS:
        raise ActionError(
            f"pid {pid} started at {stat.start_ns} ns, the alert's process at "
            f"{ctx.start_ts} ns: the pid was reused"
        )
    if pid != ctx.pid or not (ctx.exe_ino or ctx.exe_path):
        return
    path, ino = exe_identity(pid)
    if ctx.exe_ino and ino and ino != ctx.exe_ino:
        raise ActionError(f"pid {pid} runs inode {ino}, the alert's process ran {ctx.exe_ino}")
    if not ctx.exe_ino and ctx.exe_path and path and path != ctx.exe_path:
        raise ActionError(f"pid {pid} runs {path}, the alert's process ran {ctx.exe_path}")


def open_pidfd(pid: int) -> int:
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:
        raise ActionError(f"pid {pid}: no such process") from None
    except OSError as exc:
        raise ActionError(f"pidfd_open({pid}): {exc.strerror}") from None


def send(pidfd: int, pid: int, sig: int) -> None:
    try:
        signal.pidfd_send_signal(pidfd, sig)
    except ProcessLookupError:
        raise ActionError(f"pid {pid} exited before the signal") from None
    except OSError as exc:
        raise ActionError(f"signal {sig} to pid {pid}: {exc.strerror}") from None


def children(pid: int, proc: Path = PROC) -> list[int]:
    """Direct children of every thread of `pid` (``/proc/PID/task/TID/children``)."""
    out: list[int] = []
    try:
        tasks = os.listdir(proc / str(pid) / "task")
    except OSError:
        return out
    for tid in tasks:
        try:
            text = (proc / str(pid) / "task" / tid / "children").read_text()
        except OSError:
            continue
        out.extend(int(c) for c in text.split())
    return out


def wait_gone(pidfd: int, timeout: float) -> bool:
    """True when the pidfd's process exited within `timeout` (pidfds poll readable on
    exit)."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(int(timeout * 1000)))
