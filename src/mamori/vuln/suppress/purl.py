"""Package-URL matching for ignore rules and VEX statements.

A pattern purl matches a package purl when type, namespace and name agree (names
normalized the way the ecosystem compares them), the version agrees if the pattern gives
one, and every qualifier and the subpath the pattern gives agree too. A pattern without
qualifiers therefore matches every arch/distro variant of a package.
"""

from __future__ import annotations

import functools
import re

from packageurl import PackageURL


@functools.lru_cache(maxsize=4096)
def parse_purl(text: str) -> PackageURL | None:
    """The parsed purl, or None when `text` is not one."""
    if not text.startswith("pkg:"):
        return None
    try:
        purl = PackageURL.from_string(text)
    except (ValueError, TypeError, UnicodeError, AttributeError):
        return None
    return purl if isinstance(purl, PackageURL) else None


def _name(purl: PackageURL) -> str:
    if purl.type == "pypi":  # PEP 503: case and runs of -_. do not matter
        return re.sub(r"[-_.]+", "-", str(purl.name)).lower()
    return str(purl.name)


def _repository(url: str) -> str:
    """An OCI repository as a comparable string (no scheme, Docker Hub's aliases folded)."""
    url = re.sub(r"^[a-z]+://", "", url.strip().lower()).rstrip("/")
    for alias in ("index.docker.io/", "registry-1.docker.io/", "registry.hub.docker.com/"):
        if url.startswith(alias):
            url = "docker.io/" + url[len(alias) :]
    if url.startswith("docker.io/") and url.count("/") == 1:
        url = url.replace("docker.io/", "docker.io/library/", 1)
    return url


def _qualifier(key: str, value: str) -> str:
    return _repository(value) if key == "repository_url" else value


def purl_matches(pattern: PackageURL | str, candidate: PackageURL | str) -> bool:
    """Whether `candidate` is (a variant of) the package `pattern` names."""
    want = parse_purl(pattern) if isinstance(pattern, str) else pattern
    have = parse_purl(candidate) if isinstance(candidate, str) else candidate
    if want is None or have is None:
        return False
    if (want.type or "").lower() != (have.type or "").lower():
        return False
    if (want.namespace or "") != (have.namespace or "") or _name(want) != _name(have):
        return False
    if want.version and want.version != have.version:
        return False
    have_qualifiers = dict(have.qualifiers or {})
    for key, value in dict(want.qualifiers or {}).items():
        if key not in have_qualifiers:
            return False
        if _qualifier(key, value) != _qualifier(key, have_qualifiers[key]):
            return False
    return not (want.subpath and want.subpath != have.subpath)
