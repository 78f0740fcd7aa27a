"""The agent's per-event plumbing without a kernel: its own events skipped, drops
counted, sinks fed only the asked types, and a thread's container corrected from the
cgroup id live events carry. `CgroupResolver` itself is checked against this process's
real cgroup (/proc/self/cgroup and the cgroup v2 directory's inode are the oracle)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mamori.app.agent import Agent, CgroupResolver, capture_types
from mamori.model.events import SyscallEvent, TaskContext
from mamori.rules.syscall_extract import EventView
from mamori.runtime.connections import CONNECTION_EVENTS
from mamori.runtime.state.containers import detect
from tests.support import need

FULL_ID = "3f" * 32
CGROUP_ID = 424242


class ReplaySensor:
    def __init__(self, batches: list[list[SyscallEvent]]) -> None:
        self.batches = batches

    def start(self) -> ReplaySensor:
        return self

    def poll(self, timeout: float | None = None) -> list[SyscallEvent]:
        return self.batches.pop(0) if self.batches else []

    def stop(self) -> None:
        pass


class KnownCgroups(CgroupResolver):
    def __init__(self, table: dict[int, tuple[str, ...]]) -> None:
        super().__init__(Path("/nonexistent"), None)
        self.table = table

    def lookup(self, cgroup_id: int, pid: int) -> tuple[str, ...] | None:
        return self.table.get(cgroup_id)


def _event(pid: int, kind: str, cgroup_id: int = 1, **params: Any) -> SyscallEvent:
    ctx = TaskContext(pid, 1, 0, 0, 0, -1, "sh", cgroup_id, 0, 0, 0)
    return SyscallEvent(1_000, pid, kind, "<", dict(params), ctx=ctx)


def test_events_flow_to_sinks_and_containers_are_corrected() -> None:
    seen: list[tuple[str, int, str]] = []

    def sink(view: EventView) -> None:
        assert view.thread is not None
        seen.append((view.name, view.thread.pid, view.thread.container_id))

    batch = [
        _event(os.getpid(), "execve", res=0),  # the agent itself: skipped
        SyscallEvent(1_000, 0, "drop", ">", {"drops": 7, "total": 7}),
        _event(4242, "execve", CGROUP_ID, res=0, exe="/bin/sh", args=("-c", "true"), comm="sh"),
        _event(4242, "openat", CGROUP_ID, fd=3, name="/etc/hosts", flags=1),
        _event(4243, "execve", 1, res=0, exe="/bin/true", args=(), comm="true"),
    ]
    cgroups: dict[int, tuple[str, ...]] = {
        CGROUP_ID: (f"unified=/libpod_parent/libpod-{FULL_ID}",),
        1: ("unified=/",),
    }
    agent = Agent(ReplaySensor([batch]), sinks=[sink], sink_types={"execve"}, snapshot=False,
                  cgroups=KnownCgroups(cgroups))  # fmt: skip
    assert agent.poll(0) == len(batch)
    assert (agent.own, agent.drops, agent.events, agent.delivered) == (1, 7, 3, 2)
    assert seen == [("execve", 4242, FULL_ID[:12]), ("execve", 4243, "host")]


def test_capture_types() -> None:
    assert capture_types(None, True) is None  # the sensor's default set
    only = capture_types(["execve"], False)
    assert only is not None and "execve" in only and "procexit" in only
    assert "connect" not in only
    with_map = capture_types(["openat"], True, data=True)
    assert with_map is not None and with_map >= CONNECTION_EVENTS and "sendto" in with_map


def test_cgroup_resolver_on_this_process() -> None:
    resolver = CgroupResolver()
    need(resolver.root is not None, "no cgroup v2 hierarchy mounted")
    assert resolver.root is not None
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    unified = next(line.split(":", 2)[2] for line in lines if line.startswith("0::"))
    inode = (resolver.root / unified.lstrip("/")).stat().st_ino
    found = resolver.lookup(inode, os.getpid())
    assert found is not None and f"unified={unified}" in found
    assert detect(found).id == detect(lines).id
    # a process already gone: found by walking the tree for the directory's inode
    assert CgroupResolver().lookup(inode, 2**22 + 17) == (f"unified={unified}",)
    assert CgroupResolver().lookup(2**62, 2**22 + 17) is None
