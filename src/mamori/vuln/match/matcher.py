"""`match_sbom`: an SBOM's packages against the advisory database.

Three batched passes: map every package to its lookups, fetch the index rows for all
names of an ecosystem in one query (per batch of names), fetch and decode each candidate
advisory once; then evaluate ranges in memory with memoised version comparisons.
"""

from __future__ import annotations

from collections import defaultdict

from mamori.model import Notice, NoticeLevel, Package, Sbom, VulnerabilityMatch
from mamori.vuln.db.names import ecosystem_base, normalize_name
from mamori.vuln.db.store import StoredAdvisory, VulnDb
from mamori.vuln.match.ecosystems import Query, UnmappedError, queries_for
from mamori.vuln.match.merge import AdvisoryHit, build_match, group_hits
from mamori.vuln.match.ranges import Comparators, evaluate

NOTICE_SOURCE = "vuln.match"


def match_sbom(
    sbom: Sbom, db: VulnDb, *, notices: list[Notice] | None = None
) -> list[VulnerabilityMatch]:
    """Every vulnerability affecting a package of `sbom`, merged across aliases.

    Packages that cannot be looked up (no version, no known OSV ecosystem for their
    distro) are counted into one notice per reason, appended to `notices` if given.
    """
    planned: list[tuple[Package, list[Query]]] = []
    unmapped: dict[tuple[str, bool], int] = defaultdict(int)
    for package in sbom.packages:
        try:
            planned.append((package, queries_for(package, sbom.distro)))
        except UnmappedError as exc:
            unmapped[(str(exc), exc.serious)] += 1
    if notices is not None:
        notices.extend(
            Notice(
                level=NoticeLevel.WARNING if serious else NoticeLevel.INFO,
                source=NOTICE_SOURCE,
                message=f"{reason} ({n} packages)",
            )
            for (reason, serious), n in sorted(unmapped.items())
        )

    names: dict[str, set[str]] = defaultdict(set)
    for _, queries in planned:
        for query in queries:
            names[query.base].add(query.name)
    index = {base: db.lookup(base, wanted) for base, wanted in names.items()}
    wanted_ids = {
        advisory_id
        for _, queries in planned
        for q in queries
        for ecosystem, advisory_id in index[q.base].get(q.name, ())
        if q.accepts.fullmatch(ecosystem)
    }
    advisories = db.advisories(wanted_ids)

    comparators = Comparators()
    per_package: list[tuple[Package, list[AdvisoryHit]]] = []
    for package, queries in planned:
        hits = _hits(queries, index, advisories, comparators)
        if hits:
            per_package.append((package, hits))

    every_id = {
        i
        for _, hits in per_package
        for h in hits
        for i in (*h.stored.advisory.all_ids, *h.stored.related)
    }
    kev = db.known_exploited(every_id)
    matches: list[VulnerabilityMatch] = []
    for package, hits in per_package:
        cmp = comparators.get(hits[0].ecosystem)
        for group in group_hits(hits):
            matches.append(build_match(package, package.version, group, kev, cmp))
    return matches


def _hits(
    queries: list[Query],
    index: dict[str, dict[str, list[tuple[str, str]]]],
    advisories: dict[str, StoredAdvisory],
    comparators: Comparators,
) -> list[AdvisoryHit]:
    hits: dict[str, AdvisoryHit] = {}
    for query in queries:
        candidates = sorted(
            {
                aid
                for eco, aid in index[query.base].get(query.name, ())
                if query.accepts.fullmatch(eco)
            }
        )
        for advisory_id in candidates:
            stored = advisories.get(advisory_id)
            if stored is None or advisory_id in hits or stored.advisory.withdrawn is not None:
                continue
            hit = _evaluate(query, stored, comparators)
            if hit is not None:
                hits[advisory_id] = hit
    return list(hits.values())


def _evaluate(query: Query, stored: StoredAdvisory, comparators: Comparators) -> AdvisoryHit | None:
    """OSV IsVulnerable over the advisory's entries for this package (any entry hits)."""
    fixed: set[str] = set()
    matched_ecosystem = None
    for affected in stored.advisory.affected:
        if (
            ecosystem_base(affected.ecosystem) != query.base
            or not query.accepts.fullmatch(affected.ecosystem)
            or normalize_name(affected.ecosystem, affected.name) != query.name
        ):
            continue
        hit = evaluate(query.version, affected, comparators)
        if hit is not None:
            fixed.update(hit.fixed)
            matched_ecosystem = matched_ecosystem or affected.ecosystem
    if matched_ecosystem is None:
        return None
    cmp = comparators.get(matched_ecosystem)
    return AdvisoryHit(stored, tuple(cmp.sort(sorted(fixed))), query.matched_by, matched_ecosystem)
