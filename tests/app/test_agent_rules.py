"""The agent's rule evaluation without root: synthetic events through the real pipeline
(state engine -> view -> ruleset): Falco's first-match, exit-only evaluation, the sensor
types the rules need, and `mamori agent`'s rule options refusing bad input clearly."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mamori.alerts import StreamSink
from mamori.app.agent import (
    FORENSIC_EVENTS,
    LIFECYCLE_EVENTS,
    RULE_STATE_EVENTS,
    Agent,
    capture_types,
)
from mamori.app.agent_alerts import RuleAlerts
from mamori.cli.main import app
from mamori.model.events import SyscallEvent, ThreadInfo
from mamori.rules import load
from tests.app.test_forensics import _NoSensor

NS = 1_000_000_000


def _rule(name: str, condition: str) -> dict[str, object]:
    return {"rule": name, "desc": name, "condition": condition, "priority": "NOTICE",
            "output": f"{name}: %evt.type %evt.dir %proc.name"}  # fmt: skip


def _run(rules: list[dict[str, object]], events: list[SyscallEvent], **kw: bool) -> list[str]:
    ruleset = load([("r.yaml", yaml.safe_dump(rules))])
    assert not ruleset.result.errors, ruleset.result.errors
    out = io.StringIO()
    agent = Agent(_NoSensor(), rules=RuleAlerts(ruleset, StreamSink(out, "text"), **kw),
                  snapshot=False)  # fmt: skip
    agent.engine.load_threads([ThreadInfo(7, 7, 1, "cat", "cat", "/usr/bin/cat")])
    agent.process(events)
    agent.stop()
    return [line.split(" ", 2)[2] for line in out.getvalue().splitlines()]


OPEN_E = SyscallEvent(NS, 7, "openat", ">", {"dirfd": -100, "name": "/etc/x", "flags": 1})
OPEN_X = SyscallEvent(NS + 1, 7, "openat", "<", {"fd": 3, "dirfd": -100, "name": "/etc/x",
                                                 "flags": 1, "mode": 0})  # fmt: skip
EXIT = SyscallEvent(NS + 2, 7, "procexit", ">", {"status": 0})


def test_first_match_per_event_in_load_order() -> None:
    a, b = _rule("A", "evt.type = openat"), _rule("B", "fd.name = /etc/x")
    assert _run([a, b], [OPEN_X]) == ["A: openat < cat"]
    assert _run([b, a], [OPEN_X]) == ["B: openat < cat"]


def test_exit_only_as_falcos_modern_drivers() -> None:
    rules = [_rule("O", "evt.type = openat"), _rule("P", "evt.type = procexit")]
    assert _run(rules, [OPEN_E, OPEN_X, EXIT]) == ["O: openat < cat", "P: procexit > cat"]
    both = _run(rules, [OPEN_E, OPEN_X, EXIT], exit_only=False)
    assert both == ["O: openat > cat", "O: openat < cat", "P: procexit > cat"]


def test_capture_types_cover_rules_and_forensics() -> None:
    ruleset = load([("r.yaml", yaml.safe_dump([_rule("C", "evt.type in (connect, chmod)")]))])
    rules = RuleAlerts(ruleset, StreamSink(io.StringIO()))
    assert rules.event_types == {"connect", "chmod"}
    wanted = capture_types([], False, rule_types=rules.event_types or ())
    # plus the socket calls the state engine needs to name a connect's fd
    assert wanted == LIFECYCLE_EVENTS | RULE_STATE_EVENTS | {"connect", "chmod"}
    assert capture_types([], False, forensics=True) == FORENSIC_EVENTS
    assert capture_types(None, False, rule_types={"connect"}) is None  # everything printed
    untyped = load([("r.yaml", yaml.safe_dump([_rule("U", "proc.name = cat")]))])
    every = RuleAlerts(untyped, StreamSink(io.StringIO())).event_types  # as Falco: all types
    assert every is not None and {"openat", "execve", "connect", "procexit"} <= every


@pytest.mark.parametrize(
    "args,message",
    [
        (["--rules", "x.yaml", "--no-rules"], "exclude each other"),
        (["--output", "nowhere"], "bad alert output"),
        (["--output", "syslog:host"], "HOST:PORT"),
        (["--print", "--output", "stdout"], "alerts need rules"),
        (["--rules", "BROKEN"], "do not load"),
        (["--rules", "/nonexistent/rules.yaml"], "do not load"),
    ],
)
def test_cli_refuses_bad_rule_options(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # every case fails before the sensor
    broken = tmp_path / "broken.yaml"
    broken.write_text(json.dumps([{"rule": "r", "desc": "d", "condition": "evt.type = nosuch",
                                   "output": "o", "priority": "INFO"}]))  # fmt: skip
    args = [str(broken) if a == "BROKEN" else a for a in args]
    result = CliRunner().invoke(app, ["agent", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_ruleset_and_sink_shorthand() -> None:
    ruleset = load([("r.yaml", yaml.safe_dump([_rule("S", "evt.type = openat")]))])
    out = io.StringIO()
    agent = Agent(_NoSensor(), ruleset=ruleset, alerts=StreamSink(out), snapshot=False)
    agent.engine.load_threads([ThreadInfo(7, 7, 1, "cat", "cat", "/usr/bin/cat")])
    agent.process([OPEN_X])
    agent.stop()
    (doc,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert doc["rule"] == "S" and doc["mamori"]["identity"]["host"] == doc["hostname"]
