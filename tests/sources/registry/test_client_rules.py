"""Transport rules, checked through httpx's MockTransport (no network, so registries
can have real-looking public names): HTTPS only unless loopback or --insecure, no
downgrade on redirect, Authorization never sent to another origin, tokens cached per
scope until they expire."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from mamori.sources.registry import ClientOptions, Credentials, RegistryError, RetryPolicy
from mamori.sources.registry.client import RegistryClient
from mamori.sources.registry.reference import parse_reference

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def options(self) -> ClientOptions:
        return ClientOptions(
            transport=httpx.MockTransport(self),
            retry=RetryPolicy(attempts=2),
            sleep=lambda _s: None,
        )

    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]


def _refuse_tls(request: httpx.Request) -> httpx.Response:
    if request.url.scheme == "https":
        raise httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number")
    return httpx.Response(200, json={})


def test_public_registry_is_https_only() -> None:
    rec = Recorder(_refuse_tls)
    ref = parse_reference("registry.example.com/app:1")
    with (
        RegistryClient(ref, options=rec.options()) as c,
        pytest.raises(RegistryError, match=r"cannot reach the registry.*gave up after 2"),
    ):
        c.ping()
    assert {r.url.scheme for r in rec.requests} == {"https"}


@pytest.mark.parametrize(
    ("ref", "insecure"), [("registry.example.com/app:1", True), ("localhost:5000/app", False)]
)
def test_plain_http_fallback_when_allowed(ref: str, insecure: bool) -> None:
    rec = Recorder(_refuse_tls)
    with RegistryClient(parse_reference(ref), insecure=insecure, options=rec.options()) as c:
        c.ping()
        assert c.base is not None and c.base.startswith("http://")
    assert [r.url.scheme for r in rec.requests] == ["https", "http"]


def test_no_downgrade_redirect_for_public_hosts() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200, json={})
        return httpx.Response(302, headers={"Location": "http://cdn.example.net/blob"})

    rec = Recorder(handler)
    ref = parse_reference("registry.example.com/app:1")
    with (
        RegistryClient(ref, options=rec.options()) as c,
        pytest.raises(RegistryError, match="HTTPS to plain HTTP refused"),
    ):
        c.get_manifest("1")
    assert not any(r.url.host == "cdn.example.net" for r in rec.requests)


def test_authorization_stays_with_its_origin() -> None:
    creds = Credentials("frank", "origin-secret")

    def handler(request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.host == "registry.example.com":
            if request.headers.get("Authorization") != creds.basic():
                return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
            if url.path == "/v2/app/manifests/1":
                return httpx.Response(307, headers={"Location": "/v2/app/manifests/2"})
            if url.path == "/v2/app/manifests/2":
                return httpx.Response(307, headers={"Location": "https://cdn.example.net/m?sig=x"})
            return httpx.Response(200, json={})
        if url.host == "cdn.example.net" and url.path == "/m":
            return httpx.Response(307, headers={"Location": "https://registry.example.com/v2/x"})
        return httpx.Response(404)

    rec = Recorder(handler)
    ref = parse_reference("registry.example.com/app:1")
    with RegistryClient(ref, credentials=creds, options=rec.options()) as c:
        c.ping()
        with pytest.raises(RegistryError):
            c.get_manifest("1")
    sent = [
        (str(r.url.copy_with(query=None)), r.headers.get("Authorization")) for r in rec.requests
    ]
    assert ("https://registry.example.com/v2/app/manifests/2", creds.basic()) in sent
    assert ("https://cdn.example.net/m", None) in sent
    # once handed to another origin, the header is not restored on the way back
    assert ("https://registry.example.com/v2/x", None) in sent


def test_tokens_are_cached_per_scope_until_they_expire() -> None:
    issued: list[str] = []
    now = [1000.0]

    def handler(request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.host == "auth.example.com":
            scope = url.params["scope"]
            issued.append(scope)
            token = f"tok{len(issued)}"
            return httpx.Response(200, json={"token": token, "expires_in": 120})
        auth = request.headers.get("Authorization", "")
        repo = url.path.split("/")[2] if url.path != "/v2/" else ""
        challenge = (
            'Bearer realm="https://auth.example.com/token",service="reg",'
            f'scope="repository:{repo}:pull"'
        )
        if not auth.startswith("Bearer tok"):
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        number = int(auth.removeprefix("Bearer tok"))
        if issued[number - 1] != f"repository:{repo}:pull":
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        return httpx.Response(200, content=b"{}", headers={"Content-Type": "application/json"})

    rec = Recorder(handler)
    client = RegistryClient(parse_reference("registry.example.com/a:1"), options=rec.options())
    client.auth._clock = lambda: now[0]
    with client:
        client.ping()
        for _ in range(3):
            client._open("manifests/1", None).close()
        assert issued == ["repository:a:pull"]
        now[0] += 200  # past expiry: the next request goes without, meets a 401, gets a new one
        client._open("manifests/1", None).close()
        assert issued == ["repository:a:pull", "repository:a:pull"]
        tokens_in_use = client.auth.secrets()
        assert all(t not in repr(client) for t in tokens_in_use)
    # A second repository has its own scope and token.
    other = RegistryClient(parse_reference("registry.example.com/b:1"), options=rec.options())
    with other:
        other._open("manifests/1", None).close()
    assert issued[-1] == "repository:b:pull"


def test_token_request_carries_credentials_and_service() -> None:
    creds = Credentials("gina", "token-secret")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.example.com":
            seen.append(request)
            return httpx.Response(200, content=json.dumps({"access_token": "abc.def"}))
        if request.headers.get("Authorization") == "Bearer abc.def":
            return httpx.Response(200, json={})
        return httpx.Response(
            401,
            headers={"WWW-Authenticate": 'Bearer realm="https://auth.example.com/t",service="s"'},
        )

    rec = Recorder(handler)
    ref = parse_reference("registry.example.com/app:1")
    with RegistryClient(ref, credentials=creds, options=rec.options()) as c:
        c._open("manifests/1", None).close()
    assert len(seen) == 1
    assert seen[0].headers["Authorization"] == creds.basic()
    assert dict(seen[0].url.params) == {"scope": "repository:app:pull", "service": "s"}
