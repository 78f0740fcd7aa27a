"""SARIF 2.1.0 for host findings: one rule per check, one result per failing check.

The same shape as the Kubernetes SARIF (`workload.k8s.sarif`: levels, security-severity,
SRCROOT base, `suppressions` for `.mamori.yaml` exceptions), with the host checks' own
help text and the CIS recommendation id as a tag. A result whose evidence is a file under
ROOT points at it (and its line); a live fact (a /proc value, a default) is a logical
location only, with the fact in the message.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from mamori.model import Finding, FindingStatus, ScanReport
from mamori.posture.checks.host import HostCheckMetadata, host_checks
from mamori.registry import RegistryError
from mamori.workload.k8s.sarif import LEVELS, ROOT_BASE, SCHEMA, SCORES


def _meta(check_id: str) -> HostCheckMetadata | None:
    try:
        return host_checks.get(check_id).metadata
    except RegistryError:
        return None


def _rule(finding: Finding) -> dict[str, Any]:
    meta = _meta(finding.rule_id)
    rationale = " ".join(meta.rationale.split()) if meta else finding.title
    remediation = " ".join(meta.remediation.split()) if meta else ""
    tags = ["security", "misconfiguration", "host"]
    if meta:
        tags.append(f"CIS-Debian-12-{meta.cis_id}")
    rule: dict[str, Any] = {
        "id": finding.rule_id,
        "name": finding.rule_id,
        "shortDescription": {"text": finding.title},
        "fullDescription": {"text": rationale},
        "help": {"text": f"{rationale}\n\nRemediation: {remediation}".strip()},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": {
            "security-severity": SCORES[finding.severity],
            "tags": tags,
            "precision": "very-high",
        },
    }
    if meta and meta.references:
        rule["helpUri"] = meta.references[0]
    return rule


def _result(finding: Finding, index: int) -> dict[str, Any]:
    evidence = finding.evidence
    location: dict[str, Any] = {
        "logicalLocations": [{"name": finding.resource.name, "kind": "host"}]
    }
    if evidence.get("file"):
        region = {"startLine": int(evidence["line"])} if evidence.get("line") else {}
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": evidence["file"], "uriBaseId": ROOT_BASE}
        }
        if region:
            physical["region"] = region
        location["physicalLocation"] = physical
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.reason},
        "locations": [location],
        "partialFingerprints": {"mamori/v1": finding.fingerprint},
        "properties": {k: evidence[k] for k in ("cis_id", "evidence", "source") if k in evidence},
    }
    if finding.status == FindingStatus.IGNORED:
        result["suppressions"] = [{"kind": "external", "justification": finding.reason}]
    return result


def sarif_document(report: ScanReport) -> dict[str, Any]:
    shown = [f for f in report.findings if f.status in (FindingStatus.OPEN, FindingStatus.IGNORED)]
    shown.sort(key=lambda f: (-f.severity.rank, f.rule_id))
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for finding in shown:
        if finding.rule_id not in index:
            index[finding.rule_id] = len(rules)
            rules.append(_rule(finding))
    root = Path(report.target.attributes.get("root", "/")).resolve()
    notes = [
        {
            "level": "error" if n.level.value == "error" else "warning",
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
                "originalUriBaseIds": {ROOT_BASE: {"uri": root.as_uri().rstrip("/") + "/"}},
                "results": [_result(f, index[f.rule_id]) for f in shown],
                "columnKind": "utf16CodeUnits",
            }
        ],
    }


def render_sarif(report: ScanReport, out: TextIO) -> None:
    json.dump(sarif_document(report), out, indent=2, ensure_ascii=False)
    out.write("\n")
