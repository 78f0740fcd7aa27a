"""The audit webhook on loopback, driven by real HTTP(S) requests (httpx).

Batches are ``audit.k8s.io/v1`` EventLists as the API server's webhook backend posts
them (events built by `tests.logs.k8s_audit_events`); the oracle for alerts is which
event of the batch the test made to fire.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.app.k8s_audit_server import AuditWebhook, WebhookConfig, parse_listen
from mamori.app.logscan import LogMatch
from mamori.rules import RuleSet, load
from tests.logs.k8s_audit_events import audit, create_pod
from tests.support import need_tool

TOKEN = "b7c1f0e2-audit-webhook-token"
RULES = """
- rule: Pod on the host network
  desc: a pod created with hostNetwork
  condition: ka.verb=create and ka.target.resource=pods and ka.req.pod.host_network=true
  output: Host network pod (user=%ka.user.name pod=%ka.target.name ns=%ka.target.namespace)
  priority: WARNING
  source: k8s_audit
  tags: [k8s]
"""


def ruleset() -> RuleSet:
    rs = load([("test.yaml", RULES)])
    assert not rs.result.errors
    return rs


def event_list(*events: dict[str, Any]) -> bytes:
    doc = {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": {},
           "items": list(events)}  # fmt: skip
    return json.dumps(doc).encode()


def firing() -> dict[str, Any]:
    return create_pod("prod", host={"hostNetwork": True})


@pytest.fixture
def server() -> Iterator[tuple[AuditWebhook, list[LogMatch]]]:
    got: list[LogMatch] = []
    config = WebhookConfig(token=TOKEN, port=0, max_body=64 << 10, cluster="c1",
                           max_concurrent=8)  # fmt: skip
    srv = AuditWebhook(config, ruleset(), got.append)
    srv.start()
    yield srv, got
    srv.shutdown()


def post(url: str, body: bytes, token: str | None = TOKEN, **kw: Any) -> httpx.Response:
    headers = {"Content-Type": "application/json", "User-Agent": "kube-apiserver-admission"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(url, content=body, headers=headers, timeout=10, **kw)


def test_batch_is_evaluated_and_alerts_carry_time_and_identity(
    server: tuple[AuditWebhook, list[LogMatch]],
) -> None:
    srv, got = server
    benign = create_pod("prod")
    r = post(srv.url, event_list(benign, firing(), audit("get", "pods", "web-0")))
    assert r.status_code == 200 and r.json() == {"events": 3, "alerts": 1}
    assert len(got) == 1
    alert = got[0].alert("node-1").json()
    assert alert["rule"] == "Pod on the host network" and alert["source"] == "k8s_audit"
    assert alert["time"] == "2024-03-05T14:21:07.131502000Z"  # the event's stageTimestamp
    assert alert["mamori"]["identity"] == {"cluster": "c1", "namespace": "prod", "pod": "web-0"}
    assert "user=alice@example.com pod=web-0 ns=prod" in alert["output"]
    # a single Event is accepted too, and the path is the kubeconfig's business
    r = post(srv.url + "k8s-audit", json.dumps(firing()).encode())
    assert r.status_code == 200 and len(got) == 2
    assert httpx.get(srv.url + "healthz").json() == {"status": "ok"}


def test_token_is_required(server: tuple[AuditWebhook, list[LogMatch]]) -> None:
    srv, got = server
    body = event_list(firing())
    for token in (None, TOKEN[:-1] + "x", TOKEN + "x", "wrong"):
        r = post(srv.url, body, token=token)
        assert r.status_code == 401, token
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = httpx.post(srv.url, content=body, headers={"Authorization": f"Basic {TOKEN}"})
    assert r.status_code == 401
    assert got == [] and srv.stats["batches"] == 0


def test_oversized_and_malformed_bodies(server: tuple[AuditWebhook, list[LogMatch]]) -> None:
    srv, got = server
    big = event_list(*[firing() for _ in range(200)])
    assert len(big) > 64 << 10
    r = post(srv.url, big)
    assert r.status_code == 413 and "over the 65536-byte limit" in r.json()["error"]
    cases = {
        b'{"kind": "EventList", "items": [': "malformed JSON",
        b"\xff\xfe garbage": "malformed JSON",
        b'{"kind": "Pod"}': "expected an audit.k8s.io EventList",
        b"[1, 2]": "expected an audit.k8s.io EventList",
        b'{"kind": "EventList", "items": {}}': "items is not a list",
    }
    for body, message in cases.items():
        r = post(srv.url, body)
        assert r.status_code == 400 and message in r.json()["error"], body
    r = post(srv.url, b"[" * 100_000 + b"]" * 100_000)  # deep nesting, within the size cap
    assert r.status_code in (400, 413)

    def chunks() -> Iterator[bytes]:
        yield event_list(firing())

    r = httpx.post(srv.url, content=chunks(), headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 411  # chunked, no Content-Length
    assert got == []
    assert post(srv.url, event_list(firing())).status_code == 200  # still serving
    assert len(got) == 1


def test_concurrent_batches_are_all_counted(server: tuple[AuditWebhook, list[LogMatch]]) -> None:
    srv, got = server
    statuses: list[int] = []

    def client() -> None:
        with httpx.Client(timeout=20) as c:
            for _ in range(5):
                headers = {"Authorization": f"Bearer {TOKEN}"}
                body = event_list(firing(), create_pod("dev"))
                statuses.append(c.post(srv.url, content=body, headers=headers).status_code)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 40
    assert len(got) == 40 and srv.stats["events"] == 80


def test_tls(tmp_path: Path) -> None:
    need_tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-subj", "/CN=mamori-test", "-addext", "subjectAltName=IP:127.0.0.1",
         "-days", "1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    got: list[LogMatch] = []
    config = WebhookConfig(token=TOKEN, port=0, tls_cert=cert, tls_key=key)
    srv = AuditWebhook(config, ruleset(), got.append)
    srv.start()
    try:
        assert srv.url.startswith("https://127.0.0.1:")
        ca = ssl.create_default_context(cafile=cert)
        r = post(srv.url, event_list(firing()), verify=ca)
        assert r.status_code == 200 and len(got) == 1
        with pytest.raises(httpx.HTTPError):
            post(srv.url, event_list(firing()), verify=True)  # an unknown CA is refused
        with pytest.raises(httpx.HTTPError):
            post(srv.url.replace("https", "http"), event_list(firing()))
        assert post(srv.url, event_list(firing()), verify=ca).status_code == 200
    finally:
        srv.shutdown()


def test_parse_listen() -> None:
    assert parse_listen("0.0.0.0:8765") == ("0.0.0.0", 8765)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
    assert parse_listen(":80") == ("127.0.0.1", 80)
    for bad in ("8765", "host:", "h:99999", "h:x"):
        with pytest.raises(ValueError):
            parse_listen(bad)


_SRV: list[AuditWebhook] = []


_KEYS = st.sampled_from(["kind", "items", "verb", "objectRef", "requestObject", "stageTimestamp"])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        _JSON.map(lambda v: json.dumps({"kind": "EventList", "items": v}).encode()),
    )
)
def test_any_body_is_200_or_400(body: bytes) -> None:
    if not _SRV:
        _SRV.append(AuditWebhook(WebhookConfig(token=TOKEN, port=0), ruleset(), lambda m: None))
    status, reply = _SRV[0].handle_batch(body)
    assert status in (200, 400), reply


def test_ipv6_loopback() -> None:
    got: list[LogMatch] = []
    srv = AuditWebhook(WebhookConfig(token=TOKEN, host="::1", port=0), ruleset(), got.append)
    srv.start()
    try:
        assert srv.url.startswith("http://[::1]:")
        assert post(srv.url, event_list(firing())).status_code == 200 and len(got) == 1
    finally:
        srv.shutdown()
