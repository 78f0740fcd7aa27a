"""`mamori scan cloudtrail`, `mamori watch cloudtrail` and `mamori k8s-audit serve`.

Files and a real moto S3 server hold records the test wrote; the oracle for alerts is
which records the test made match its rules. `watch` and `serve` run as real processes
stopped with SIGTERM, as systemd stops them.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from mamori.app.logscan import default_rule_files
from mamori.cli.main import app
from mamori.logs.cloudtrail_s3 import s3_client
from tests.cloud.conftest import moto_url  # noqa: F401  (the session's moto server)
from tests.logs.cloudtrail_events import ROOT, console_login, record
from tests.logs.k8s_audit_events import create_pod

MAMORI = [sys.executable, "-c", "from mamori.cli.main import main; main()"]
CT_RULES = """
- rule: Trail deleted
  desc: a CloudTrail trail was deleted
  condition: ct.name=DeleteTrail and not ct.error exists
  output: Trail deleted (user=%ct.user trail=%ct.request.name region=%ct.region)
  priority: CRITICAL
  source: aws_cloudtrail
"""
K8S_RULES = """
- rule: Pod on the host network
  desc: a pod created with hostNetwork
  condition: ka.verb=create and ka.target.resource=pods and ka.req.pod.host_network=true
  output: Host network pod (pod=%ka.target.name ns=%ka.target.namespace)
  priority: WARNING
  source: k8s_audit
