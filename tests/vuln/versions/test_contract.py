"""Every registered scheme honours the contract: registered under its name, reachable
from its ecosystems, never raising, deterministic, and fast enough to be called a lot."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.vuln.versions import ECOSYSTEM_SCHEMES, VersionScheme, scheme_for_ecosystem, schemes
from tests.vuln.versions.checks import assert_ascending, assert_total_order, sign
from tests.vuln.versions.strategies import garbage

NAMES = ["apk", "composer", "dpkg", "gem", "generic", "go", "maven", "pep440", "rpm", "semver"]


def test_every_scheme_is_registered_under_its_name() -> None:
    assert sorted(schemes.names()) == NAMES
    for name, scheme in schemes.items():
        assert scheme.name == name
        assert callable(scheme.compare) and callable(scheme.is_valid)


def test_every_ecosystem_reaches_a_scheme() -> None:
    for ecosystem, name in ECOSYSTEM_SCHEMES.items():
        assert scheme_for_ecosystem(ecosystem).name == name
        assert scheme_for_ecosystem(f"{ecosystem}:12").name == name
    assert scheme_for_ecosystem("Hackage").name == "generic"


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=150, deadline=None)
@given(a=garbage, b=garbage)
def test_never_raises_and_is_antisymmetric(name: str, a: str, b: str) -> None:
    scheme: VersionScheme = schemes.get(name)
    ab = scheme.compare(a, b)
    assert isinstance(ab, int)
    assert sign(ab) == -sign(scheme.compare(b, a))
    assert scheme.compare(a, a) == 0
    assert isinstance(scheme.is_valid(a), bool)
    assert scheme.compare(a, b) == ab  # deterministic (and the caches do not change it)


@pytest.mark.parametrize("name", NAMES)
def test_hostile_inputs(name: str) -> None:
    scheme = schemes.get(name)
    hostile = ["", " ", "\0", "1\x002", "9" * 5000, "1." * 3000, "\ud800", "~" * 1000, "-"]
    for a in hostile:
        assert isinstance(scheme.is_valid(a), bool)
        for b in hostile:
            assert sign(scheme.compare(a, b)) == -sign(scheme.compare(b, a))


# Shapes that make backtracking regular expressions, big-int arithmetic or recursion
# blow up; a package can declare any of them as its version.
_N = 20_000
_LONG = [
    " " * _N + "x",
    "1.2.3" + "1" * _N + "!",
    "v1.2.3-" + "1." * _N + "!",
    "1-" + "a" * _N + "!",
    "#." * _N,
    "a1" * _N,
    "-" * _N,
    "1.0" + "-r1" * _N,
    "1" + "_p1" * _N,
    "1.2.3-" + "0a." * _N + "!",
    "1" + ".a1" * _N + "!",
    "dev-" * _N,
]


@pytest.mark.parametrize("name", NAMES)
def test_long_hostile_inputs_cost_linear_time(name: str) -> None:
    scheme = schemes.get(name)
    for version in _LONG:
        start = time.perf_counter()
        scheme.compare(version, version + "1")
        scheme.compare(version, "1.0")
        scheme.is_valid(version)
        elapsed = time.perf_counter() - start
        assert elapsed < 3.0, f"{name}: {elapsed:.1f} s on {version[:20]!r}..."


def test_generic_orders_digit_and_letter_runs() -> None:
    generic = schemes.get("generic")
    assert_ascending(generic, ["1.0", "1.0.0", "1.0.1", "1.2", "1.10", "2", "10"])
    assert_ascending(generic, ["1.0.beta", "1.0.1", "1.1"])
    assert generic.compare("1.0-RC1", "1.0.rc.1") == 0
    assert generic.compare("01", "1") == 0
    assert generic.is_valid("2024.01.15-r3")
    assert not generic.is_valid("")
    assert not generic.is_valid("just words")


@settings(max_examples=300, deadline=None)
@given(st.lists(garbage, max_size=25))
def test_generic_total_order(versions: list[str]) -> None:
    assert_total_order(schemes.get("generic"), versions)
