"""Real registries for the tests: Debian's docker-registry (distribution v2.8) on a free
loopback port, with no auth, htpasswd (bcrypt) or token auth, and a token server that
signs ES256 JWTs with a self-signed certificate the registry trusts.
"""

from __future__ import annotations

import base64
import datetime
import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import yaml

SERVICE = "mamori-test-registry"
ISSUER = "mamori-test-issuer"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("docker-registry did not start listening")


@dataclass
class Registry:
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextmanager
def run_registry(
    storage: Path,
    work: Path,
    auth: dict[str, object] | None = None,
    tls: dict[str, str] | None = None,
) -> Iterator[Registry]:
    """docker-registry serving `storage` on 127.0.0.1:<free port>; stopped on exit."""
    port = free_port()
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(storage)}, "delete": {"enabled": False}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": "mamori-test-secret"},
    }
    if auth:
        config["auth"] = auth
    if tls:
        config["http"]["tls"] = tls  # type: ignore[index]
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / f"registry-{port}.yml"
    cfg.write_text(yaml.safe_dump(config))
    log = work / f"registry-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["docker-registry", "serve", str(cfg)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_port(port, proc, log)
        yield Registry(port, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def write_htpasswd(path: Path, users: dict[str, str]) -> None:
    import bcrypt  # the registry only accepts bcrypt entries

    lines = [
        f"{u}:{bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=4)).decode()}"
        for u, p in users.items()
    ]
    path.write_text("\n".join(lines) + "\n")


def write_tls_cert(cert: Path, key: Path) -> None:
    """A self-signed certificate for 127.0.0.1 (trusted by nobody)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(san, critical=False)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenServer:
    """A token endpoint like Docker Hub's auth service, with its signing certificate.

    `users` None issues tokens to anyone; otherwise basic auth must match an entry.
    `grants` maps a user ("" for anonymous) to the repositories it may pull.
    """

    cert_pem: Path
    users: dict[str, str] | None = None
    grants: dict[str, set[str]] | None = None
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (scope, user)
    port: int = 0
    _server: ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mamori test token signer")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def jwt(self, user: str, scope: str) -> str:
        """An ES256 JWT as distribution's token auth verifies it (x5c chain, aud, access)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        access = []
        kind, _, rest = scope.partition(":")
        repo, _, actions = rest.rpartition(":")
        allowed = self.grants is None or repo in self.grants.get(user, set())
        if kind == "repository" and repo and allowed:
            access = [
                {"type": kind, "name": repo, "actions": ["pull"] if "pull" in actions else []}
            ]
        now = int(time.time())
        header = {"typ": "JWT", "alg": "ES256", "x5c": [self._x5c]}
        claims = {
            "iss": ISSUER,
            "sub": user,
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": f"{now}-{len(self.requests)}",
            "access": access,
        }
        signing = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        der = self._key.sign(signing.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                scope = query.get("scope", [""])[0]
                user = owner._user(self.headers.get("Authorization"))
                owner.requests.append((scope, user))
                if user is None or query.get("service", [""])[0] != SERVICE:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"token": owner.jwt(user, scope), "expires_in": 300}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def _user(self, header: str | None) -> str | None:
        """The authenticated user, "" for anonymous, None for wrong credentials."""
        if not header:
            return "" if self.users is None or "" in self.users else None
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        if self.users is None or self.users.get(user) == password:
            return user
        return None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def registry_auth(self) -> dict[str, object]:
        return {
            "token": {
                "realm": self.realm,
                "service": SERVICE,
                "issuer": ISSUER,
                "rootcertbundle": str(self.cert_pem),
            }
        }
