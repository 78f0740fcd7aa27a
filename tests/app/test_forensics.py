"""Forensic captures, without root: synthetic events through the real agent pipeline
(state engine -> rules -> forensics), the capture read back with the scap reader and
replayed with `mamori.app.replay` (the independent consumer: it rebuilds the state from
the file alone). Which events belong to the alert's process tree or container, the
window before/after, the bounds (buffer, open captures, files kept)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import yaml

from mamori.alerts import Alert, StreamSink
from mamori.app.agent import Agent
from mamori.app.agent_alerts import RuleAlerts
from mamori.app.forensics import EventBuffer, Forensics
from mamori.app.replay import replay
from mamori.captures.scap import ScapReader
from mamori.model.events import SyscallEvent, ThreadInfo
from mamori.rules import RuleSet, load
from mamori.runtime.state.container_meta import ContainerInfo

NS = 1_000_000_000
T0 = 1_764_400_000 * NS
CID = "ab" * 32
RULE = {"rule": "Marked file read", "desc": "t", "priority": "WARNING", "tags": ["t"],
        "condition": "evt.type = openat and fd.name startswith /tmp/marked",
        "output": "%fd.name by %proc.name pid=%proc.pid in %container.name "
                  "(%container.image)"}  # fmt: skip
THREADS = [
    ThreadInfo(1, 1, 0, "systemd", "/sbin/init", "/usr/lib/systemd/systemd"),
    ThreadInfo(100, 100, 1, "bash", "bash", "/usr/bin/bash", uid=0, gid=0),
    ThreadInfo(101, 101, 100, "cat", "cat", "/usr/bin/cat", ("/tmp/marked-1",), uid=0, gid=0),
    ThreadInfo(200, 200, 1, "other", "other", "/usr/bin/other"),
    *[ThreadInfo(pid, pid, 1, "nginx", "nginx", "/usr/sbin/nginx",
                 cgroups=(f"unified=/machine.slice/libpod-{CID}.scope",)) for pid in (300, 301)],
]  # fmt: skip


class _NoSensor:
    def start(self) -> object:
        return self

    def poll(self, timeout: float | None = None) -> list[SyscallEvent]:
        return []

    def stop(self) -> None:
        return None


def _ruleset() -> RuleSet:
    ruleset = load([("t.yaml", yaml.safe_dump([RULE]))])
    assert not ruleset.result.errors
    return ruleset


def _agent(tmp: Path, **kwargs: Any) -> tuple[Agent, io.StringIO, Forensics]:
    out = io.StringIO()
    forensics = Forensics(tmp / "caps", seconds=1.0, hostname="h", **kwargs)
    rules = RuleAlerts(_ruleset(), StreamSink(out), hostname="h", forensics=forensics)
    agent = Agent(_NoSensor(), rules=rules, snapshot=False)
    agent.engine.load_threads(THREADS)
    image = "docker.io/library/nginx"
    agent.engine.containers.add(ContainerInfo(CID[:12], "podman", "web", f"{image}:1.25", image,
                                              "1.25"))  # fmt: skip
    return agent, out, forensics


def _open(at: float, tid: int, name: str, fd: int = 3) -> SyscallEvent:
    return SyscallEvent(T0 + int(at * NS), tid, "openat", "<",
                        {"fd": fd, "dirfd": -100, "name": name, "flags": 1, "mode": 0})  # fmt: skip


def _alerts(out: io.StringIO) -> list[dict[str, Any]]:
    import json

    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_process_tree_capture_replays_the_alerts(tmp_path: Path) -> None:
    agent, out, forensics = _agent(tmp_path)
    agent.process([
        _open(-3.0, 101, "/tmp/too-old"),  # before the window: not in the capture
        _open(0.0, 200, "/etc/hosts"),  # another process tree
        _open(0.1, 101, "/etc/ld.so.cache"),
        _open(0.5, 101, "/tmp/marked-1", 4),  # alert: the capture starts
        SyscallEvent(T0 + int(0.6 * NS), 101, "clone", "<", {"res": 102}),  # a child...
        _open(0.7, 102, "/tmp/child-file"),  # ...is in the tree
        _open(0.8, 200, "/etc/passwd"),
        _open(0.9, 101, "/tmp/marked-2", 5),  # a second alert joins the open capture
        _open(0.95, 301, "/tmp/unrelated-container"),
    ])  # fmt: skip
    alerts = _alerts(out)
    assert [a["output_fields"]["fd.name"] for a in alerts] == ["/tmp/marked-1", "/tmp/marked-2"]
    paths = {a["mamori"]["capture"] for a in alerts}
    assert len(paths) == 1
    path = Path(paths.pop())
    assert not path.exists() and path.with_name(path.name + ".partial").exists()  # not yet
    agent.process([_open(1.6, 200, "/etc/group")])  # past the window: closed, renamed
    assert path.exists() and list(path.parent.iterdir()) == [path]
    assert forensics.written == 1 and not forensics.pending
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with ScapReader(path) as reader:
        events = [(e.tid, e.name, e.params.get("name")) for e in reader.events()]
        pids = {t.pid for t in reader.threads}
    assert events == [(101, "openat", "/etc/ld.so.cache"), (101, "openat", "/tmp/marked-1"),
                      (101, "clone", None), (102, "openat", "/tmp/child-file"),
                      (101, "openat", "/tmp/marked-2")]  # fmt: skip
    assert pids == {1, 100, 101}  # the tree (under bash) and its ancestors only
    replayed = list(replay(path, ruleset=_ruleset()))
    assert [(a.fields["fd.name"], a.fields["proc.name"], a.fields["proc.pid"]) for a in replayed
            ] == [("/tmp/marked-1", "cat", 101), ("/tmp/marked-2", "cat", 101)]  # fmt: skip


def test_container_capture_has_the_container_and_its_metadata(tmp_path: Path) -> None:
    agent, out, forensics = _agent(tmp_path)
    agent.process([
        _open(0.0, 301, "/etc/nginx/nginx.conf"),  # same container, another process
        _open(0.1, 200, "/etc/hosts"),  # the host
        _open(0.2, 300, "/tmp/marked-c"),
    ])  # fmt: skip
    forensics.close()
    (alert,) = _alerts(out)
    assert alert["mamori"]["identity"] == {"host": "h", "container_id": CID[:12],
                                           "container_name": "web",
                                           "image": "docker.io/library/nginx:1.25"}  # fmt: skip
    path = Path(alert["mamori"]["capture"])
    with ScapReader(path) as reader:
        tids = [e.tid for e in reader.events() if e.name == "openat"]
    assert tids == [301, 300]
    (replayed,) = replay(path, ruleset=_ruleset())
    assert replayed.output == alert["output"].split("Warning ", 1)[1]  # names from the file


def test_bounds(tmp_path: Path) -> None:
    buffer = EventBuffer(max_events=10, seconds=1.0)
    for n in range(25):
        buffer.add((_open(n * 0.01, 1, "/x"), 1, 0, 1, "host", ()))
    assert len(buffer) == 10
    buffer.add((_open(5.0, 1, "/x"), 1, 0, 1, "host", ()))
    assert len(buffer) == 1  # the older ones are more than a second older

    agent, out, forensics = _agent(tmp_path, max_pending=1, keep=2)
    agent.process([_open(0.0, 101, "/tmp/marked-a"), _open(0.1, 300, "/tmp/marked-b")])
    first, second = _alerts(out)
    assert "capture" in first["mamori"] and "capture" not in second["mamori"]
    assert forensics.skipped == 1
    for n in range(3):  # one capture each, each after the previous one closed
        agent.process(
            [_open(2.0 + 2 * n, 101, "/tmp/marked-c"), _open(2.0 + 2 * n + 1.5, 200, "/")]
        )
    assert len(list((tmp_path / "caps").glob("*.scap"))) == 2  # the oldest pruned
    assert forensics.written == 4


def test_unrelated_rules_leave_no_capture(tmp_path: Path) -> None:
    agent, out, forensics = _agent(tmp_path)
    agent.process([_open(n * 0.1, 101, "/etc/hosts") for n in range(30)])
    forensics.tick(T0 + 100 * NS)
    assert not out.getvalue() and not list((tmp_path / "caps").iterdir())
    assert isinstance(Alert, type)
