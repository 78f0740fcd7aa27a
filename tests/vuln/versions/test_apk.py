"""apk scheme against Alpine's own apk-tools (`apk version -t`, in a chroot, as root)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.vuln.versions import schemes
from tests.targets import alpine_rootfs
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
from tests.vuln.versions.strategies import apk_shaped, apk_versions, garbage

APK = schemes.get("apk")
ORACLE = "apk version -t (apk-tools 2.14)"
SLOW = oracle_settings(8)
# Strings the shell loop can pass as one argument each.
_PASSABLE = st.one_of(apk_versions, garbage).filter(lambda v: not {"\n", "\r", "\0"} & set(v))


@pytest.fixture(scope="module")
def alpine() -> Path:
    return alpine_rootfs("3.20.3")


def test_known_orderings() -> None:
    ordered = [
        "1.0_alpha1",
        "1.0_beta",
        "1.0_pre2",
        "1.0_rc1",
        "1.0",
        "1.0-r1",
        "1.0_p1",
        "1.0a",
        "1.0.1",
        "1.01",
        "1.1",
    ]
    assert_ascending(APK, ordered)
    assert APK.compare("1.00", "1.0") < 0  # extra leading zeros after a dot sort lower
    assert APK.compare("01", "1") == 0  # ... but not in the first number


def test_is_valid() -> None:
    for good in ("1.0", "1.2.3_rc1-r0", "2.14.4-r1", "1.0a_p2", "3.0_alpha_pre1", "1.0-r1-r2"):
        assert APK.is_valid(good), good
    for bad in ("", "1.0~abc", "1.0-x", "1.0_foo", "1.0-r1_p1", "1.0_rc1a", "1" * 18):
        assert not APK.is_valid(bad), bad


@pytest.mark.slow
@SLOW
@given(st.lists(_PASSABLE.filter(bool), min_size=30, max_size=80))
def test_is_valid_agrees_with_apk_validator(alpine: Path, versions: list[str]) -> None:
    invalid = oracles.apk_invalid(alpine, versions)
    wrong = [v for v in versions if APK.is_valid(v) == (v in invalid)]
    assert not wrong, wrong


@pytest.mark.slow
@SLOW
@given(
    st.lists(apk_versions.filter(lambda v: "\n" not in v), min_size=15, max_size=30, unique=True)
)
def test_agrees_with_apk_on_generated_versions(alpine: Path, versions: list[str]) -> None:
    pairs = pairs_of(versions, 100)
    assert_agrees(APK, pairs, oracles.apk(alpine, pairs), ORACLE)


@pytest.mark.slow
@settings(SLOW, max_examples=6)
@given(st.lists(_PASSABLE, min_size=12, max_size=20))
def test_agrees_with_apk_even_on_invalid_strings(alpine: Path, versions: list[str]) -> None:
    # apk compares anything, stopping where a string stops making sense; so do we.
    pairs = pairs_of(versions, 60)
    assert_agrees(APK, pairs, oracles.apk(alpine, pairs), ORACLE)


@pytest.mark.slow
def test_agrees_with_apk_on_real_versions(alpine: Path) -> None:
    versions = realdata.apk_real()
    pairs = real_pairs(APK, versions, 500)
    assert assert_agrees(APK, pairs, oracles.apk(alpine, pairs), ORACLE) == len(pairs)


@settings(max_examples=300, deadline=None)
@given(st.lists(apk_shaped.filter(APK.is_valid), max_size=25))
def test_total_order_on_valid_versions(versions: list[str]) -> None:
    assert_total_order(APK, versions)


def test_throughput_on_real_versions() -> None:
    rate = measure_throughput(APK, realdata.apk_real(), 100_000)
    assert rate > 20_000, f"{rate:.0f} pairs/s"
