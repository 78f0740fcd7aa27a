"""`mamori agent` as a user runs it: a subprocess printing JSON lines for the commands run
meanwhile (the command's own pid, name and arguments are the oracle), printing the
connection map, and refusing clearly when it cannot run."""

from __future__ import annotations

import json
import os
import pwd
import select
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mamori.cli.main import app
from mamori.sensor import ebpf_available
from tests.support import ROOT, need, need_root

pytestmark = [pytest.mark.root, pytest.mark.slow]

MAMORI = [str(ROOT / ".venv" / "bin" / "mamori")]


def _need_agent() -> None:
    need_root()
    ok, detail = ebpf_available()
    need(ok, f"the eBPF sensor cannot load: {detail}")
    need(Path(MAMORI[0]).exists(), "the mamori console script is not installed in .venv")


def _wait_ready(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    """stderr up to the agent's "capturing" line (it is then attached)."""
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while "capturing" not in seen:
        left = deadline - time.monotonic()
        assert left > 0 and proc.poll() is None, f"agent not ready: {seen}"
        if select.select([proc.stderr], [], [], left)[0]:
            seen += proc.stderr.readline()
    return seen


@pytest.fixture
def agent_run() -> Iterator[Any]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen([*MAMORI, "agent", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        procs.append(proc)
        _wait_ready(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_print_streams_execs_as_falco_fields(agent_run: Any) -> None:
    _need_agent()
    agent = agent_run("--print", "--duration", "3", "--filter", "execve")
    marker = f"mamori-{uuid.uuid4().hex}"
    echo = subprocess.run(["/bin/echo", marker], capture_output=True, text=True, check=True)
    child = subprocess.Popen(["/bin/echo", marker], stdout=subprocess.DEVNULL)
    child.wait()
    out, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err
    assert echo.stdout.strip() == marker
    rows = [json.loads(line) for line in out.splitlines()]
    assert rows and {r["evt.type"] for r in rows} == {"execve"}  # life cycle events not printed
    mine = [r for r in rows if r["proc.pid"] == child.pid]
    assert len(mine) == 1, [r for r in rows if marker in (r["proc.cmdline"] or "")]
    row = mine[0]
    assert row["evt.dir"] == "<" and row["evt.res"] == "SUCCESS"
    assert row["proc.name"] == "echo"
    assert row["proc.cmdline"] == f"echo {marker}"
    assert row["proc.exepath"] == os.path.realpath("/bin/echo")
    assert row["proc.pname"] == Path("/proc/self/comm").read_text().strip()
    assert row["user.name"] == pwd.getpwuid(os.geteuid()).pw_name
    assert row["container.id"] == "host"
    assert set(row) >= {"evt.time", "fd.name", "fd.sip", "container.image.repository"}
    assert not [r for r in rows if r["proc.pid"] == agent.pid]  # never its own events


def test_chosen_fields_only(agent_run: Any) -> None:
    _need_agent()
    agent = agent_run("--print", "--duration", "2", "--filter", "execve",
                      "--field", "proc.name", "--field", "proc.aname[1]")  # fmt: skip
    child = subprocess.Popen(["/bin/true"])
    child.wait()
    out, _ = agent.communicate(timeout=60)
    rows = [json.loads(line) for line in out.splitlines()]
    assert all(list(r) == ["proc.name", "proc.aname[1]"] for r in rows)
    assert {
        "proc.name": "true",
        "proc.aname[1]": Path("/proc/self/comm").read_text().strip(),
    } in rows


SERVER_CLIENT = """
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
for _ in range(2):
    c = socket.create_connection(s.getsockname()); a, _ = s.accept(); a.close(); c.close()
print(s.getsockname()[1])
"""


def test_connections_json_and_saved_map(agent_run: Any, tmp_path: Path) -> None:
    _need_agent()
    map_file = tmp_path / "map.json"
    agent = agent_run(
        "--connections", "--json", "--duration", "3", "--map-file", str(map_file),
        "--filter", "connect",  # + what the map needs; no file events on a busy host
    )  # fmt: skip
    work = subprocess.run([sys.executable, "-c", SERVER_CLIENT], capture_output=True, text=True,
                          check=True)  # fmt: skip
    port = int(work.stdout)
    out, err = agent.communicate(timeout=60)
    assert agent.returncode == 0, err
    doc = json.loads(out)
    assert json.loads(map_file.read_text()) == doc
    flows = [f for f in doc["connections"] if f["port"] == port]
    assert {(f["direction"], f["count"], f["peer"]) for f in flows} == {
        ("out", 2, "127.0.0.1"), ("in", 2, "127.0.0.1")}  # fmt: skip
    (link,) = [k for k in doc["links"] if k["port"] == port]
    assert link["client"] == link["server"] and link["count"] == 2  # one process, both ends


def test_ctrl_c_prints_the_table(agent_run: Any, tmp_path: Path) -> None:
    _need_agent()
    agent = agent_run("--connections", "--filter", "connect", "--map-file", str(tmp_path / "m"))
    time.sleep(0.5)
    agent.send_signal(signal.SIGINT)
    out, err = agent.communicate(timeout=30)
    assert agent.returncode == 0, err
    assert "listening sockets" in out and "connections" in out
    assert (tmp_path / "m").is_file()


def test_not_root_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    result = CliRunner().invoke(app, ["agent", "--print"])
    assert result.exit_code == 2
    assert "needs root" in result.output


def test_bad_options_are_usage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    result = CliRunner().invoke(app, ["agent", "--print", "--filter", "nosuchcall"])
    assert result.exit_code == 2 and "nosuchcall" in result.output
    result = CliRunner().invoke(app, ["agent", "--print", "--field", "proc.nosuchfield"])
    assert result.exit_code == 2 and "proc.nosuchfield" in result.output
