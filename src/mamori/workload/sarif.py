"""SARIF 2.1.0 for configuration findings, shared by the five workload scans.

The generic SARIF output (`mamori.outputs.sarif`) renders vulnerability matches;
misconfiguration and secret findings need what code-scanning dashboards show for them:
one rule per check (its rationale and remediation as help, a security-severity), one
result per open or ignored finding at the file and line of the offending text (relative
to the scanned directory, base id SRCROOT), ignored findings kept with `suppressions`
(kind "inSource" for `# mamori:ignore`, "external" for `.mamori.yaml`) as SARIF
prescribes, and the scan's warnings and errors as tool execution notifications.

Each scan supplies a `SarifProfile`: where its rule help comes from, its tags, and, when
its findings are not about objects in files (host facts), how a result's location,
message and properties are made. Passing checks never become results, whatever the
request's `include_passed`: a SARIF result is something to look at.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from mamori.model import Finding, FindingStatus, NoticeLevel, ScanReport, Severity
from mamori.posture.check import CheckMetadata
from mamori.registry import Registry, RegistryError

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
# GitHub code scanning reads `security-severity` (a CVSS-like score) to rank results
SCORES = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.NEGLIGIBLE: "0.0",
    Severity.UNKNOWN: "0.0",
}
SHOWN = (FindingStatus.OPEN, FindingStatus.IGNORED)


@dataclass(frozen=True)
class RuleHelp:
    """What a scan knows about one of its checks, beyond the finding's title."""

    rationale: str
    remediation: str
    url: str = ""
    tags: tuple[str, ...] = ()  # after the profile's, e.g. the CIS recommendation id


def flat(text: str) -> str:
    """Check metadata is written as indented multi-line text; SARIF viewers want one line."""
    return " ".join(text.split())


def check_help(meta: CheckMetadata, *tags: str) -> RuleHelp:
    """A registered check's rationale, remediation and first reference."""
    url = meta.references[0] if meta.references else ""
    return RuleHelp(flat(meta.rationale), flat(meta.remediation), url, tags)


def registry_help(registry: Registry[Any]) -> Callable[[str], RuleHelp | None]:
    """`describe` for a scan whose rules are the checks of `registry`."""

    def describe(rule_id: str) -> RuleHelp | None:
        try:
            return check_help(registry.get(rule_id).metadata)
        except RegistryError:
            return None

    return describe


def physical_location(file: str, line: int | None) -> dict[str, Any]:
    """`file` relative to SRCROOT, with a region when the line is known."""
    where: dict[str, Any] = {"artifactLocation": {"uri": file, "uriBaseId": ROOT_BASE}}
    if line is not None:
        where["region"] = {"startLine": line}
    return where


def object_location(finding: Finding) -> dict[str, Any]:
    """A finding about an object in a file (manifest, IaC resource, Dockerfile stage,
    secret): its file and line (line 1 when unknown), and the object as logical location."""
    attrs = finding.resource.attributes
    evidence = finding.evidence
    return {
        "physicalLocation": physical_location(
            evidence.get("file", ""), int(evidence.get("line") or 1)
        ),
        "logicalLocations": [
            {
                "name": attrs.get("object_name", ""),
                "fullyQualifiedName": finding.resource.name,
                "kind": "object",
            }
        ],
    }


def object_message(finding: Finding) -> str:
    attrs = finding.resource.attributes
    return f"{attrs.get('kind', '')} {attrs.get('object_name', '')}: {finding.reason}".strip()


def object_properties(finding: Finding) -> dict[str, str]:
    attrs = finding.resource.attributes
    props = {"namespace": attrs.get("namespace", ""), "kind": attrs.get("kind", "")}
    if finding.evidence.get("field"):
        props["field"] = finding.evidence["field"]
    if finding.evidence.get("helm_source"):
        props["helmSource"] = finding.evidence["helm_source"]
    return props


def target_base(report: ScanReport) -> Path:
    """The scanned directory (a scanned file's own directory)."""
    root = Path(report.target.attributes.get("path", ".")).resolve()
    return root if root.is_dir() else root.parent


@dataclass(frozen=True)
class SarifProfile:
    """One scan's part of its SARIF: the hooks the shared writer calls."""

    tags: tuple[str, ...]  # every rule's tags, after "security"
    describe: Callable[[str], RuleHelp | None]  # rule id -> help (None: the title only)
    location: Callable[[Finding], dict[str, Any]] = object_location
    message: Callable[[Finding], str] = object_message
    properties: Callable[[Finding], dict[str, str]] = object_properties
    base: Callable[[ScanReport], Path] = target_base  # what SRCROOT stands for


def sarif_rule(finding: Finding, profile: SarifProfile) -> dict[str, Any]:
    """The rule of `finding`'s check, from the first (most severe) finding of it."""
    known = profile.describe(finding.rule_id)
    rationale = known.rationale if known else finding.title
    remediation = known.remediation if known else ""
    rule: dict[str, Any] = {
        "id": finding.rule_id,
        "name": finding.rule_id,
        "shortDescription": {"text": finding.title},
        "fullDescription": {"text": rationale},
        "help": {"text": f"{rationale}\n\nRemediation: {remediation}".strip()},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": {
            "security-severity": SCORES[finding.severity],
            "tags": ["security", *profile.tags, *(known.tags if known else ())],
            "precision": "very-high",
        },
    }
    if known and known.url:
        rule["helpUri"] = known.url
    return rule


def sarif_result(finding: Finding, index: int, profile: SarifProfile) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": profile.message(finding)},
        "locations": [profile.location(finding)],
        "partialFingerprints": {"mamori/v1": finding.fingerprint},
        "properties": profile.properties(finding),
    }
    if finding.status == FindingStatus.IGNORED:
        # the scans record an inline `# mamori:ignore` as "inline: <reason>"
        kind = "inSource" if finding.reason.startswith("inline:") else "external"
        result["suppressions"] = [{"kind": kind, "justification": finding.reason}]
    return result


def notifications(report: ScanReport) -> list[dict[str, Any]]:
    return [
        {
            "level": "error" if n.level == NoticeLevel.ERROR else "warning",
            "message": {"text": n.message},
        }
        for n in report.notices
        if n.level != NoticeLevel.INFO
    ]


def sarif_document(report: ScanReport, profile: SarifProfile) -> dict[str, Any]:
    shown = [f for f in report.findings if f.status in SHOWN]
    shown.sort(
        key=lambda f: (-f.severity.rank, f.rule_id, f.evidence.get("file", ""), f.resource.name)
    )
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for finding in shown:
        if finding.rule_id not in index:
            index[finding.rule_id] = len(rules)
            rules.append(sarif_rule(finding, profile))
    base = profile.base(report).as_uri().rstrip("/") + "/"
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
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": notifications(report),
                    }
                ],
                "originalUriBaseIds": {ROOT_BASE: {"uri": base}},
                "results": [sarif_result(f, index[f.rule_id], profile) for f in shown],
                "columnKind": "utf16CodeUnits",
            }
        ],
    }


def render_document(report: ScanReport, out: TextIO, profile: SarifProfile) -> None:
    json.dump(sarif_document(report, profile), out, indent=2, ensure_ascii=False)
    out.write("\n")
