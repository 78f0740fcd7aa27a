"""Alias merging: the advisories one package matched, grouped into vulnerabilities.

Databases describe one vulnerability several times (PYSEC-2021-9 = GHSA-... = CVE-...;
GO-2024-2687 = CVE-2023-45288). Advisories of one package that share an id or alias,
directly or through a chain, become one `VulnerabilityMatch` named by a CVE when there
is one, with every id kept, the highest severity, every CVSS score and the union of the
fixed versions. `related` ids never merge (a distro advisory relates to many CVEs) but
do count for the KEV flag: an ALSA that fixes a known-exploited CVE is marked so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mamori.model import CvssScore, Package, Severity, VulnerabilityMatch
from mamori.vuln.db.store import StoredAdvisory
from mamori.vuln.match.ranges import Comparator

_CVE = re.compile(r"CVE-\d{4}-\d+\Z")


@dataclass(frozen=True)
class AdvisoryHit:
    """One advisory found affecting one package."""

    stored: StoredAdvisory
    fixed: tuple[str, ...]
    matched_by: str
    ecosystem: str


def preferred_id(ids: Iterable[str]) -> str:
    """CVE first (lowest number), then GHSA, then the rest, alphabetically."""

    def rank(ident: str) -> tuple[int, int, str]:
        if _CVE.match(ident):
            year, number = ident[4:].split("-")
            return (0, int(year) * 10_000_000 + int(number), ident)
        if ident.startswith("GHSA-"):
            return (1, 0, ident)
        return (2, 0, ident)

    return min(ids, key=rank)


def group_hits(hits: list[AdvisoryHit]) -> list[list[AdvisoryHit]]:
    """Connected components of advisories linked by shared ids (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for hit in hits:
        ids = hit.stored.advisory.all_ids
        root = find(ids[0])
        for other in ids[1:]:
            other_root = find(other)
            if other_root != root:
                parent[other_root] = root
    groups: dict[str, list[AdvisoryHit]] = {}
    for hit in hits:
        groups.setdefault(find(hit.stored.advisory.id), []).append(hit)
    return sorted(groups.values(), key=lambda g: min(h.stored.advisory.id for h in g))


def build_match(
    package: Package, version: str, group: list[AdvisoryHit], kev: set[str], cmp: Comparator
) -> VulnerabilityMatch:
    advisories = sorted((h.stored.advisory for h in group), key=lambda a: a.id)
    ids = sorted({i for a in advisories for i in a.all_ids})
    chosen = preferred_id(ids)
    related = {r for h in group for r in h.stored.related}
    severity = max((a.severity for a in advisories), key=lambda s: s.rank)
    cvss: dict[str, CvssScore] = {}
    for advisory in advisories:
        for score in advisory.cvss:
            cvss.setdefault(score.vector, score)
    fixed = cmp.sort(sorted({f for h in group for f in h.fixed}))
    summary = next((a.summary for a in advisories if a.id == chosen and a.summary), "") or next(
        (a.summary for a in advisories if a.summary), ""
    )
    first = group[0]
    return VulnerabilityMatch(
        package_id=package.id,
        package_name=package.name,
        package_version=version,
        package_type=str(package.type),
        purl=package.purl,
        vulnerability_id=chosen,
        aliases=tuple(i for i in ids if i != chosen),
        advisory_ids=tuple(a.id for a in advisories),
        severity=severity if advisories else Severity.UNKNOWN,
        cvss=tuple(sorted(cvss.values(), key=lambda c: (c.version, c.vector))),
        fixed_versions=tuple(fixed),
        known_exploited=bool(kev.intersection(ids) or kev.intersection(related)),
        summary=summary,
        matched_by=first.matched_by,
        ecosystem=first.ecosystem,
        layer=package.layer,
        locations=tuple(loc.path for loc in package.locations),
    )
