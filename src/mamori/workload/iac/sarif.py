"""SARIF 2.1.0 for IaC findings: the shared writer (`workload.sarif`), with the AWS
checks' help. IaC findings carry the manifest scan's evidence keys (`file`, `line`) and
asset attributes (`kind` = the IaC type, `object_name` = the address), so results are
made as for Kubernetes objects."""

from __future__ import annotations

from typing import Any, TextIO

from mamori.model import ScanReport
from mamori.posture.check import checks
from mamori.workload import sarif

PROFILE = sarif.SarifProfile(
    tags=("misconfiguration", "iac", "aws"), describe=sarif.registry_help(checks)
)


def iac_sarif_document(report: ScanReport) -> dict[str, Any]:
    return sarif.sarif_document(report, PROFILE)


def render_iac_sarif(report: ScanReport, out: TextIO) -> None:
    sarif.render_document(report, out, PROFILE)
