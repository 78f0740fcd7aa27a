"""The context the agent will hand the responder, built from live event views
(`ResponseContext.from_view`), is good enough for the kill's identity checks: a process
exec'd while the eBPF agent runs, and one that was already running at its start (known
from the /proc snapshot), are killed through the responder; the connect's destination
reaches the context."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mamori.app.agent import LIFECYCLE_EVENTS, Agent
from mamori.response import Responder, ResponseContext, parse_policy
from mamori.rules.syscall_extract import EventView
from mamori.sensor import Sensor, ebpf_available
from tests.response.conftest import RULE, alert
from tests.support import need, need_root

pytestmark = [pytest.mark.root, pytest.mark.slow]


def test_contexts_from_live_views_kill_the_right_process(tmp_path: Path) -> None:
    need_root()
    ok, detail = ebpf_available()
    need(ok, f"the eBPF sensor cannot load: {detail}")
    sleep = shutil.which("sleep")
    assert sleep is not None
    marker = tmp_path / "mamori-resp-sleep"
    shutil.copy2(sleep, marker)
    early = subprocess.Popen([str(marker), "60"])  # running before the agent starts
    contexts: dict[str, ResponseContext] = {}

    def sink(view: EventView) -> None:
        thread = view.thread
        if thread is None or (thread.exepath != str(marker) and view.name != "connect"):
            return
        if view.name == "execve":
            contexts[f"exec {thread.pid}"] = ResponseContext.from_view(view)
        elif view.name == "connect" and client is not None and thread.pid == client.pid:
            contexts["connect"] = ResponseContext.from_view(view)

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    agent = Agent(
        Sensor(LIFECYCLE_EVENTS | {"connect"}), sinks=[sink], sink_types={"execve", "connect"}
    )
    responder = Responder(
        parse_policy(f'responses: [{{match: {{rules: ["{RULE}"]}}, actions: [kill]}}]'),
        log_path=tmp_path / "log.jsonl",
    )
    late: subprocess.Popen[bytes] | None = None
    client: subprocess.Popen[bytes] | None = None
    try:
        agent.start()
        late = subprocess.Popen([str(marker), "60"])
        code = f"import socket; socket.create_connection(('127.0.0.1', {port})).close()"
        client = subprocess.Popen([sys.executable, "-c", code])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not (
            f"exec {late.pid}" in contexts and "connect" in contexts
        ):
            agent.poll(0.05)
        client.wait(10)
        live = contexts[f"exec {late.pid}"]
        assert (live.pid, live.exe_path) == (late.pid, str(marker)) and live.start_ts > 0
        assert live.exe_ino == marker.stat().st_ino
        assert (contexts["connect"].remote_addr, contexts["connect"].remote_port) == (
            "127.0.0.1",
            port,
        )
        # the process that predates the agent: its context from the snapshot's thread
        thread = agent.engine.thread(early.pid)
        assert thread is not None and thread.exepath == str(marker)
        snap = ResponseContext(pid=early.pid, start_ts=thread.clone_ts, event_ts=time.time_ns(),
                               exe_path=thread.exepath, exe_ino=thread.exe_ino)  # fmt: skip
        for ctx, proc in ((live, late), (snap, early)):
            [result] = responder(alert(), ctx)
            assert result.ok, result.detail
            assert proc.wait(5) == -9
    finally:
        agent.stop()
        responder.stop()
        listener.close()
        for left in (early, late, client):
            if left is not None and left.poll() is None:
                left.kill()
                left.wait()
