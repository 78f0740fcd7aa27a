"""Servers and recorded answers for the kubelet and CRI tests (no tests here).

No kubelet, CRI-O or Docker daemon can run on this machine, so the tests serve RECORDED
answers in the exact shapes those APIs return (the kubelet's ``GET /pods`` is a ``v1``
``PodList``; CRI-O's ``GET /containers/{id}`` is its ``types.ContainerInfo``; Docker's
``GET /containers/{id}/json`` is ``docker inspect``) from real servers: HTTPS on
127.0.0.1 with a CA made here by the ``cryptography`` package and a bearer token
checked as the kubelet checks it (401 otherwise), and HTTP over unix sockets.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mamori.app.agent import Agent
from mamori.model.events import SyscallEvent, TaskContext
from mamori.rules.sources.syscall import SYSCALL
from mamori.runtime.podman import ContainerMetadata

TOKEN = "eyJhbGciOiJSUzI1NiJ9.mamori-test-token.c2lnbmF0dXJl"
POD_UID = "5b7e3f02-8c1d-4a6e-9f3b-2d4c6e8a0b1c"
NGINX = "3c0a1d5e7f9b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d"
INIT = "7e1f3a5c9b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a"
DEBUG = "9d2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0d"
SIDECAR = "c4e6a8b0d2f4163850a7c9e1b3d5f7092b4d6f8a0c2e4a6b8c0d2e4f6a8b0c2d"
KUBEPODS = (
    "0::/kubepods.slice/kubepods-burstable.slice/"
    f"kubepods-burstable-pod{POD_UID.replace('-', '_')}.slice/cri-containerd-{NGINX}.scope"
)


def pod_list() -> dict[str, object]:
    """A ``GET /pods`` answer as a kubelet (containerd node) returns it, trimmed to two
    pods: a Deployment's pod (init, app and ephemeral debug container, a hostPath
    mount, privileged app container) and a pod whose second container is still waiting
    (no containerID yet)."""
    web = {
        "metadata": {
            "name": "web-6d4cf56db6-x7k2p", "generateName": "web-6d4cf56db6-",
            "namespace": "shop", "uid": POD_UID, "resourceVersion": "918273",
            "creationTimestamp": "2026-11-29T18:02:11Z",
            "labels": {"app": "web", "pod-template-hash": "6d4cf56db6", "tier": "frontend"},
            "annotations": {"kubernetes.io/config.seen": "2026-11-29T18:02:11.512Z",
                            "kubernetes.io/config.source": "api"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                 "name": "web-6d4cf56db6", "uid": "0d5a...",
                                 "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": {
            "volumes": [
                {"name": "varlog", "hostPath": {"path": "/var/log", "type": "Directory"}},
                {"name": "kube-api-access-8x2kq", "projected": {"sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}],
                    "defaultMode": 420}},
            ],
            "initContainers": [{"name": "migrate", "image": "registry.example:5000/shop/migrate:3",
                                "resources": {}, "imagePullPolicy": "IfNotPresent"}],
            "containers": [{
                "name": "nginx", "image": "nginx:1.25.3",
                "ports": [{"containerPort": 80, "protocol": "TCP"}], "resources": {},
                "volumeMounts": [
                    {"name": "varlog", "readOnly": True, "mountPath": "/host/var/log",
                     "mountPropagation": "HostToContainer"},
                    {"name": "kube-api-access-8x2kq", "readOnly": True,
                     "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
                "securityContext": {"privileged": True},
                "terminationMessagePath": "/dev/termination-log",
                "imagePullPolicy": "IfNotPresent",
            }],
            "ephemeralContainers": [{"name": "debugger-w2x8z", "image": "busybox:1.36",
                                     "resources": {}, "stdin": True, "tty": True}],
            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "nodeName": "node-a", "schedulerName":
            "default-scheduler", "priority": 0, "enableServiceLinks": True,
        },
        "status": {
            "phase": "Running", "hostIP": "10.0.3.17", "hostIPs": [{"ip": "10.0.3.17"}],
            "podIP": "10.244.1.23", "podIPs": [{"ip": "10.244.1.23"}],
            "startTime": "2026-11-29T18:02:11Z", "qosClass": "Burstable",
            "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None,
                            "lastTransitionTime": "2026-11-29T18:02:19Z"}],
            "initContainerStatuses": [{
                "name": "migrate", "ready": True, "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                         "startedAt": "2026-11-29T18:02:13Z",
                                         "finishedAt": "2026-11-29T18:02:17Z",
                                         "containerID": f"containerd://{INIT}"}},
                "lastState": {}, "image": "registry.example:5000/shop/migrate:3",
                "imageID": "registry.example:5000/shop/migrate@sha256:" + "1f" * 32,
                "containerID": f"containerd://{INIT}", "started": False,
            }],
            "containerStatuses": [{
                "name": "nginx", "state": {"running": {"startedAt": "2026-11-29T18:02:18Z"}},
                "lastState": {}, "ready": True, "restartCount": 0,
                "image": "docker.io/library/nginx:1.25.3",
                "imageID": "docker.io/library/nginx@sha256:" + "ab" * 32,
                "containerID": f"containerd://{NGINX}", "started": True,
            }],
            "ephemeralContainerStatuses": [{
                "name": "debugger-w2x8z", "state": {"running": {"startedAt":
                                                               "2026-11-29T18:40:02Z"}},
                "lastState": {}, "ready": False, "restartCount": 0,
                "image": "docker.io/library/busybox:1.36",
                "imageID": "docker.io/library/busybox@sha256:" + "cd" * 32,
                "containerID": f"containerd://{DEBUG}",
            }],
        },
    }  # fmt: skip
    exporter = "quay.io/prometheuscommunity/postgres-exporter:v0.15.0"
    waiting = {
        "metadata": {"name": "db-0", "namespace": "shop",
                     "uid": "e1d2c3b4-0000-4aaa-8bbb-1234567890ab",
                     "labels": {"app": "db", "statefulset.kubernetes.io/pod-name": "db-0"}},
        "spec": {"containers": [{"name": "postgres", "image": "postgres:16"},
                                {"name": "exporter", "image": exporter}]},
        "status": {"phase": "Pending", "podIP": "10.244.1.24", "containerStatuses": [
            {"name": "postgres", "state": {"running": {"startedAt": "2026-11-29T18:05:00Z"}},
             "lastState": {}, "ready": True, "restartCount": 1,
             "image": "docker.io/library/postgres:16",
             "imageID": "docker.io/library/postgres@sha256:" + "ef" * 32,
             "containerID": f"containerd://{SIDECAR}", "started": True},
            {"name": "exporter", "state": {"waiting": {"reason": "ContainerCreating"}},
             "lastState": {}, "ready": False, "restartCount": 0, "image": exporter,
             "imageID": "", "started": False},
        ]},
    }  # fmt: skip
    return {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [web, waiting]}


@dataclass
class Route:
    """What a path answers: status, body, a delay before answering, or a body sent a
    byte at a time (`drip` seconds apart), without a Content-Length when `chunked`."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    drip: float = 0.0
    length: bool = True


