"""Assertions shared by the scheme tests, and the tally of pairs checked per oracle."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cmp_to_key
from itertools import combinations, pairwise

from hypothesis import HealthCheck, Phase, settings

from mamori.vuln.versions import VersionScheme

# oracle name -> pairs whose sign was checked against it (printed by conftest.py)
CHECKED: Counter[str] = Counter()
# scheme name -> measured compare() pairs per second
THROUGHPUT: dict[str, float] = {}


def oracle_settings(max_examples: int) -> settings:
    """Settings for a test that runs an external oracle once per example.

    No shrinking: with an oracle process per step it would take minutes, and the
    failure message already lists the exact pairs that disagree.
    """
    return settings(
        max_examples=max_examples,
        deadline=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def sign(value: int) -> int:
    return (value > 0) - (value < 0)


def pairs_of(versions: Sequence[str], limit: int, seed: int = 0) -> list[tuple[str, str]]:
    """All ordered pairs of distinct positions, or `limit` of them drawn with `seed`."""
    everything = [(a, b) for a, b in combinations(versions, 2)]
    if len(everything) > limit:
        everything = random.Random(seed).sample(everything, limit)
    return everything


def real_pairs(
    scheme: VersionScheme, versions: Sequence[str], limit: int, seed: int = 1
) -> list[tuple[str, str]]:
    """Neighbours in the scheme's own order (the hardest pairs) plus random pairs."""
    rng = random.Random(seed)
    ordered = sorted(versions, key=cmp_to_key(scheme.compare))
    neighbours = list(pairwise(ordered))
    rng.shuffle(neighbours)
    picked = neighbours[: limit // 2]
    pool = list(versions)
    while len(picked) < limit:
        a, b = rng.sample(pool, 2)
        picked.append((a, b))
    return [(a, b) if rng.random() < 0.5 else (b, a) for a, b in picked]


def assert_agrees(
    scheme: VersionScheme,
    pairs: Sequence[tuple[str, str]],
    expected: Sequence[int | None],
    oracle: str,
) -> int:
    """Every pair the oracle ordered has the same sign under `scheme`; returns how many."""
    assert len(pairs) == len(expected)
    wrong = []
    checked = 0
    for (a, b), want in zip(pairs, expected, strict=True):
        if want is None:
            continue
        checked += 1
        got = sign(scheme.compare(a, b))
        if got != sign(want):
            wrong.append(f"{a!r} vs {b!r}: {oracle} says {sign(want)}, {scheme.name} {got}")
    assert not wrong, f"{len(wrong)} disagreements:\n" + "\n".join(wrong[:20])
    CHECKED[oracle] += checked
    return checked


def assert_ascending(scheme: VersionScheme, ordered: Sequence[str]) -> None:
    """Each version is strictly older than the next, both ways round."""
    for lower, higher in pairwise(ordered):
        assert scheme.compare(lower, higher) < 0, (lower, higher)
        assert scheme.compare(higher, lower) > 0, (lower, higher)


def assert_total_order(scheme: VersionScheme, versions: Sequence[str]) -> None:
    """Reflexive, antisymmetric and transitive: a sorted list stays sorted pairwise."""
    ordered = sorted(versions, key=cmp_to_key(scheme.compare))
    for i, a in enumerate(ordered):
        assert scheme.compare(a, a) == 0, a
        for b in ordered[i + 1 :]:
            ab, ba = sign(scheme.compare(a, b)), sign(scheme.compare(b, a))
            assert ab == -ba, f"not antisymmetric: {a!r} {b!r} -> {ab} {ba}"
            assert ab <= 0, f"not transitive: {a!r} sorted before {b!r} but compares {ab}"


def measure_throughput(scheme: VersionScheme, versions: Sequence[str], pairs: int) -> float:
    """compare() calls per second over `pairs` random pairs of real versions (warm cache)."""
    rng = random.Random(7)
    work = [(rng.choice(versions), rng.choice(versions)) for _ in range(pairs)]
    compare: Callable[[str, str], int] = scheme.compare
    for version in versions:  # parse every version once: measure comparing, not parsing
        compare(version, versions[0])
    start = time.perf_counter()
    for a, b in work:
        compare(a, b)
    rate = pairs / (time.perf_counter() - start)
    THROUGHPUT[scheme.name] = rate
    return rate
