"""`mamori agent --response POLICY`: the daemon kills the process a rule alerted on and
quarantines a file the malware scanner flagged, each action logged with its result; a
bad policy is a usage error naming the line. Root and the eBPF sensor. The oracles are
the kernel (the victim's exit status) and the file system (the file moved, mode 000)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.app.test_agent_rules_live import MAMORI, _need_ebpf, _wait_ready
from tests.support import need

pytestmark = [pytest.mark.root, pytest.mark.slow]

RULES = """
- rule: Marked sleeper started
  desc: the test's uniquely named sleep process started
  condition: evt.type in (execve, execveat) and evt.dir = < and proc.name = {name}
  output: marked sleeper %proc.pid started (%proc.cmdline)
  priority: CRITICAL
"""


def test_the_daemon_kills_and_quarantines_per_policy(tmp_path: Path) -> None:
    _need_ebpf()
    need(Path(MAMORI[0]).exists(), "the mamori console script is not installed in .venv")
    name = f"ms{uuid.uuid4().hex[:8]}"  # comm <= 15 chars: proc.name is exactly this
    sleeper = tmp_path / name
    sleeper.symlink_to("/bin/sleep")
    marker = f"MAMORI-RESPONSE-{uuid.uuid4().hex}"
    (tmp_path / "rules.yaml").write_text(RULES.format(name=name))
    (tmp_path / "m.yar").write_text(f'rule m {{ strings: $a = "{marker}" condition: $a }}\n')
    drops = tmp_path / "drops"
    drops.mkdir()
    log, out = tmp_path / "response.jsonl", tmp_path / "alerts.json"
    (tmp_path / "policy.yaml").write_text(
        "version: 1\n"
        f"quarantine_dir: {tmp_path / 'quarantine'}\n"
        "responses:\n"
        "  - match: {rules: [Marked sleeper started]}\n"
        "    actions: [kill]\n"
        "  - match: {rules: [Malware detected]}\n"
        "    actions: [{action: quarantine, target: file}]\n"
    )
    agent = subprocess.Popen(
        [*MAMORI, "agent", "--rules", str(tmp_path / "rules.yaml"), "--output", f"file:{out}",
         "--no-fim", "--yara", str(tmp_path / "m.yar"), "--scan-writes", f"{drops}/",
         "--response", str(tmp_path / "policy.yaml"), "--response-log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_ready(agent)
        victim = subprocess.Popen([str(sleeper), "60"])
        payload = drops / "payload.sh"
        subprocess.run(["sh", "-c", f"echo '{marker}' > {payload}"], check=True)
        assert victim.wait(timeout=30) == -signal.SIGKILL  # killed by the response
        deadline = time.monotonic() + 30
        while not (log.exists() and log.read_text().count("\n") >= 2):
            assert time.monotonic() < deadline, "the responses were never logged"
            time.sleep(0.1)
        agent.send_signal(signal.SIGTERM)
        _stdout, stderr = agent.communicate(timeout=60)
    finally:
        if agent.poll() is None:
            agent.kill()
    assert agent.returncode == 0, stderr
    results = {r["action"]: r for r in map(json.loads, log.read_text().splitlines())}
    assert results["kill"]["ok"] is True and results["kill"]["rule"] == "Marked sleeper started"
    assert results["quarantine"]["ok"] is True, results["quarantine"]
    assert not payload.exists()  # moved aside
    stored = [p for p in (tmp_path / "quarantine").rglob("*") if p.is_file()
              and p.stat().st_mode & 0o777 == 0]  # fmt: skip
    assert stored and any(marker.encode() in p.read_bytes() for p in stored)
    assert os.stat(tmp_path / "quarantine").st_mode & 0o077 == 0  # root-only store


def test_a_bad_policy_is_a_usage_error_naming_the_line(tmp_path: Path) -> None:
    need(Path(MAMORI[0]).exists(), "the mamori console script is not installed in .venv")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nresponses:\n  - match: {rules: [x]}\n    actions: [explode]\n")
    done = subprocess.run([*MAMORI, "agent", "--response", str(bad), "--duration", "0"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2
    assert "response policy does not load" in done.stderr and "bad.yaml:4" in done.stderr
