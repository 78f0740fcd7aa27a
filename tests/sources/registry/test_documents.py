"""The parsers of what a registry sends: WWW-Authenticate challenges, manifests and
indexes (with platform choice), Retry-After."""

from __future__ import annotations

import contextlib
import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.sources.platform import parse_platform
from mamori.sources.registry import RegistryError
from mamori.sources.registry.auth import Authenticator, Challenge, parse_challenges
from mamori.sources.registry.http import ClientOptions, Http, parse_retry_after
from mamori.sources.registry.manifest import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    ImageManifest,
    Index,
    choose,
    parse_manifest,
)

D1, D2, D3 = (f"sha256:{c * 64}" for c in "abc")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            [
                'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                'scope="repository:library/alpine:pull"'
            ],
            [
                Challenge(
                    "bearer",
                    {
                        "realm": "https://auth.docker.io/token",
                        "service": "registry.docker.io",
                        "scope": "repository:library/alpine:pull",
                    },
                )
            ],
        ),
        (['Basic realm="Registry Realm"'], [Challenge("basic", {"realm": "Registry Realm"})]),
        (
            ['Basic realm="a, b", Bearer realm=https://t/x , scope="repo:a:pull,push"'],
            [
                Challenge("basic", {"realm": "a, b"}),
                Challenge("bearer", {"realm": "https://t/x", "scope": "repo:a:pull,push"}),
            ],
        ),
        (['Bearer realm="q\\"uote"'], [Challenge("bearer", {"realm": 'q"uote'})]),
        (["Basic", 'Bearer realm="r"'], [Challenge("basic"), Challenge("bearer", {"realm": "r"})]),
        (['BEARER REALM="r"'], [Challenge("bearer", {"realm": "r"})]),
        (["", ",,,", '"unterminated'], []),
    ],
)
def test_challenges(headers: list[str], expected: list[Challenge]) -> None:
    assert parse_challenges(headers) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=3))
def test_fuzz_challenges(headers: list[str]) -> None:
    found = parse_challenges(headers)
    assert len(found) <= 16 * len(headers)


def _desc(digest: str, media: str, platform: dict[str, str] | None = None) -> dict[str, object]:
    out: dict[str, object] = {"mediaType": media, "digest": digest, "size": 100}
    if platform:
        out["platform"] = platform
    return out


def _index(entries: list[dict[str, object]], media: str = OCI_INDEX) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": media, "manifests": entries}).encode()


def _manifest(media: str | None = OCI_MANIFEST, config_type: str | None = None) -> bytes:
    doc: dict[str, object] = {
        "schemaVersion": 2,
        "config": {
            "mediaType": config_type or "application/vnd.oci.image.config.v1+json",
            "digest": D1,
            "size": 10,
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D2, "size": 5}
        ],
    }
    if media:
        doc["mediaType"] = media
    return json.dumps(doc).encode()


def test_manifest_kinds() -> None:
    oci = parse_manifest(_manifest(), None, "m")
    assert isinstance(oci, ImageManifest) and oci.layers[0].digest == D2
    docker = parse_manifest(_manifest(DOCKER_MANIFEST), None, "m")
    assert isinstance(docker, ImageManifest) and docker.media_type == DOCKER_MANIFEST
    # No mediaType in the body: the Content-Type header, else the shape, decides.
    assert parse_manifest(_manifest(None), DOCKER_MANIFEST + "; x=y", "m").media_type == (
        DOCKER_MANIFEST
    )
    assert parse_manifest(_manifest(None), "application/json", "m").media_type == OCI_MANIFEST
    lst = parse_manifest(_index([_desc(D1, DOCKER_MANIFEST)], DOCKER_LIST), None, "m")
    assert isinstance(lst, Index) and lst.media_type == DOCKER_LIST


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[]", "not a JSON object"),
        (b"{", "not valid JSON"),
        (b'{"schemaVersion": 1, "fsLayers": []}', "unsupported legacy manifest"),
        (_manifest("application/vnd.docker.distribution.manifest.v1+prettyjws"), "legacy"),
        (_manifest("application/x-other"), "unsupported media type"),
        (_manifest(config_type="application/vnd.cncf.helm.config.v1+json"), "not a container"),
        (_manifest().replace(b'"size": 5', b'"size": -5'), "non-negative"),
        (_manifest().replace(b', "size": 5', b""), "has no size"),
        (_index([{"digest": D1}]), "has no size"),
        (json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX}).encode(), "no list"),
        (json.dumps({"schemaVersion": 3, "mediaType": OCI_INDEX}).encode(), "schemaVersion 3"),
        (b'{"schemaVersion": 2}', "unknown manifest type"),
    ],
)
def test_bad_manifests(data: bytes, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        parse_manifest(data, None, "m")


def test_choose_platform() -> None:
    index = parse_manifest(
        _index(
            [
                _desc(D1, OCI_MANIFEST, {"os": "linux", "architecture": "amd64"}),
                _desc(D2, OCI_MANIFEST, {"os": "linux", "architecture": "arm64"}),
                _desc(D3, OCI_MANIFEST, {"os": "unknown", "architecture": "unknown"}),
            ]
        ),
        None,
        "m",
    )
    assert isinstance(index, Index)
    assert choose(index, parse_platform("linux/amd64"), "x").digest == D1
    assert choose(index, parse_platform("linux/aarch64/v8"), "x").digest == D2
    with pytest.raises(RegistryError, match=r"available platforms: linux/amd64, linux/arm64$"):
        choose(index, parse_platform("linux/arm/v7"), "x")
    single = parse_manifest(_index([_desc(D1, OCI_MANIFEST)]), None, "m")
    assert isinstance(single, Index)
    assert choose(single, parse_platform("linux/s390x"), "x").digest == D1
    empty = parse_manifest(_index([]), None, "m")
    assert isinstance(empty, Index)
    with pytest.raises(RegistryError, match="lists no images"):
        choose(empty, parse_platform("linux/amd64"), "x")


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.sampled_from([D1, D2]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "schemaVersion",
                    "mediaType",
                    "manifests",
                    "config",
                    "layers",
                    "digest",
                    "size",
                    "platform",
                    "os",
                    "architecture",
                    "annotations",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(_json, st.sampled_from([None, OCI_INDEX, DOCKER_MANIFEST, "text/plain"]))
def test_fuzz_manifests_only_registry_errors(doc: object, content_type: str | None) -> None:
    try:
        parsed = parse_manifest(json.dumps(doc).encode(), content_type, "m")
    except RegistryError:
        return
    if isinstance(parsed, Index):
        with contextlib.suppress(RegistryError):
            choose(parsed, parse_platform("linux/amd64"), "m")


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=100)
    | _json.map(lambda d: json.dumps(d).encode())
    | st.fixed_dictionaries(
        {"token": st.text(max_size=30), "expires_in": st.integers() | st.text(max_size=3)}
    ).map(lambda d: json.dumps(d).encode())
)
def test_fuzz_token_responses(body: bytes) -> None:
    http = Http(
        ClientOptions(transport=httpx.MockTransport(lambda r: httpx.Response(500))),
        verify=True,
        plain_allowed=lambda _u: False,
    )
    auth = Authenticator(None, http, plain_allowed=lambda _u: False, clock=lambda: 0.0)
    try:
        token = auth._parse_token(body, "https://auth.example/token")
    except RegistryError:
        return
    assert token.value and "\n" not in token.value and 55 <= token.expires <= 24 * 3600
    assert repr(token) == "Token(***)"


def test_retry_after() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("9" * 40) == 1e6
