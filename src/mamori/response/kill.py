"""Kill the alert's process, or its whole process tree, through pidfds.

The process is first proven to be the alert's (`procs.check_identity`, after the pidfd
is open so the check and the signal are about the same process). For a tree, every
member is stopped (SIGSTOP) as it is found, so nothing forks while the tree is walked;
a child is only taken once its pidfd is open and its parent is still the member it was
listed under (not reparented, not a reused pid). Then every member gets the signal.
Protected processes (`procs.protected`) are skipped, never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
from typing import Any

from mamori.response.base import ActionError, ResponseContext
from mamori.response.procs import (
    check_identity,
    children,
    open_pidfd,
    protected,
    read_stat,
    send,
    wait_gone,
)

MAX_TREE = 4096
_EXIT_WAIT = 1.0


def target(ctx: ResponseContext) -> str:
    return f"pid {ctx.pid}" + (f" ({ctx.exe_path})" if ctx.exe_path else "")


def kill(
    ctx: ResponseContext, *, tree: bool = False, sig: int = signal.SIGKILL, dry_run: bool = False
) -> tuple[str, dict[str, Any]]:
    """(detail, data); raises ActionError when nothing could be signalled."""
    pid = ctx.pid
    if pid <= 0:
        raise ActionError("the alert names no process")
    pidfd = open_pidfd(pid)
    fds = {pid: pidfd}
    try:
        stat = read_stat(pid)
        why = protected(pid, stat)
        if why:
            raise ActionError(f"refused: {why}")
        check_identity(ctx, stat, pid)
        skipped: list[str] = []
        if tree:
            _collect(pid, fds, skipped, stop=not dry_run)
        members = sorted(fds)
        data: dict[str, Any] = {"pids": members}
        if skipped:
            data["skipped"] = skipped
        name = signal.Signals(sig).name
        if dry_run:
            return f"would send {name} to {len(members)} process(es): {members[:20]}", data
        failed = []
        for member, fd in fds.items():
            try:
                send(fd, member, sig)
                if tree and sig not in (signal.SIGKILL, signal.SIGSTOP):
                    signal.pidfd_send_signal(fd, signal.SIGCONT)  # we stopped it
            except (ActionError, OSError) as exc:
                failed.append(str(exc))
        if len(failed) == len(fds):
            raise ActionError("; ".join(failed))
        exited = sig == signal.SIGKILL and wait_gone(pidfd, _EXIT_WAIT)
        data["failed"] = failed
        detail = f"sent {name} to {len(fds) - len(failed)} process(es)"
        if sig == signal.SIGKILL:
            detail += "; exited" if exited else "; not exited yet"
        return detail, data
    finally:
        for fd in fds.values():
            os.close(fd)


def _collect(root: int, fds: dict[int, int], skipped: list[str], *, stop: bool) -> None:
    """Add every descendant of `root` to `fds` (pid -> pidfd), stopping each first."""
    frontier = [root]
    if stop:
        _stop(fds[root])
    while frontier and len(fds) < MAX_TREE:
        parent = frontier.pop()
        for child in children(parent):
            if child in fds or len(fds) >= MAX_TREE:
                continue
            try:
                fd = open_pidfd(child)
            except ActionError:
                continue  # exited meanwhile
            try:
                stat = read_stat(child)
            except ActionError:
                os.close(fd)
                continue
            why = protected(child, stat)
            if stat.ppid != parent or why:
                os.close(fd)
                if why:
                    skipped.append(why)
                continue
            fds[child] = fd
            if stop:
                _stop(fd)
            frontier.append(child)
    if len(fds) >= MAX_TREE:
        skipped.append(f"tree larger than {MAX_TREE} processes: the rest was not signalled")


def _stop(pidfd: int) -> None:
    with contextlib.suppress(OSError):  # exited: nothing left to fork
        signal.pidfd_send_signal(pidfd, signal.SIGSTOP)
