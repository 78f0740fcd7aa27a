"""OSV range evaluation: every event kind and combination, and random ranges checked
against evaluators written independently here.

Versions here are dotted integers in an ecosystem with no scheme of its own, so the
generic scheme orders them numerically ("1.10" > "1.9", "1.0" < "1.0.0"), the same order
as Python tuples of ints, which the independent evaluators below use.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.model import Affected, RangeEvent, RangeType, VersionRange
from mamori.vuln.match import Comparators, evaluate, in_range

ECO = "TestEcosystem"


def key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


def ev(kind: str, version: str) -> RangeEvent:
    return RangeEvent(**{kind: version})


def rng(*events: tuple[str, str], kind: RangeType = RangeType.ECOSYSTEM) -> VersionRange:
    return VersionRange(type=kind, events=tuple(ev(k, v) for k, v in events))


def affected(*ranges: VersionRange, versions: tuple[str, ...] = ()) -> Affected:
    return Affected(ecosystem=ECO, name="pkg", ranges=ranges, versions=versions)


def check(version: str, *ranges: VersionRange, versions: tuple[str, ...] = ()) -> bool:
    return evaluate(version, affected(*ranges, versions=versions), Comparators()) is not None


def fixed_of(version: str, *ranges: VersionRange) -> tuple[str, ...]:
    hit = evaluate(version, affected(*ranges), Comparators())
    assert hit is not None
    return hit.fixed


def test_introduced_zero_then_fixed() -> None:
    r = rng(("introduced", "0"), ("fixed", "1.2"))
    assert check("0.0.1", r)
    assert check("1.1.9", r)
    assert not check("1.2", r)
    assert not check("1.2.0", r)  # 1.2.0 > 1.2 in this order: past the fix
    assert fixed_of("1.0", r) == ("1.2",)


def test_introduced_only_affects_everything_from_there() -> None:
    r = rng(("introduced", "2.0"))
    assert not check("1.9", r)
    assert check("2.0", r)
    assert check("99.0", r)
    assert fixed_of("3.0", r) == ()


def test_last_affected_is_inclusive() -> None:
    r = rng(("introduced", "1.0"), ("last_affected", "1.5"))
    assert not check("0.9", r)
    assert check("1.0", r)
    assert check("1.5", r)
    assert not check("1.5.1", r)
    assert fixed_of("1.5", r) == ()


def test_multiple_pairs_and_gaps() -> None:
    r = rng(("introduced", "1.0"), ("fixed", "1.2"), ("introduced", "2.0"), ("fixed", "2.3"))
    assert [check(v, r) for v in ("0.9", "1.0", "1.1", "1.2", "1.9", "2.0", "2.2", "2.3")] == [
        False,
        True,
        True,
        False,
        False,
        True,
        True,
        False,
    ]
    assert fixed_of("2.1", r) == ("2.3",)
    assert fixed_of("1.1", r) == ("1.2",)


def test_unsorted_events_are_sorted_first() -> None:
    r = rng(("fixed", "2.3"), ("introduced", "2.0"), ("fixed", "1.2"), ("introduced", "1.0"))
    assert check("1.1", r)
    assert not check("1.5", r)
    assert check("2.2", r)
    assert not check("3.0", r)
    assert fixed_of("1.1", r) == ("1.2",)


def test_adjacent_ranges_keep_listed_order_on_ties() -> None:
    # [1.0, 2.0) and [2.0, 3.0): 2.0 is affected because its "introduced" comes after the
    # "fixed" of the same version in the listed timeline.
    r = rng(("introduced", "1.0"), ("fixed", "2.0"), ("introduced", "2.0"), ("fixed", "3.0"))
    assert check("2.0", r)
    assert fixed_of("2.0", r) == ("3.0",)
    empty = rng(("introduced", "1.0"), ("fixed", "1.0"))
    assert not check("1.0", empty)


def test_limit_caps_the_range() -> None:
    r = rng(("introduced", "1.0"), ("limit", "1.5"))
    assert check("1.4", r)
    assert not check("1.5", r)
    assert not check("2.0", r)
    star = rng(("introduced", "1.0"), ("limit", "*"))
    assert check("9.9", star)


def test_any_of_several_limits() -> None:
    r = rng(("introduced", "0"), ("limit", "1.0"), ("limit", "3.0"))
    assert check("2.0", r)
    assert not check("3.0", r)


def test_limit_with_fixed() -> None:
    r = rng(("introduced", "1.0"), ("fixed", "2.0"), ("introduced", "3.0"), ("limit", "4.0"))
    assert check("1.5", r)
    assert not check("2.5", r)
    assert check("3.5", r)
    assert not check("4.0", r)


def test_versions_list_alone_and_with_ranges() -> None:
    assert check("1.3", versions=("1.1", "1.3"))
    assert not check("1.2", versions=("1.1", "1.3"))
    r = rng(("introduced", "2.0"), ("fixed", "2.1"))
    assert check("1.3", r, versions=("1.3",))
    assert check("2.0.5", r, versions=("1.3",))


def test_git_ranges_are_ignored_but_versions_count() -> None:
    git = rng(("introduced", "0"), ("fixed", "abc123"), kind=RangeType.GIT)
    assert not check("1.0", git)
    assert check("1.0", git, versions=("1.0",))


def test_several_ranges_any_matches_and_fixed_union() -> None:
    a = rng(("introduced", "0"), ("fixed", "1.5"))
    b = rng(("introduced", "1.0"), ("fixed", "1.7"))
    assert check("1.6", a, b)
    assert fixed_of("1.2", a, b) == ("1.5", "1.7")


def test_semver_range_in_non_semver_ecosystem_uses_semver_order() -> None:
    semver = rng(("introduced", "1.0.0-alpha"), ("fixed", "1.0.0"), kind=RangeType.SEMVER)
    # SemVer: 1.0.0-alpha < 1.0.0-beta < 1.0.0, so the pre-release is inside the range.
    assert check("1.0.0-beta", semver)
    assert not check("1.0.1", semver)
    # This ecosystem's generic order puts "1.0.0-alpha" after "1.0.0": as an ECOSYSTEM
    # range the same events mean "fixed in 1.0.0, reintroduced in 1.0.0-alpha".
    ecosystem = rng(("introduced", "1.0.0-alpha"), ("fixed", "1.0.0"))
    assert check("1.0.1", ecosystem)


# --- independent evaluators ---------------------------------------------------------

Events = list[tuple[str, tuple[int, ...]]]


def oracle_timeline(v: tuple[int, ...], events: Events) -> bool:
    """The state set by the last event that applies to v (spec semantics, restated)."""
    limits = [e for k, e in events if k == "limit"]
    if limits and not any(v < lim for lim in limits):
        return False
    ordered = sorted(((k, e) for k, e in events if k != "limit"), key=lambda ke: ke[1])
    applying = [
        k
        for k, e in ordered
        if (k in ("introduced", "fixed") and e <= v) or (k == "last_affected" and e < v)
    ]
    return bool(applying) and applying[-1] == "introduced"


def oracle_intervals(
    v: tuple[int, ...], pairs: list[tuple[tuple[int, ...], tuple[int, ...]]]
) -> bool:
    return any(lo <= v < hi for lo, hi in pairs)


# Real versions start at 1 so that "0" (only ever an `introduced`) is below all of them.
versions_st = st.builds(
    lambda head, tail: (head, *tail), st.integers(1, 4), st.lists(st.integers(0, 3), max_size=2)
)
kinds_st = st.sampled_from(["introduced", "fixed", "last_affected", "limit"])
events_st = st.one_of(st.tuples(kinds_st, versions_st), st.just(("introduced", (0,))))


def as_text(t: tuple[int, ...]) -> str:
    return ".".join(map(str, t))


@settings(max_examples=300, deadline=None)
@given(
    events=st.lists(events_st, min_size=1, max_size=6),
    probe=versions_st,
)
def test_random_event_lists_agree_with_the_timeline_oracle(
    events: list[tuple[str, tuple[int, ...]]], probe: tuple[int, ...]
) -> None:
    r = VersionRange(type=RangeType.ECOSYSTEM, events=tuple(ev(k, as_text(e)) for k, e in events))
    cmp = Comparators().get(ECO)
    assert (in_range(as_text(probe), r, cmp) is not None) == oracle_timeline(probe, events)


@settings(max_examples=300, deadline=None)
@given(
    bounds=st.lists(versions_st, min_size=2, max_size=8, unique=True),
    probe=versions_st,
    seed=st.integers(0, 2**16),
)
def test_shuffled_interval_ranges_agree_with_interval_oracle(
    bounds: list[tuple[int, ...]], probe: tuple[int, ...], seed: int
) -> None:
    """Well-formed ranges (disjoint [introduced, fixed) pairs), events listed in random
    order: affected iff introduced <= v < fixed for some pair."""
    ordered = sorted(bounds)
    if len(ordered) % 2:
        ordered = ordered[:-1]
    pairs = [(ordered[i], ordered[i + 1]) for i in range(0, len(ordered), 2)]
    events = [("introduced", lo) for lo, _ in pairs] + [("fixed", hi) for _, hi in pairs]
    random.Random(seed).shuffle(events)
    r = VersionRange(type=RangeType.ECOSYSTEM, events=tuple(ev(k, as_text(e)) for k, e in events))
    hit = in_range(as_text(probe), r, Comparators().get(ECO))
    assert (hit is not None) == oracle_intervals(probe, pairs)
    if hit is not None:
        expected_fix = next(hi for lo, hi in pairs if lo <= probe < hi)
        assert hit.fixed == (as_text(expected_fix),)
