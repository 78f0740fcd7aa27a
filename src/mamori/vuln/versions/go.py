"""Go module versions, ordered as the go command orders them (golang.org/x/mod/semver).

A Go module version is a semantic version with a mandatory "v": "v1.2.3",
"v1.2.3-pre.1", "v2.0.0+incompatible" (build metadata, ignored by the order), and
pseudo-versions such as "v0.0.0-20191109021931-daa7c04131f5" or
"v1.2.4-0.20191109021931-daa7c04131f5", which are pre-releases and so need no special
rule. The shorthands "v1" and "v1.2" mean "v1.0.0" and "v1.2.0".

OSV ranges and SBOMs often drop the "v" ("1.2.3", and "0" for "since the beginning"), so
a version that starts with a digit is read as if it had one. Strings that are still not
valid sort below every valid version (as in x/mod, where they are all equal), among
themselves by the generic digit/letter runs.
"""

from __future__ import annotations

import re

from mamori.vuln.versions import schemes
from mamori.vuln.versions._cache import version_cache
from mamori.vuln.versions.generic import compare_keys, natural_key, number_key

NAME = "go"

_NUM = r"0|[1-9][0-9]*"
_IDENT = r"(?:[0-9]*[A-Za-z-][0-9A-Za-z-]*|0|[1-9][0-9]*)"  # no leading zero in numbers
_VERSION = re.compile(
    rf"v({_NUM})(?:\.({_NUM})(?:\.({_NUM})"
    rf"(-{_IDENT}(?:\.{_IDENT})*)?(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?)?"
)
_TIME_REV = re.compile(r"[0-9]{14}-[A-Za-z0-9]+")


def prerelease_key(prerelease: str) -> tuple[object, ...]:
    """x/mod's `comparePrerelease` as a key: releases last, numbers before words."""
    if not prerelease:
        return (1,)
    idents: list[tuple[int, int, str] | tuple[int, str]] = []
    for ident in prerelease[1:].split("."):
        idents.append((0, *number_key(ident)) if ident.isdigit() else (1, ident))
    return 0, tuple(idents)


@version_cache
def _parse(version: str) -> tuple[tuple[object, ...], bool]:
    """(key, valid) with key (1, major, minor, patch, pre) or (0, natural key)."""
    text = "v" + version if version[:1].isdigit() and version[:1].isascii() else version
    match = _VERSION.fullmatch(text)
    if match is None:
        return (0, natural_key(version)), False
    major, minor, patch, pre, _build = match.groups()
    numbers = (number_key(part or "0") for part in (major, minor, patch))
    return (1, *numbers, prerelease_key(pre or "")), True


def is_pseudo_version(version: str) -> bool:
    """Whether `version` is a pseudo-version ("v0.0.0-20191109021931-daa7c04131f5").

    The three forms of the Go modules reference: vX.0.0-TIME-REV, vX.Y.Z-pre.0.TIME-REV
    and vX.Y.(Z+1)-0.TIME-REV, where TIME has 14 digits.
    """
    text = "v" + version if version[:1].isdigit() and version[:1].isascii() else version
    match = _VERSION.fullmatch(text)
    if match is None or not match.group(4):
        return False
    idents = match.group(4)[1:].split(".")
    if not _TIME_REV.fullmatch(idents[-1]):
        return False
    if len(idents) == 1:
        return match.group(2) == "0" and match.group(3) == "0"
    return idents[-2] == "0"


class GoScheme:
    """Go module versions."""

    name = NAME

    def compare(self, a: str, b: str) -> int:
        if a == b:
            return 0
        return compare_keys(_parse(a)[0], _parse(b)[0])

    def is_valid(self, version: str) -> bool:
        return _parse(version)[1]


GO = schemes.register(NAME)(GoScheme())
