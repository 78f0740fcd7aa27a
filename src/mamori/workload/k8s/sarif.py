"""SARIF 2.1.0 for manifest findings: one rule per check, one result per failing object,
at the file and line of the offending field (the shared writer, `workload.sarif`), with
the k8s checks' rationale and remediation as help."""

from __future__ import annotations

from typing import Any, TextIO

from mamori.model import ScanReport
from mamori.posture.check import k8s_checks
from mamori.workload import sarif

PROFILE = sarif.SarifProfile(
    tags=("misconfiguration", "kubernetes"), describe=sarif.registry_help(k8s_checks)
)


def sarif_document(report: ScanReport) -> dict[str, Any]:
    return sarif.sarif_document(report, PROFILE)


def render_sarif(report: ScanReport, out: TextIO) -> None:
    sarif.render_document(report, out, PROFILE)
