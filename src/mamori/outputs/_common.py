"""Helpers shared by the output formats: ordering, stable ids, references, safe text.

Outputs must be deterministic: the same report renders to the same bytes. Anything a
format requires to be unique (serial numbers, namespaces, GUIDs) is derived from the
scan id with uuid5, never from a random source or the clock.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import quote

from mamori import __version__
from mamori.model import CvssScore, Package, ScanReport, Severity, VulnerabilityMatch

TOOL_NAME = "mamori"
# A fixed namespace for every uuid5 mamori derives (any constant UUID would do).
_NAMESPACE = uuid.UUID("6d616d6f-7269-5f6f-7574-707574730001")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CVSS_VERSION_ORDER = {"4.0": 4, "3.1": 3, "3.0": 2, "2.0": 1}
# security-severity stand-ins (GitHub's scale) for matches without any CVSS score.
_SEVERITY_SCORE = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 2.0,
    Severity.NEGLIGIBLE: 0.0,
    Severity.UNKNOWN: 0.0,
}


def tool_version(report: ScanReport) -> str:
    return report.tool_version or __version__


def stable_uuid(report: ScanReport, purpose: str) -> uuid.UUID:
    """A UUID that is the same for every rendering of this scan (and differs per purpose)."""
    return uuid.uuid5(_NAMESPACE, f"{report.scan_id}|{report.target.key}|{purpose}")


def utc(ts: datetime) -> datetime:
    """`ts` in UTC; a naive datetime is taken to be UTC already."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def iso_seconds(ts: datetime) -> str:
    """ "2024-05-01T12:00:00Z": the form SPDX and SARIF consumers all accept."""
    return utc(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def match_sort_key(match: VulnerabilityMatch) -> tuple[int, str, str, str, str]:
    """Most severe first, then package, version, vulnerability id and purl."""
    return (
        -match.severity.rank,
        match.package_name,
        match.package_version,
        match.vulnerability_id,
        match.purl,
    )


def sorted_matches(report: ScanReport) -> list[VulnerabilityMatch]:
    return sorted(report.matches, key=match_sort_key)


def package_sort_key(pkg: Package) -> tuple[str, str, str, str]:
    return (pkg.type.value, pkg.name, pkg.version, pkg.id)


def best_cvss(scores: Iterable[CvssScore]) -> CvssScore | None:
    """The score to show: the newest CVSS version, the highest score within it."""
    ranked = sorted(
        scores,
        key=lambda c: (_CVSS_VERSION_ORDER.get(c.version, 0), c.base_score, c.vector),
        reverse=True,
    )
    return ranked[0] if ranked else None


def security_score(match: VulnerabilityMatch) -> float:
    """The highest CVSS base score, else a stand-in for the match's severity."""
    if match.cvss:
        return max(c.base_score for c in match.cvss)
    return _SEVERITY_SCORE[match.severity]


def reference_url(vuln_id: str) -> str:
    """Where a person can read about an advisory, from the shape of its id."""
    if vuln_id.startswith("CVE-"):
        return f"https://nvd.nist.gov/vuln/detail/{vuln_id}"
    if vuln_id.startswith("GHSA-"):
        return f"https://github.com/advisories/{vuln_id}"
    return f"https://osv.dev/vulnerability/{vuln_id}"


def clean_text(value: str, limit: int | None = None) -> str:
    """Printable text: control characters (terminal escapes) out, whitespace folded.

    Package names, summaries and paths come from scanned content and advisory feeds;
    rendering them raw would let a hostile package drive the user's terminal.
    """
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", value))
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        return text[: max(limit - 1, 0)] + "…"
    return text


def relative_uri(path: str) -> str:
    """An in-target absolute path as a URI reference relative to the target root."""
    return quote(path.lstrip("/"), safe="/-._~!$&'()*+,;=@")


def severity_counts(matches: Iterable[VulnerabilityMatch]) -> dict[Severity, int]:
    counts = dict.fromkeys(sorted(Severity, key=lambda s: -s.rank), 0)
    for match in matches:
        counts[match.severity] += 1
    return counts


@lru_cache(maxsize=8192)
def license_kind(value: str) -> tuple[str, str]:
    """("id", SPDX id) | ("expression", SPDX expression) | ("name", free text).

    SPDX ids are fixed up to their canonical case; expressions are validated against the
    SPDX license list (slow, hence the cache: packages repeat the same few licenses).
    """
    from cyclonedx.spdx import fixup_id, is_expression  # 30 ms of imports: only when needed

    value = value.strip()
    known = fixup_id(value)
    if known:
        return "id", known
    if " " in value and is_expression(value):
        return "expression", value
    return "name", value
