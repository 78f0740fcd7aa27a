"""Authentication against a real docker-registry: htpasswd (basic, bcrypt) and token
auth with a token server whose ES256 JWTs the registry verifies against our certificate.
Passwords and tokens must never show in errors, reprs or logs."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest

from mamori.sources.registry import Credentials, RegistryError, pull_image, pull_to_layout
from mamori.sources.registry.client import RegistryClient
from mamori.sources.registry.reference import parse_reference
from tests.sources.registry.conftest import (
    BASIC_PASSWORD,
    BASIC_USER,
    TOKEN_PASSWORD,
    TOKEN_USER,
    Requests,
    TokenSetup,
)
from tests.sources.registry.servers import Registry

pytestmark = [pytest.mark.network, pytest.mark.xdist_group("registry")]


def _secret_forms(*secrets: str) -> list[str]:
    forms = list(secrets)
    for user, password in ((BASIC_USER, BASIC_PASSWORD), (TOKEN_USER, TOKEN_PASSWORD)):
        forms.append(base64.b64encode(f"{user}:{password}".encode()).decode())
    return forms


def _assert_hidden(text: str, *secrets: str) -> None:
    for secret in _secret_forms(BASIC_PASSWORD, TOKEN_PASSWORD, *secrets):
        assert secret not in text


def test_basic_auth(
    basic_registry: Registry, workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ref = f"{basic_registry.host}/multi:oci"
    with pytest.raises(RegistryError, match="requires authentication") as anonymous:
        pull_to_layout(ref, workdir / "a", cache_dir=workdir / "c")
    assert "--username" in str(anonymous.value) and anonymous.value.status == 401
    wrong = Credentials(BASIC_USER, "not-" + BASIC_PASSWORD)
    with pytest.raises(RegistryError, match="refused the credentials") as refused:
        pull_to_layout(ref, workdir / "b", cache_dir=workdir / "c", auth=wrong)
    assert refused.value.status == 401
    right = Credentials(BASIC_USER, BASIC_PASSWORD)
    pulled = pull_to_layout(ref, workdir / "d", cache_dir=workdir / "c", auth=right)
    assert pulled.blobs_downloaded == 2
    for text in (str(anonymous.value), str(refused.value), repr(refused.value), caplog.text):
        _assert_hidden(text, "not-" + BASIC_PASSWORD)
    assert BASIC_PASSWORD not in repr(right) and BASIC_PASSWORD not in str(right)


def test_basic_auth_from_environment_and_auth_file(
    basic_registry: Registry, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(workdir / "cache"))
    monkeypatch.setenv("HOME", str(workdir / "home"))
    for name in ("REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "MAMORI_REGISTRY_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    ref = f"{basic_registry.host}/multi:docker"
    monkeypatch.setenv("MAMORI_REGISTRY_USERNAME", BASIC_USER)
    monkeypatch.setenv("MAMORI_REGISTRY_PASSWORD", BASIC_PASSWORD)
    assert pull_image(ref, workdir=workdir, platform="linux/amd64").is_dir()
    monkeypatch.delenv("MAMORI_REGISTRY_USERNAME")
    monkeypatch.delenv("MAMORI_REGISTRY_PASSWORD")
    runtime = workdir / "run"
    (runtime / "containers").mkdir(parents=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    with pytest.raises(RegistryError, match="requires authentication"):
        pull_image(ref, workdir=workdir, platform="linux/amd64")
    auth = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
    doc = {"auths": {basic_registry.host: {"auth": auth}}}
    (runtime / "containers" / "auth.json").write_text(json.dumps(doc))
    assert pull_image(ref, workdir=workdir, platform="linux/amd64").is_dir()
    # docker's file, with a wrong password: the podman file is read first and wins
    (workdir / "home" / ".docker").mkdir(parents=True)
    bad = base64.b64encode(f"{BASIC_USER}:wrong".encode()).decode()
    docker = {"auths": {f"http://{basic_registry.host}/v2/": {"auth": bad}}}
    (workdir / "home" / ".docker" / "config.json").write_text(json.dumps(docker))
    assert pull_image(ref, workdir=workdir, platform="linux/amd64").is_dir()
    (runtime / "containers" / "auth.json").unlink()
    with pytest.raises(RegistryError, match=r"refused the credentials from .*config\.json"):
        pull_image(ref, workdir=workdir, platform="linux/amd64")


def test_bearer_token_flow(
    token_registry: TokenSetup, workdir: Path, requests: Requests, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reg, tokens = token_registry.registry, token_registry.tokens
    tokens.requests.clear()
    creds = Credentials(TOKEN_USER, TOKEN_PASSWORD)
    ref = parse_reference(f"{reg.host}/bookworm:oci")
    with RegistryClient(ref, credentials=creds, options=requests.options()) as client:
        client.ping()
        fetched = client.get_manifest("oci")
        client.get_manifest(fetched.digest)
        # One token for the repository's pull scope, reused by every later request.
        assert tokens.requests == [("repository:bookworm:pull", TOKEN_USER)]
        token = client.auth.secrets()[-1]
        assert token.count(".") == 2  # a JWT
        assert token not in repr(client) and token not in repr(client.auth)
        with pytest.raises(RegistryError) as missing:
            client.get_manifest("no-such-tag")
        assert len(tokens.requests) == 1
    _assert_hidden(str(missing.value) + caplog.text, token)


def test_bearer_pull_anonymous_and_with_credentials(
    token_registry: TokenSetup, workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reg, tokens = token_registry.registry, token_registry.tokens
    cache = workdir / "cache"
    # Anonymous users may pull `multi` only.
    pulled = pull_to_layout(
        f"{reg.host}/multi:oci", workdir / "a", platform="linux/arm64", cache_dir=cache
    )
    assert pulled.blobs_downloaded == 2
    with pytest.raises(RegistryError, match="requires authentication") as anonymous:
        pull_to_layout(f"{reg.host}/bookworm:oci", workdir / "b", cache_dir=cache)
    wrong = Credentials(TOKEN_USER, "not-" + TOKEN_PASSWORD)
    with pytest.raises(RegistryError, match=r"token server .* refused the credentials") as refused:
        pull_to_layout(f"{reg.host}/bookworm:oci", workdir / "c", cache_dir=cache, auth=wrong)
    assert refused.value.status == 401
    tokens.requests.clear()
    creds = Credentials(TOKEN_USER, TOKEN_PASSWORD)
    pulled = pull_to_layout(f"{reg.host}/bookworm:oci", workdir / "d", cache_dir=cache, auth=creds)
    assert pulled.blobs_downloaded == 2
    assert tokens.requests == [("repository:bookworm:pull", TOKEN_USER)]
    for text in (str(anonymous.value), str(refused.value), caplog.text):
        _assert_hidden(text, "not-" + TOKEN_PASSWORD)
    assert not (workdir / "b").exists() and not (workdir / "c").exists()
