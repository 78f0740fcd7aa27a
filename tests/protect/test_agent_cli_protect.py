"""`mamori agent` with file integrity and malware scanning on: the daemon, as a user
runs it, writes the alerts of a changed watched file and of a file matching a YARA rule
to its alert file in Falco's JSON shape, next to the rules' alerts, and bad options are
usage errors. Root and the eBPF sensor, as the other live agent tests."""

from __future__ import annotations

import hashlib
import json
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
- rule: Never matches
  desc: a rules file the test controls (nothing on this host matches it)
  condition: evt.type = openat and fd.name = /nonexistent/mamori-never
  output: never %fd.name
  priority: DEBUG
"""


def test_the_daemon_reports_file_changes_and_malware(tmp_path: Path) -> None:
    _need_ebpf()
    need(Path(MAMORI[0]).exists(), "the mamori console script is not installed in .venv")
    marker = f"MAMORI-CLI-MARKER-{uuid.uuid4().hex}"
    (tmp_path / "rules.yaml").write_text(RULES)
    (tmp_path / "marker.yar").write_text(f'rule cli_marker {{ strings: $a = "{marker}" '
                                         "condition: $a }\n")  # fmt: skip
    watched = tmp_path / "sudoers"
    watched.write_text("root ALL=(ALL:ALL) ALL\n")
    drops = tmp_path / "drops"
    drops.mkdir()
    out = tmp_path / "alerts.json"
    agent = subprocess.Popen(
        [*MAMORI, "agent", "--rules", str(tmp_path / "rules.yaml"), "--output", f"file:{out}",
         "--watch", str(watched), "--yara", str(tmp_path / "marker.yar"),
         "--scan-writes", f"{drops}/"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_ready(agent)
        before = hashlib.sha256(watched.read_bytes()).hexdigest()
        subprocess.run(["sh", "-c", f"echo 'mallory ALL=(ALL) NOPASSWD: ALL' >> {watched}"],
                       check=True)  # fmt: skip
        subprocess.run(["sh", "-c", f"echo '{marker}' > {drops / 'payload.sh'}"], check=True)
        deadline = time.monotonic() + 30
        while not (out.exists() and out.read_text().count("\n") >= 2):
            assert time.monotonic() < deadline, "the alerts never arrived"
            time.sleep(0.1)
        agent.send_signal(signal.SIGTERM)
        _stdout, stderr = agent.communicate(timeout=60)
    finally:
        if agent.poll() is None:
            agent.kill()
    assert agent.returncode == 0, stderr
    docs = {d["rule"]: d for d in map(json.loads, out.read_text().splitlines())}
    change = docs["Watched file changed"]
    assert change["priority"] == "Warning" and change["source"] == "syscall"
    fields = change["output_fields"]
    assert (fields["fs.path"], fields["fs.change"]) == (str(watched), "modified")
    assert fields["fs.before.sha256"] == before
    assert fields["fs.after.sha256"] == hashlib.sha256(watched.read_bytes()).hexdigest()
    assert fields["proc.name"] == "sh" and "hostname" in change
    hit = docs["Malware detected"]
    assert hit["priority"] == "Critical"
    assert hit["output_fields"]["mal.yara"] == ["marker:cli_marker"]
    assert hit["output_fields"]["mal.path"] == str(drops / "payload.sh")
    assert "2 from file/malware checks" in " ".join(stderr.split())  # (rich wraps lines)


def test_protection_options_need_rules_and_valid_files(tmp_path: Path) -> None:
    need(Path(MAMORI[0]).exists(), "the mamori console script is not installed in .venv")
    done = subprocess.run([*MAMORI, "agent", "--print", "--watch", "/etc/passwd",
                           "--duration", "0"], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and "need rules" in done.stderr
    bad = tmp_path / "bad.yar"
    bad.write_text("rule broken { condition: }\n")
    done = subprocess.run([*MAMORI, "agent", "--yara", str(bad), "--duration", "0"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and "YARA rules do not compile" in done.stderr
    done = subprocess.run([*MAMORI, "agent", "--watch", "etc/passwd", "--duration", "0"],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and "not absolute" in done.stderr
