"""Registries started once per test session (one xdist worker runs this folder's tests
that need them, through the `registry` xdist group), and a request counter."""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from mamori.sources.registry import ClientOptions, RetryPolicy
from tests.sources.registry.servers import (
    Registry,
    TokenServer,
    run_registry,
    write_htpasswd,
    write_tls_cert,
)
from tests.sources.registry.targets import registry_storage
from tests.support import need, need_tool

BASIC_USER, BASIC_PASSWORD = "alice", "b4sic-Pa55word-never-shown"
TOKEN_USER, TOKEN_PASSWORD = "bob", "t0ken-Pa55word-never-shown"


def _need_module(name: str) -> None:
    found = importlib.util.find_spec(name) is not None
    need(found, f"the {name} package is not installed (pip install {name})")


@pytest.fixture(scope="session")
def storage() -> Path:
    need_tool("docker-registry")
    return registry_storage()


@pytest.fixture(scope="session")
def registry(storage: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with run_registry(storage, tmp_path_factory.mktemp("plain")) as reg:
        yield reg


@pytest.fixture(scope="session")
def basic_registry(storage: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    work = tmp_path_factory.mktemp("basic")
    _need_module("bcrypt")
    write_htpasswd(work / "htpasswd", {BASIC_USER: BASIC_PASSWORD})
    auth = {"htpasswd": {"realm": "mamori-basic", "path": str(work / "htpasswd")}}
    with run_registry(storage, work, auth) as reg:
        yield reg


@pytest.fixture(scope="session")
def tls_registry(storage: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """HTTPS with a self-signed certificate: only --insecure gets through."""
    _need_module("cryptography")
    work = tmp_path_factory.mktemp("tls")
    write_tls_cert(work / "cert.pem", work / "key.pem")
    tls = {"certificate": str(work / "cert.pem"), "key": str(work / "key.pem")}
    with run_registry(storage, work, tls=tls) as reg:
        yield reg


@dataclass
class TokenSetup:
    registry: Registry
    tokens: TokenServer


@pytest.fixture(scope="session")
def token_registry(storage: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenSetup]:
    _need_module("cryptography")
    work = tmp_path_factory.mktemp("token")
    # bob may pull everything; anonymous users only `multi`.
    tokens = TokenServer(
        work / "signer.pem",
        users={TOKEN_USER: TOKEN_PASSWORD, "": ""},
        grants={TOKEN_USER: {"bookworm", "multi", "armonly"}, "": {"multi"}},
    )
    tokens.start()
    try:
        with run_registry(storage, work, tokens.registry_auth()) as reg:
            yield TokenSetup(reg, tokens)
    finally:
        tokens.stop()


@dataclass
class Requests:
    """Counts the requests a client sends, by kind (`blob`, `manifest`, `ping`, other)."""

    seen: Counter[str] = field(default_factory=Counter)
    urls: list[str] = field(default_factory=list)

    def hook(self, request: httpx.Request) -> None:
        path = request.url.path
        kind = (
            "blob"
            if "/blobs/" in path
            else "manifest"
            if "/manifests/" in path
            else "ping"
            if path == "/v2/"
            else "other"
        )
        self.seen[kind] += 1
        self.urls.append(str(request.url))

    def options(self, **kwargs: object) -> ClientOptions:
        kwargs.setdefault("retry", RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))
        return ClientOptions(event_hooks={"request": [self.hook]}, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def requests() -> Requests:
    return Requests()
