"""pep440 scheme against `packaging.version`, the implementation pip uses.

The scheme is built on `packaging` itself, so agreeing with it on valid versions tests
the wrapping (caching, fallback, sign) rather than an independent reading of PEP 440. To
have at least a second copy, the oracle here is pip's own vendored `packaging`, which
pip uses to pick versions; the real check of this module is its handling of the
strings PEP 440 refuses, which PyPI advisories do carry (commit hashes, "trunk").
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.vuln.versions import schemes
from tests.vuln.versions import realdata
from tests.vuln.versions.checks import (
    assert_agrees,
    assert_ascending,
    assert_total_order,
    pairs_of,
    real_pairs,
    sign,
)
from tests.vuln.versions.strategies import garbage, pep440_versions

PEP440 = schemes.get("pep440")
ORACLE = "pip's packaging.version"


def pip_packaging() -> Any:
    vendored = pytest.importorskip("pip._vendor.packaging.version")
    return vendored


def oracle(pairs: list[tuple[str, str]]) -> list[int | None]:
    """packaging's order where both parse, None where either is not PEP 440."""
    version = pip_packaging()
    out: list[int | None] = []
    for a, b in pairs:
        try:
            x, y = version.Version(a), version.Version(b)
        except (version.InvalidVersion, ValueError):
            out.append(None)
            continue
        out.append(-1 if x < y else (1 if x > y else 0))
    return out


def test_known_orderings() -> None:
    ordered = ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.0.1", "1!0.1"]
    assert_ascending(PEP440, ordered)
    assert PEP440.compare("1.0", "1.0.0") == 0
    assert PEP440.compare("1.0-1", "1.0.post1") == 0
    assert PEP440.compare("v1.0RC1", "1.0rc1") == 0
    assert PEP440.compare("1.0+local.1", "1.0") > 0


def test_invalid_versions_sort_below_valid_ones() -> None:
    assert not PEP440.is_valid("2004d")
    assert not PEP440.is_valid("1.0-SNAPSHOT-foo")
    assert PEP440.is_valid(" 1.0 ")
    for invalid in ("trunk", "ffadb0bcdef1e385884571670210cfd6ba351784", "2004d", "x"):
        assert PEP440.compare(invalid, "0.0.dev0") < 0
        assert PEP440.compare("0.0.dev0", invalid) > 0
    assert PEP440.compare("1" * 5000, "1") < 0  # too long for int(): invalid, no crash


@settings(max_examples=60, deadline=None)
@given(st.lists(pep440_versions, min_size=10, max_size=40))
def test_agrees_with_packaging_on_generated_versions(versions: list[str]) -> None:
    pairs = pairs_of(versions, 500)
    assert_agrees(PEP440, pairs, oracle(pairs), ORACLE)
    expected = [pip_packaging_valid(v) for v in versions]
    assert [PEP440.is_valid(v) for v in versions] == expected


def pip_packaging_valid(version: str) -> bool:
    module = pip_packaging()
    try:
        module.Version(version)
    except (module.InvalidVersion, ValueError):
        return False
    return True


@pytest.mark.slow
def test_agrees_with_packaging_on_real_versions() -> None:
    versions = realdata.pep440_real()
    pairs = real_pairs(PEP440, versions, 20_000)
    assert assert_agrees(PEP440, pairs, oracle(pairs), ORACLE) > 15_000


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(pep440_versions, garbage), max_size=25))
def test_total_order(versions: list[str]) -> None:
    assert_total_order(PEP440, versions)
    valid = [v for v in versions if PEP440.is_valid(v)]
    invalid = [v for v in versions if not PEP440.is_valid(v)]
    assert all(sign(PEP440.compare(i, v)) == -1 for i in invalid for v in valid)
