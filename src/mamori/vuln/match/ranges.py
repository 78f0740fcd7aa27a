"""OSV range evaluation, exactly as the OSV schema's "Evaluation" pseudocode specifies.

A version is affected when it is listed in `versions` or lies in any ECOSYSTEM/SEMVER
range. Per range: it must be below one of the `limit` events (if any; "*" is infinity);
the other events are sorted by version (stably: equal versions keep their listed order)
and walked as a timeline, where `introduced` (with "0" below everything) switches
"vulnerable" on for v >= it, `fixed` off for v >= it, `last_affected` off for v > it.
GIT ranges need the repository's commit graph and are ignored; their `versions` are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cmp_to_key

from mamori.model import Affected, RangeEvent, RangeType, VersionRange
from mamori.vuln.versions import ECOSYSTEM_SCHEMES, VersionScheme, scheme_for_ecosystem, schemes

_SEMVER_LIKE = {"semver", "go"}


class Comparator:
    """One version scheme with memoised comparisons: a scan compares the same pairs of
    versions over and over (every advisory of a package against one installed version)."""

    def __init__(self, scheme: VersionScheme) -> None:
        self.scheme = scheme
        self._cmp: dict[tuple[str, str], int] = {}
        self._valid: dict[str, bool] = {}

    def compare(self, a: str, b: str) -> int:
        key = (a, b)
        result = self._cmp.get(key)
        if result is None:
            result = self.scheme.compare(a, b)
            result = (result > 0) - (result < 0)
            self._cmp[key] = result
        return result

    def is_valid(self, version: str) -> bool:
        result = self._valid.get(version)
        if result is None:
            result = self._valid[version] = self.scheme.is_valid(version)
        return result

    def sort(self, versions: Sequence[str]) -> list[str]:
        return sorted(versions, key=cmp_to_key(self.compare))


class Comparators:
    """Comparators per (ecosystem, range type), created once per matching run."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, RangeType], Comparator] = {}

    def get(self, ecosystem: str, range_type: RangeType = RangeType.ECOSYSTEM) -> Comparator:
        base = ecosystem.split(":", 1)[0]
        key = (base, range_type)
        found = self._by_key.get(key)
        if found is None:
            scheme_name = ECOSYSTEM_SCHEMES.get(base, "generic")
            if range_type is RangeType.SEMVER and scheme_name not in _SEMVER_LIKE:
                # A SEMVER range means SemVer 2.0 order whatever the ecosystem.
                scheme = schemes.get("semver")
            else:
                scheme = scheme_for_ecosystem(ecosystem)
            found = self._by_key[key] = Comparator(scheme)
        return found


@dataclass(frozen=True)
class Hit:
    """Why a version is affected: the range's next fixed version, or an explicit listing."""

    fixed: tuple[str, ...] = ()
    via: str = "range"  # "range" or "versions"


def _event_version(event: RangeEvent) -> str:
    for value in (event.introduced, event.fixed, event.last_affected, event.limit):
        if value is not None:
            return value
    raise ValueError("empty range event")


def in_range(version: str, rng: VersionRange, cmp: Comparator) -> Hit | None:
    """Evaluate one ECOSYSTEM or SEMVER range; None when `version` is not in it."""
    limits = [e.limit for e in rng.events if e.limit is not None]
    if limits and not any(lim == "*" or cmp.compare(version, lim) < 0 for lim in limits):
        return None

    def order(a: RangeEvent, b: RangeEvent) -> int:
        a_zero = a.introduced == "0"
        b_zero = b.introduced == "0"
        if a_zero or b_zero:
            return int(b_zero) - int(a_zero) if a_zero != b_zero else 0
        return cmp.compare(_event_version(a), _event_version(b))

    events = sorted((e for e in rng.events if e.limit is None), key=cmp_to_key(order))
    vulnerable = False
    for event in events:
        if event.introduced is not None:
            if event.introduced == "0" or cmp.compare(version, event.introduced) >= 0:
                vulnerable = True
        elif event.fixed is not None:
            if cmp.compare(version, event.fixed) >= 0:
                vulnerable = False
        elif event.last_affected is not None and cmp.compare(version, event.last_affected) > 0:
            vulnerable = False
    if not vulnerable:
        return None
    fixed = next(
        (e.fixed for e in events if e.fixed is not None and cmp.compare(version, e.fixed) < 0),
        None,
    )
    return Hit(fixed=(fixed,) if fixed else ())


def evaluate(version: str, affected: Affected, comparators: Comparators) -> Hit | None:
    """Is `version` of this affected package vulnerable? (OSV `IsVulnerable` for one entry.)

    Ranges are only evaluated for a version the scheme considers valid: an unparseable
    version cannot be placed in an order, so only an exact listing in `versions` counts.
    """
    base_cmp = comparators.get(affected.ecosystem)
    hits: list[Hit] = []
    for rng in affected.ranges:
        if rng.type is RangeType.GIT:
            continue
        cmp = comparators.get(affected.ecosystem, rng.type)
        if not cmp.is_valid(version):
            continue
        hit = in_range(version, rng, cmp)
        if hit is not None:
            hits.append(hit)
    if hits:
        fixed = {f for h in hits for f in h.fixed}
        return Hit(fixed=tuple(base_cmp.sort(sorted(fixed))))
    if version in affected.versions or (
        base_cmp.is_valid(version)
        and any(
            base_cmp.is_valid(listed) and base_cmp.compare(version, listed) == 0
            for listed in affected.versions
        )
    ):
        return Hit(via="versions")
    return None
