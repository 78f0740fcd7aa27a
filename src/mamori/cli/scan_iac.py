"""`mamori scan iac PATH`: Terraform (HCL, plan JSON) and CloudFormation against the AWS
posture checks."""

from __future__ import annotations

from pathlib import Path

import typer

from mamori.cli._exit import tune_for_batch
from mamori.cli._render import (
    INCLUDE_PASSED_HELP,
    WORKLOAD_FORMATS,
    check_format,
    fail,
    finish_scan,
    parse_severity,
    render,
    write_with,
)

FORMATS = WORKLOAD_FORMATS


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
    include_passed: bool = typer.Option(False, "--include-passed", help=INCLUDE_PASSED_HELP),
) -> None:
    """Judge Terraform (HCL, plan JSON) and CloudFormation with the AWS posture checks."""
    tune_for_batch()
    from mamori.workload.iac.scan import IacScanRequest, run_iac_scan
    from mamori.workload.k8s.config import ConfigError

    if fmt not in FORMATS:
        fail(f"format {fmt!r} is not available for iac scans (one of: {', '.join(FORMATS)})")
    threshold = parse_severity(fail_on)
    request = IacScanRequest(
        path=path, config=config, checks=tuple(check) or None, include_passed=include_passed
    )
    try:
        outcome = run_iac_scan(request)
    except (ValueError, ConfigError) as exc:
        fail(str(exc))
    if fmt == "sarif":
        from mamori.workload.iac.sarif import render_iac_sarif

        write_with(outcome.report, output, render_iac_sarif)
    else:
        render(outcome.report, fmt, output)
    finish_scan(outcome.report, threshold)
