"""composer scheme: PHP's real version_compare as the oracle for the comparison.

What the oracle covers: PHP's `version_compare` (php-cli here) decides every pair of
normalised versions, and every pair of strings Composer refuses (which the scheme also
orders with version_compare, on the raw text). What it does not cover: Composer's
normalisation itself (composer/semver is not installed here and Packagist is not
reachable), which is tested against the examples of Composer's documentation and
behaviour written out below; and the scheme's own choices (valid above invalid, branch
names as a tie-break), which Composer leaves undefined.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.vuln.versions import schemes
from mamori.vuln.versions._composer_normalize import normalize
from tests.vuln.versions import oracles
from tests.vuln.versions.checks import (
    assert_agrees,
    assert_ascending,
    assert_total_order,
    oracle_settings,
    pairs_of,
)
from tests.vuln.versions.strategies import composer_versions, garbage

COMPOSER = schemes.get("composer")
ORACLE = "php version_compare"

NORMALIZED = {
    "1.0": "1.0.0.0",
    "v1.2.3": "1.2.3.0",
    "1.2.3.4": "1.2.3.4",
    "1.0.0-beta.2": "1.0.0.0-beta2",
    "1.0.0-b2": "1.0.0.0-beta2",
    "1.0.0RC1": "1.0.0.0-RC1",
    "1.0.0-rc.1": "1.0.0.0-RC1",
    "1.0.0-alpha": "1.0.0.0-alpha",
    "1.0.0-a1": "1.0.0.0-alpha1",
    "1.0.0-p1": "1.0.0.0-patch1",
    "1.0.0-pl2": "1.0.0.0-patch2",
    "1.0-stable": "1.0.0.0",
    "1.0.0-dev": "1.0.0.0-dev",
    "1.0.0-beta1-dev": "1.0.0.0-beta1-dev",
    "1.0.0+20240101": "1.0.0.0",
    "1.0@beta": "1.0.0.0",
    "1.0.0 as 2.0.0": "1.0.0.0",
    "2.1.x-dev": "2.1.9999999.9999999-dev",
    "2.x-dev": "2.9999999.9999999.9999999-dev",
    "2010-01-02": "2010.01.02",
    "20100102": "20100102",
    "dev-main": "dev-main",
    "DEV-main": "dev-main",
    "master": "dev-master",
    " 1.0 ": "1.0.0.0",
}


def test_normalization_examples() -> None:
    for raw, expected in NORMALIZED.items():
        assert normalize(raw) == expected, raw
    for refused in ("", "abc", "1.0.0.0.0", "1.0-foo", "feature-x", "1.0 2.0", "123456.0.0"):
        assert normalize(refused) is None, refused


def test_known_orderings() -> None:
    ordered = [
        "dev-main",
        "1.0.0-dev",
        "1.0.0-alpha1",
        "1.0.0-beta",
        "1.0.0-beta2",
        "1.0.0-RC1",
        "1.0.0",
        "1.0.0-p1",
        "1.0.1",
        "1.1.x-dev",
    ]
    assert_ascending(COMPOSER, ordered)
    assert COMPOSER.compare("v1.0", "1.0.0.0") == 0
    assert COMPOSER.compare("1.0.0-rc1", "1.0.0-RC.1") == 0
    assert COMPOSER.compare("dev-feature", "dev-main") != 0
    assert COMPOSER.compare("not a version", "0.0.1") < 0


def oracle(pairs: list[tuple[str, str]]) -> list[int | None]:
    """version_compare on what the scheme compares, None where it decides on its own."""
    jobs: list[tuple[str, str]] = []
    index: list[int] = []
    for i, (a, b) in enumerate(pairs):
        na, nb = normalize(a), normalize(b)
        if (na is None) != (nb is None):
            continue
        if na is not None and nb is not None:
            jobs.append((na, nb))
        else:
            jobs.append((a.split("\0", 1)[0], b.split("\0", 1)[0]))
        index.append(i)
    out: list[int | None] = [None] * len(pairs)
    results = oracles.php_version_compare(jobs + [(y, x) for x, y in jobs])
    forward, backward = results[: len(jobs)], results[len(jobs) :]
    for i, result, reverse, (x, y) in zip(index, forward, backward, jobs, strict=True):
        # Where PHP finds two different strings equal, the scheme tells them apart by
        # branch name or bytes; where PHP contradicts itself, the scheme cannot follow.
        if result != -reverse:
            continue
        if result == 0 and x != y and _tied_by_scheme(pairs[i], x, y):
            continue
        out[i] = result
    return out


def _tied_by_scheme(pair: tuple[str, str], x: str, y: str) -> bool:
    """Whether the scheme breaks a version_compare tie between these two itself."""
    refused = normalize(pair[0]) is None
    return refused or (x.startswith("dev-") and y.startswith("dev-"))


@pytest.mark.slow
@oracle_settings(25)
@given(st.lists(composer_versions, min_size=20, max_size=60))
def test_agrees_with_php_on_generated_versions(versions: list[str]) -> None:
    pairs = pairs_of(versions, 1500)
    assert_agrees(COMPOSER, pairs, oracle(pairs), ORACLE)


@pytest.mark.slow
@oracle_settings(10)
@given(st.lists(garbage, min_size=20, max_size=60))
def test_agrees_with_php_on_refused_strings(versions: list[str]) -> None:
    pairs = pairs_of(versions, 1000)
    assert_agrees(COMPOSER, pairs, oracle(pairs), ORACLE)


@settings(max_examples=300, deadline=None)
@given(st.lists(composer_versions.filter(COMPOSER.is_valid), max_size=25))
def test_total_order_on_valid_versions(versions: list[str]) -> None:
    assert_total_order(COMPOSER, versions)
