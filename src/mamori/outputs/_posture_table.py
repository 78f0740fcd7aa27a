"""The table output's view of a cloud posture report: a header with the scan's figures and
the framework score, then the failed results, most severe first.

A posture report has no packages, and a results list of thousands of PASS rows would bury
the failures, so the generic package and findings tables are replaced by this section.
Figures come from ScanReport.stats, which the posture scan fills (no recomputation here).
"""

from __future__ import annotations

from itertools import groupby

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mamori.model import AssetKind, Finding, FindingKind, FindingStatus, ScanReport, Severity
from mamori.outputs._common import clean_text, iso_seconds, tool_version

MAX_ROWS = 200
_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "blue",
}
_REQUIREMENT_STATES = ("pass", "fail", "manual", "no_resources", "not_evaluated")


def is_posture(report: ScanReport) -> bool:
    """A cloud posture report: a cloud target, no packages, no vulnerability matches."""
    return (
        report.target.kind == AssetKind.CLOUD_RESOURCE
        and not report.sbom.packages
        and not report.matches
    )


def _count(report: ScanReport, key: str) -> int:
    return int(report.stats.get(key, 0))


def _header(console: Console, report: ScanReport) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    attrs = report.target.attributes
    grid.add_row("Target", Text(clean_text(report.target.name)))
    regions = [r for r in attrs.get("regions", "").split(",") if r]
    if regions:
        shown = ", ".join(regions) if len(regions) <= 3 else f"{len(regions)}"
        grid.add_row("Regions", Text(clean_text(shown)))
    grid.add_row("Resources", Text(f"{_count(report, 'resources')}"))
    results = (
        f"{_count(report, 'checks')} checks: {_count(report, 'results_fail')} failed, "
        f"{_count(report, 'results_pass')} passed, {_count(report, 'results_manual')} manual"
    )
    grid.add_row("Results", Text(results))
    if attrs.get("framework"):
        grid.add_row("Framework", Text(clean_text(attrs["framework"])))
        states = ", ".join(
            f"{s.replace('_', ' ')} {_count(report, f'requirements_{s}')}"
            for s in _REQUIREMENT_STATES
        )
        score = report.stats.get("score")
        shown = f"{score * 100:.1f}% " if score is not None else "n/a "
        grid.add_row("Score", Text(shown + f"(requirements: {states})"))
    grid.add_row(
        "Scanned", Text(f"{iso_seconds(report.finished_at)} by mamori {tool_version(report)}")
    )
    console.print(grid)
    console.print()


def _failures(report: ScanReport) -> list[Finding]:
    failed = [
        f
        for f in report.findings
        if f.kind == FindingKind.MISCONFIGURATION and f.status == FindingStatus.OPEN
    ]
    return sorted(failed, key=lambda f: (-f.severity.rank, f.rule_id, f.resource.name))


def _check_group(console: Console, group: list[Finding]) -> None:
    first = group[0]
    head = Text(f"{first.severity.value.upper():<9}", style=_STYLE.get(first.severity, "dim"))
    head.append(clean_text(first.rule_id), style="bold")
    room = max(console.width - head.cell_len - 2, 10)
    head.append(f"  {clean_text(first.title, room)}", style="dim")
    console.print(head)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(width=7)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold", max_width=40)
    grid.add_column(overflow="fold", ratio=1)
    for finding in group:
        attrs = finding.resource.attributes
        grid.add_row(
            "",
            Text(clean_text(finding.resource.identity.region or "global")),
            Text(clean_text(attrs.get("name", attrs.get("id", finding.resource.name)), 80)),
            Text(clean_text(finding.reason, 300)),
        )
    console.print(grid)


def render_posture(console: Console, report: ScanReport) -> None:
    _header(console, report)
    failures = _failures(report)
    if not failures:
        console.print(Text("No failed checks", style="green"))
        console.print()
        return
    console.print(Text("Failed checks", style="italic"))
    console.print()
    shown = failures[:MAX_ROWS]
    for _, group in groupby(shown, key=lambda f: f.rule_id):
        _check_group(console, list(group))
    hidden = len(failures) - len(shown)
    if hidden > 0:
        console.print(Text(f"... and {hidden} more failures (see the csv or json output)"))
    console.print()
