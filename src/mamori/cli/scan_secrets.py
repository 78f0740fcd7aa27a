"""`mamori scan secrets PATH`: secrets in files, shown masked in every format."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TextIO

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from mamori.cli._exit import tune_for_batch
from mamori.cli._render import WORKLOAD_FORMATS as FORMATS
from mamori.cli._render import (
    check_format,
    fail,
    finish_scan,
    parse_severity,
    render,
    write_with,
)
from mamori.model import FindingStatus, NoticeLevel, ScanReport
from mamori.outputs._common import clean_text
from mamori.outputs.table import is_terminal, make_console

MAX_NOTICES = 20


def render_table(report: ScanReport, out: TextIO) -> None:
    """Findings as file:line, rule and masked value, most severe first; then notices."""
    tty = is_terminal(out)
    buffer = io.StringIO()
    console = make_console(out if tty else buffer, tty)
    stats = report.stats
    console.print(Text(f"Target   {clean_text(report.target.name)}"))
    console.print(
        Text(
            f"Files    {int(stats.get('files_scanned', 0))} scanned, "
            f"{int(stats.get('files_binary', 0))} binary, "
            f"{int(stats.get('files_too_large', 0))} too large, "
            f"{int(stats.get('files_unreadable', 0))} unreadable"
        )
    )
    console.print(
        Text(
            f"Secrets  {int(stats.get('secrets_open', 0))} open, "
            f"{int(stats.get('secrets_ignored', 0))} ignored"
        )
    )
    console.print()
    if report.findings:
        table = Table(box=box.SIMPLE_HEAD)
        table.add_column("Severity", no_wrap=True)
        table.add_column("Rule", no_wrap=True)
        table.add_column("Where", overflow="fold", min_width=16, ratio=1)
        table.add_column("Secret", overflow="fold", max_width=40)
        table.add_column("Status", overflow="fold", max_width=30)
        ordered = sorted(
            report.findings,
            key=lambda f: (-f.severity.rank, f.evidence.get("file", ""), f.rule_id),
        )
        for f in ordered:
            status = f.status.value
            if f.status == FindingStatus.IGNORED:
                status += f" ({f.reason})"
            table.add_row(
                f.severity.value.upper(),
                f.rule_id,
                clean_text(f"{f.evidence.get('file')}:{f.evidence.get('line')}"),
                clean_text(f.evidence.get("masked", "")),
                clean_text(status, 120),
            )
        console.print(table)
    else:
        console.print(Text("No secrets found"))
    shown = [n for n in report.notices if n.level != NoticeLevel.INFO][:MAX_NOTICES]
    for notice in shown:
        where = f" ({clean_text(notice.path)})" if notice.path else ""
        console.print(Text(f"{notice.level.value.upper():8}{clean_text(notice.message)}{where}"))
    if not tty:
        out.write("\n".join(line.rstrip() for line in buffer.getvalue().split("\n")))


def scan_secrets(
    path: Path = typer.Argument(..., metavar="PATH", help="A file or a directory tree."),
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
    max_file_size: int = typer.Option(
        1 << 20, "--max-file-size", min=1, help="Skip files larger than this many bytes."
    ),
) -> None:
    """Find cloud keys, tokens, private keys and high-entropy secrets (symlinks not followed)."""
    tune_for_batch()
    from mamori.workload.secrets.sarif import render_secrets_sarif
    from mamori.workload.secrets.scan import SecretsScanRequest, run_secrets_scan

    if fmt not in FORMATS:
        fail(f"format {fmt!r} is not available for secrets scans ({', '.join(FORMATS)})")
    threshold = parse_severity(fail_on)
    request = SecretsScanRequest(path=path, config=config, max_file_bytes=max_file_size)
    try:
        outcome = run_secrets_scan(request)
    except ValueError as exc:
        fail(str(exc).strip("\"'"))
    if fmt == "sarif":
        write_with(outcome.report, output, render_secrets_sarif)
    elif fmt == "table":
        write_with(outcome.report, output, render_table)
    else:
        render(outcome.report, fmt, output)
    finish_scan(outcome.report, threshold)