@dataclass
class Served:
    routes: dict[str, Route] = field(default_factory=dict)
    token: str | None = None  # when set: 401 without ``Authorization: Bearer <token>``
    seen: list[tuple[str, str | None]] = field(default_factory=list)  # (path, auth header)
    stop: threading.Event = field(default_factory=threading.Event)

    def json(self, path: str, doc: object, **kw: float | bool) -> None:
        self.routes[path] = Route(body=json.dumps(doc).encode(), **kw)  # type: ignore[arg-type]


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return None

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization")
            served.seen.append((self.path, auth))
            if served.token is not None and auth != f"Bearer {served.token}":
                self._send(Route(401, b'{"kind":"Status","status":"Failure","code":401}'))
                return
            self._send(served.routes.get(self.path, Route(404, b"404 page not found\n")))

        def _send(self, route: Route) -> None:
            if route.delay:
                served.stop.wait(route.delay)
            self.send_response(route.status)
            self.send_header("Content-Type", "application/json")
            if route.length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            try:
                if not route.drip:
                    self.wfile.write(route.body)
                    return
                for i in range(len(route.body)):
                    if served.stop.wait(route.drip):
                        return
                    self.wfile.write(route.body[i : i + 1])
                    self.wfile.flush()
            except OSError:
                return  # the client gave up: expected in the timeout tests

    return Handler


