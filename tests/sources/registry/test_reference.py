"""Image references, parsed the way docker and podman normalize them."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mamori.sources.registry import RegistryError, check_digest, parse_reference

HEX = "a" * 64
DIGEST = f"sha256:{HEX}"


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("alpine", "docker.io", "library/alpine", "latest", None),
        ("alpine:3.20", "docker.io", "library/alpine", "3.20", None),
        ("docker.io/library/alpine:3.20", "docker.io", "library/alpine", "3.20", None),
        ("index.docker.io/library/alpine", "docker.io", "library/alpine", "latest", None),
        ("docker.io/alpine", "docker.io", "library/alpine", "latest", None),
        ("library/alpine", "docker.io", "library/alpine", "latest", None),
        ("bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", None),
        ("ghcr.io/org/sub/repo:v1.2.3", "ghcr.io", "org/sub/repo", "v1.2.3", None),
        (f"127.0.0.1:5000/repo/name@{DIGEST}", "127.0.0.1:5000", "repo/name", None, DIGEST),
        (f"quay.io/a/b:t@{DIGEST}", "quay.io", "a/b", "t", DIGEST),
        ("localhost/x:tag", "localhost", "x", "tag", None),
        ("localhost:5000/x", "localhost:5000", "x", "latest", None),
        ("[::1]:5000/x:y", "[::1]:5000", "x", "y", None),
        ("Registry/x", "Registry", "x", "latest", None),  # upper case: a host, as docker says
        ("a.b/c__d/e-f---g.h_i", "a.b", "c__d/e-f---g.h_i", "latest", None),
        ("localhost:5000", "docker.io", "library/localhost", "5000", None),
        (f"alpine@sha512:{'b' * 128}", "docker.io", "library/alpine", None, f"sha512:{'b' * 128}"),
    ],
)
def test_valid(text: str, registry: str, repository: str, tag: str, digest: str | None) -> None:
    ref = parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert parse_reference(str(ref)) == ref
    assert ref.reference == (digest or tag)


def test_hosts_and_loopback() -> None:
    assert parse_reference("alpine").host == "registry-1.docker.io"
    assert parse_reference("[::1]:5000/x").hostname == "::1"
    assert parse_reference("[::1]:5000/x").is_loopback
    assert parse_reference("127.8.0.1/x").is_loopback
    assert parse_reference("localhost/x").is_loopback
    assert not parse_reference("quay.io/x").is_loopback
    assert not parse_reference("alpine").is_loopback
    assert parse_reference("quay.io/a/b").scope == "repository:a/b:pull"


@pytest.mark.parametrize(
    "text",
    [
        "",
        " alpine",
        "alpine:",
        "alpine:-x",
        "alpine:" + "t" * 129,
        "Alpine",
        "quay.io/Org/x",
        "a//b",
        "quay.io/",
        "/alpine",
        "alpine@sha256:abc",
        "alpine@sha256:../../etc",
        f"alpine@md5:{HEX}",
        f"alpine@sha256:{HEX.upper()}",
        "host:99999/x",
        "host:0/x",
        "[zz::1]:5000/x",
        "x:y:z",
        "a-/b",
        "quay.io/" + "a" * 300,
    ],
)
def test_invalid(text: str) -> None:
    with pytest.raises(RegistryError):
        parse_reference(text)


def test_upper_case_hint() -> None:
    with pytest.raises(RegistryError, match="lower case"):
        parse_reference("quay.io/Org/x")


@pytest.mark.parametrize(
    "value", ["sha256:../../etc", f"sha256:{HEX}/..", f"sha256:{HEX}\n", None, 5, f"SHA256:{HEX}"]
)
def test_check_digest_rejects(value: object) -> None:
    with pytest.raises(RegistryError, match="not a valid"):
        check_digest(value)


_component = st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,4}){0,2}", fullmatch=True)
_host = st.sampled_from(
    ["", "docker.io/", "quay.io/", "127.0.0.1:5000/", "localhost/", "[::1]:80/", "my-reg.io:443/"]
)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(_host, st.lists(_component, min_size=1, max_size=4), st.none() | _tag, st.booleans())
def test_generated_references_round_trip(
    host: str, parts: list[str], tag: str | None, with_digest: bool
) -> None:
    assume(host or len(parts) == 1 or "." not in parts[0])  # else parts[0] names a host
    text = (
        host + "/".join(parts) + (f":{tag}" if tag else "") + (f"@{DIGEST}" if with_digest else "")
    )
    ref = parse_reference(text)
    assert ref.repository.endswith("/".join(parts))
    assert ref.tag == (tag or (None if with_digest else "latest"))
    assert parse_reference(str(ref)) == ref


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_only_registry_errors(text: str) -> None:
    try:
        ref = parse_reference(text)
    except RegistryError:
        return
    assert "/" in str(ref) and ".." not in ref.repository.split("/")
