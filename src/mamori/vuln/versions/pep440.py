"""Python package versions (PEP 440), ordered by `packaging.version` as pip orders them.

Strings that are not PEP 440 versions ("2004d", "1.0-SNAPSHOT-foo", "dev") cannot be
ordered by pip any more. They get the ordering old setuptools gave such "legacy"
versions in spirit: below every valid version, and among themselves by the generic
digit/letter runs, so `compare` is total and deterministic and never raises.
"""

from __future__ import annotations

from packaging.version import Version

from mamori.vuln.versions import schemes
from mamori.vuln.versions._cache import version_cache
from mamori.vuln.versions.generic import compare_keys, natural_key

NAME = "pep440"


@version_cache
def _key(version: str) -> tuple[int, object]:
    try:
        return 1, Version(version)
    except ValueError:  # InvalidVersion, or a number too long for int()
        return 0, natural_key(version)


class Pep440Scheme:
    """PyPI package versions."""

    name = NAME

    def compare(self, a: str, b: str) -> int:
        if a == b:
            return 0
        return compare_keys(_key(a), _key(b))

    def is_valid(self, version: str) -> bool:
        return _key(version)[0] == 1


PEP440 = schemes.register(NAME)(Pep440Scheme())
