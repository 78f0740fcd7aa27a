"""The Kubernetes audit webhook: an HTTP(S) endpoint the API server posts its audit
events to (``--audit-webhook-config-file``), each batch evaluated against the rules.

    server = AuditWebhook(WebhookConfig(token="s3cret"), ruleset, emit=sink_emit)
    server.start()             # serves in a thread; server.address is (host, port)
    ...
    server.shutdown()

The API server's webhook backend POSTs ``audit.k8s.io/v1`` ``EventList`` documents
(a single ``Event`` is accepted too) and retries on errors. Each request must carry
``Authorization: Bearer <token>`` (the kubeconfig's ``user.token``), compared in constant
time, else 401. The body needs a ``Content-Length`` (411 without: the API server always
sends one) of at most `WebhookConfig.max_body` bytes (413 beyond, not read); a body that
is not JSON, or not an EventList/Event, is 400 with the reason. Any path is accepted
(the kubeconfig's server URL decides it); ``GET /healthz`` answers 200 without a token.

Why the standard library's ``http.server`` rather than FastAPI/uvicorn: one POST route,
no dependency to add (neither is installed), no event loop to share with the blocking
rules engine. What it lacks is handled here: a socket timeout per connection (a slow
client cannot hold a thread), at most `WebhookConfig.max_concurrent` requests at once
(503 beyond, which the API server retries), TLS handshakes done in the request's thread
rather than in the accepting one, and no request logging (headers carry the token).
"""

from __future__ import annotations

import hmac
import json
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from mamori.app.logscan import K8S_AUDIT, LogMatch, evaluate
from mamori.rules import RuleSet

MAX_BODY = 12 << 20  # the API server truncates batches at 10 MiB by default
DRAIN_MAX = 64 << 20  # a refused body up to this size is read (and dropped), not cut off


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    token: str
    host: str = "127.0.0.1"
    port: int = 8765
    max_body: int = MAX_BODY
    max_concurrent: int = 4
    timeout: float = 30.0
    tls_cert: Path | None = None
    tls_key: Path | None = None
    cluster: str = ""
    match_all: bool = False


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[V6]:PORT`` or ``:PORT`` (loopback) as (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r}: expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


class AuditWebhook:
    """The server (see the module docstring). `emit` receives each match; it is called
    under a lock, one batch at a time, so it need not be thread-safe."""

    def __init__(
        self, config: WebhookConfig, ruleset: RuleSet, emit: Callable[[LogMatch], None]
    ) -> None:
        if not config.token:
            raise ValueError("the webhook needs a non-empty bearer token")
        self.config = config
        self.ruleset = ruleset
        self.emit = emit
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(config.max_concurrent)
        self._token = config.token.encode()
        self._thread: threading.Thread | None = None
        server = _Server6 if ":" in config.host else _Server
        self.httpd = server((config.host, config.port), _handler(self))
        if config.tls_cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(config.tls_cert, config.tls_key)
            self.httpd.socket = context.wrap_socket(
                self.httpd.socket, server_side=True, do_handshake_on_connect=False
            )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        scheme = "https" if self.config.tls_cert is not None else "http"
        host, port = self.address
        return f"{scheme}://{host if ':' not in host else f'[{host}]'}:{port}/"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="k8s-audit", daemon=True)
        self._thread.start()

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def shutdown(self) -> None:
        """Stop accepting, let the request in progress finish, close the socket."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=10)
        self.httpd.server_close()

    def authorized(self, header: str | None) -> bool:
        scheme, _, given = (header or "").partition(" ")
        ok = hmac.compare_digest(given.strip().encode(), self._token)
        return ok and scheme.lower() == "bearer"

    def handle_batch(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """Status and JSON reply for one request body (authorized, size checked)."""
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError) as exc:
            return 400, {"error": f"malformed JSON: {exc!s:.200}"}
        if not isinstance(doc, dict) or doc.get("kind") not in ("EventList", "Event"):
            return 400, {"error": "expected an audit.k8s.io EventList (or Event) object"}
        items = doc.get("items") if doc["kind"] == "EventList" else [doc]
        if not isinstance(items, list):
            return 400, {"error": "an EventList whose items is not a list"}
        events = [e for e in items if isinstance(e, dict)]
        cfg = self.config
        with self._lock:
            self.stats["batches"] += 1
            self.stats["events"] += len(events)
            self.stats["skipped"] += len(items) - len(events)
            matches = 0
            found = evaluate(
                events, self.ruleset, K8S_AUDIT, match_all=cfg.match_all, cluster=cfg.cluster
            )
            for m in found:
                self.emit(m)
                matches += 1
            self.stats["alerts"] += matches
        return 200, {"events": len(events), "alerts": matches}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A broken connection or TLS handshake: not worth a traceback on stderr."""


class _Server6(_Server):
    address_family = socket.AF_INET6


def _handler(app: AuditWebhook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "mamori-k8s-audit"
        sys_version = ""
        protocol_version = "HTTP/1.1"
        timeout = app.config.timeout

        def setup(self) -> None:
            super().setup()
            if isinstance(self.connection, ssl.SSLSocket):
                self.connection.do_handshake()

        def log_message(self, format: str, *args: Any) -> None:
            """No access log: nothing about a request is printed."""

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/healthz":
                self._reply(200, {"status": "ok"})
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length")
            size = int(length) if length is not None and length.strip().isdigit() else -1
            if not app.authorized(self.headers.get("Authorization")):
                app.stats["401"] += 1
                self._refuse(401, "missing or wrong bearer token", size)
                return
            if size < 0:
                self._reply(411, {"error": "a Content-Length is required"}, close=True)
                return
            if size > app.config.max_body:
                app.stats["413"] += 1
                limit = app.config.max_body
                self._refuse(413, f"body of {size} bytes is over the {limit}-byte limit", size)
                return
            if not app._slots.acquire(blocking=False):
                self._reply(503, {"error": "busy, retry"}, close=True)
                return
            try:
                body = self.rfile.read(size)
                if len(body) < size:
                    self.close_connection = True
                    return
                status, reply = app.handle_batch(body)
            except Exception as exc:  # a failing sink: report it, keep serving
                status, reply = 500, {"error": f"{type(exc).__name__}: {exc!s:.200}"}
            finally:
                app._slots.release()
            app.stats[str(status)] += 1
            self._reply(status, reply)

        def do_PUT(self) -> None:
            self._reply(405, {"error": "POST audit events"}, close=True)

        do_DELETE = do_PATCH = do_PUT  # noqa: N815

        def _refuse(self, status: int, error: str, size: int) -> None:
            """Reply, then read and drop a body of reasonable size so that the client,
            still sending, gets the reply rather than a connection reset."""
            self._reply(status, {"error": error}, close=True)
            if 0 < size <= DRAIN_MAX:
                try:
                    while size > 0:
                        chunk = self.rfile.read(min(size, 1 << 16))
                        if not chunk:
                            break
                        size -= len(chunk)
                except OSError:
                    pass

        def _reply(self, status: int, doc: dict[str, Any], close: bool = False) -> None:
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Bearer realm="mamori"')
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(data)

    return Handler