"""
BUCKET = "trail"
KEY = "AWSLogs/123456789012/CloudTrail/{region}/2026/11/29/123456789012_CloudTrail_{region}_20261129T{hhmm}Z_q1.json.gz"  # noqa: E501
runner = CliRunner()


def delete_trail(region: str = "eu-west-1") -> dict[str, Any]:
    return record("DeleteTrail", "cloudtrail", {"name": "main"}, None, region=region)


def benign() -> list[dict[str, Any]]:
    return [record("DescribeTrails", "cloudtrail", read_only=True), console_login(ROOT, "Yes")]


def log_doc(records: list[dict[str, Any]]) -> bytes:
    return gzip.compress(json.dumps({"Records": records}).encode())


def rules_file(tmp_path: Path, text: str = CT_RULES, name: str = "rules.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def alerts_in(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_scan_cloudtrail_files(tmp_path: Path) -> None:
    logs = tmp_path / "AWSLogs"
    logs.mkdir()
    (logs / "a.json.gz").write_bytes(log_doc([*benign(), delete_trail()]))
    (logs / "b.json").write_text(json.dumps({"Records": [*benign(), delete_trail("us-east-1")]}))
    (logs / "c.json.gz").write_bytes(b"not gzip, not json")
    out = tmp_path / "alerts.json"
    args = ["scan", "cloudtrail", str(logs), "-r", str(rules_file(tmp_path)), "--no-default-rules"]
    result = runner.invoke(app, [*args, "-o", f"file:{out}"])
    assert result.exit_code == 0, result.output
    got = alerts_in(out)
    assert [a["rule"] for a in got] == ["Trail deleted"] * 2
    assert [a["mamori"]["identity"] for a in got] == [
        {"account": "123456789012", "region": "eu-west-1"},
        {"account": "123456789012", "region": "us-east-1"},
    ]
    assert got[0]["priority"] == "Critical" and got[0]["time"] == "2024-03-05T14:21:07.000000000Z"
    assert "user=alice trail=main region=eu-west-1" in got[0]["output"]
    assert "c.json.gz" in result.stderr and "2 alerts" in result.stderr


def test_scan_cloudtrail_usage_errors(tmp_path: Path) -> None:
    rules = str(rules_file(tmp_path))
    r = runner.invoke(app, ["scan", "cloudtrail", str(tmp_path / "nope"), "-r", rules])
    assert r.exit_code == 2 and "no such file" in r.stderr
    bad_rules = rules_file(tmp_path, "- rule: x\n  condition: ct.nosuchfield=1\n", "bad.yaml")
    r = runner.invoke(app, ["scan", "cloudtrail", str(tmp_path), "-r", str(bad_rules)])
    assert r.exit_code == 1
    r = runner.invoke(app, ["scan", "cloudtrail", str(tmp_path), "-r", rules, "-o", "nowhere:x"])
    assert r.exit_code == 2 and "bad alert output" in r.stderr
    r = runner.invoke(app, ["scan", "cloudtrail", str(tmp_path), "--no-default-rules"])
    assert r.exit_code == 2
    state = tmp_path / "state.json"
    state.write_text("[not ours")
    r = runner.invoke(app, ["scan", "cloudtrail", "s3://bkt/", "-r", rules, "--state", str(state)])
    assert r.exit_code == 2 and "not a mamori cursor file" in r.stderr
    r = runner.invoke(app, ["scan", "cloudtrail", "s3://", "-r", rules])
    assert r.exit_code == 2 and "not a bucket name" in r.stderr


def test_default_cloud_rules_load(tmp_path: Path) -> None:
    if not default_rule_files():
        pytest.skip("mamori.rules.default_cloud is not there yet")
    (tmp_path / "a.json").write_text(json.dumps({"Records": benign()}))
    r = runner.invoke(app, ["scan", "cloudtrail", str(tmp_path), "-o", "stdout"])
    assert r.exit_code == 0, r.output


@pytest.fixture
def s3_env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:  # noqa: F811
    httpx.post(f"{moto_url}/moto-api/reset", timeout=60).raise_for_status()
    env = {"AWS_ENDPOINT_URL": moto_url, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    s3_client().create_bucket(Bucket=BUCKET)
    return env


def put(region: str, hhmm: str, records: list[dict[str, Any]]) -> None:
    key = KEY.format(region=region, hhmm=hhmm)
    s3_client().put_object(Bucket=BUCKET, Key=key, Body=log_doc(records))


def test_scan_cloudtrail_s3_is_incremental(s3_env: dict[str, str], tmp_path: Path) -> None:
    put("eu-west-1", "1800", [*benign(), delete_trail()])
    put("us-east-1", "1800", benign())
    out, state = tmp_path / "alerts.json", tmp_path / "state.json"
    args = ["scan", "cloudtrail", f"s3://{BUCKET}/", "-r", str(rules_file(tmp_path)),
            "--no-default-rules", "-o", f"file:{out}", "--state", str(state)]  # fmt: skip
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "2 objects, 5 records, 1 alerts" in first.stderr and len(alerts_in(out)) == 1
    second = runner.invoke(app, args)
    assert "0 objects, 0 records, 0 alerts" in second.stderr and len(alerts_in(out)) == 1
    put("us-east-1", "1805", [delete_trail("us-east-1")])
    third = runner.invoke(app, args)
    assert "1 objects, 1 records, 1 alerts" in third.stderr
    assert [a["mamori"]["identity"]["region"] for a in alerts_in(out)] == ["eu-west-1", "us-east-1"]
    everything = runner.invoke(app, [*args, "--no-state"])
    assert "3 objects, 6 records, 2 alerts" in everything.stderr


def test_watch_follows_new_objects_and_stops_cleanly(
    s3_env: dict[str, str], tmp_path: Path
) -> None:
    put("eu-west-1", "1800", [delete_trail()])
    out, state = tmp_path / "alerts.json", tmp_path / "state.json"
    args = [*MAMORI, "watch", "cloudtrail", f"s3://{BUCKET}/", "--interval", "0.2",
            "-r", str(rules_file(tmp_path)), "--no-default-rules", "-o", f"file:{out}",
            "--state", str(state)]  # fmt: skip
    env = {**os.environ, **s3_env}
    proc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(alerts_in(out)) == 1)
        put("eu-west-1", "1805", [*benign(), delete_trail()])
        put("us-west-2", "1805", [delete_trail("us-west-2")])
        wait_for(lambda: len(alerts_in(out)) == 3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill() if proc.poll() is None else None
    assert proc.returncode == 0, err
    assert "stopped: 3 objects, 5 records, 3 alerts" in err
    cursors = json.loads(state.read_text())["cursors"]
    prefix = f"s3://{BUCKET}/AWSLogs/123456789012/CloudTrail/"
    assert cursors[prefix + "eu-west-1/"]["last_key"] == KEY.format(region="eu-west-1", hhmm="1805")
    assert set(cursors) == {prefix + "eu-west-1/", prefix + "us-west-2/"}
    # a restarted watcher (here: a scan with the same state) has nothing left to read
    again = runner.invoke(app, ["scan", "cloudtrail", f"s3://{BUCKET}/", "--state", str(state),
                                "-r", str(rules_file(tmp_path)), "--no-default-rules"])  # fmt: skip
    assert "0 objects" in again.stderr


def test_k8s_audit_serve(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("s3cret-token\n")
    out = tmp_path / "alerts.json"
    args = [*MAMORI, "k8s-audit", "serve", "--listen", "127.0.0.1:0", "--token-file", str(token),
            "-r", str(rules_file(tmp_path, K8S_RULES)), "--no-default-rules",
            "-o", f"file:{out}", "--cluster", "prod-eu"]  # fmt: skip
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        warning = proc.stderr.readline()
        assert "readable by other users" in warning  # the token file is 0644 here
        line = proc.stderr.readline()
        assert line.startswith("listening on http://127.0.0.1:"), line
        url = line.split()[-1]
        items = [create_pod("dev", host={"hostNetwork": True}), create_pod("dev")]
        batch = {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": items}
        auth = {"Authorization": "Bearer s3cret-token"}
        r = httpx.post(url, json=batch, headers=auth, timeout=10)
        assert r.status_code == 200 and r.json() == {"events": 2, "alerts": 1}
        assert httpx.post(url, json=batch, timeout=10).status_code == 401
        assert httpx.post(url, content=b"{", headers=auth, timeout=10).status_code == 400
        wait_for(lambda: len(alerts_in(out)) == 1)
        rotated = out.rename(tmp_path / "alerts.json.1")  # logrotate, then SIGHUP
        proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)  # the main loop looks at SIGHUP every 0.5 s
        assert httpx.post(url, json=batch, headers=auth, timeout=10).status_code == 200
        wait_for(lambda: len(alerts_in(out)) == 1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill() if proc.poll() is None else None
    assert proc.returncode == 0, err
    assert "stopped: 2 batches, 4 events, 2 alerts, 1 unauthorized, 1 malformed" in err
    assert len(alerts_in(rotated)) == 1
    alert = alerts_in(out)[0]
    assert alert["rule"] == "Pod on the host network"
    assert alert["mamori"]["identity"] == {"cluster": "prod-eu", "namespace": "dev", "pod": "web-0"}
    assert "s3cret" not in err


def test_k8s_audit_serve_usage_errors(tmp_path: Path) -> None:
    rules = str(rules_file(tmp_path, K8S_RULES))
    empty = tmp_path / "empty"
    empty.write_text("\n")
    base = ["k8s-audit", "serve", "-r", rules, "--no-default-rules"]
    r = runner.invoke(app, [*base, "--token-file", str(empty)])
    assert r.exit_code == 2 and "empty token" in r.stderr
    r = runner.invoke(app, [*base, "--token-file", str(tmp_path / "absent")])
    assert r.exit_code == 2
    token = tmp_path / "t"
    token.write_text("x")
    r = runner.invoke(app, [*base, "--token-file", str(token), "--tls-cert", str(token)])
    assert r.exit_code == 2 and "go together" in r.stderr
    r = runner.invoke(app, [*base, "--token-file", str(token), "--listen", "nohost"])
    assert r.exit_code == 2


SIGMA_RULE = """
title: CloudTrail trail deleted
id: 2b3c4d5e-1111-4222-8333-944455566677
status: test
description: A trail was deleted, which stops the account's audit log.
logsource:
  product: aws
  service: cloudtrail
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: DeleteTrail
  condition: selection
