"""Rules on the real kernel (root, eBPF sensor): a command run here (`cat` of a unique
file) raises the alert with its own pid, parent, command line and user (the oracles),
delivered to a file and to a loopback webhook; its forensic capture replays to the
same alert. In a podman container, the alert names the container as `podman inspect`
does, and its capture carries the container's metadata. Then `mamori agent` as a
daemon: SIGHUP reopens the output file after a rotation, SIGTERM stops it with every
alert flushed."""

from __future__ import annotations

import json
import os
import pwd
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mamori.alerts import open_sinks
from mamori.app.agent import Agent, capture_types
from mamori.app.agent_alerts import RuleAlerts
from mamori.app.forensics import Forensics
from mamori.app.replay import replay
from mamori.rules import RuleSet, load_files
from mamori.runtime.podman import ContainerMetadata, PodmanClient
from mamori.sensor import Sensor, ebpf_available
from tests.alerts.helpers import Server
from tests.app.test_agent_cli import MAMORI, _wait_ready
from tests.runtime.test_podman_helpers import PODMAN_RUN, ensure_image, podman_service
from tests.support import need, need_root, need_tool

pytestmark = [pytest.mark.root, pytest.mark.slow]
RULES = """
- rule: Marked file read
  desc: a file of the test's directory opened for reading
  condition: >
    evt.type in (open, openat, openat2) and evt.is_open_read = true
    and fd.name startswith {prefix}
  output: >
    marked file %fd.name read by %proc.name (pid=%proc.pid ppid=%proc.ppid
    cmd=%proc.cmdline user=%user.name container=%container.id)
  priority: WARNING
  tags: [test]
"""


def _need_ebpf() -> None:
    need_root()
    ok, detail = ebpf_available()
    need(ok, f"the eBPF sensor cannot load: {detail}")


def _setup(tmp: Path) -> tuple[Path, RuleSet]:
    prefix = tmp / "mamori-marker-"
    rules = tmp / "rules.yaml"
    rules.write_text(RULES.format(prefix=prefix))
    ruleset = load_files([rules])
    assert not ruleset.result.errors, ruleset.result.errors
    return rules, ruleset


def _marker(tmp: Path) -> Path:
    path = tmp / f"mamori-marker-{uuid.uuid4().hex}"
    path.write_text("secret\n")
    return path


def _check(doc: dict[str, Any], marker: Path, pid: int) -> None:
    assert doc["rule"] == "Marked file read" and doc["priority"] == "Warning"
    assert doc["output_fields"] == {
        "fd.name": str(marker), "proc.name": "cat", "proc.pid": pid, "proc.ppid": os.getpid(),
        "proc.cmdline": f"cat {marker}", "user.name": pwd.getpwuid(os.geteuid()).pw_name,
        "container.id": "host",
    }  # fmt: skip
    assert doc["hostname"] == socket.gethostname()
    assert doc["mamori"]["identity"] == {"host": socket.gethostname()}


