"""OCSF: posture results as OCSF 1.5.0 Compliance Finding events (class_uid 2003).

The shape Prowler writes with `--output-formats json-ocsf` and AWS Security Hub ingests:
a JSON array of events, one per check result, each with

    metadata        product (mamori), OCSF version, a stable event uid, the check id
    finding_info    uid (stable across scans: the finding fingerprint), title, desc
    status_code     PASS / FAIL / MANUAL (the verdict); status / status_id: the finding
                    lifecycle (New, or Suppressed for an ignored finding)
    compliance      standards (the framework selected, else "mamori"), requirements (the
                    framework requirement ids the check maps to), control (the check id),
                    status_id Pass 1 / Warning 2 (manual) / Fail 3
    resources[]     uid (ARN, else mamori's resource key), name, type, region, partition,
                    and the account as `group`
    cloud           provider AWS, account (type AWS Account), region
    remediation     the check's remediation text and references, when the check is known

Only misconfiguration findings are posture results; other findings and vulnerability
matches are not written here (the SARIF and JSON outputs carry them).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar, TextIO

from mamori.model import Finding, FindingKind, FindingStatus, ScanReport, Severity
from mamori.outputs import outputs
from mamori.outputs._common import TOOL_NAME, iso_seconds, stable_uuid, tool_version, utc
from mamori.posture.check import CheckMetadata, checks
from mamori.registry import RegistryError

OCSF_VERSION = "1.5.0"
CATEGORY_UID, CATEGORY_NAME = 2, "Findings"
CLASS_UID, CLASS_NAME = 2003, "Compliance Finding"
ACTIVITY_ID, ACTIVITY_NAME = 1, "Create"
AWS_ACCOUNT_TYPE_ID = 10  # account.type_id: AWS Account

SEVERITY_ID = {
    Severity.UNKNOWN: (0, "Unknown"),
    Severity.NEGLIGIBLE: (1, "Informational"),
    Severity.LOW: (2, "Low"),
    Severity.MEDIUM: (3, "Medium"),
    Severity.HIGH: (4, "High"),
    Severity.CRITICAL: (5, "Critical"),
}
# finding status -> (status_code, compliance status_id, compliance status)
VERDICT = {
    FindingStatus.PASS: ("PASS", 1, "Pass"),
    FindingStatus.OPEN: ("FAIL", 3, "Fail"),
    FindingStatus.MANUAL: ("MANUAL", 2, "Warning"),
    FindingStatus.IGNORED: ("FAIL", 3, "Fail"),  # an ignore rule silenced a failure
    FindingStatus.FIXED: ("PASS", 0, "Unknown"),  # not seen any more: no verdict this scan
}
# finding status -> (finding lifecycle status_id, status)
LIFECYCLE = {
    FindingStatus.IGNORED: (3, "Suppressed"),
    FindingStatus.FIXED: (4, "Resolved"),
}


def epoch_ms(ts: datetime) -> int:
    """OCSF timestamp_t: milliseconds since the epoch."""
    return int(utc(ts).timestamp() * 1000)


def _metadata(check_id: str) -> CheckMetadata | None:
    try:
        return checks.get(check_id).metadata
    except RegistryError:
        return None


def _resource(finding: Finding) -> dict[str, Any]:
    asset = finding.resource
    attrs = asset.attributes
    region = asset.identity.region or "global"
    account = asset.identity.account or attrs.get("account", "")
    arn = attrs.get("arn", "")
    resource: dict[str, Any] = {
        "uid": arn or finding.evidence.get("subject", asset.name),
        "name": attrs.get("name", attrs.get("id", asset.name)),
        "type": attrs.get("type", asset.kind.value),
        "region": region,
        "cloud_partition": arn.split(":")[1] if arn.count(":") >= 5 else "aws",
        "data": {"mamori_key": asset.key},
    }
    if account:
        resource["group"] = {"name": account, "uid": account}
    return resource


def _cloud(finding: Finding) -> dict[str, Any]:
    identity = finding.resource.identity
    account = identity.account or finding.resource.attributes.get("account", "")
    cloud: dict[str, Any] = {"provider": "AWS", "region": identity.region or "global"}
    if account:
        cloud["account"] = {
            "uid": account,
            "name": account,
            "type": "AWS Account",
            "type_id": AWS_ACCOUNT_TYPE_ID,
        }
    return cloud


def event(report: ScanReport, finding: Finding) -> dict[str, Any]:
    """One Compliance Finding event for one posture finding."""
    meta = _metadata(finding.rule_id)
    status_code, compliance_id, compliance_status = VERDICT[finding.status]
    lifecycle_id, lifecycle = LIFECYCLE.get(finding.status, (1, "New"))
    severity_id, severity = SEVERITY_ID[finding.severity]
    seen = epoch_ms(finding.last_seen)
    framework = finding.evidence.get("framework", "")
    requirements = [r for r in finding.evidence.get("requirements", "").split(",") if r]
    reason = finding.reason or finding.evidence.get("reason", "")
    out: dict[str, Any] = {
        "metadata": {
            "event_code": finding.rule_id,
            "product": {
                "name": TOOL_NAME,
                "vendor_name": TOOL_NAME,
                "uid": TOOL_NAME,
                "version": tool_version(report),
            },
            "profiles": ["cloud", "datetime"],
            "uid": str(stable_uuid(report, f"ocsf|{finding.fingerprint}")),
            "version": OCSF_VERSION,
        },
        "activity_id": ACTIVITY_ID,
        "activity_name": ACTIVITY_NAME,
        "category_uid": CATEGORY_UID,
        "category_name": CATEGORY_NAME,
        "class_uid": CLASS_UID,
        "class_name": CLASS_NAME,
        "type_uid": CLASS_UID * 100 + ACTIVITY_ID,
        "type_name": f"{CLASS_NAME}: {ACTIVITY_NAME}",
        "time": seen,
        "time_dt": iso_seconds(finding.last_seen),
        "severity_id": severity_id,
        "severity": severity,
        "status_id": lifecycle_id,
        "status": lifecycle,
        "status_code": status_code,
        "status_detail": reason,
        "message": reason,
        "finding_info": {
            "uid": f"{TOOL_NAME}-{finding.fingerprint}",
            "title": finding.title,
            "desc": meta.rationale.strip() if meta else finding.title,
            "types": [finding.kind.value],
            "created_time": seen,
            "first_seen_time": epoch_ms(finding.first_seen),
            "last_seen_time": seen,
        },
        "compliance": {
            "control": finding.rule_id,
            "standards": [framework or TOOL_NAME],
            "requirements": requirements,
            "status_id": compliance_id,
            "status": compliance_status,
            "status_code": status_code,
            "status_detail": reason,
        },
        "resources": [_resource(finding)],
        "cloud": _cloud(finding),
    }
    if meta is not None:
        out["remediation"] = {"desc": meta.remediation.strip(), "references": list(meta.references)}
    return out


def posture_findings(report: ScanReport) -> list[Finding]:
    """The report's posture results in a stable order: failures first, then by check."""
    order = {FindingStatus.OPEN: 0, FindingStatus.MANUAL: 1}
    chosen = [f for f in report.findings if f.kind == FindingKind.MISCONFIGURATION]
    return sorted(
        chosen,
        key=lambda f: (order.get(f.status, 2), -f.severity.rank, f.rule_id, f.fingerprint),
    )


@outputs.register("ocsf")
class OcsfOutput:
    name: ClassVar[str] = "ocsf"
    description: ClassVar[str] = "OCSF 1.5 Compliance Finding events (a JSON array)"

    def render(self, report: ScanReport, out: TextIO) -> None:
        events = [event(report, f) for f in posture_findings(report)]
        json.dump(events, out, indent=2, ensure_ascii=False)
        out.write("\n")