level: high
"""


def test_scan_cloudtrail_with_sigma(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.json").write_text(
        json.dumps({"Records": [*benign(), delete_trail(), delete_trail("us-east-1")]})
    )
    sigma = tmp_path / "trail_deleted.yml"
    sigma.write_text(SIGMA_RULE)
    out = tmp_path / "alerts.json"
    args = ["scan", "cloudtrail", str(tmp_path / "logs"), "--sigma", str(sigma),
            "--no-default-rules", "-o", f"file:{out}"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    got = alerts_in(out)
    assert [a["rule"] for a in got] == ["CloudTrail trail deleted"] * 2
    assert [a["mamori"]["identity"]["region"] for a in got] == ["eu-west-1", "us-east-1"]
    # with Falco-language rules first, the first match wins (rule_matching: first)
    r = runner.invoke(app, [*args, "-r", str(rules_file(tmp_path))])
    assert [a["rule"] for a in alerts_in(out)[2:]] == ["Trail deleted"] * 2
    r = runner.invoke(app, [*args, "-r", str(rules_file(tmp_path)), "--all-matches"])
    assert sorted(a["rule"] for a in alerts_in(out)[4:]) == sorted(
        ["Trail deleted", "CloudTrail trail deleted"] * 2
    )
    bad = tmp_path / "bad.yml"
    bad.write_text("title: x\nlogsource: {product: aws, service: cloudtrail}\ndetection: {}\n")
    r = runner.invoke(app, [*args, "--sigma", str(bad)])
    assert r.exit_code == 1 and "bad.yml" in r.stderr
