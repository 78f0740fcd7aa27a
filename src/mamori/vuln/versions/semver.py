"""Semantic versions (SemVer 2.0) as npm's `semver` package and crates.io order them.

Precedence: major, minor, patch numerically; a pre-release sorts below its release;
pre-release identifiers compare one by one, numbers numerically and below words, words
in ASCII order, and a shorter list of identifiers that is a prefix of a longer one sorts
first. Build metadata ("+...") never affects the order.

`is_valid` is strict SemVer 2.0 after trimming white space and one leading "=" and/or
"v" (npm accepts "v1.2.3"; advisories and lockfiles also carry "=1.2.3"), with npm's
limits: at most 256 characters, major/minor/patch at most 2**53 - 1. `compare` is more
forgiving, like npm's "loose" mode: leading zeros and a pre-release without "-"
("1.2.3beta") are read rather than refused. Anything else sorts below every version
that parses, by the generic digit/letter runs.
"""

from __future__ import annotations

import re

from mamori.vuln.versions import schemes
from mamori.vuln.versions._cache import version_cache
from mamori.vuln.versions.generic import compare_keys, natural_key

NAME = "semver"

MAX_LENGTH = 256
MAX_SAFE_INTEGER = 2**53 - 1
# JavaScript's String.prototype.trim() set, which npm applies before matching.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"  # noqa: E501

_NUM = r"0|[1-9][0-9]*"
_WORD = r"[0-9]*[A-Za-z-][A-Za-z0-9-]*"
_BUILD = r"(?:\+([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*))?"
_STRICT = re.compile(
    rf"=?v?({_NUM})\.({_NUM})\.({_NUM})"
    rf"(?:-((?:{_WORD}|{_NUM})(?:\.(?:{_WORD}|{_NUM}))*))?{_BUILD}",
    re.ASCII,
)
_LOOSE = re.compile(
    rf"[v=\s]*([0-9]+)\.([0-9]+)\.([0-9]+)"
    rf"(?:-?((?:{_WORD}|[0-9]+)(?:\.(?:{_WORD}|[0-9]+))*))?{_BUILD}",
    re.ASCII,
)

# A pre-release identifier: (0, number) or (1, word); numbers sort first.
Ident = tuple[int, int] | tuple[int, str]
Key = tuple[int, object, object, object, object]


def prerelease_key(prerelease: str | None) -> tuple[object, ...]:
    """Releases (no pre-release) after every pre-release of the same version."""
    if not prerelease:
        return (1,)
    idents: list[Ident] = []
    for ident in prerelease.split("."):
        idents.append((0, int(ident)) if ident.isdigit() else (1, ident))
    return 0, tuple(idents)


@version_cache
def parse(version: str) -> tuple[Key, bool]:
    """(key, strictly valid); key (1, major, minor, patch, pre) or (0, natural key)."""
    text = version.strip(_JS_SPACE)
    strict = _STRICT.fullmatch(text) if len(version) <= MAX_LENGTH else None
    match = strict or (_LOOSE.fullmatch(text) if len(version) <= MAX_LENGTH else None)
    if match is None:
        return (0, natural_key(version), 0, 0, 0), False
    major, minor, patch = (int(match.group(i)) for i in (1, 2, 3))
    valid = strict is not None and max(major, minor, patch) <= MAX_SAFE_INTEGER
    return (1, major, minor, patch, prerelease_key(match.group(4))), valid


class SemverScheme:
    """npm and crates.io package versions."""

    name = NAME

    def compare(self, a: str, b: str) -> int:
        if a == b:
            return 0
        return compare_keys(parse(a)[0], parse(b)[0])

    def is_valid(self, version: str) -> bool:
        return parse(version)[1]


SEMVER = schemes.register(NAME)(SemverScheme())
