"""Flag parameters on the live path: the eBPF sensor converts kernel values to Falco's
encodings, so Falco rules on ``evt.is_open_read`` / ``evt.is_open_write`` and the state
engine's thread detection (PPM_CL_CLONE_THREAD) work through ``mamori agent`` as on a
capture. The oracle is the workload itself: which file it opened how, and its pid."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mamori.app.agent import Agent, capture_types
from mamori.rules import load
from mamori.rules.syscall_extract import EventView
from mamori.sensor import Sensor, ebpf_available
from tests.support import need, need_root

pytestmark = [pytest.mark.root, pytest.mark.slow]

RULES = """
- rule: read open
  desc: a file opened for reading
  condition: evt.type in (open, openat) and evt.is_open_read=true and fd.name={read}
  output: "read pid=%proc.pid tid=%thread.tid flags=%evt.arg.flags"
  priority: WARNING
- rule: write open
  desc: a file opened for writing
  condition: evt.type in (open, openat) and evt.is_open_write=true and fd.name={read}
  output: "write pid=%proc.pid tid=%thread.tid flags=%evt.arg.flags"
  priority: WARNING
- rule: thread open
  desc: a file opened by a thread
  condition: evt.type in (open, openat) and fd.name={thread}
  output: "thread pid=%proc.pid tid=%thread.tid"
  priority: WARNING
"""
CHILD = """
import os, sys, threading, time
path, tpath = sys.argv[1], sys.argv[2]
time.sleep(0.3)
os.close(os.open(path, os.O_RDONLY))
time.sleep(0.1)
os.close(os.open(path, os.O_WRONLY | os.O_TRUNC))
time.sleep(0.1)
seen = []
t = threading.Thread(target=lambda: (os.close(os.open(tpath, os.O_RDONLY)),
                                     seen.append(threading.get_native_id())))
t.start(); t.join()
print(seen[0], flush=True)
"""


def test_open_read_write_rules_and_threads_through_the_agent(tmp_path: Path) -> None:
    need_root()
    ok, detail = ebpf_available()
    need(ok, f"the eBPF sensor cannot load: {detail}")
    target, thread_file = tmp_path / "target.txt", tmp_path / "thread.txt"
    target.write_text("x")
    thread_file.write_text("t")
    ruleset = load([("flags.yaml", RULES.format(read=target, thread=thread_file))])
    assert not ruleset.result.errors, ruleset.result.errors
    alerts: list[str] = []

    def sink(view: EventView) -> None:
        alerts.extend(m.output for m in ruleset.match(view, "syscall"))

    types = capture_types(["open", "openat", "clone", "clone3"], False)
    agent = Agent(Sensor(types), sinks=[sink], snapshot=False).start()
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(target), str(thread_file)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while child.poll() is None and time.monotonic() < deadline:
            agent.poll(0.05)
        for _ in range(6):
            agent.poll(0.05)
    finally:
        agent.stop()
    out, _ = child.communicate(timeout=10)
    assert child.returncode == 0
    thread_tid = int(out.split()[0])
    pid = child.pid
    reads = [a for a in alerts if a.startswith("read ")]
    writes = [a for a in alerts if a.startswith("write ")]
    # exactly the one open for reading, then exactly the one for writing
    assert len(reads) == 1 and reads[0].startswith(f"read pid={pid} tid={pid} "), alerts
    assert "O_RDONLY" in reads[0] and "O_WRONLY" not in reads[0]
    assert len(writes) == 1 and writes[0].startswith(f"write pid={pid} tid={pid} "), alerts
    assert "O_WRONLY" in writes[0] and "O_TRUNC" in writes[0]
    # the thread's events belong to the process: proc.pid is the child's pid
    threads = [a for a in alerts if a.startswith("thread ")]
    assert threads == [f"thread pid={pid} tid={thread_tid}"], alerts
