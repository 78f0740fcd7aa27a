"""Applying ignore rules to vulnerability matches."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime

from mamori.globs import glob_to_regex
from mamori.model import Notice, NoticeLevel, VulnerabilityMatch
from mamori.vuln.suppress.ignorefile import IgnoreRule
from mamori.vuln.suppress.purl import purl_matches
from mamori.vuln.suppress.result import Suppressed, SuppressionKind

_SOURCE = "vuln.suppress.ignore"


@functools.lru_cache(maxsize=1024)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A path glob as a regex: `**` crosses directories, `*` and `?` do not.

    Paths are compared without their leading slash, so `usr/lib/**` and `/usr/lib/**`
    mean the same (Trivy writes them relative, locations here are absolute).
    """
    return re.compile(glob_to_regex(pattern.lstrip("/")) + r"\Z", re.DOTALL)


def path_matches(pattern: str, path: str) -> bool:
    return glob_regex(pattern).match(path.lstrip("/")) is not None


def match_ids(match: VulnerabilityMatch) -> set[str]:
    """Every id a match is known by, case-folded."""
    return {i.casefold() for i in (match.vulnerability_id, *match.aliases, *match.advisory_ids)}


def _pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def rule_matches(rule: IgnoreRule, match: VulnerabilityMatch) -> bool:
    if rule.id.casefold() not in match_ids(match):
        return False
    if rule.purls and not any(purl_matches(p, match.purl) for p in rule.purls):
        return False
    if rule.package_type and rule.package_type != match.package_type:
        return False
    if rule.package_name:
        pypi = match.package_type == "pypi"
        want = _pep503(rule.package_name) if pypi else rule.package_name
        have = _pep503(match.package_name) if pypi else match.package_name
        if want != have:
            return False
    if rule.package_version and rule.package_version != match.package_version:
        return False
    return not rule.paths or any(
        path_matches(pattern, location) for pattern in rule.paths for location in match.locations
    )


def expired(rule: IgnoreRule, now: datetime) -> bool:
    return rule.expires is not None and now >= rule.expires


def apply_ignores(
    matches: Iterable[VulnerabilityMatch], rules: Iterable[IgnoreRule], now: datetime
) -> tuple[list[VulnerabilityMatch], list[Suppressed], list[Notice]]:
    """(kept, ignored, notices): the first live rule that matches suppresses a match.

    An expired rule suppresses nothing and gives one warning naming it, so a forgotten
    exception resurfaces instead of silently hiding a vulnerability forever.
    """
    live: list[IgnoreRule] = []
    notices: list[Notice] = []
    for rule in rules:
        if expired(rule, now):
            assert rule.expires is not None
            notices.append(
                Notice(
                    level=NoticeLevel.WARNING,
                    source=_SOURCE,
                    message=(
                        f"ignore rule for {rule.id} ({rule.origin}) expired on "
                        f"{rule.expires.isoformat()} and no longer applies: "
                        "re-assess it, then renew or remove it"
                    ),
                    path=rule.origin,
                )
            )
        else:
            live.append(rule)
    by_id: dict[str, list[tuple[int, IgnoreRule]]] = {}
    for order, rule in enumerate(live):
        by_id.setdefault(rule.id.casefold(), []).append((order, rule))
    kept: list[VulnerabilityMatch] = []
    ignored: list[Suppressed] = []
    for match in matches:
        candidates = sorted(
            (pair for i in match_ids(match) for pair in by_id.get(i, ())), key=lambda p: p[0]
        )
        rule_hit = next((r for _, r in candidates if rule_matches(r, match)), None)
        if rule_hit is None:
            kept.append(match)
            continue
        ignored.append(
            Suppressed(
                match=match,
                kind=SuppressionKind.IGNORE,
                reason=rule_hit.reason,
                source=rule_hit.origin,
                expires=rule_hit.expires,
            )
        )
    return kept, ignored, notices
