"""dpkg scheme against the real `dpkg --compare-versions` on this Debian host."""

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
    measure_throughput,
    oracle_settings,
    pairs_of,
    real_pairs,
)
from tests.vuln.versions.strategies import dpkg_versions, garbage

DPKG = schemes.get("dpkg")
ORACLE = "dpkg --compare-versions"
SLOW = oracle_settings(15)


def test_known_orderings() -> None:
    # Debian policy 5.6.12: "~" before everything, even the end; letters before symbols.
    ordered = ["1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a", "1.0+", "1.0.1", "1:0.1", "2:0"]
    assert_ascending(DPKG, ordered)
    assert DPKG.compare("1.0", "1.0-0") == 0  # an absent revision is "0"
    assert DPKG.compare("0:1.0", "1.0") == 0
    assert DPKG.compare("1.01", "1.1") == 0  # numbers, not strings
    assert DPKG.compare("1.0-1ubuntu1", "1.0-1") > 0
    assert DPKG.compare("2.30-1+deb12u1", "2.30-1+deb12u10") < 0


def test_is_valid_follows_dpkg_errors_and_warnings() -> None:
    assert DPKG.is_valid("1:2.30-1+deb12u1")
    assert DPKG.is_valid("7.88.1-10+deb12u5")
    for bad in ("", " ", "a:1", "1:", "1.0-", "-1", "1 0", "abc", "1.0_1", "1.0-a:b"):
        assert not DPKG.is_valid(bad), bad


@pytest.mark.slow
@SLOW
@given(st.lists(dpkg_versions, min_size=20, max_size=40, unique=True))
def test_agrees_with_dpkg_on_generated_versions(versions: list[str]) -> None:
    pairs = pairs_of(versions, 200)
    assert_agrees(DPKG, pairs, oracles.dpkg(pairs), ORACLE)


@pytest.mark.slow
@SLOW
@given(st.lists(st.one_of(dpkg_versions, garbage.filter(lambda v: "\0" not in v)), min_size=20))
def test_is_valid_agrees_with_dpkg_parser(versions: list[str]) -> None:
    versions = [v for v in versions if v]  # dpkg reads "" as "no version", not an error
    verdicts = oracles.dpkg_validity(versions)
    wrong = [
        (v, d) for v, d in zip(versions, verdicts, strict=True) if DPKG.is_valid(v) != (d == "ok")
    ]
    assert not wrong, wrong


@pytest.mark.slow
def test_agrees_with_dpkg_on_real_versions() -> None:
    versions = realdata.dpkg_real()
    pairs = real_pairs(DPKG, versions, 1500)
    assert assert_agrees(DPKG, pairs, oracles.dpkg(pairs), ORACLE) > 1000


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(dpkg_versions, garbage), max_size=25))
def test_total_order(versions: list[str]) -> None:
    assert_total_order(DPKG, versions)


def test_throughput_on_real_versions() -> None:
    rate = measure_throughput(DPKG, realdata.dpkg_real(), 200_000)
    assert rate > 50_000, f"{rate:.0f} pairs/s"
