"""`mamori scan iac PATH`: Terraform (HCL, plan JSON) and CloudFormation against the AWS
posture checks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from mamori.cli._render import EXIT_FAIL_ON, EXIT_OK, check_format, fail, parse_severity, render
from mamori.model import FindingStatus, ScanReport, Severity

FORMATS = ("table", "json", "sarif")


def _write_sarif(report: ScanReport, output: Path | None) -> None:
    from mamori.workload.iac.sarif import render_iac_sarif

    if output is None:
        render_iac_sarif(report, sys.stdout)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            render_iac_sarif(report, fh)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)


def _exit_code(report: ScanReport, threshold: Severity | None) -> int:
    if threshold is None:
        return EXIT_OK
    hit = any(
        f.status == FindingStatus.OPEN and f.severity.rank >= threshold.rank
        for f in report.findings
    )
    return EXIT_FAIL_ON if hit else EXIT_OK


def scan_iac(
    path: Path = typer.Argument(
        ..., metavar="PATH", help="A Terraform/CloudFormation file or a directory of them."
    ),
    fmt: str = typer.Option(
        "table", "-f", "--format", callback=check_format, help="table, json or sarif."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the report here."),
    fail_on: str | None = typer.Option(
        None, "--fail-on", help="Exit 1 if an open finding at or above this severity remains."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="Exceptions and severity overrides (default: PATH/.mamori.yaml)."
    ),
    check: list[str] = typer.Option([], "--check", help="Run only these check ids (repeat)."),
) -> None:
    """Judge Terraform (HCL, plan JSON) and CloudFormation with the AWS posture checks."""
    from mamori.workload.iac.scan import IacScanRequest, run_iac_scan
    from mamori.workload.k8s.config import ConfigError

    if fmt not in FORMATS:
        fail(f"format {fmt!r} is not available for iac scans (one of: {', '.join(FORMATS)})")
    threshold = parse_severity(fail_on)
    request = IacScanRequest(path=path, config=config, checks=tuple(check) or None)
    try:
        outcome = run_iac_scan(request)
    except (ValueError, ConfigError) as exc:
        fail(str(exc))
    if fmt == "sarif":
        _write_sarif(outcome.report, output)
    else:
        render(outcome.report, fmt, output)
    raise typer.Exit(_exit_code(outcome.report, threshold))
