"""A Kubernetes API server stand-in for tests/workload/test_k8s_cluster.py.

No Kubernetes API server runs here: this serves recorded-shape API responses
(fixtures/cluster/responses.yaml) from a real HTTPS server on 127.0.0.1, with a
certificate from a CA made here, behind a bearer token, with `limit`/`continue` paging as
the API server does, and 403 for ClusterRoleBindings (an RBAC denial).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

FIXTURES = Path(__file__).parent / "fixtures"
RESPONSES: dict[str, dict[str, Any]] = yaml.safe_load(
    (FIXTURES / "cluster" / "responses.yaml").read_text()
)
TOKEN = "mamori-test-token-7c1e"
DENIED = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"
# objects whose controlling owner is served too: the scan skips them (kind, namespace, name)
OWNED = {
    ("ReplicaSet", "shop", "web-7d4b9c6f8"),
    ("Pod", "shop", "web-7d4b9c6f8-x2k9p"),
    ("Pod", "shop", "web-7d4b9c6f8-q7wzd"),
    ("Pod", "kube-system", "kube-proxy-5mz8t"),
    ("Job", "legacy", "report-29404980"),
    ("Pod", "legacy", "report-29404980-8wq2n"),
}


def status_doc(code: int, reason: str, message: str) -> dict[str, Any]:
    """A metav1.Status body, as the API server sends with an error."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class ApiServer:
    """Serves RESPONSES like kube-apiserver: list paths, namespaced list paths, paging."""

    def __init__(self, tmp: Path) -> None:
        self.requests: list[tuple[str, dict[str, list[str]], str]] = []
        self.override: dict[str, tuple[int, bytes]] = {}  # path -> (status, raw body)
        self.ca_file = tmp / "ca.pem"
        context = self._tls(tmp)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                auth = self.headers.get("Authorization", "")
                outer.requests.append((url.path, query, auth))
                code, body = outer.answer(url.path, query, auth)
                data = json.dumps(body).encode()
                if url.path in outer.override:
                    code, data = outer.override[url.path]
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _tls(self, tmp: Path) -> ssl.SSLContext:
        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mamori-test-ca")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        cert_file, key_file = tmp / "server.pem", tmp / "server.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context

    def answer(
        self, path: str, query: dict[str, list[str]], auth: str
    ) -> tuple[int, dict[str, Any]]:
        scheme, _, credential = auth.partition(" ")
        if scheme.lower() != "bearer" or credential != TOKEN:  # the scheme: as kube-apiserver
            return 401, status_doc(401, "Unauthorized", "Unauthorized")
        namespace = None
        parts = path.strip("/").split("/")
        if "namespaces" in parts[:-1] and len(parts) >= 4 and parts[-3] == "namespaces":
            namespace = parts[-2]
            path = "/" + "/".join(parts[:-3] + parts[-1:])
        if path == DENIED:
            message = (
                'clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "system:'
                'serviceaccount:ci:scanner" cannot list resource "clusterrolebindings" in API'
                ' group "rbac.authorization.k8s.io" at the cluster scope'
            )
            return 403, status_doc(403, "Forbidden", message)
        if path not in RESPONSES:
            return 404, status_doc(
                404, "NotFound", "the server could not find the requested resource"
            )
        listing = RESPONSES[path]
        items = [i for i in listing["items"] if namespace in (None, i["metadata"].get("namespace"))]
        start = 0
        if "continue" in query:
            token = json.loads(base64.urlsafe_b64decode(query["continue"][0]))
            start = int(token["start"])
        limit = int(query.get("limit", ["0"])[0]) or len(items) or 1
        page = items[start : start + limit]
        meta: dict[str, Any] = {"resourceVersion": listing["metadata"]["resourceVersion"]}
        if start + limit < len(items):
            token = {"v": "meta.k8s.io/v1", "rv": 90211, "start": start + limit}
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
            meta["remainingItemCount"] = len(items) - start - limit
        return 200, {
            "kind": listing["kind"],
            "apiVersion": listing["apiVersion"],
            "metadata": meta,
            "items": page,
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
