"""SARIF 2.1.0 for host findings: the shared writer (`workload.sarif`) with the host
checks' help and the CIS recommendation id as a tag.

SRCROOT is the scanned root. A result whose evidence is a file under it points at it (and
its line); a live fact (a /proc value, a default) is a logical location only, with the
fact in the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from mamori.model import Finding, ScanReport
from mamori.posture.checks.host import host_checks
from mamori.registry import RegistryError
from mamori.workload import sarif


def describe_host_check(rule_id: str) -> sarif.RuleHelp | None:
    try:
        meta = host_checks.get(rule_id).metadata
    except RegistryError:
        return None
    return sarif.check_help(meta, f"CIS-Debian-12-{meta.cis_id}")


def host_location(finding: Finding) -> dict[str, Any]:
    evidence = finding.evidence
    location: dict[str, Any] = {
        "logicalLocations": [{"name": finding.resource.name, "kind": "host"}]
    }
    if evidence.get("file"):
        line = int(evidence["line"]) if evidence.get("line") else None
        location["physicalLocation"] = sarif.physical_location(evidence["file"], line)
    return location


def host_properties(finding: Finding) -> dict[str, str]:
    evidence = finding.evidence
    return {k: evidence[k] for k in ("cis_id", "evidence", "source") if k in evidence}


def host_root(report: ScanReport) -> Path:
    return Path(report.target.attributes.get("root", "/")).resolve()


PROFILE = sarif.SarifProfile(
    tags=("misconfiguration", "host"),
    describe=describe_host_check,
    location=host_location,
    message=lambda finding: finding.reason,
    properties=host_properties,
    base=host_root,
)


def sarif_document(report: ScanReport) -> dict[str, Any]:
    return sarif.sarif_document(report, PROFILE)


def render_sarif(report: ScanReport, out: TextIO) -> None:
    sarif.render_document(report, out, PROFILE)
