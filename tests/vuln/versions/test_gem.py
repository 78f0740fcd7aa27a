"""gem scheme against Ruby's own Gem::Version (this machine's RubyGems)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.vuln.versions import schemes
from tests.vuln.versions import oracles, realdata
from tests.vuln.versions.checks import (
    assert_agrees,
    assert_ascending,
    assert_total_order,
    oracle_settings,
    pairs_of,
)
from tests.vuln.versions.strategies import garbage, gem_versions

GEM = schemes.get("gem")
ORACLE = "Gem::Version#<=>"


def test_known_orderings() -> None:
    ordered = ["1.0.a", "1.0.a.1", "1.0.b1", "1.0.0.pre", "1.0", "1.0.0.1", "1.1", "1.10"]
    assert_ascending(GEM, ordered)
    assert GEM.compare("1.0.0-rc1", "1.0.0.pre.rc1") == 0  # "-" reads as ".pre."
    assert GEM.compare("1.0.0", "1") == 0
    assert GEM.compare("", "0") == 0
    assert GEM.compare("1.0.B", "1.0.a") < 0  # words compare as bytes: "B" < "a"


def test_is_valid() -> None:
    for good in ("1.0", " 1.2.3 ", "1.0.0.rc1", "1.0.0-beta-2", "", "2.7.4.1"):
        assert GEM.is_valid(good), repr(good)
    for bad in ("a", "1..0", "1.0.", "-1", "1.0-", "1 0", "v1.0", "1.0+build"):
        assert not GEM.is_valid(bad), bad


@pytest.mark.slow
@oracle_settings(20)
@given(st.lists(st.one_of(gem_versions, gem_versions, garbage), min_size=20, max_size=60))
def test_agrees_with_rubygems_on_generated_versions(versions: list[str]) -> None:
    pairs = pairs_of(versions, 1500)
    out, valid = oracles.gem(pairs, versions)
    assert_agrees(GEM, pairs, out, ORACLE)
    assert [GEM.is_valid(v) for v in versions] == valid


@pytest.mark.slow
def test_agrees_with_rubygems_on_real_versions() -> None:
    versions = realdata.gem_real()
    pairs = pairs_of(versions, 5000)
    out, valid = oracles.gem(pairs, versions)
    assert assert_agrees(GEM, pairs, out, ORACLE) == len(pairs)
    assert all(valid)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(gem_versions, garbage), max_size=25))
def test_total_order(versions: list[str]) -> None:
    assert_total_order(GEM, versions)
