"""Where credentials come from: arguments, environment, podman and docker auth files."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.sources.registry import Credentials, RegistryError, parse_reference
from mamori.sources.registry.credentials import lookup_auth_file, resolve_credentials


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _write(path: Path, auths: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": auths}))
    return path


QUAY = parse_reference("quay.io/org/app:1")
HUB = parse_reference("alpine")


def test_explicit_and_environment() -> None:
    env = {"MAMORI_REGISTRY_USERNAME": "envuser", "MAMORI_REGISTRY_PASSWORD": "envpw"}
    explicit = resolve_credentials(QUAY, username="u", password="p", env=env)
    assert explicit == Credentials("u", "p")
    mixed = resolve_credentials(QUAY, username="u", env=env)
    assert mixed is not None and (mixed.username, mixed.password) == ("u", "envpw")
    from_env = resolve_credentials(QUAY, env=env)
    assert from_env is not None and from_env.username == "envuser"
    assert from_env.source == "$MAMORI_REGISTRY_USERNAME"
    assert resolve_credentials(QUAY, env={}) is None
    with pytest.raises(RegistryError, match="needs a password"):
        resolve_credentials(QUAY, username="u", env={})
    with pytest.raises(RegistryError, match="without --username"):
        resolve_credentials(QUAY, password="p", env={})
    with pytest.raises(RegistryError, match="MAMORI_REGISTRY_PASSWORD is not"):
        resolve_credentials(QUAY, env={"MAMORI_REGISTRY_USERNAME": "x"})


def test_docker_config_keys(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _write(
        home / ".docker" / "config.json",
        {
            "https://index.docker.io/v1/": {"auth": _auth("hubuser", "hubpw")},
            "http://quay.io/v2/": {"auth": _auth("quayuser", "quaypw")},
        },
    )
    hub = resolve_credentials(HUB, env={}, home=home)
    assert hub is not None and (hub.username, hub.password) == ("hubuser", "hubpw")
    assert hub.source.endswith("config.json")
    quay = resolve_credentials(QUAY, env={}, home=home)
    assert quay is not None and quay.username == "quayuser"
    other = parse_reference("ghcr.io/x/y")
    assert resolve_credentials(other, env={}, home=home) is None


def test_podman_files_first_and_most_specific_key(tmp_path: Path) -> None:
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    _write(home / ".docker" / "config.json", {"quay.io": {"auth": _auth("docker", "d")}})
    _write(
        runtime / "containers" / "auth.json",
        {
            "quay.io": {"auth": _auth("podman-host", "h")},
            "quay.io/org": {"auth": _auth("podman-org", "o")},
            "quay.io/org/other": {"auth": _auth("podman-other", "x")},
        },
    )
    env = {"XDG_RUNTIME_DIR": str(runtime)}
    found = resolve_credentials(QUAY, env=env, home=home)
    assert found is not None and found.username == "podman-org"
    top = resolve_credentials(parse_reference("quay.io/else/app"), env=env, home=home)
    assert top is not None and top.username == "podman-host"
    special = _write(tmp_path / "special.json", {"quay.io": {"auth": _auth("special", "s")}})
    env["REGISTRY_AUTH_FILE"] = str(special)
    found = resolve_credentials(QUAY, env=env, home=home)
    assert found is not None and found.username == "special"


def test_unusable_entries_fall_through(tmp_path: Path) -> None:
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    _write(
        runtime / "containers" / "auth.json",
        {"quay.io": {"auth": "%%% not base64"}, "quay.io/org": {"auth": _auth("", "x")}},
    )
    _write(home / ".config" / "containers" / "auth.json", {"quay.io": {"auth": "bm9jb2xvbg=="}})
    _write(home / ".docker" / "config.json", {"quay.io": {"auth": _auth("last", "resort")}})
    found = resolve_credentials(QUAY, env={"XDG_RUNTIME_DIR": str(runtime)}, home=home)
    assert found is not None and found.username == "last"
    (tmp_path / "big.json").write_bytes(b" " * (1024 * 1024 + 1))
    assert lookup_auth_file(tmp_path / "big.json", QUAY) is None
    assert lookup_auth_file(tmp_path / "absent.json", QUAY) is None


def test_repr_masks_the_password() -> None:
    creds = Credentials("alice", "hunter2-secret")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "hunter2-secret" not in text and "alice" in text
    assert creds.basic() == "Basic " + _auth("alice", "hunter2-secret")
    assert _auth("alice", "hunter2-secret") in creds.secrets()


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        _json,
        st.dictionaries(
            st.sampled_from(["quay.io", "quay.io/org", "https://quay.io/v1/", "x"]),
            st.dictionaries(st.sampled_from(["auth", "x"]), _json | st.text(max_size=40)),
        ).map(lambda a: {"auths": a}),
    )
)
def test_fuzz_auth_files_never_raise(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "auth.json"
    path.write_text(json.dumps(doc))
    found = lookup_auth_file(path, QUAY)
    assert found is None or isinstance(found, Credentials)
