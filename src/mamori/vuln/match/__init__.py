"""Vulnerability matching: SBOM packages -> OSV lookups -> range evaluation -> alias merge."""

from mamori.vuln.match.ecosystems import Query, UnmappedError, go_semver, queries_for
from mamori.vuln.match.matcher import match_sbom
from mamori.vuln.match.ranges import Comparator, Comparators, Hit, evaluate, in_range

__all__ = [
    "Comparator",
    "Comparators",
    "Hit",
    "Query",
    "UnmappedError",
    "evaluate",
    "go_semver",
    "in_range",
    "match_sbom",
    "queries_for",
]
