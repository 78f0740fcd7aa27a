"""Version comparison, one scheme per module, each registered in `schemes`.

A scheme compares two version strings of its ecosystem the way that ecosystem's own
tools do (dpkg, rpm, apk, pip, npm, ...). `compare` returns <0, 0 or >0. Invalid input
never raises from `compare`: schemes fall back to a deterministic ordering and report
invalidity through `is_valid`.
"""

from __future__ import annotations

from typing import Protocol

from mamori.registry import Registry


class VersionScheme(Protocol):
    name: str

    def compare(self, a: str, b: str) -> int: ...

    def is_valid(self, version: str) -> bool: ...


schemes: Registry[VersionScheme] = Registry("version scheme", "mamori.vuln.versions")

# OSV ecosystem name (the part before ":") -> scheme name.
ECOSYSTEM_SCHEMES: dict[str, str] = {
    "Debian": "dpkg",
    "Ubuntu": "dpkg",
    "Alpine": "apk",
    "AlmaLinux": "rpm",
    "Rocky Linux": "rpm",
    "Red Hat": "rpm",
    "openSUSE": "rpm",
    "SUSE": "rpm",
    "Mageia": "rpm",
    "Azure Linux": "rpm",
    "PyPI": "pep440",
    "npm": "semver",
    "Go": "go",
    "crates.io": "semver",
    "Maven": "maven",
    "RubyGems": "gem",
    "Packagist": "composer",
}


def scheme_for_ecosystem(ecosystem: str) -> VersionScheme:
    """The scheme for an OSV ecosystem such as "Debian:12" or "PyPI"; generic if unknown."""
    base = ecosystem.split(":", 1)[0]
    return schemes.get(ECOSYSTEM_SCHEMES.get(base, "generic"))
