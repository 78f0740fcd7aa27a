"""Shared CLI plumbing: progress on stderr, rendering to -o/stdout, exit codes, errors."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import typer

from mamori.cli._exit import allow_fast_exit
from mamori.model import FindingStatus, ScanReport, Severity
from mamori.outputs import outputs
from mamori.registry import RegistryError

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """rich's stderr console, imported and built on first use: the quick scans (a few
    hundred ms in all) should not pay rich's ~30 ms of imports before printing anything."""

    _console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            type(self)._console = Console(stderr=True)
        return getattr(self._console, name)


err_console: Console = _LazyConsole()  # type: ignore[assignment]

EXIT_OK = 0
EXIT_FAIL_ON = 1
EXIT_ERROR = 2


def fail(message: str) -> NoReturn:
    err_console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(EXIT_ERROR)


def check_format(name: str) -> str:
    try:
        outputs.get(name)
    except RegistryError as exc:
        raise typer.BadParameter(str(exc).strip("\"'")) from None
    return name


def parse_severity(value: str | None) -> Severity | None:
    if value is None:
        return None
    severity = Severity.parse(value)
    if severity is Severity.UNKNOWN and value.strip().lower() != "unknown":
        names = ", ".join(s.value for s in Severity)
        raise typer.BadParameter(f"unknown severity {value!r} (one of: {names})")
    return severity


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int], None] | None]:
    """A transient spinner on stderr; yields a (phase, count) callback or None."""
    if not enabled or not err_console.is_terminal:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:>8,.0f}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def update(phase: str, count: int) -> None:
            bar.update(task, description=phase, completed=count)

        yield update


def render(report: ScanReport, fmt: str, output: Path | None) -> None:
    renderer = outputs.get(fmt)()
    if output is None:
        renderer.render(report, sys.stdout)
        return
    if output.exists() and not output.is_file():
        # A device or FIFO (/dev/null, a pipe): write through it, never replace it.
        with output.open("w", encoding="utf-8") as fh:
            renderer.render(report, fh)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target, then rename: a failed render never leaves half a report.
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            renderer.render(report, fh)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    print(f"wrote {fmt} to {output}", file=sys.stderr)  # plain: no rich import for one line


def exit_code(report: ScanReport, fail_on: Severity | None) -> int:
    if fail_on is None:
        return EXIT_OK
    hit = any(m.severity.rank >= fail_on.rank for m in report.matches)
    return EXIT_FAIL_ON if hit else EXIT_OK


WORKLOAD_FORMATS = ("table", "json", "sarif")
"""The formats of the configuration scans (k8s, iac, dockerfile, secrets, host)."""

INCLUDE_PASSED_HELP = (
    "Report passing checks as findings too (json, sarif); by default only failures, "
    "ignored and manual results are listed and passes are counted in the stats."
)


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


def finish_scan(report: ScanReport, threshold: Severity | None) -> NoReturn:
    """A configuration scan whose report is written: exit 1 when an open finding at or
    above `threshold` remains, else 0, without the interpreter's teardown (`_exit`)."""
    allow_fast_exit()
    raise typer.Exit(open_exit_code(report, threshold))


def open_exit_code(report: ScanReport, threshold: Severity | None) -> int:
    """1 when an OPEN finding at or above `threshold` remains, else 0."""
    if threshold is None:
        return EXIT_OK
    hit = any(
        f.status == FindingStatus.OPEN and f.severity.rank >= threshold.rank
        for f in report.findings
    )
    return EXIT_FAIL_ON if hit else EXIT_OK
