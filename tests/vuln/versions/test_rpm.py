"""rpm scheme against librpm itself (Debian's python3-rpm: rpm.ver + rpm.labelCompare)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.vuln.versions import schemes
from mamori.vuln.versions.rpm import split_evr
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
from tests.vuln.versions.strategies import garbage, rpm_versions

RPM = schemes.get("rpm")
ORACLE = "rpm.labelCompare"
SLOW = oracle_settings(25)


def test_known_orderings() -> None:
    # rpm >= 4.15: "~" sorts before the end of the string, "^" after it but before more.
    ordered = ["1.0~rc1", "1.0", "1.0^git1", "1.0^git2", "1.0a", "1.0.1", "1.1", "1:0.1"]
    assert_ascending(RPM, ordered)
    assert RPM.compare("0:1.0-1.el9", "1.0-1.el9") == 0  # no epoch is epoch 0
    assert RPM.compare("1.0-1", "1.0-1.el9") < 0
    assert RPM.compare("1.0", "1.0-1") < 0  # no release sorts before any release
    assert RPM.compare("1.0_1", "1.0.1") == 0  # separators only separate
    assert RPM.compare("1.010", "1.10") == 0


def test_split_evr_matches_rpm_parser_examples() -> None:
    assert split_evr("1:2.3-4.el9") == ("1", "2.3", "4.el9")
    assert split_evr("2.3-4") == (None, "2.3", "4")
    assert split_evr("1:1-2-3") == ("1", "1-2", "3")  # the release follows the last "-"
    assert split_evr("a:1-2") == (None, "a:1", "2")  # not an epoch: not digits
    assert split_evr(":1-2") == ("0", "1", "2")


def test_is_valid() -> None:
    for good in ("1.0", "1:2.3-4.el9", "2.0~rc1^git3-0.1.fc38", "0.10.20200515gitb52ac13"):
        assert RPM.is_valid(good), good
    for bad in ("", "1:", "-1", "1.0-", "1.0-1-2", "a b", "1:2:3", "é"):
        assert not RPM.is_valid(bad), bad


@pytest.mark.slow
@SLOW
@given(st.lists(rpm_versions, min_size=20, max_size=60, unique=True))
def test_agrees_with_librpm_on_generated_versions(versions: list[str]) -> None:
    pairs = pairs_of(versions, 1500)
    assert_agrees(RPM, pairs, oracles.rpm(pairs), ORACLE)


@pytest.mark.slow
def test_agrees_with_librpm_on_real_versions() -> None:
    versions = realdata.rpm_real()
    pairs = real_pairs(RPM, versions, 20_000)
    assert assert_agrees(RPM, pairs, oracles.rpm(pairs), ORACLE) == len(pairs)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(rpm_versions, garbage), max_size=25))
def test_total_order(versions: list[str]) -> None:
    assert_total_order(RPM, versions)


def test_throughput_on_real_versions() -> None:
    rate = measure_throughput(RPM, realdata.rpm_real(), 200_000)
    assert rate > 50_000, f"{rate:.0f} pairs/s"
