"""SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

One rule per vulnerability id, one result per match. A result points at the file that
proves the package is installed (the dpkg status file, a METADATA file, a lockfile),
relative to the scanned root, so a dashboard can show where the package comes from.
`security-severity` carries the CVSS base score, which GitHub uses to rank alerts.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, TextIO

from mamori.model import ScanReport, Severity, VulnerabilityMatch
from mamori.outputs import outputs
from mamori.outputs._common import (
    TOOL_NAME,
    best_cvss,
    clean_text,
    iso_seconds,
    reference_url,
    relative_uri,
    security_score,
    sorted_matches,
    stable_uuid,
    tool_version,
)

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
ROOT_BASE = "ROOTPATH"
FINGERPRINT_KEY = "mamori/v1"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.NEGLIGIBLE: "note",
    Severity.UNKNOWN: "note",
}


def level(severity: Severity) -> str:
    return LEVELS[severity]


def _rule(match: VulnerabilityMatch) -> dict[str, Any]:
    vid = match.vulnerability_id
    summary = clean_text(match.summary) or f"{vid} in {match.package_name}"
    full = summary
    if match.aliases:
        full += f" (also known as {', '.join(match.aliases)})"
    url = reference_url(vid)
    help_lines = [
        f"Vulnerability {vid}",
        f"Severity: {match.severity.value}",
        f"More information: {url}",
    ]
    properties: dict[str, Any] = {
        "security-severity": f"{security_score(match):.1f}",
        "tags": ["security", "vulnerability", match.severity.value],
        "precision": "very-high",
    }
    cvss = best_cvss(match.cvss)
    if cvss is not None:
        properties["cvss"] = {
            "version": cvss.version,
            "vector": cvss.vector,
            "score": cvss.base_score,
        }
    if match.aliases:
        properties["aliases"] = list(match.aliases)
    if match.known_exploited:
        properties["known-exploited"] = True
        properties["tags"].append("known-exploited")
    return {
        "id": vid,
        "name": vid,
        "shortDescription": {"text": clean_text(summary, 200)},
        "fullDescription": {"text": full},
        "helpUri": url,
        "help": {"text": "\n".join(help_lines), "markdown": _help_markdown(vid, match, url)},
        "defaultConfiguration": {"level": level(match.severity)},
        "properties": properties,
    }


def _cell(value: str) -> str:
    """Text safe inside a Markdown table cell (names come from scanned content)."""
    return clean_text(value).replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")


def _help_markdown(vid: str, match: VulnerabilityMatch, url: str) -> str:
    fixed = ", ".join(match.fixed_versions) or "no fixed version known"
    return (
        f"**{_cell(vid)}** ({match.severity.value})\n\n"
        f"| Package | Installed | Fixed in |\n|---|---|---|\n"
        f"| {_cell(match.package_name)} | {_cell(match.package_version)} | {_cell(fixed)} |\n\n"
        f"<{url}>"
    )


def _message(match: VulnerabilityMatch) -> str:
    fixed = (
        f"fixed in {', '.join(match.fixed_versions)}"
        if match.fixed_versions
        else "no fixed version is known"
    )
    text = (
        f"Package {match.package_name} {match.package_version} ({match.package_type}) is "
        f"affected by {match.vulnerability_id} ({match.severity.value}); {fixed}."
    )
    if match.locations:
        text += f" Found at {match.locations[0]}."
    if match.known_exploited:
        text += " Known to be exploited (CISA KEV)."
    return clean_text(text)


def _fingerprint(match: VulnerabilityMatch) -> str:
    where = match.locations[0] if match.locations else ""
    raw = f"{match.vulnerability_id}|{match.purl}|{where}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _result(match: VulnerabilityMatch, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": match.vulnerability_id,
        "ruleIndex": rule_index,
        "level": level(match.severity),
        "message": {"text": _message(match)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": relative_uri(path), "uriBaseId": ROOT_BASE}
                },
                "message": {"text": clean_text(f"{match.package_name} {match.package_version}")},
            }
            for path in dict.fromkeys(match.locations)
            if path.strip("/")
        ],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(match)},
        "properties": {
            "purl": match.purl,
            "installedVersion": match.package_version,
            "fixedVersions": list(match.fixed_versions),
            "packageType": match.package_type,
        },
    }
    if match.layer:
        result["properties"]["layer"] = match.layer
    return result


def sarif_document(report: ScanReport) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    matches = sorted_matches(report)
    rule_index: dict[str, int] = {}
    rules: list[dict[str, Any]] = []
    for match in matches:
        if match.vulnerability_id not in rule_index:
            rule_index[match.vulnerability_id] = len(rules)
            rules.append(_rule(match))
    results = [_result(m, rule_index[m.vulnerability_id]) for m in matches]
    notifications = [
        {
            "level": "error" if n.level.value == "error" else "warning",
            "message": {"text": clean_text(n.message)},
        }
        for n in report.notices
        if n.level.value != "info"
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": tool_version(report),
                "semanticVersion": tool_version(report),
                "rules": rules,
            }
        },
        "automationDetails": {
            "id": f"{TOOL_NAME}/{report.target.kind.value}/{report.scan_id}",
            "guid": str(stable_uuid(report, "sarif-run")),
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "startTimeUtc": iso_seconds(report.started_at),
                "endTimeUtc": iso_seconds(report.finished_at),
                "toolExecutionNotifications": notifications,
            }
        ],
        "originalUriBaseIds": {ROOT_BASE: {"uri": "file:///"}},
        "results": results,
        "columnKind": "utf16CodeUnits",
        "properties": {
            "target": report.target.name,
            "targetKind": report.target.kind.value,
            "packages": len(report.sbom.packages),
        },
    }
    if report.target.identity.image_digest:
        run["properties"]["imageDigest"] = report.target.identity.image_digest
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


@outputs.register("sarif")
class SarifOutput:
    name: ClassVar[str] = "sarif"
    description: ClassVar[str] = "SARIF 2.1.0 for code-scanning dashboards"

    def render(self, report: ScanReport, out: TextIO) -> None:
        json.dump(sarif_document(report), out, indent=2, ensure_ascii=False)
        out.write("\n")
