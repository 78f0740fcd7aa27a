"""maven scheme against Maven's own ComparableVersion (the installed maven-artifact jar)."""

from __future__ import annotations

import random
from itertools import pairwise

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
from tests.vuln.versions.strategies import garbage, maven_versions

MAVEN = schemes.get("maven")
ORACLE = "maven ComparableVersion"


def check_chain(chain: list[str]) -> int:
    """One java run compares each adjacent pair of `chain`; check them all."""
    pairs = list(pairwise(chain))
    return assert_agrees(MAVEN, pairs, oracles.maven(chain), ORACLE)


def chain_of(pairs: list[tuple[str, str]]) -> list[str]:
    return [v for pair in pairs for v in pair]


def test_known_orderings() -> None:
    # The order the Maven POM reference's "Version Order Specification" gives.
    ordered = [
        "1-alpha",
        "1-beta",
        "1-milestone",
        "1-rc",
        "1-snapshot",
        "1",
        "1-sp",
        "1-abc",
        "1.0.1",
        "1.1",
    ]
    assert_ascending(MAVEN, ordered)
    for same in ("1", "1.0", "1.0.0", "1-ga", "1-final", "1-release", "1.0.0-GA"):
        assert MAVEN.compare("1", same) == 0, same
    assert MAVEN.compare("1.0a1", "1.0-alpha-1") == 0
    assert MAVEN.compare("1-cr1", "1-rc1") == 0
    assert MAVEN.compare("1.0.RC2", "1.0-RC3") < 0
    assert MAVEN.compare("1-1", "1.1") < 0  # a number after "." beats one after "-"


def test_is_valid() -> None:
    for good in ("1.0", "2.17.1", "1.0-SNAPSHOT", "3.0.0-M5", "1.2_01", "2.0+build"):
        assert MAVEN.is_valid(good), good
    for bad in ("", " 1.0", "1.0.", "-1", "1..0", "1.0 beta", "1.0/2"):
        assert not MAVEN.is_valid(bad), bad


@pytest.mark.slow
@oracle_settings(12)
@given(st.lists(maven_versions, min_size=20, max_size=50))
def test_agrees_with_maven_on_generated_versions(versions: list[str]) -> None:
    check_chain(chain_of(pairs_of(versions, 600)))


@pytest.mark.slow
@oracle_settings(6)
@given(st.lists(garbage.filter(lambda v: not {"\n", "\r", "\0"} & set(v)), min_size=20))
def test_agrees_with_maven_on_arbitrary_text(versions: list[str]) -> None:
    check_chain(versions)


@pytest.mark.slow
def test_agrees_with_maven_on_real_versions() -> None:
    versions = realdata.maven_real()
    chain = list(versions)
    rng = random.Random(3)
    for _ in range(10):
        chain += rng.sample(versions, len(versions))
    assert check_chain(chain) == len(chain) - 1


@settings(max_examples=300, deadline=None)
@given(st.lists(maven_versions.filter(lambda v: v[:1] in "123456789"), max_size=25))
def test_total_order_on_versions_starting_with_a_number(versions: list[str]) -> None:
    assert_total_order(MAVEN, versions)


@pytest.mark.slow
def test_maven_itself_is_not_transitive_on_odd_versions() -> None:
    # "b" < "0b0" (a word is below a list), "0b0" < "0" (beta is a pre-release), and
    # "0" < "b" (an unknown word is above a release): a cycle, in Maven as here. Only
    # versions that start with a non-zero number are a total order (tested above).
    cycle = ["b", "0b0", "0", "b"]
    assert check_chain(cycle) == 3
    assert [MAVEN.compare(a, b) < 0 for a, b in pairwise(cycle)] == [True] * 3
