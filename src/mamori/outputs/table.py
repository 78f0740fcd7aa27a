"""Human-readable tables (rich), in the manner of Trivy and Grype.

A header (target, distro, package count, database state), the vulnerability matches most
severe first with a summary by severity, then findings and notices. With no matches (an
offline scan, or a clean one) the package inventory is listed by type instead.

Colour only goes to a terminal: writing to a file or a pipe gives plain text. Every
string from scanned content passes through `clean_text`, so a package name cannot carry
terminal escapes.
"""

from __future__ import annotations

import io
import shutil
from collections import Counter
from typing import ClassVar, TextIO

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mamori.model import (
    Finding,
    NoticeLevel,
    Package,
    ScanReport,
    Severity,
    VulnerabilityMatch,
)
from mamori.outputs import outputs
from mamori.outputs._common import (
    clean_text,
    iso_seconds,
    package_sort_key,
    severity_counts,
    sorted_matches,
    tool_version,
)
from mamori.outputs._posture_table import is_posture, render_posture

DEFAULT_WIDTH = 120
TITLE_LIMIT = 80
MIN_TITLE = 20
WIDE = 140  # from this width on, the vulnerability table also shows the package type
MAX_NOTICES = 50
SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "blue",
    Severity.NEGLIGIBLE: "dim",
    Severity.UNKNOWN: "dim",
}
NOTICE_STYLE = {
    NoticeLevel.ERROR: "bold red",
    NoticeLevel.WARNING: "yellow",
    NoticeLevel.INFO: "dim",
}


def is_terminal(out: TextIO) -> bool:
    isatty = getattr(out, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False


def make_console(out: TextIO, tty: bool) -> Console:
    """A console on `out`: coloured and terminal-wide on a TTY, plain and 120 wide elsewhere."""
    width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns if tty else DEFAULT_WIDTH
    return Console(
        file=out,
        width=width,
        force_terminal=tty,
        color_system="auto" if tty else None,
        no_color=not tty,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
        force_jupyter=False,
        force_interactive=False,
    )


def _t(value: str, style: str = "", limit: int | None = None) -> Text:
    return Text(clean_text(value, limit), style=style)


def _header(console: Console, report: ScanReport) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    target = report.target
    label = f"{target.kind.value} {target.name}"
    if target.identity.image_digest:
        label += f" ({target.identity.image_digest})"
    grid.add_row("Target", _t(label))
    distro = report.sbom.distro
    if distro is not None:
        shown = distro.pretty_name or f"{distro.id} {distro.version_id}".strip()
        grid.add_row("Distro", _t(shown))
    by_type = Counter(p.type.value for p in report.sbom.packages)
    detail = ", ".join(f"{k} {v}" for k, v in sorted(by_type.items()))
    grid.add_row(
        "Packages", _t(f"{len(report.sbom.packages)}" + (f" ({detail})" if detail else ""))
    )
    grid.add_row("Database", _database_state(report))
    grid.add_row(
        "Scanned", _t(f"{iso_seconds(report.finished_at)} by mamori {tool_version(report)}")
    )
    console.print(grid)
    console.print()


def _database_state(report: ScanReport) -> Text:
    db = report.database
    if db is None or not db.available:
        return Text("not available: offline scan, package inventory only", style="yellow")
    parts = [f"{db.advisories:,} advisories"]
    if db.updated_at is not None:
        parts.append(f"updated {iso_seconds(db.updated_at)}")
    if db.ecosystems:
        parts.append(f"{len(db.ecosystems)} ecosystems")
    return _t(", ".join(parts))


def _title_width(console: Console, rows: list[list[Text]], caps: list[int]) -> int:
    """What is left for the title column once the others take their natural width."""
    used = sum(
        min(max((r[i].cell_len for r in rows), default=0), cap) for i, cap in enumerate(caps)
    )
    overhead = 3 * (len(caps) + 1) + 1  # SIMPLE_HEAD: 1 padding each side, 1 separator
    return max(console.width - used - overhead, MIN_TITLE)


def _vulnerabilities(console: Console, matches: list[VulnerabilityMatch]) -> None:
    wide = console.width >= WIDE
    columns: list[tuple[str, int]] = [("Package", 28), ("Installed", 24), ("Fixed in", 24)]
    if wide:
        columns.append(("Type", 10))
    columns += [("Vulnerability", 24), ("Severity", 8)]
    rows: list[list[Text]] = []
    for m in matches:
        vuln = _t(m.vulnerability_id)
        if m.known_exploited:
            vuln.append(" KEV", style="bold magenta")
        cells = [_t(m.package_name), _t(m.package_version), _t(", ".join(m.fixed_versions))]
        if wide:
            cells.append(_t(m.package_type))
        cells += [vuln, _t(m.severity.value.upper(), SEVERITY_STYLE[m.severity])]
        rows.append(cells)
    title_width = _title_width(console, rows, [cap for _, cap in columns])
    table = Table(title="Vulnerabilities", box=box.SIMPLE_HEAD, title_justify="left")
    for header, cap in columns:
        fixed = header in ("Vulnerability", "Severity", "Type")
        table.add_column(header, no_wrap=fixed, overflow="fold", max_width=None if fixed else cap)
    table.add_column("Title", no_wrap=True, overflow="ellipsis", width=title_width)
    for cells, m in zip(rows, matches, strict=True):
        table.add_row(*cells, _t(m.summary, limit=title_width))
    console.print(table)


def _summary(console: Console, matches: list[VulnerabilityMatch]) -> None:
    counts = severity_counts(matches)
    line = Text(f"Total: {len(matches)} (")
    for i, (severity, count) in enumerate(counts.items()):
        if i:
            line.append(", ")
        line.append(f"{severity.value}: {count}", style=SEVERITY_STYLE[severity] if count else "")
    line.append(")")
    kev = sum(1 for m in matches if m.known_exploited)
    fixable = sum(1 for m in matches if m.fixed_versions)
    line.append(f", {fixable} fixable")
    if kev:
        line.append(f", {kev} known exploited", style="bold magenta")
    console.print(line)
    console.print()


def _fit(value: str, width: int, keep_end: bool = False) -> str:
    """`value` cut to `width` cells with an ellipsis (at the front for paths)."""
    if cell_len(value) <= width:
        return value
    if keep_end:
        return "…" + value[-(width - 1) :]
    return value[: width - 1] + "…"


def _inventory(console: Console, report: ScanReport) -> None:
    """The package list. Drawn directly, not with rich's Table: a Table lays out about a
    thousand rows a second, and an image can hold tens of thousands of packages."""
    db = report.database
    if db is None or not db.available:
        title = "Packages (no advisory database: inventory only)"
    else:
        title = "Packages (no known vulnerabilities)"
    packages: list[Package] = sorted(report.sbom.packages, key=package_sort_key)
    rows = [
        (
            clean_text(p.type.value),
            clean_text(p.name),
            clean_text(p.version),
            clean_text(p.locations[0].path if p.locations else ""),
        )
        for p in packages
    ]
    headers = ("Type", "Name", "Version", "Location")
    caps = (10, 48, 32)
    widths = [
        min(max([cell_len(h), *(cell_len(r[i]) for r in rows)]), cap)
        for i, (h, cap) in enumerate(zip(headers, caps, strict=False))
    ]
    widths.append(max(console.width - sum(widths) - 2 * len(headers), 12))
    out = Text(title + "\n\n", style="italic")
    out.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(), "bold")
    out.append("\n" + "─" * min(console.width, sum(widths) + 2 * (len(headers) - 1)) + "\n")
    for row in rows:
        cells = [
            _fit(c, w, keep_end=i == 3) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        line = "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(cells, widths, strict=True))
        out.append(line.rstrip() + "\n")
    console.print(out, no_wrap=True, overflow="ignore", crop=False)
    console.print(Text(f"Total: {len(packages)} packages"))
    console.print()


def _findings(console: Console, findings: tuple[Finding, ...]) -> None:
    table = Table(title="Findings", box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("Kind", "Rule", "Severity", "Status"):
        table.add_column(column, no_wrap=True)
    table.add_column("Title", overflow="fold", ratio=1, min_width=24)
    table.add_column("Resource", overflow="fold", max_width=40)
    ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.rule_id, f.resource.name))
    for f in ordered:
        table.add_row(
            _t(f.kind.value),
            _t(f.rule_id),
            _t(f.severity.value.upper(), SEVERITY_STYLE[f.severity]),
            _t(f.status.value),
            _t(f.title, limit=TITLE_LIMIT),
            _t(f.resource.name, limit=60),
        )
    console.print(table)
    console.print()


