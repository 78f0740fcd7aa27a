"""semver scheme against npm's `semver` package (installed once from the npm registry)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.vuln.versions import schemes
from mamori.vuln.versions.semver import _JS_SPACE
from tests.vuln.versions import oracles, realdata
from tests.vuln.versions.checks import (
    assert_agrees,
    assert_ascending,
    assert_total_order,
    oracle_settings,
    pairs_of,
    real_pairs,
)
from tests.vuln.versions.strategies import garbage, semver_versions

SEMVER = schemes.get("semver")
ORACLE = "npm semver.compare (loose)"


def test_known_orderings() -> None:
    # The SemVer 2.0 specification's own example chain (section 11).
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    ]
    assert_ascending(SEMVER, ordered)
    assert SEMVER.compare("1.0.0+build.1", "1.0.0+build.2") == 0  # build metadata is ignored
    assert SEMVER.compare("v1.2.3", "=1.2.3") == 0
    assert SEMVER.compare("1.2.3", "1.2.3-0") > 0


def test_is_valid() -> None:
    for good in ("1.2.3", "v1.2.3", "=1.2.3", " 1.2.3 ", "1.0.0-x-y.0+build.01", "0.0.0-0"):
        assert SEMVER.is_valid(good), good
    for bad in ("1.2", "01.2.3", "1.2.3-01", "1.2.3beta", "1.2.3+", "1.2.3-", "", "x", "1.2.3.4"):
        assert not SEMVER.is_valid(bad), bad
    assert not SEMVER.is_valid(f"{2**53}.0.0")  # above Number.MAX_SAFE_INTEGER
    assert not SEMVER.is_valid("1.2.3-" + "a" * 260)  # longer than npm's 256 characters


def npm_valid_for(version: str, npm_valid: bool, without_equals: bool) -> bool:
    """What is_valid should say given npm's strict verdict (npm itself refuses "=")."""
    return npm_valid if not version.strip(_JS_SPACE).startswith("=") else without_equals


@pytest.mark.slow
@oracle_settings(25)
@given(st.lists(st.one_of(semver_versions, semver_versions, semver_versions, garbage), min_size=30))
def test_agrees_with_npm_semver_on_generated_versions(versions: list[str]) -> None:
    pairs = pairs_of(versions, 1500)
    stripped = [v.strip(_JS_SPACE).removeprefix("=") for v in versions]
    out, valid = oracles.npm_semver(pairs, versions + stripped)
    assert_agrees(SEMVER, pairs, out, ORACLE)
    n = len(versions)
    for version, strict, without in zip(versions, valid[:n], valid[n:], strict=True):
        unspaced = without and not version.strip(_JS_SPACE)[1:2].isspace()
        assert SEMVER.is_valid(version) == npm_valid_for(version, strict, unspaced), version


@pytest.mark.slow
def test_agrees_with_npm_semver_on_real_versions() -> None:
    versions = realdata.semver_real()
    pairs = real_pairs(SEMVER, versions, 5000)
    out, valid = oracles.npm_semver(pairs, versions)
    assert assert_agrees(SEMVER, pairs, out, ORACLE) == len(pairs)
    assert [SEMVER.is_valid(v) for v in versions] == valid


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(semver_versions, garbage), max_size=25))
def test_total_order(versions: list[str]) -> None:
    assert_total_order(SEMVER, versions)
