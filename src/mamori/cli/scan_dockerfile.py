"""`mamori scan dockerfile PATH`: Dockerfiles against the dockerfile posture checks."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import typer

from mamori.cli._render import EXIT_FAIL_ON, EXIT_OK, check_format, fail, parse_severity, render
from mamori.model import FindingStatus, ScanReport, Severity

FORMATS = ("table", "json", "sarif")


def write_with(
    report: ScanReport, output: Path | None, writer: Callable[[ScanReport, TextIO], None]
) -> None:
    """A report written by `writer` to stdout or, atomically, to `output`."""
    if output is None:
        writer(report, sys.stdout)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            writer(report, fh)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)


def open_exit_code(report: ScanReport, threshold: Severity | None) -> int:
    """1 when an OPEN finding at or above `threshold` remains."""
    if threshold is None:
        return EXIT_OK
    hit = any(
        f.status == FindingStatus.OPEN and f.severity.rank >= threshold.rank
        for f in report.findings
    )
    return EXIT_FAIL_ON if hit else EXIT_OK


def scan_dockerfile(
    path: Path = typer.Argument(..., metavar="PATH", help="A Dockerfile or a directory."),
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
    """Judge Dockerfiles: root user, unpinned bases, ADD URLs, secrets, cleanup, curl | sh."""
    from mamori.registry import RegistryError
    from mamori.workload.dockerfile.sarif import render_dockerfile_sarif
    from mamori.workload.dockerfile.scan import DockerfileScanRequest, run_dockerfile_scan

    if fmt not in FORMATS:
        fail(f"format {fmt!r} is not available for dockerfile scans ({', '.join(FORMATS)})")
    threshold = parse_severity(fail_on)
    request = DockerfileScanRequest(path=path, config=config, checks=tuple(check) or None)
    try:
        outcome = run_dockerfile_scan(request)
    except (ValueError, RegistryError) as exc:
        fail(str(exc).strip("\"'"))
    if fmt == "sarif":
        write_with(outcome.report, output, render_dockerfile_sarif)
    else:
        render(outcome.report, fmt, output)
    raise typer.Exit(open_exit_code(outcome.report, threshold))
