"""`WebhookSink` against real HTTP servers on loopback (stdlib ``http.server`` in a
thread): delivery with the auth header (never logged), retry after 503, no retry after
400, an endpoint that is down, one that is slow (the caller never waits, the overflow is
counted and logged), and the throughput figure for docs/agent.md."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mamori.alerts import WebhookSink
from mamori.alerts.webhook import redact
from tests.alerts.helpers import Server, make_alert

TOKEN = "Bearer s3cr3t-token-value"


@pytest.fixture
def server_factory() -> Iterator[Callable[..., Server]]:
    made: list[Server] = []

    def make(*args: Any, **kwargs: Any) -> Server:
        made.append(Server(*args, **kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


def test_delivers_falco_json_with_headers(
    server_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = server_factory(lambda n: 503 if n < 2 else 200)  # two failures, then fine
    with caplog.at_level(logging.DEBUG):
        sink = WebhookSink(server.url, headers={"Authorization": TOKEN}, backoff=0.05)
        alert = make_alert(1)
        sink.emit(alert)
        assert sink.flush(10)
        sink.close()
    assert (sink.sent, sink.retried, sink.lost) == (1, 2, 0)
    assert len(server.requests) == 3
    headers, body = server.requests[-1]
    assert headers["Authorization"] == TOKEN and headers["Content-Type"] == "application/json"
    assert json.loads(body) == json.loads(json.dumps(alert.json()))
    assert "s3cr3t" not in caplog.text


def test_client_error_is_not_retried(server_factory: Any, caplog: pytest.LogCaptureFixture) -> None:
    server = server_factory(lambda n: 400)
    with caplog.at_level(logging.WARNING):
        sink = WebhookSink(server.url, headers={"Authorization": TOKEN}, backoff=0.05)
        sink.emit(make_alert(1))
        sink.flush(10)
        sink.close()
    assert (sink.sent, sink.failed, len(server.requests)) == (0, 1, 1)
    assert "HTTP 400" in caplog.text and "s3cr3t" not in caplog.text
    assert "key=k" not in caplog.text  # the query may hold a token too


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_endpoint_down_never_blocks_and_is_counted(caplog: pytest.LogCaptureFixture) -> None:
    sink = WebhookSink(f"http://127.0.0.1:{_free_port()}/", retries=2, backoff=0.01,
                       queue_size=8)  # fmt: skip
    with caplog.at_level(logging.WARNING):
        start = time.monotonic()
        for n in range(20):
            sink.emit(make_alert(n))
        assert time.monotonic() - start < 0.5
        sink.flush(10)
        sink.close()
    assert sink.sent == 0 and sink.lost == 20 and sink.failed >= 8
    assert "alert lost" in caplog.text  # at the first loss...
    summary = caplog.records[-1].getMessage()  # ...and summed up at close
    assert f"{sink.dropped} dropped, {sink.failed} failed" in summary


def test_slow_endpoint_overflow_is_dropped_not_waited_for(
    server_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = server_factory(delay=1.0)
    sink = WebhookSink(server.url, queue_size=4, close_timeout=1.5)
    with caplog.at_level(logging.WARNING):
        start = time.monotonic()
        for n in range(30):
            sink.emit(make_alert(n))
        emitting = time.monotonic() - start
        sink.close()  # waits at most close_timeout (+ the request under way)
        closing = time.monotonic() - start
    assert emitting < 0.5 and closing < 1.5 + 5 + 1.5
    assert sink.dropped >= 25 and sink.sent + sink.lost == 30
    assert "queue full" in caplog.text


def test_throughput(server_factory: Any) -> None:
    server = server_factory()
    sink = WebhookSink(server.url, queue_size=10000)
    n = 1000
    alerts = [make_alert(i) for i in range(n)]
    start = time.monotonic()
    for alert in alerts:
        sink.emit(alert)
    assert sink.flush(60)
    rate = n / (time.monotonic() - start)
    sink.close()
    print(f"webhook sink: {rate:.0f} alerts/s to a loopback http.server")
    assert sink.sent == n and len(server.requests) == n and rate > 50


def test_redact_and_bad_url() -> None:
    assert redact("https://u:p@h.example:8443/p?token=x") == "https://h.example:8443/p"
    with pytest.raises(ValueError, match="http"):
        WebhookSink("file:///etc/passwd")