def test_alert_to_file_and_webhook_with_a_replayable_capture(tmp_path: Path) -> None:
    _need_ebpf()
    _rules, ruleset = _setup(tmp_path)
    server = Server()
    alerts_file = tmp_path / "alerts.json"
    rules = RuleAlerts(ruleset, open_sinks([f"file:{alerts_file}", f"webhook:{server.url}"]),
                       hostname=socket.gethostname(),
                       forensics=Forensics(tmp_path / "caps", seconds=1.0))  # fmt: skip
    types = capture_types([], False, rule_types=rules.event_types or (), forensics=True)
    agent = Agent(Sensor(types), rules=rules)
    try:
        agent.start()
        marker = _marker(tmp_path)
        benign = tmp_path / "benign-neighbour"
        benign.write_text("x")
        child = subprocess.Popen(["cat", str(marker), str(benign)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        forensics = rules.forensics
        assert forensics is not None
        while child.poll() is None or forensics.pending or not rules.raised:
            assert time.monotonic() < deadline, "no alert, or its capture never closed"
            agent.poll(0.05)
    finally:
        agent.stop()  # closes the capture and the sinks (the webhook drains)
        server.close()
    lines = alerts_file.read_text().splitlines()
    assert len(lines) == 1, lines  # the benign file in the same command raised nothing
    doc = json.loads(lines[0])
    fields = dict(doc["output_fields"], **{"proc.cmdline": f"cat {marker}"})
    assert doc["output_fields"]["proc.cmdline"] == f"cat {marker} {benign}"
    _check(dict(doc, output_fields=fields), marker, child.pid)
    (request,) = server.requests
    assert json.loads(request[1]) == json.loads(lines[0])
    capture = Path(doc["mamori"]["capture"])
    assert capture.is_file() and capture.parent == tmp_path / "caps"
    replayed = list(replay(capture, ruleset=ruleset))
    assert [(a.rule, a.fields["fd.name"], a.fields["proc.pid"], a.fields["proc.name"])
            for a in replayed] == [(doc["rule"], str(marker), child.pid, "cat")]  # fmt: skip
    assert replayed[0].text() == doc["output"]  # the very event, to the nanosecond


def test_daemon_rotation_and_clean_stop(tmp_path: Path) -> None:
    _need_ebpf()
    need(Path(MAMORI[0]).exists(), "the mamori console script is not installed in .venv")
    rules, _ = _setup(tmp_path)
    server = Server()
    out = tmp_path / "alerts.json"
    agent = subprocess.Popen(
        [*MAMORI, "agent", "--rules", str(rules), "--output", f"file:{out}",
         "--output", f"webhook:{server.url}", "--capture-dir", str(tmp_path / "caps"),
         "--capture-seconds", "0.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_ready(agent)
        first, second = _marker(tmp_path), _marker(tmp_path)
        pids = []
        for marker in (first, second):
            child = subprocess.Popen(["cat", str(marker)], stdout=subprocess.DEVNULL)
            child.wait()
            pids.append(child.pid)
            deadline = time.monotonic() + 20
            while not (out.exists() and str(marker) in out.read_text()):
                assert time.monotonic() < deadline, "no alert in the file"
                time.sleep(0.05)
            if marker is first:  # logrotate: move the file, then SIGHUP
                os.rename(out, tmp_path / "alerts.json.1")
                agent.send_signal(signal.SIGHUP)
                deadline = time.monotonic() + 10
                while not out.exists():
                    assert time.monotonic() < deadline, "SIGHUP did not reopen the file"
                    time.sleep(0.05)
        agent.send_signal(signal.SIGTERM)
        stdout, stderr = agent.communicate(timeout=60)
    finally:
        if agent.poll() is None:
            agent.kill()
        server.close()
    assert agent.returncode == 0, stderr
    assert "2 alerts" in stderr and stdout == ""
    old = [json.loads(line) for line in (tmp_path / "alerts.json.1").read_text().splitlines()]
    new = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(old) == len(new) == 1
    _check(old[0], first, pids[0])
    _check(new[0], second, pids[1])
    assert sorted(json.loads(r[1])["output_fields"]["fd.name"] for r in server.requests) == sorted(
        [str(first), str(second)])  # fmt: skip
    for doc in old + new:  # `mamori replay` of each capture: the same alert, same fields
        capture = Path(doc["mamori"]["capture"])
        done = subprocess.run([*MAMORI, "replay", str(capture), "-r", str(rules), "-f", "json"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        # (the first capture's window may hold the second cat too: same process tree)
        again = {a["output"]: a for a in map(json.loads, done.stdout.splitlines())}
        assert again[doc["output"]]["output_fields"] == doc["output_fields"]


CONTAINER_RULES = """
- rule: Marked file read in a container
  desc: the test's marker file read inside a container
  condition: >
    evt.type in (open, openat, openat2) and evt.is_open_read = true
    and fd.name startswith /mamori-marker- and container.id != host
  output: >
    %fd.name read by %proc.name (%proc.exe, %proc.cmdline) in %container.id
    (%container.name, %container.image.repository)
  priority: ERROR
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    need_root()
    need_tool("podman")
    need_tool("runc")
    with podman_service(tmp_path_factory.mktemp("podman")) as sock:
        yield sock


def test_container_alert_identity_and_capture(service: Path, tmp_path: Path) -> None:
    _need_ebpf()
    podman = need_tool("podman")
    image = ensure_image(podman, tmp_path)
    rules_file = tmp_path / "container.yaml"
    rules_file.write_text(CONTAINER_RULES)
    ruleset = load_files([rules_file])
    assert not ruleset.result.errors, ruleset.result.errors
    out = tmp_path / "alerts.json"
    rules = RuleAlerts(ruleset, open_sinks([f"file:{out}"]), hostname=socket.gethostname(),
                       forensics=Forensics(tmp_path / "caps", seconds=1.0))  # fmt: skip
    types = capture_types([], False, rule_types=rules.event_types or (), forensics=True)
    agent = Agent(Sensor(types), rules=rules,
                  metadata=ContainerMetadata(PodmanClient(service)))  # fmt: skip
    name = f"mamori-rules-test-{time.monotonic_ns()}"
    marker = f"/mamori-marker-{uuid.uuid4().hex}"
    try:
        agent.start()
        box = subprocess.Popen(  # the pause lets podman's metadata arrive first
            [podman, *PODMAN_RUN, "--name", name, image, "/bin/sh", "-c",
             f"sleep 1.5; echo x > {marker}; cat {marker}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        forensics = rules.forensics
        assert forensics is not None
        while box.poll() is None or forensics.pending or not rules.raised:
            assert time.monotonic() < deadline, "no alert, or its capture never closed"
            agent.poll(0.05)
        oracle = json.loads(subprocess.run([podman, "inspect", name], check=True,
                                           capture_output=True).stdout)[0]  # fmt: skip
    finally:
        agent.stop()
        subprocess.run([podman, "rm", "-f", "-t", "0", name], capture_output=True, check=False)
    (doc,) = [json.loads(line) for line in out.read_text().splitlines()]
    cid = oracle["Id"][:12]
    assert doc["mamori"]["identity"] == {"host": socket.gethostname(), "container_id": cid,
                                         "container_name": name, "image": image}  # fmt: skip
    assert doc["output_fields"] == {
        # busybox's sh runs applets by exec'ing /proc/self/exe: the kernel's comm is "exe",
        # argv[0] "cat"; Falco's proc.cmdline is comm + args
        "fd.name": marker, "proc.name": "exe", "proc.exe": "cat",
        "proc.cmdline": f"exe {marker}",
        "container.id": cid, "container.name": name,
        "container.image.repository": image.rsplit(":", 1)[0],
    }  # fmt: skip
    capture = Path(doc["mamori"]["capture"])
    (replayed,) = replay(capture, ruleset=ruleset)  # container metadata from the file itself
    assert replayed.text() == doc["output"]
