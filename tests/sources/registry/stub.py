"""A scriptable registry on loopback for hostile answers: each test sets the routes.

`StubImage` holds a small valid image (config, one gzip layer, manifest) whose routes
the stub serves; a test then replaces one route with a hostile answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.sources.imagefix import E, compress, layer_tar, sha

Route = Callable[["Handler"], None]
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


class Handler(BaseHTTPRequestHandler):
    server: StubServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        stub = self.server.stub
        path = self.path.split("?")[0]
        stub.seen.append((path, self.headers.get("Authorization")))
        route = stub.routes.get(path)
        if route is None:
            self.reply(404, json.dumps({"errors": [{"code": "NOT_FOUND", "message": path}]}))
            return
        route(self)

    def reply(
        self,
        status: int,
        body: bytes | str = b"",
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data) if length is None else length))
        self.end_headers()
        self.wfile.write(data)


class StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, stub: Stub) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.stub = stub


@dataclass
class Stub:
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, str | None]] = field(default_factory=list)
    port: int = 0

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.seen if p == path)


@contextmanager
def stub_server() -> Iterator[Stub]:
    stub = Stub()
    server = StubServer(stub)
    stub.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def static(body: bytes | str, status: int = 200, headers: dict[str, str] | None = None) -> Route:
    return lambda h: h.reply(status, body, headers)


@dataclass
class StubImage:
    """A one-layer image; `install(stub, repo, tag)` serves it."""

    layer_raw: bytes = field(
        default_factory=lambda: layer_tar([E("etc", kind="dir"), E("etc/hello", data=b"hi\n")])
    )

    def __post_init__(self) -> None:
        self.layer = compress(self.layer_raw, "gzip")
        self.config = json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "rootfs": {"type": "layers", "diff_ids": [sha(self.layer_raw)]},
            }
        ).encode()
        self.manifest_doc: dict[str, object] = {
            "schemaVersion": 2,
            "mediaType": MANIFEST_TYPE,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sha(self.config),
                "size": len(self.config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": sha(self.layer),
                    "size": len(self.layer),
                }
            ],
        }

    @property
    def manifest(self) -> bytes:
        return json.dumps(self.manifest_doc).encode()

    def blob_path(self, repo: str, data: bytes) -> str:
        return f"/v2/{repo}/blobs/{sha(data)}"

    def install(self, stub: Stub, repo: str = "img", tag: str = "1") -> None:
        manifest = self.manifest
        headers = {"Content-Type": MANIFEST_TYPE, "Docker-Content-Digest": sha(manifest)}
        stub.routes["/v2/"] = static("{}")
        stub.routes[f"/v2/{repo}/manifests/{tag}"] = static(manifest, headers=headers)
        stub.routes[f"/v2/{repo}/manifests/{sha(manifest)}"] = static(manifest, headers=headers)
        stub.routes[self.blob_path(repo, self.config)] = static(self.config)
        stub.routes[self.blob_path(repo, self.layer)] = static(self.layer)