def make_ca(tmp: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate it signs for 127.0.0.1 / localhost: (ca, cert, key)."""
    now = datetime.datetime.now(datetime.UTC)

    def cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
             signer: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:  # fmt: skip
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )  # fmt: skip
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)  # fmt: skip
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mamori-test-ca")])
    ca_cert = cert("mamori-test-ca", ca_key, ca_name, ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    server = cert("node-a", key, ca_name, ca_key, False)
    paths = (tmp / "ca.crt", tmp / "kubelet.crt", tmp / "kubelet.key")
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return paths


@contextmanager
def https_server(served: Served, cert: Path, key: Path) -> Iterator[str]:
    """A kubelet stand-in on 127.0.0.1 (TLS with `cert`); yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with _serving(server, served):
        yield f"https://127.0.0.1:{server.server_address[1]}"


@contextmanager
def http_server(served: Served) -> Iterator[str]:
    """Plain HTTP on 127.0.0.1 (the kubelet's read-only port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    with _serving(server, served):
        yield f"http://127.0.0.1:{server.server_address[1]}"


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


@contextmanager
def unix_server(served: Served, path: Path) -> Iterator[Path]:
    """HTTP over a unix socket (CRI-O's and Docker's APIs)."""
    server = _UnixServer(str(path), _handler(served))
    with _serving(server, served):
        yield path


@contextmanager
def _serving(server: socketserver.BaseServer, served: Served) -> Iterator[None]:
    if isinstance(server, ThreadingHTTPServer):
        server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)  # fmt: skip
    thread.start()
    try:
        yield
    finally:
        served.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


class FakeSensor:
    """Hands the agent the batches a test queues."""

    def __init__(self) -> None:
        self.batches: list[list[SyscallEvent]] = []

    def start(self) -> object:
        return self

    def poll(self, timeout: float | None = None) -> list[SyscallEvent]:
        return self.batches.pop(0) if self.batches else []

    def stop(self) -> None:
        return None


class FakeCgroups:
    """Cgroup id 4242 -> `path` (what `CgroupResolver` reads from /proc and the cgroup
    tree on a real node)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def lookup(self, cgroup_id: int, pid: int) -> tuple[str, ...] | None:
        return (self.path.replace("0::", "unified="),) if cgroup_id == 4242 else None


def exec_event(cgroup: str, ts: int, tid: int) -> SyscallEvent:
    """A live execve exit of nginx in the container whose cgroup is `cgroup`."""
    ctx = TaskContext(tid, 1, 0, 0, 0, -1, "nginx", 4242, 1, 1, 1)
    params: dict[str, Any] = {
        "res": 0, "exe": "/usr/sbin/nginx", "args": ("-g", "daemon off;"), "tid": tid,
        "pid": tid, "ptid": 1, "cwd": "/", "comm": "nginx", "cgroups": (cgroup,), "uid": 0,
        "gid": 0,
    }  # fmt: skip
    return SyscallEvent(ts, tid, "execve", "<", params, ctx=ctx)


def pipeline(
    fields: tuple[str, ...], cgroup: str, metadata: ContainerMetadata
) -> tuple[Agent, FakeSensor, list[dict[str, Any]]]:
    """The real agent (state engine, metadata between batches) with a sink that records
    `fields` as the ``syscall`` source's getters read them."""

    def split(text: str) -> tuple[str, str | None]:
        name, _, arg = text.partition("[")
        return name, arg[:-1] if arg else None

    getters = [(f, SYSCALL.compile_field(SYSCALL.resolve(*split(f))[1])) for f in fields]
    rows: list[dict[str, Any]] = []
    sensor = FakeSensor()
    agent = Agent(sensor, metadata=metadata, snapshot=False,
                  cgroups=FakeCgroups(cgroup),  # type: ignore[arg-type]
                  sinks=[lambda v: rows.append({f: g(v) for f, g in getters})])  # fmt: skip
    return agent, sensor, rows


def settle(agent: Agent, container_id: str, timeout: float = 5.0) -> None:
    """Poll until the container's metadata reached the state engine."""
    deadline = time.monotonic() + timeout
    while agent.engine.containers.get(container_id) is None and time.monotonic() < deadline:
        agent.poll(0.01)
