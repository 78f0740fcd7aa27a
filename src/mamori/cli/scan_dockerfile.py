"""`mamori scan dockerfile PATH`: Dockerfiles against the dockerfile posture checks."""

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
    include_passed: bool = typer.Option(False, "--include-passed", help=INCLUDE_PASSED_HELP),
) -> None:
    """Judge Dockerfiles: root user, unpinned bases, ADD URLs, secrets, cleanup, curl | sh."""
    tune_for_batch()
    from mamori.registry import RegistryError
    from mamori.workload.dockerfile.scan import DockerfileScanRequest, run_dockerfile_scan

    if fmt not in FORMATS:
        fail(f"format {fmt!r} is not available for dockerfile scans ({', '.join(FORMATS)})")
    threshold = parse_severity(fail_on)
    request = DockerfileScanRequest(
        path=path, config=config, checks=tuple(check) or None, include_passed=include_passed
    )
    try:
        outcome = run_dockerfile_scan(request)
    except (ValueError, RegistryError) as exc:
        fail(str(exc).strip("\"'"))
    if fmt == "sarif":
        from mamori.workload.dockerfile.sarif import render_dockerfile_sarif

        write_with(outcome.report, output, render_dockerfile_sarif)
    else:
        render(outcome.report, fmt, output)
    finish_scan(outcome.report, threshold)
