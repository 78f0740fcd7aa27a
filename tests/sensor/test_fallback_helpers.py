"""Helpers for the fallback sensor tests: run a workload under a live fallback sensor and
keep exactly the events of the processes it started (the host is shared)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from mamori.model.events import SyscallEvent
from mamori.sensor.fallback import FallbackSensor


@dataclass
class Seen:
    root: int
    events: list[SyscallEvent] = field(default_factory=list)
    tree: set[int] = field(default_factory=set)

    def of(self, name: str, pid: int | None = None) -> list[SyscallEvent]:
        return [e for e in self.events if e.name == name and (pid is None or e.tid == pid)]

    def one(self, name: str, pid: int | None = None) -> SyscallEvent:
        found = self.of(name, pid)
        assert len(found) == 1, f"{len(found)} {name} events of {pid}: {found}"
        return found[0]


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def run_seen(
    sensor: FallbackSensor, argv: Sequence[str], settle: float = 0.6, timeout: float = 15.0,
    **kwargs: object,
) -> tuple[Seen, subprocess.CompletedProcess[bytes]]:  # fmt: skip
    """Run argv, polling while it runs, then ``settle`` seconds more (the reorder delay
    and audit's thread); keep the events of its process tree (clone links, and audit's
    parent pids)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)  # type: ignore[call-overload]
    events: list[SyscallEvent] = []
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        events.extend(sensor.poll(0.02))
    out, err = proc.communicate(timeout=timeout)
    end = time.monotonic() + settle
    while time.monotonic() < end:
        events.extend(sensor.poll(0.05))
    seen = Seen(proc.pid, tree={proc.pid})
    grew = True
    while grew:
        grew = False
        for e in events:
            child = e.params.get("res") if e.name == "clone" else None
            if e.name.startswith("execve") and e.params.get("ptid") in seen.tree:
                child = e.tid
            fresh = isinstance(child, int) and child > 0 and child not in seen.tree
            if fresh and (e.name != "clone" or e.params.get("pid") in seen.tree):
                seen.tree.add(child)  # type: ignore[arg-type]
                grew = True
    seen.events = [e for e in events if e.tid in seen.tree]
    return seen, subprocess.CompletedProcess(argv, proc.returncode, out, err)
