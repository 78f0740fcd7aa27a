"""SARIF 2.1.0 for manifest findings: one rule per check, one result per failing object.

The generic SARIF output renders vulnerability matches; misconfiguration findings need
what code-scanning dashboards show for them: the file and line of the offending field
(relative to the scanned directory, base id SRCROOT), the check's rationale and
remediation as help, and suppressed findings kept with `suppressions` (kind "inSource"
for `# mamori:ignore`, "external" for `.mamori.yaml`), as SARIF prescribes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from mamori.model import Finding, FindingStatus, ScanReport, Severity
from mamori.posture.check import CheckMetadata, k8s_checks
from mamori.registry import RegistryError

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
ROOT_BASE = "SRCROOT"
LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.NEGLIGIBLE: "note",
    Severity.UNKNOWN: "note",
}
SCORES = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.NEGLIGIBLE: "0.0",
    Severity.UNKNOWN: "0.0",
}


def _meta(check_id: str) -> CheckMetadata | None:
    try:
        return k8s_checks.get(check_id).metadata
    except RegistryError:
        return None


def _rule(finding: Finding) -> dict[str, Any]:
    meta = _meta(finding.rule_id)
    rationale = " ".join(meta.rationale.split()) if meta else finding.title
    remediation = " ".join(meta.remediation.split()) if meta else ""
    rule: dict[str, Any] = {
        "id": finding.rule_id,
        "name": finding.rule_id,
        "shortDescription": {"text": finding.title},
        "fullDescription": {"text": rationale},
        "help": {"text": f"{rationale}\n\nRemediation: {remediation}".strip()},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": {
            "security-severity": SCORES[finding.severity],
            "tags": ["security", "misconfiguration", "kubernetes"],
            "precision": "very-high",
        },
    }
    if meta and meta.references:
        rule["helpUri"] = meta.references[0]
    return rule


def _result(finding: Finding, index: int) -> dict[str, Any]:
    evidence = finding.evidence
    attrs = finding.resource.attributes
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {
            "text": f"{attrs.get('kind', '')} {attrs.get('object_name', '')}: "
            f"{finding.reason}".strip()
        },
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": evidence.get("file", ""), "uriBaseId": ROOT_BASE},
                    "region": {"startLine": int(evidence.get("line") or 1)},
                },
                "logicalLocations": [
                    {
                        "name": attrs.get("object_name", ""),
                        "fullyQualifiedName": finding.resource.name,
                        "kind": "object",
                    }
                ],
            }
        ],
        "partialFingerprints": {"mamori/v1": finding.fingerprint},
        "properties": {"namespace": attrs.get("namespace", ""), "kind": attrs.get("kind", "")},
    }
    if evidence.get("field"):
        result["properties"]["field"] = evidence["field"]
    if evidence.get("helm_source"):
        result["properties"]["helmSource"] = evidence["helm_source"]
    if finding.status == FindingStatus.IGNORED:
        kind = "inSource" if finding.reason.startswith("inline:") else "external"
        result["suppressions"] = [{"kind": kind, "justification": finding.reason}]
    return result


def sarif_document(report: ScanReport) -> dict[str, Any]:
    shown = [f for f in report.findings if f.status in (FindingStatus.OPEN, FindingStatus.IGNORED)]
    shown.sort(
        key=lambda f: (-f.severity.rank, f.rule_id, f.evidence.get("file", ""), f.resource.name)
    )
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for finding in shown:
        if finding.rule_id not in index:
            index[finding.rule_id] = len(rules)
            rules.append(_rule(finding))
    root = Path(report.target.attributes.get("path", ".")).resolve()
    base = root if root.is_dir() else root.parent
    notes = [
        {
            "level": "warning" if n.level.value != "error" else "error",
            "message": {"text": n.message},
        }
        for n in report.notices
        if n.level.value != "info"
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mamori",
                        "version": report.tool_version,
                        "semanticVersion": report.tool_version,
                        "rules": rules,
                    }
                },
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notes}],
                "originalUriBaseIds": {ROOT_BASE: {"uri": base.as_uri() + "/"}},
                "results": [_result(f, index[f.rule_id]) for f in shown],
                "columnKind": "utf16CodeUnits",
            }
        ],
    }


def render_sarif(report: ScanReport, out: TextIO) -> None:
    json.dump(sarif_document(report), out, indent=2, ensure_ascii=False)
    out.write("\n")
