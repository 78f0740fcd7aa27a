"""Where a username and password for a registry come from.

In order: the command line (`--username/--password`), the environment
(`MAMORI_REGISTRY_USERNAME/PASSWORD`), then the auth files podman and docker write on
`login`, in the order containers-auth.json(5) gives: `$REGISTRY_AUTH_FILE`,
`$XDG_RUNTIME_DIR/containers/auth.json`, `~/.config/containers/auth.json`,
`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. No credentials means anonymous.

Credential helpers (`credsStore`, `credHelpers`) and identity tokens are not run or used.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mamori.sources.registry.errors import RegistryError
from mamori.sources.registry.reference import DOCKER_HUB, ImageReference

ENV_USERNAME = "MAMORI_REGISTRY_USERNAME"
ENV_PASSWORD = "MAMORI_REGISTRY_PASSWORD"
MAX_AUTH_FILE = 1024 * 1024
_HUB_KEYS = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """A username and password. The password never shows in repr() or str()."""

    username: str
    password: str
    source: str = "the command line"  # said in error messages: "the credentials from ..."

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password='***', source={self.source!r})"

    __str__ = __repr__

    def basic(self) -> str:
        """The value of an `Authorization: Basic` header."""
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def secrets(self) -> tuple[str, ...]:
        """Every form of the secret that could leak into a message."""
        return (self.password, self.basic().removeprefix("Basic "))


def resolve_credentials(
    ref: ImageReference,
    *,
    username: str | None = None,
    password: str | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Credentials | None:
    """The credentials to use for `ref`'s registry, or None for anonymous access."""
    env = {} if env is None else env
    if username is not None or password is not None:
        password = password if password is not None else env.get(ENV_PASSWORD)
        if not username:
            raise RegistryError("a registry password was given without --username")
        if password is None:
            raise RegistryError(
                f"--username needs a password: pass --password or set {ENV_PASSWORD}"
            )
        return Credentials(username, password)
    env_user, env_password = env.get(ENV_USERNAME), env.get(ENV_PASSWORD)
    if env_user:
        if env_password is None:
            raise RegistryError(f"{ENV_USERNAME} is set but {ENV_PASSWORD} is not")
        return Credentials(env_user, env_password, source=f"${ENV_USERNAME}")
    for path in auth_files(env, home):
        found = lookup_auth_file(path, ref)
        if found is not None:
            return found
    return None


def auth_files(env: Mapping[str, str], home: Path | None) -> list[Path]:
    """The auth files to look in, most specific first."""
    paths = []
    if env.get("REGISTRY_AUTH_FILE"):
        paths.append(Path(env["REGISTRY_AUTH_FILE"]))
    if env.get("XDG_RUNTIME_DIR"):
        paths.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    if home is not None:
        paths.append(home / ".config" / "containers" / "auth.json")
    if env.get("DOCKER_CONFIG"):
        paths.append(Path(env["DOCKER_CONFIG"]) / "config.json")
    elif home is not None:
        paths.append(home / ".docker" / "config.json")
    return paths


def _normalize_key(key: str) -> str:
    """`https://index.docker.io/v1/` -> `docker.io`; `quay.io/org/repo` stays."""
    key = key.strip().lower()
    legacy = key.startswith(("http://", "https://"))
    if legacy:
        key = key.split("://", 1)[1]
    key = key.rstrip("/")
    for suffix in ("/v1", "/v2"):
        key = key.removesuffix(suffix)
    if legacy:  # docker's URL-shaped keys name hosts only
        key = key.split("/", 1)[0]
    host, sep, rest = key.partition("/")
    if host in _HUB_KEYS:
        host = DOCKER_HUB
    return host + sep + rest


def _candidates(ref: ImageReference) -> list[str]:
    """`registry/a/b`, `registry/a`, `registry`: podman matches the longest first."""
    parts = [ref.registry.lower(), *ref.repository.split("/")]
    return ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]


def lookup_auth_file(path: Path, ref: ImageReference) -> Credentials | None:
    """The entry for `ref` in one docker/podman auth file; None if absent or unreadable."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_AUTH_FILE + 1)
    except OSError:
        return None
    if len(data) > MAX_AUTH_FILE:
        return None
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return None
    auths = doc.get("auths") if isinstance(doc, dict) else None
    if not isinstance(auths, dict):
        return None
    entries: dict[str, object] = {}
    for key, value in auths.items():
        if isinstance(key, str):
            entries.setdefault(_normalize_key(key), value)
    for candidate in _candidates(ref):
        entry = entries.get(candidate)
        if isinstance(entry, dict):
            creds = _decode_entry(entry, f"{path}")
            if creds is not None:
                return creds
    return None


def _decode_entry(entry: Mapping[str, object], source: str) -> Credentials | None:
    auth = entry.get("auth")
    if not isinstance(auth, str) or not auth:
        return None
    try:
        decoded = base64.b64decode(auth, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep or not user:
        return None
    return Credentials(user, password, source=source)