LEVEL_RANK = {NoticeLevel.INFO: 0, NoticeLevel.WARNING: 1, NoticeLevel.ERROR: 2}


def _notices(console: Console, report: ScanReport) -> None:
    console.print(Text("Notices", style="bold"))
    # Most severe first; among equals, the scan's own (database, suppression) before the
    # per-file ones, so "offline" is never hidden behind a hundred skipped files.
    ordered = sorted(
        report.notices,
        key=lambda n: (-LEVEL_RANK[n.level], not n.source.startswith("app.")),
    )
    for notice in ordered[:MAX_NOTICES]:
        line = Text(f"{notice.level.value.upper():8}", style=NOTICE_STYLE[notice.level])
        line.append(clean_text(f"[{notice.source}] {notice.message}"))
        if notice.path:
            line.append(" (" + clean_text(notice.path) + ")", style="dim")
        console.print(line)
    hidden = len(report.notices) - MAX_NOTICES
    if hidden > 0:
        console.print(Text(f"... and {hidden} more notices (see the json output)", style="dim"))


@outputs.register("table")
class TableOutput:
    name: ClassVar[str] = "table"
    description: ClassVar[str] = "human-readable tables (colour on a terminal)"

    def render(self, report: ScanReport, out: TextIO) -> None:
        tty = is_terminal(out)
        # Plain output goes through a buffer so padding at line ends can be trimmed.
        buffer = io.StringIO()
        console = make_console(out if tty else buffer, tty)
        if is_posture(report):
            render_posture(console, report)
        else:
            _header(console, report)
            matches = sorted_matches(report)
            if matches:
                _vulnerabilities(console, matches)
                _summary(console, matches)
            else:
                _inventory(console, report)
            if report.findings:
                _findings(console, report.findings)
        if report.notices:
            _notices(console, report)
        if not tty:
            out.write("\n".join(line.rstrip() for line in buffer.getvalue().split("\n")))
