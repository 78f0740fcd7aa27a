"""Composer's version normalisation (composer/semver's VersionParser::normalize).

Kept apart from the comparison because it is a parser of its own, with Composer's
rules for "v" prefixes, stability words and their abbreviations, date versions,
numeric branches ("2.1.x-dev") and named branches ("dev-main"):

    "1.0"            -> "1.0.0.0"
    "v2.1.3-beta.2"  -> "2.1.3.0-beta2"
    "1.0.0-p1"       -> "1.0.0.0-patch1"
    "1.0.0-RC1-dev"  -> "1.0.0.0-RC1-dev"
    "2.1.x-dev"      -> "2.1.9999999.9999999-dev"
    "20240102"       -> "20240102"
    "dev-main"       -> "dev-main"

The regular expressions are PCRE semantics (`\\d` and `\\s` ASCII, `$` also before a
final newline), which Python's `re` with `re.ASCII` reproduces.
"""

from __future__ import annotations

import re

from mamori.vuln.versions._cache import version_cache

_I = re.IGNORECASE | re.ASCII
_MODIFIER = r"[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?"
_STABILITIES = r"stable|RC|beta|alpha|dev"

_ALIAS = re.compile(r"^([^,\s]++) ++as ++([^,\s]++)$", re.ASCII)
_STABILITY_FLAG = re.compile(rf"@(?:{_STABILITIES})$", _I)
_BUILD = re.compile(r"^([^,\s+]++)\+[^\s]++$", re.ASCII)
_CLASSICAL = re.compile(rf"^v?(\d{{1,5}})(\.\d++)?(\.\d++)?(\.\d++)?{_MODIFIER}$", _I)
_DATE = re.compile(rf"^v?(\d{{4}}(?:[.:-]?\d{{2}}){{1,6}}(?:[.:-]?\d{{1,3}})?){_MODIFIER}$", _I)
_DEV_BRANCH = re.compile(r"(.*?)[.-]?dev$", _I)
_NUMERIC_BRANCH = re.compile(
    r"^v?(\d++)(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?(\.(?:\d++|[xX*]))?$", _I
)
_PHP_TRIM = " \t\n\r\0\x0b"
MAX_LENGTH = 256
_EXPANSIONS = {"a": "alpha", "b": "beta", "p": "patch", "pl": "patch", "rc": "RC"}


def _expand_stability(stability: str) -> str:
    lowered = stability.lower()
    return _EXPANSIONS.get(lowered, lowered)


def _normalize_branch(name: str) -> str:
    match = _NUMERIC_BRANCH.match(name.strip(_PHP_TRIM))
    if match is None:
        return "dev-" + name.strip(_PHP_TRIM)
    version = "".join(
        (part if part is not None else ".x").replace("*", "x").replace("X", "x")
        for part in match.groups()
    )
    return version.replace("x", "9999999") + "-dev"


@version_cache
def normalize(version: str) -> str | None:
    """The normalised form of `version`, or None where Composer throws (or for more than
    MAX_LENGTH characters, which no version has and the branch pattern would be slow on)."""
    version = version.strip(_PHP_TRIM)
    if "\0" in version or len(version) > MAX_LENGTH:
        return None
    match = _ALIAS.match(version)
    if match:
        version = match.group(1)
    match = _STABILITY_FLAG.search(version)
    if match:
        version = version[: match.start()]
    if version in ("master", "trunk", "default"):
        version = "dev-" + version
    if version[:4].lower() == "dev-":
        return "dev-" + version[4:]
    match = _BUILD.match(version)
    if match:
        version = match.group(1)

    match = _CLASSICAL.match(version)
    if match:
        version = match.group(1) + "".join(part or ".0" for part in match.groups()[1:4])
        index = 5
    else:
        match = _DATE.match(version)
        if match:
            version = re.sub(r"\D", ".", match.group(1), flags=re.ASCII)
            index = 2
    if match:
        stability, numbers, dev = match.group(index, index + 1, index + 2)
        if stability:
            if stability == "stable":
                return version
            version += "-" + _expand_stability(stability) + (numbers or "").lstrip(".-")
        if dev:
            version += "-dev"
        return version

    match = _DEV_BRANCH.search(version)
    if match:
        normalized = _normalize_branch(match.group(1))
        if "dev-" not in normalized:
            return normalized
    return None
