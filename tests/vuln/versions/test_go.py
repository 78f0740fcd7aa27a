"""go scheme against the go toolchain's own x/mod semver and module packages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.vuln.versions import schemes
from mamori.vuln.versions.go import is_pseudo_version
from tests.vuln.versions import realdata
from tests.vuln.versions.checks import (
    assert_agrees,
    assert_ascending,
    assert_total_order,
    oracle_settings,
    pairs_of,
    real_pairs,
)
from tests.vuln.versions.go_oracle import go
from tests.vuln.versions.strategies import garbage, go_pseudo, go_versions

GO = schemes.get("go")
ORACLE = "go x/mod semver.Compare"


def with_v(version: str) -> str:
    """The form the go command reads: the scheme accepts versions without their "v"."""
    return "v" + version if version[:1].isdigit() and version[:1].isascii() else version


def oracle(pairs: list[tuple[str, str]]) -> list[int | None]:
    """x/mod's answer, None where both are invalid (x/mod: all equal; here: ordered)."""
    compared, valid = go([(with_v(a), with_v(b)) for a, b in pairs], [with_v(a) for a, _ in pairs])
    _, valid_b = go([], [with_v(b) for _, b in pairs])
    return [
        None if not va[0] and not vb[0] else c
        for c, va, vb in zip(compared, valid, valid_b, strict=True)
    ]


def test_known_orderings() -> None:
    # From the Go modules reference: pseudo-versions sort below the release they precede.
    ordered = [
        "v0.0.0-20191109021931-daa7c04131f5",
        "v0.1.0",
        "v1.2.3",
        "v1.2.4-0.20191109021931-daa7c04131f5",
        "v1.2.4-pre",
        "v1.2.4",
        "v2.0.0+incompatible",
        "v2.0.1",
    ]
    assert_ascending(GO, ordered)
    assert GO.compare("v1", "v1.0.0") == 0
    assert GO.compare("v1.2", "1.2.0") == 0
    assert GO.compare("v2.0.0+incompatible", "v2.0.0") == 0
    assert GO.compare("0", "v0.0.0-20191109021931-daa7c04131f5") > 0
    assert GO.compare("garbage", "v0.0.0") < 0


def test_is_valid_and_pseudo_versions() -> None:
    for good in ("v1.2.3", "1.2.3", "v1", "v1.2", "v2.0.0+incompatible", "v1.0.0-rc.1"):
        assert GO.is_valid(good), good
    for bad in ("", "v", "v01.2.3", "v1.2-pre", "v1.2.3-01", "1.2.3.4", "go1.21", "vv1"):
        assert not GO.is_valid(bad), bad
    assert is_pseudo_version("v0.0.0-20191109021931-daa7c04131f5")
    assert is_pseudo_version("v1.2.4-0.20191109021931-daa7c04131f5+incompatible")
    assert is_pseudo_version("v1.2.3-pre.0.20191109021931-daa7c04131f5")
    assert not is_pseudo_version("v1.2.3-pre.20191109021931-daa7c04131f5")
    assert not is_pseudo_version("v1.0.0")


@pytest.mark.slow
@oracle_settings(25)
@given(st.lists(st.one_of(go_versions, go_versions, garbage), min_size=30, max_size=60))
def test_agrees_with_go_on_generated_versions(versions: list[str]) -> None:
    pairs = pairs_of(versions, 1500)
    assert_agrees(GO, pairs, oracle(pairs), ORACLE)
    _, found = go([], [with_v(v) for v in versions])
    for version, (valid, pseudo) in zip(versions, found, strict=True):
        assert GO.is_valid(version) == valid, version
        assert is_pseudo_version(version) == pseudo, version


@pytest.mark.slow
@oracle_settings(10)
@given(st.lists(go_pseudo, min_size=10, max_size=30))
def test_pseudo_versions_agree_with_go(versions: list[str]) -> None:
    pairs = pairs_of(versions, 400)
    assert_agrees(GO, pairs, oracle(pairs), ORACLE)


@pytest.mark.slow
def test_agrees_with_go_on_real_versions() -> None:
    versions = realdata.go_real()
    pairs = real_pairs(GO, versions, 10_000)
    assert assert_agrees(GO, pairs, oracle(pairs), ORACLE) == len(pairs)
    _, found = go([], [with_v(v) for v in versions])
    assert [is_pseudo_version(v) for v in versions] == [pseudo for _, pseudo in found]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(go_versions, garbage), max_size=25))
def test_total_order(versions: list[str]) -> None:
    assert_total_order(GO, versions)
