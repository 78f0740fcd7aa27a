"""Image references as users type them: `alpine`, `docker.io/library/alpine:3.20`,
`127.0.0.1:5000/repo/name@sha256:...`, `localhost/x:tag`, `[::1]:5000/x`.

The grammar is the one docker and podman share: the first path component is a registry
host when it holds a `.` or a `:`, is `localhost`, or has an upper-case letter; other
names live on Docker Hub, where one-component names get `library/`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from mamori.sources.registry.errors import RegistryError

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io"}
MAX_NAME = 255  # registry + "/" + repository, as distribution limits it

_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_HOST_LABEL = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_DOMAIN = re.compile(
    rf"(?:(?P<name>{_HOST_LABEL}(?:\.{_HOST_LABEL})*)|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}")


def check_digest(value: object, what: str = "digest") -> str:
    """`value` if it is `sha256:<64 hex>` or `sha512:<128 hex>`, else RegistryError.

    Called before a digest is used in a URL or as a file name, so `sha256:../../etc`
    can never name a path outside the blob store.
    """
    if not isinstance(value, str) or not _DIGEST.fullmatch(value):
        shown = value[:80] if isinstance(value, str) else type(value).__name__
        raise RegistryError(f"{what} is not a valid sha256/sha512 digest: {shown!r}")
    return value


@dataclass(frozen=True, slots=True)
class ImageReference:
    registry: str  # "docker.io", "127.0.0.1:5000", "[::1]:5000"
    repository: str  # "library/alpine"
    tag: str | None = None
    digest: str | None = None  # wins over the tag when both are given

    @property
    def reference(self) -> str:
        """What goes after /manifests/: the digest when there is one, else the tag."""
        return self.digest or self.tag or "latest"

    @property
    def host(self) -> str:
        """The host (and port) the API is served from."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def hostname(self) -> str:
        """The host without port or IPv6 brackets."""
        match = _DOMAIN.fullmatch(self.registry)
        assert match is not None  # parse_reference checked it
        return match["ipv6"] or match["name"]

    @property
    def is_loopback(self) -> bool:
        """127.0.0.0/8, ::1 or localhost: plain HTTP is allowed there, as docker does."""
        name = self.hostname.lower()
        if name == "localhost":
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    @property
    def scope(self) -> str:
        """The token scope a pull needs."""
        return f"repository:{self.repository}:pull"

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def _is_domain(component: str) -> bool:
    return (
        "." in component
        or ":" in component
        or component == "localhost"
        or component.lower() != component
    )


def parse_reference(text: str) -> ImageReference:
    """Parse a reference; RegistryError says what is wrong with a bad one."""
    original = text
    if not text or len(text) > 1024 or text != text.strip():
        raise RegistryError(f"invalid image reference {original[:100]!r}")
    digest = None
    if "@" in text:
        text, _, digest = text.partition("@")
        check_digest(digest, f"image reference {original[:100]!r}: the digest")
    tag = None
    name = text
    last = text.rfind("/")
    colon = text.rfind(":")
    if colon > last:
        name, tag = text[:colon], text[colon + 1 :]
        if not _TAG.fullmatch(tag):
            raise RegistryError(f"invalid tag {tag[:100]!r} in image reference")
    first, sep, rest = name.partition("/")
    if sep and _is_domain(first):
        registry, path = first, rest
        _check_domain(registry, original)
        if registry.lower() in _HUB_ALIASES:
            registry = DOCKER_HUB
    else:
        registry, path = DOCKER_HUB, name
    if registry == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    for part in path.split("/"):
        if not _PATH_COMPONENT.fullmatch(part):
            hint = " (repository names are lower case)" if part.lower() != part else ""
            raise RegistryError(f"invalid repository name {path[:100]!r}{hint}")
    if len(registry) + 1 + len(path) > MAX_NAME:
        raise RegistryError(f"repository name longer than {MAX_NAME} characters")
    if tag is None and digest is None:
        tag = "latest"
    return ImageReference(registry=registry, repository=path, tag=tag, digest=digest)


def _check_domain(registry: str, original: str) -> None:
    match = _DOMAIN.fullmatch(registry)
    bad = match is None
    if match and match["ipv6"]:
        try:
            ipaddress.IPv6Address(match["ipv6"])
        except ValueError:
            bad = True
    if match and match["port"] is not None and not 0 < int(match["port"]) < 65536:
        bad = True
    if bad:
        raise RegistryError(f"invalid registry host {registry[:100]!r} in {original[:100]!r}")
