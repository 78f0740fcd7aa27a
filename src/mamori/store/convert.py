"""Vulnerability matches become findings: the step between matching and the store.

A match is a package in an affected range; a finding is what mamori tracks over time. The
finding's `subject` (part of its fingerprint) is the package's purl and first location, so
the same vulnerability in two copies of a jar is two findings, and a package upgrade that
keeps the vulnerability keeps neither: the fixed version's purl differs, the old finding
turns FIXED and a new one opens. That is the history a user reads ("we upgraded, still
vulnerable"), so it is kept on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable

from mamori.model import (
    Finding,
    FindingKind,
    FindingStatus,
    Provenance,
    ScanReport,
    VulnerabilityMatch,
)
from mamori.vuln.suppress import Suppressed


def match_subject(match: VulnerabilityMatch) -> str:
    first = match.locations[0] if match.locations else ""
    return f"{match.purl}|{first}" if first else match.purl


def _evidence(match: VulnerabilityMatch) -> dict[str, str]:
    evidence = {
        "subject": match_subject(match),
        "package_id": match.package_id,
        "package_name": match.package_name,
        "package_version": match.package_version,
        "package_type": match.package_type,
        "purl": match.purl,
        "aliases": ",".join(match.aliases),
        "advisory_ids": ",".join(match.advisory_ids),
        "fixed_versions": ",".join(match.fixed_versions),
        "known_exploited": "true" if match.known_exploited else "false",
        "matched_by": match.matched_by,
        "ecosystem": match.ecosystem,
        "locations": "\n".join(match.locations),
        "cvss": "\n".join(f"{c.version} {c.base_score} {c.vector}" for c in match.cvss),
    }
    if match.layer:
        evidence["layer"] = match.layer
    return {key: value for key, value in evidence.items() if value}


def match_finding(
    match: VulnerabilityMatch,
    report: ScanReport,
    *,
    status: FindingStatus = FindingStatus.OPEN,
    reason: str = "",
    producer: str = "mamori.scan.vuln",
    extra_evidence: dict[str, str] | None = None,
) -> Finding:
    """The finding a match stands for in `report`, seen at the scan's end."""
    seen = report.finished_at
    default_title = f"{match.vulnerability_id} in {match.package_name} {match.package_version}"
    title = match.summary or default_title
    return Finding(
        kind=FindingKind.VULNERABILITY,
        rule_id=match.vulnerability_id,
        title=title,
        severity=match.severity,
        resource=report.target,
        status=status,
        evidence={**_evidence(match), **(extra_evidence or {})},
        first_seen=seen,
        last_seen=seen,
        provenance=Provenance(
            producer=producer,
            producer_version=report.tool_version,
            scan_id=report.scan_id,
            observed_at=seen,
            source=report.target.name,
        ),
        reason=reason,
    )


def _suppression_evidence(item: Suppressed) -> dict[str, str]:
    """Where an exception was made, kept with the finding for audits."""
    evidence = {"suppressed_by": str(item.kind), "suppression_source": item.source}
    if item.expires:
        evidence["suppression_expires"] = item.expires.isoformat()
    if item.vex_status:
        evidence["vex_status"] = item.vex_status
    if item.justification:
        evidence["vex_justification"] = item.justification
    return evidence


def report_findings(
    report: ScanReport,
    ignored: Iterable[Suppressed] = (),
    *,
    producer: str = "mamori.scan.vuln",
) -> list[Finding]:
    """Every finding of a scan: its matches (OPEN), suppressed matches (IGNORED, with the
    rule's reason) and the findings the report carries itself, one per fingerprint (the
    report's own findings win, then open matches over ignored ones)."""
    by_fingerprint: dict[str, Finding] = {}
    for item in ignored:
        finding = match_finding(
            item.match,
            report,
            status=FindingStatus.IGNORED,
            reason=item.reason,
            producer=producer,
            extra_evidence=_suppression_evidence(item),
        )
        by_fingerprint[finding.fingerprint] = finding
    for match in report.matches:
        finding = match_finding(match, report, producer=producer)
        by_fingerprint[finding.fingerprint] = finding
    for finding in report.findings:
        by_fingerprint[finding.fingerprint] = finding
    return list(by_fingerprint.values())
