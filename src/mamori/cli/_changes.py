"""Render what changed since the previous scan (inventory and findings) for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from mamori.store.records import SnapshotDiff

MAX_ROWS = 50


def render_changes(diff: SnapshotDiff | None, console: Console) -> None:
    if diff is None:
        console.print("Changes: first scan of this account, nothing to compare with.")
        return
    inv = diff.inventory
    console.print(f"Changes since scan {diff.before}")
    if inv is not None:
        console.print(
            f"  resources: {len(inv.added)} added, {len(inv.removed)} removed, "
            f"{len(inv.changed)} changed, {inv.unchanged} unchanged"
            + (f", {len(inv.unseen)} not collected this time" if inv.unseen else "")
        )
        table = Table("change", "type", "resource", "what", show_edge=False)
        rows = 0
        for res in inv.added[:MAX_ROWS]:
            table.add_row("added", res.type, res.arn or res.id, "")
            rows += 1
        for res in inv.removed[: MAX_ROWS - rows]:
            table.add_row("removed", res.type, res.arn or res.id, "")
            rows += 1
        for change in inv.changed[: max(0, MAX_ROWS - rows)]:
            diffs = [*change.fields, *change.attributes]
            paths = ", ".join(a.path for a in diffs[:4])
            if change.exposure is not None:
                paths = ", ".join(p for p in (paths, "exposure") if p)
            more = len(diffs) - 4
            table.add_row(
                "changed", change.type, change.key, paths + (f" (+{more})" if more > 0 else "")
            )
        if table.row_count:
            console.print(table)
    console.print(
        f"  findings: {len(diff.new_findings)} new, {len(diff.resolved_findings)} resolved"
        + (f", {len(diff.unverified_findings)} unverified" if diff.unverified_findings else "")
    )
    for finding in diff.new_findings[:MAX_ROWS]:
        console.print(f"    new      {finding.rule_id}  {finding.resource.name}", highlight=False)
    for finding in diff.resolved_findings[:MAX_ROWS]:
        console.print(f"    resolved {finding.rule_id}  {finding.resource.name}", highlight=False)
