"""CSV: one row per finding, for spreadsheets and ad-hoc filtering.

Columns (RFC 4180, header first, CRLF line ends as the csv module writes them):

    account, region, check_id, status, severity, resource_type, resource_id, resource_arn,
    resource_name, title, reason, framework, requirements

`status` is pass / fail / manual for posture results (an open misconfiguration is "fail"),
else the finding status. `framework` and `requirements` (";"-separated requirement ids) are
filled when the scan selected a framework: the posture runner records them in each
finding's evidence. Vulnerability matches of an image or host scan follow as rows with
check_id = the advisory id, resource_type = the package type and resource_id = the purl.

A cell that a spreadsheet would run as a formula (starting with = + - @ or a tab/CR) gets a
leading apostrophe: resource names and tags are chosen by whoever owns the account.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import ClassVar, TextIO

from mamori.model import Finding, FindingKind, FindingStatus, ScanReport, VulnerabilityMatch
from mamori.outputs import outputs
from mamori.outputs._common import sorted_matches

COLUMNS = (
    "account",
    "region",
    "check_id",
    "status",
    "severity",
    "resource_type",
    "resource_id",
    "resource_arn",
    "resource_name",
    "title",
    "reason",
    "framework",
    "requirements",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_STATUS_ORDER = {"fail": 0, "manual": 1, "open": 2, "pass": 3}


def safe_cell(value: str) -> str:
    """`value`, defused if a spreadsheet would evaluate it as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def status_label(finding: Finding) -> str:
    if finding.kind == FindingKind.MISCONFIGURATION and finding.status == FindingStatus.OPEN:
        return "fail"
    return finding.status.value


def finding_row(finding: Finding) -> dict[str, str]:
    attrs = finding.resource.attributes
    requirements = finding.evidence.get("requirements", "")
    return {
        "account": finding.resource.identity.account or attrs.get("account", ""),
        "region": finding.resource.identity.region or attrs.get("region", ""),
        "check_id": finding.rule_id,
        "status": status_label(finding),
        "severity": finding.severity.value,
        "resource_type": attrs.get("type", finding.resource.kind.value),
        "resource_id": attrs.get("id", finding.resource.name),
        "resource_arn": attrs.get("arn", ""),
        "resource_name": attrs.get("name", finding.resource.name),
        "title": finding.title,
        "reason": finding.reason or finding.evidence.get("reason", ""),
        "framework": finding.evidence.get("framework", ""),
        "requirements": ";".join(r for r in requirements.split(",") if r),
    }


def match_row(report: ScanReport, match: VulnerabilityMatch) -> dict[str, str]:
    fixed = ", ".join(match.fixed_versions)
    reason = f"{match.package_name} {match.package_version} installed"
    return {
        "account": report.target.identity.account or "",
        "region": report.target.identity.region or "",
        "check_id": match.vulnerability_id,
        "status": "open",
        "severity": match.severity.value,
        "resource_type": match.package_type,
        "resource_id": match.purl,
        "resource_arn": "",
        "resource_name": match.package_name,
        "title": match.summary,
        "reason": reason + (f"; fixed in {fixed}" if fixed else ""),
        "framework": "",
        "requirements": "",
    }


def rows(report: ScanReport) -> Iterator[dict[str, str]]:
    """Findings (failures first, then by check, account, region, resource), then matches."""
    findings = sorted(
        report.findings,
        key=lambda f: (
            _STATUS_ORDER.get(status_label(f), 9),
            -f.severity.rank,
            f.rule_id,
            f.resource.identity.account or "",
            f.resource.identity.region or "",
            f.resource.name,
            f.evidence.get("subject", ""),
        ),
    )
    for finding in findings:
        yield finding_row(finding)
    for match in sorted_matches(report):
        yield match_row(report, match)


@outputs.register("csv")
class CsvOutput:
    name: ClassVar[str] = "csv"
    description: ClassVar[str] = "one CSV row per finding (posture results, then matches)"

    def render(self, report: ScanReport, out: TextIO) -> None:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for row in rows(report):
            writer.writerow({k: safe_cell(v) for k, v in row.items()})
