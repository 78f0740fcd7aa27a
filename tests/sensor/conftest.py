"""A live eBPF sensor for the module, and helpers that run a workload and collect exactly
the events of the processes it started (the host is shared: everything else is noise)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mamori.model.events import SyscallEvent
from mamori.sensor import EVENT_TYPES, Sensor
from mamori.sensor.sensor import BTF_PATH, object_path
from tests.support import ROOT, need, need_root, need_tool


def need_sensor() -> None:
    need_root()
    need(BTF_PATH.exists(), "the kernel has no BTF (/sys/kernel/btf/vmlinux)")
    need_tool("clang")
    need_tool("bpftool")
    subprocess.run([str(ROOT / "scripts" / "build-bpf")], check=True, capture_output=True)
    need(object_path().exists(), "sensor.bpf.o was not built")


@dataclass
class Capture:
    """Events of one process tree, in order."""

    root: int
    events: list[SyscallEvent] = field(default_factory=list)

    def of(self, name: str, pid: int | None = None) -> list[SyscallEvent]:
        return [
            e
            for e in self.events
            if e.name == name and (pid is None or (e.ctx is not None and e.ctx.pid == pid))
        ]

    def one(self, name: str, pid: int | None = None) -> SyscallEvent:
        found = self.of(name, pid)
        assert len(found) == 1, f"{len(found)} {name} events: {found}"
        return found[0]

    @property
    def pids(self) -> set[int]:
        return {e.ctx.pid for e in self.events if e.ctx is not None}


def run_captured(
    sensor: Sensor, argv: Sequence[str], timeout: float = 10.0, **kwargs: object
) -> tuple[Capture, subprocess.CompletedProcess[bytes]]:
    """Run argv to completion and gather the events of it and its descendants, until the
    root's procexit (and those of the children seen) arrived."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)  # type: ignore[call-overload]
    out, err = proc.communicate(timeout=timeout)
    done = subprocess.CompletedProcess(argv, proc.returncode, out, err)
    seen: list[SyscallEvent] = []
    deadline = time.monotonic() + timeout
    capture = Capture(proc.pid)
    while time.monotonic() < deadline:
        seen.extend(e for e in sensor.poll(0.05) if e.ctx is not None)
        capture.events = _tree(proc.pid, seen)
        exited = {
            e.ctx.pid
            for e in capture.events
            if e.name == "procexit" and e.ctx and e.tid == e.ctx.pid
        }
        if proc.pid in exited and capture.pids <= exited:
            break
    return capture, done


def _tree(root: int, events: list[SyscallEvent]) -> list[SyscallEvent]:
    """Events of root and its descendants (by parent pid, to a fixpoint: a vfork child's
    events arrive before its parent's clone exit)."""
    tree = {root}
    grew = True
    while grew:
        grew = False
        for e in events:
            assert e.ctx is not None
            if e.ctx.pid not in tree and e.ctx.ppid in tree:
                tree.add(e.ctx.pid)
                grew = True
    return [e for e in events if e.ctx is not None and e.ctx.pid in tree]


@pytest.fixture(scope="module")
def sensor() -> Iterator[Sensor]:
    need_sensor()
    with Sensor(EVENT_TYPES) as s:
        yield s


@pytest.fixture(scope="module")
def tmp_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sensor")
