"""`mamori scan host [ROOT]`: the package vulnerability scan of this machine (the main job
since the first release, stored in the embedded store), and with `--hardening` the CIS
Debian 12 hardening checks, on this machine (live) or on a mounted root filesystem or
snapshot (the agentless way: the same checks on a directory)."""

from __future__ import annotations

from pathlib import Path

import typer

from mamori.cli._render import (
    WORKLOAD_FORMATS,
    check_format,
    fail,
    finish_scan,
    parse_severity,
    render,
    write_with,
)
from mamori.model import FindingStatus, ScanReport

FORMATS = WORKLOAD_FORMATS


def _cis_key(cis_id: str) -> tuple[int, ...]:
    return tuple(int(p) for p in cis_id.split(".") if p.isdigit())


def _write_table(report: ScanReport, output: Path | None) -> None:
    """Checks in benchmark order: CIS id, check, verdict (pass/FAIL/n/a), severity, why."""
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for name in ("CIS", "Check", "Verdict", "Severity", "Reason / evidence"):
        table.add_column(name, overflow="fold")
    styles = {"pass": "green", "fail": "bold red", "not_applicable": "dim", "ignored": "yellow"}
    findings = sorted(report.findings, key=lambda f: _cis_key(f.evidence.get("cis_id", "")))
    for finding in findings:
        verdict = finding.evidence.get("verdict", finding.status.value)
        if finding.status == FindingStatus.IGNORED:
            verdict = "ignored"
        shown = {"not_applicable": "n/a", "fail": "FAIL"}.get(verdict, verdict)
        detail = finding.reason
        if finding.evidence.get("evidence") and verdict == "fail":
            detail += f"\n  {finding.evidence['evidence'][:300]}"
        table.add_row(
            finding.evidence.get("cis_id", ""),
            finding.rule_id,
            f"[{styles.get(verdict, '')}]{shown}[/]",
            finding.severity.value,
            detail,
        )
    stats = report.stats
    summary = (
        f"{report.target.name} ({report.target.attributes.get('mode', '')}): "
        f"{int(stats.get('results_pass', 0))} pass, {int(stats.get('results_fail', 0))} fail, "
        f"{int(stats.get('results_not_applicable', 0))} not applicable, "
        f"{int(stats.get('results_ignored', 0))} ignored, "
        f"{int(stats.get('results_error', 0))} error(s) in {stats.get('check_seconds', 0)} s"
    )
    if output is None:
        console = Console()
        console.print(table)
        console.print(summary, highlight=False)
        for notice in report.notices:
            console.print(f"{notice.level.value}: {notice.message}", highlight=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as fh:
        console = Console(file=fh, width=160)
        console.print(table)
        console.print(summary, highlight=False)


def scan_host(
    root: str = typer.Argument(
        "/", metavar="ROOT", help="The host's root (default /), or a mounted image/snapshot."
    ),
    fmt: str = typer.Option(
        "table", "-f", "--format", callback=check_format, help="table, json or sarif."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the report here."),
    fail_on: str | None = typer.Option(
        None, "--fail-on", help="Exit 1 if an open finding at or above this severity remains."
    ),
    config: Path | None = typer.Option(
        None, "--config", help="A .mamori.yaml with exceptions and severity overrides."
    ),
    framework: str | None = typer.Option(
        None, "--framework", help="Annotate with a framework's requirements: cis_debian_12."
    ),
    check: list[str] = typer.Option([], "--check", help="Run only these check ids (repeat)."),
    offline_root: bool = typer.Option(
        False, "--no-live", help="Judge / as a directory too (ignore /proc and running state)."
    ),
    hardening: bool = typer.Option(
        False, "--hardening", help="CIS Debian 12 hardening checks instead of vulnerabilities."
    ),
    ignore_file: Path | None = typer.Option(None, "--ignore-file", help="Ignore rules (YAML)."),
    vex: list[Path] = typer.Option([], "--vex", help="OpenVEX document(s)."),
    offline: bool = typer.Option(False, "--offline", help="Do not update the advisory DB."),
    no_store: bool = typer.Option(False, "--no-store", help="Do not store the scan."),
) -> None:
    """Scan this machine's packages for vulnerabilities (skipping pseudo filesystems); with
    --hardening, check it (or a mounted root) against CIS Debian 12 hardening."""
    if not hardening:
        if check or framework or offline_root or config is not None:
            raise typer.BadParameter(
                "--check/--framework/--no-live/--config are hardening options: add --hardening",
                param_hint="--hardening",
            )
        from mamori.app.targets import TargetKind
        from mamori.cli.scan import _request, _run

        _run(
            _request(TargetKind.HOST, root, ignore_file, vex, offline),
            fmt,
            output,
            fail_on,
            no_store,
        )
        return
    if fmt not in FORMATS:
        fail(f"format {fmt!r} is not available for host scans (one of: {', '.join(FORMATS)})")
    threshold = parse_severity(fail_on)
    from mamori.registry import RegistryError
    from mamori.workload.host.scan import HostScanRequest, run_host_scan
    from mamori.workload.k8s.config import ConfigError

    request = HostScanRequest(
        root=Path(root),
        live=False if offline_root else None,
        checks=tuple(check) or None,
        framework=framework,
        config=config,
    )
    try:
        outcome = run_host_scan(request)
    except (ValueError, RegistryError, ConfigError) as exc:
        fail(str(exc).strip("\"'"))
    if fmt == "sarif":
        from mamori.workload.host.sarif import render_sarif

        write_with(outcome.report, output, render_sarif)
    elif fmt == "table":
        _write_table(outcome.report, output)
    else:
        render(outcome.report, fmt, output)
    finish_scan(outcome.report, threshold)
