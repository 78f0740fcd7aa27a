"""The responder end to end: a policy, a synthetic alert and a real process / file /
cgroup. Dry-run changes nothing and logs what it would do; real actions happen and are
logged as JSON lines (time, rule, action, target, dry_run, ok, detail); a failing
action is a logged failure, never an exception; the policy's mitigations run from
start to stop."""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from mamori.response import Responder, ResponseContext, parse_policy
from mamori.response.connect_deny import OBJECT
from mamori.response.procs import exe_identity, read_stat
from tests.response.conftest import RULE, alert
from tests.support import need, need_root

pytestmark = pytest.mark.root

POLICY = """\
dry_run: {dry}
responses:
  - match: {{rules: ["{rule}"]}}
    actions:
      - kill
      - {{action: quarantine, target: file}}
  - match: {{tags: [never_raised]}}
    actions: [kill_container]
"""


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _setup(tmp_path: Path, dry: bool) -> tuple[Responder, subprocess.Popen[bytes], Path, Path]:
    need_root()
    policy = parse_policy(POLICY.format(dry=str(dry).lower(), rule=RULE))
    log = tmp_path / "response.jsonl"
    responder = Responder(policy, log_path=log, quarantine_dir=tmp_path / "q")
    proc = subprocess.Popen(["sleep", "60"])
    victim = tmp_path / "payload"
    victim.write_bytes(b"payload")
    return responder, proc, victim, log


def _context(proc: subprocess.Popen[bytes], victim: Path) -> ResponseContext:
    path, ino = exe_identity(proc.pid)
    return ResponseContext(pid=proc.pid, tid=proc.pid, start_ts=read_stat(proc.pid).start_ns,
                           event_ts=time.time_ns(), exe_path=path, exe_ino=ino,
                           file_path=str(victim))  # fmt: skip


def test_dry_run_does_nothing_but_logs(tmp_path: Path) -> None:
    responder, proc, victim, log = _setup(tmp_path, dry=True)
    try:
        with responder:
            results = responder(alert(), _context(proc, victim))
        time.sleep(0.1)
        assert proc.poll() is None and victim.read_bytes() == b"payload"
        assert not (tmp_path / "q").exists()
        assert [(r.action, r.ok, r.dry_run) for r in results] == [
            ("kill", True, True), ("quarantine", True, True)]  # fmt: skip
        lines = _lines(log)
        assert [line["action"] for line in lines] == ["kill", "quarantine"]
        assert lines[0]["detail"] == f"would send SIGKILL to 1 process(es): [{proc.pid}]"
        assert str(lines[1]["detail"]).startswith(f"would move {victim}")
        assert set(lines[0]) >= {"time", "rule", "action", "target", "dry_run", "ok", "detail"}
        assert lines[0]["rule"] == RULE and lines[0]["context"]["pid"] == proc.pid  # type: ignore[index]
    finally:
        proc.kill()
        proc.wait()


def test_real_actions_happen_and_are_logged(tmp_path: Path) -> None:
    responder, proc, victim, log = _setup(tmp_path, dry=False)
    with responder:
        results = responder(alert(), _context(proc, victim))
        assert responder(alert(rule="unrelated"), _context(proc, victim)) == []
    assert proc.wait(5) == -9 and not victim.exists()
    assert [(r.action, r.ok, r.dry_run) for r in results] == [
        ("kill", True, False), ("quarantine", True, False)]  # fmt: skip
    lines = _lines(log)
    assert lines[1]["data"]["sha256"] == hashlib.sha256(b"payload").hexdigest()  # type: ignore[index]


def test_failures_are_results_not_exceptions(tmp_path: Path) -> None:
    responder, proc, victim, log = _setup(tmp_path, dry=False)
    proc.kill()
    proc.wait()
    victim.unlink()
    ctx = ResponseContext(pid=proc.pid, event_ts=time.time_ns(), file_path=str(victim))
    with responder:
        results = responder(alert(), ctx)
        container = responder(alert(rule="x", tags=("never_raised",)), ctx)
        unknown = responder(alert(), ResponseContext())
    assert [r.ok for r in results + container + unknown] == [False] * 5
    assert "no such process" in results[0].detail
    assert "No such file" in results[1].detail
    assert "not in a container" in container[0].detail
    assert "no process" in unknown[0].detail and "no file" in unknown[1].detail
    assert [line["ok"] for line in _lines(log)] == [False] * 5


def test_mitigations_and_per_alert_denies(tmp_path: Path, tmpfs: Path, cgroup: Path) -> None:
    need(OBJECT.exists(), "connect_deny.bpf.o is not built (scripts/build-bpf-response)")
    true = shutil.which("true")
    assert true is not None
    listed, later = tmpfs / "listed", tmpfs / "later"
    shutil.copy2(true, listed)
    shutil.copy2(true, later)
    with open(listed, "ab") as out:
        out.write(b"\0listed")
    policy = parse_policy(f"""
responses:
  - match: {{rules: [bad exec]}}
    actions: [{{action: deny_exec, target: exe}}]
  - match: {{rules: [bad connect]}}
    actions: [{{action: deny_connect, cgroup: "{cgroup}"}}]
mitigations:
  exec: {{mounts: ["{tmpfs}"], deny_paths: ["{listed}"], timeout: 1}}
  connect: [{{cgroup: "{cgroup}", deny: ["127.0.0.1:9"]}}]
""")
    log = tmp_path / "log.jsonl"
    with Responder(policy, log_path=log, quarantine_dir=tmp_path / "q") as responder:
        with pytest.raises(PermissionError):
            subprocess.run([str(listed)], check=True)
        subprocess.run([str(later)], check=True)
        ctx = ResponseContext(pid=1234, exe_path=str(later), remote_addr="127.0.0.1",
                              remote_port=7)  # fmt: skip
        assert [r.ok for r in responder(alert(rule="bad exec"), ctx)] == [True]
        with pytest.raises(OSError) as info:
            subprocess.run([str(later)], check=True)
        assert info.value.errno == errno.EPERM
        assert [r.ok for r in responder(alert(rule="bad connect"), ctx)] == [True]
        assert sorted(responder.env.connect_deny[cgroup].entries) == [("127.0.0.1", 7),
                                                                      ("127.0.0.1", 9)]  # fmt: skip
    subprocess.run([str(listed)], check=True)  # stop removed the marks
    actions = [(d["rule"], d["action"], d["ok"]) for d in _lines(log)]
    assert actions[:2] == [
        ("(mitigation)", "deny_exec", True),
        ("(mitigation)", "deny_connect", True),
    ]
    assert ("bad exec", "deny_exec", True) in actions and (
        "bad connect",
        "deny_connect",
        True,
    ) in actions
    denied = [d for d in _lines(log) if d["rule"] == "(mitigation)" and d["target"] == str(listed)]
    assert denied and "path on the deny list" in str(denied[0]["detail"])


def test_submitted_alerts_are_answered_off_the_callers_thread(tmp_path: Path) -> None:
    responder, proc, victim, log = _setup(tmp_path, dry=False)
    assert responder.submit(alert(), _context(proc, victim)) is False  # not started
    assert _lines(log)[0]["detail"] == "responder not started" and proc.poll() is None
    with responder:
        assert responder.submit(alert(), _context(proc, victim)) is True
    assert proc.wait(5) == -9 and not victim.exists()  # stop() finished the queue
    assert [(d["action"], d["ok"]) for d in _lines(log)[2:]] == [
        ("kill", True),
        ("quarantine", True),
    ]
