"""A hostile registry (a stub on loopback): every bad answer is a clear RegistryError,
retries are bounded, and nothing is written outside the destination and the cache."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.model import Notice
from mamori.sources.image import open_image
from mamori.sources.registry import (
    ClientOptions,
    Credentials,
    RegistryError,
    RetryPolicy,
    pull_to_layout,
)
from mamori.sources.registry.client import RegistryClient
from mamori.sources.registry.reference import parse_reference
from tests.sources.imagefix import sha
from tests.sources.registry.stub import Handler, Stub, StubImage, static, stub_server

pytestmark = pytest.mark.network


@pytest.fixture
def stub() -> Iterator[Stub]:
    with stub_server() as server:
        yield server


class Env:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.dest = root / "dest"
        self.cache = root / "cache"
        self.sleeps: list[float] = []

    def options(self, **kwargs: object) -> ClientOptions:
        kwargs.setdefault("retry", RetryPolicy(attempts=3, base_delay=0.25, max_delay=1.0))
        return ClientOptions(sleep=self.sleeps.append, timeout=5.0, **kwargs)  # type: ignore[arg-type]

    def pull(self, ref: str, **kwargs: object) -> object:
        options = kwargs.pop("options", None) or self.options()
        return pull_to_layout(ref, self.dest, cache_dir=self.cache, options=options, **kwargs)  # type: ignore[arg-type]

    def files(self) -> set[str]:
        found = set()
        for dirpath, _dirs, names in os.walk(self.root):
            for name in names:
                found.add(os.path.relpath(os.path.join(dirpath, name), self.root))
        return found

    def assert_clean(self) -> None:
        """The failed pull left no destination, no partial file, and nothing elsewhere."""
        files = self.files()
        assert not self.dest.exists()
        assert all(f.startswith("cache/sha256/") for f in files), files
        assert not any(".partial-" in f for f in files), files


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_the_stub_image_pulls(stub: Stub, env: Env, workdir: Path) -> None:
    StubImage().install(stub)
    pulled = env.pull(f"{stub.host}/img:1")
    notices: list[Notice] = []
    with open_image(pulled.layout, workdir=workdir, notices=notices) as tree:  # type: ignore[attr-defined]
        assert tree.read_text("/etc/hello") == "hi\n"


def test_blob_with_the_wrong_digest(stub: Stub, env: Env) -> None:
    image = StubImage()
    image.install(stub)
    stub.routes[image.blob_path("img", image.layer)] = static(bytes(len(image.layer)))
    with pytest.raises(RegistryError, match="arrived with digest sha256:"):
        env.pull(f"{stub.host}/img:1")
    env.assert_clean()
    assert not (env.cache / "sha256" / sha(image.layer).split(":")[1]).exists()


def test_blob_longer_than_its_descriptor(stub: Stub, env: Env) -> None:
    image = StubImage()
    image.install(stub)
    stub.routes[image.blob_path("img", image.layer)] = static(image.layer + b"x" * 4096)
    with pytest.raises(RegistryError, match="larger than the"):
        env.pull(f"{stub.host}/img:1")
    env.assert_clean()


def test_truncated_blob_is_retried_a_bounded_number_of_times(stub: Stub, env: Env) -> None:
    image = StubImage()
    image.install(stub)
    path = image.blob_path("img", image.layer)
    half = image.layer[: len(image.layer) // 2]
    stub.routes[path] = lambda h: h.reply(200, half, length=len(image.layer))
    with pytest.raises(RegistryError, match="gave up after 3 attempts"):
        env.pull(f"{stub.host}/img:1")
    assert stub.hits(path) == 3 and len(env.sleeps) == 2
    env.assert_clean()


def test_manifest_digest_checks(stub: Stub, env: Env) -> None:
    image = StubImage()
    image.install(stub)
    good = image.manifest
    other = sha(b"something else")
    stub.routes[f"/v2/img/manifests/{other}"] = static(good)
    with pytest.raises(RegistryError, match="arrived with digest"):
        env.pull(f"{stub.host}/img@{other}")
    headers = {
        "Content-Type": "application/vnd.oci.image.manifest.v1+json",
        "Docker-Content-Digest": other,
    }
    stub.routes["/v2/img/manifests/1"] = static(good, headers=headers)
    with pytest.raises(RegistryError, match="says its digest is"):
        env.pull(f"{stub.host}/img:1")
    env.assert_clean()


@pytest.mark.parametrize("declared", [True, False])
def test_oversized_manifest(stub: Stub, env: Env, declared: bool) -> None:
    StubImage().install(stub)
    big = b'{"schemaVersion": 2, "x": "' + b"a" * (256 * 1024) + b'"}'

    def send(h: Handler) -> None:
        h.send_response(200)
        if declared:
            h.send_header("Content-Length", str(len(big)))
        h.end_headers()
        h.wfile.write(big)

    stub.routes["/v2/img/manifests/1"] = send
    with pytest.raises(RegistryError, match="cap"):
        env.pull(f"{stub.host}/img:1", options=env.options(max_manifest_bytes=64 * 1024))
    env.assert_clean()


def test_oversized_config_is_not_downloaded(stub: Stub, env: Env) -> None:
    image = StubImage()
    image.manifest_doc["config"]["size"] = 65 * 1024 * 1024  # type: ignore[index]
    image.install(stub)
    with pytest.raises(RegistryError, match="over the 67108864-byte cap"):
        env.pull(f"{stub.host}/img:1")
    assert stub.hits(image.blob_path("img", image.config)) == 0
    env.assert_clean()


@pytest.mark.parametrize(
    "bad", ["sha256:../../etc", "sha256:../../../../etc/passwd", "md5:abc", "sha256:" + "A" * 64]
)
@pytest.mark.parametrize("where", ["layer", "config", "index"])
def test_digests_that_are_paths_are_refused(stub: Stub, env: Env, bad: str, where: str) -> None:
    image = StubImage()
    if where == "layer":
        image.manifest_doc["layers"][0]["digest"] = bad  # type: ignore[index]
    elif where == "config":
        image.manifest_doc["config"]["digest"] = bad  # type: ignore[index]
    image.install(stub)
    if where == "index":
        index = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": bad,
                    "size": 10,
                    "platform": {"os": "linux", "architecture": "amd64"},
                }
            ],
        }
        stub.routes["/v2/img/manifests/1"] = static(json.dumps(index))
    with pytest.raises(RegistryError, match="not a valid sha256/sha512 digest"):
        env.pull(f"{stub.host}/img:1")
    assert not any("/blobs/" in p for p, _ in stub.seen)
    env.assert_clean()
    assert not (env.root.parent / "etc").exists()


def test_redirect_loop(stub: Stub, env: Env) -> None:
    image = StubImage()
    image.install(stub)
    stub.routes[image.blob_path("img", image.layer)] = static("", 302, {"Location": "/loop"})
    stub.routes["/loop"] = static("", 307, {"Location": "/loop"})
    with pytest.raises(RegistryError, match="too many redirects"):
        env.pull(f"{stub.host}/img:1")
    assert stub.hits("/loop") == 5  # max_redirects, one attempt: a loop is not retried
    env.assert_clean()


def test_429_with_retry_after(stub: Stub, env: Env) -> None:
    image = StubImage()
    image.install(stub)
    serve = stub.routes["/v2/img/manifests/1"]
    calls = []

    def busy_twice(h: Handler) -> None:
        calls.append(1)
        if len(calls) <= 2:
            h.reply(429, "slow down", {"Retry-After": "7"})
        else:
            serve(h)

    stub.routes["/v2/img/manifests/1"] = busy_twice
    env.pull(f"{stub.host}/img:1")
    assert env.sleeps == [7.0, 7.0]
    env.sleeps.clear()
    stub.routes["/v2/img/manifests/1"] = static("", 429, {"Retry-After": "100000"})
    with pytest.raises(RegistryError, match=r"429 Too Many Requests.*gave up after 3 attempts"):
        pull_to_layout(
            f"{stub.host}/img:1", env.root / "again", cache_dir=env.cache, options=env.options()
        )
    assert env.sleeps == [60.0, 60.0]  # Retry-After is capped
    assert stub.hits("/v2/img/manifests/1") == 3 + 3


def test_5xx_backoff_then_success(stub: Stub, env: Env) -> None:
    image = StubImage()
    image.install(stub)
    path = image.blob_path("img", image.layer)
    serve = stub.routes[path]
    calls = []

    def flaky(h: Handler) -> None:
        calls.append(1)
        serve(h) if len(calls) > 2 else h.reply(503, "down")

    stub.routes[path] = flaky
    pulled = env.pull(f"{stub.host}/img:1")
    assert pulled.blobs_downloaded == 2  # type: ignore[attr-defined]
    assert len(env.sleeps) == 2
    assert 0.125 <= env.sleeps[0] <= 0.25 and 0.25 <= env.sleeps[1] <= 0.5  # doubled, jittered


def test_unreachable_registry(env: Env) -> None:
    with stub_server() as gone:
        host = gone.host
    with pytest.raises(RegistryError, match=r"cannot reach the registry.*cannot connect"):
        env.pull(f"{host}/img:1")
    assert len(env.sleeps) == 2


@pytest.mark.parametrize(
    ("status", "message"),
    [(404, "does not serve the registry API v2"), (418, "answered 418 I'm a Teapot: TEA: pot")],
)
def test_ping_answers(stub: Stub, env: Env, status: int, message: str) -> None:
    body = json.dumps({"errors": [{"code": "TEA", "message": "pot"}]})
    stub.routes["/v2/"] = static(body, status)
    with pytest.raises(RegistryError, match=message):
        env.pull(f"{stub.host}/img:1")
    env.assert_clean()


def test_schema1_manifest(stub: Stub, env: Env) -> None:
    StubImage().install(stub)
    legacy = {"schemaVersion": 1, "name": "img", "tag": "1", "fsLayers": [], "history": []}
    headers = {"Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"}
    stub.routes["/v2/img/manifests/1"] = static(json.dumps(legacy), headers=headers)
    with pytest.raises(RegistryError, match="unsupported legacy manifest"):
        env.pull(f"{stub.host}/img:1")
    env.assert_clean()


def _basic_auth_routes(stub: Stub, image: StubImage, creds: Credentials) -> None:
    """Wrap every route with a basic-auth check, as an htpasswd registry does."""
    for path, route in list(stub.routes.items()):

        def guarded(h: Handler, route: object = route) -> None:
            if h.headers.get("Authorization") != creds.basic():
                h.reply(401, "{}", {"WWW-Authenticate": 'Basic realm="stub"'})
            else:
                route(h)  # type: ignore[operator]

        stub.routes[path] = guarded


def test_redirect_to_blob_storage_drops_the_authorization_header(stub: Stub, env: Env) -> None:
    creds = Credentials("carol", "redirect-secret")
    image = StubImage()
    image.install(stub)
    _basic_auth_routes(stub, image, creds)
    with stub_server() as storage:
        storage.routes["/bucket/layer"] = static(image.layer)
        location = f"http://{storage.host}/bucket/layer?X-Signature=abc"
        stub.routes[image.blob_path("img", image.layer)] = static("", 307, {"Location": location})
        pulled = env.pull(f"{stub.host}/img:1", auth=creds)
        assert pulled.blobs_downloaded == 2  # type: ignore[attr-defined]
        assert storage.seen == [("/bucket/layer", None)]
    assert any(auth == creds.basic() for _p, auth in stub.seen)


def test_registry_error_text_echoing_credentials_is_masked(stub: Stub, env: Env) -> None:
    creds = Credentials("dave", "echoed-secret")
    image = StubImage()
    image.install(stub)

    def echo(h: Handler) -> None:
        sent = h.headers.get("Authorization") or ""
        body = {"errors": [{"code": "DENIED", "message": f"bad {sent} for echoed-secret"}]}
        h.reply(403, json.dumps(body))

    stub.routes["/v2/img/manifests/1"] = echo
    _basic_auth_routes(stub, image, creds)
    with pytest.raises(RegistryError, match="denied") as err:
        env.pull(f"{stub.host}/img:1", auth=creds)
    text = str(err.value)
    assert "echoed-secret" not in text
    assert base64.b64encode(b"dave:echoed-secret").decode() not in text
    assert "***" in text


def test_bearer_challenge_with_a_hostile_realm(stub: Stub, env: Env) -> None:
    StubImage().install(stub)
    for realm, message in (
        ("file:///etc/passwd", "bad token realm"),
        ("http://token.invalid/token", "uses plain HTTP"),
    ):
        challenge = f'Bearer realm="{realm}",service="s",scope="repository:img:pull"'
        stub.routes["/v2/img/manifests/1"] = static("{}", 401, {"WWW-Authenticate": challenge})
        with pytest.raises(RegistryError, match=message):
            env.pull(f"{stub.host}/img:1")
    env.assert_clean()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("not json", "sent no JSON"),
        ('{"token": "a b\\r\\nX-Evil: 1"}', "no usable token"),
        ('{"expires_in": 300}', "no usable token"),
    ],
)
def test_token_server_answers(stub: Stub, env: Env, body: str, message: str) -> None:
    StubImage().install(stub)
    realm = f"http://{stub.host}/token"
    challenge = f'Bearer realm="{realm}",service="s"'
    stub.routes["/v2/img/manifests/1"] = static("{}", 401, {"WWW-Authenticate": challenge})
    stub.routes["/token"] = static(body)
    with pytest.raises(RegistryError, match=message):
        env.pull(f"{stub.host}/img:1")


def test_client_repr_hides_credentials(stub: Stub) -> None:
    creds = Credentials("erin", "repr-secret")
    with RegistryClient(parse_reference(f"{stub.host}/img:1"), credentials=creds) as client:
        assert "repr-secret" not in repr(client)
        assert "erin" in repr(client)
