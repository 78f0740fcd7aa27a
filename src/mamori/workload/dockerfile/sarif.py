"""SARIF 2.1.0 for Dockerfile findings: the shared writer (`workload.sarif`), with the
Dockerfile checks' help; a result points at the instruction's file and line."""

from __future__ import annotations

from typing import Any, TextIO

from mamori.model import ScanReport
from mamori.posture.checks.dockerfile import dockerfile_checks
from mamori.workload import sarif

describe_check = sarif.registry_help(dockerfile_checks)
PROFILE = sarif.SarifProfile(tags=("misconfiguration", "dockerfile"), describe=describe_check)


def dockerfile_sarif_document(report: ScanReport) -> dict[str, Any]:
    return sarif.sarif_document(report, PROFILE)


def render_dockerfile_sarif(report: ScanReport, out: TextIO) -> None:
    sarif.render_document(report, out, PROFILE)
