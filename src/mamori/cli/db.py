"""`mamori db import|update|status`: the advisory database."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from mamori.app.database import DEFAULT_ECOSYSTEMS, base_url
from mamori.cli._render import EXIT_ERROR, err_console, fail
from mamori.vuln.db.importer import import_osv
from mamori.vuln.db.kev import KEV_URL, KevError, import_kev
from mamori.vuln.db.status import status
from mamori.vuln.db.store import VulnDb, VulnDbError
from mamori.vuln.db.update import UpdateProgress, update

db_app = typer.Typer(help="Manage the vulnerability advisory database.", no_args_is_help=True)

DB_PATH = typer.Option(
    None, "--db", envvar="MAMORI_VULNDB", help="Advisory database file (default: XDG data dir)."
)


@db_app.command("import")
def db_import(
    paths: list[Path] = typer.Argument(
        ..., help="OSV JSON/YAML files, dirs, .zip or .tar.gz; or a CISA KEV JSON with --kev."
    ),
    kev: bool = typer.Option(False, "--kev", help="The files are CISA KEV catalogs."),
    db_path: Path | None = DB_PATH,
) -> None:
    """Import advisories from local files (offline)."""
    try:
        with VulnDb.open(db_path) as db:
            for path in paths:
                if not path.exists():
                    fail(f"{path}: no such file or directory")
                if kev:
                    kev_result = import_kev(path, db)
                    typer.echo(f"{path}: {kev_result.entries} known-exploited CVEs")
                    continue
                with err_console.status(f"importing {path}"):
                    result = import_osv(path, db)
                typer.echo(
                    f"{path}: {result.added} added, {result.updated} updated, "
                    f"{result.unchanged + result.older} unchanged, "
                    f"{result.skipped_count} skipped in {result.seconds:.1f}s"
                )
                for skipped in result.skipped[:5]:
                    err_console.print(
                        f"  skipped {skipped.name}: {skipped.reason}", highlight=False
                    )
    except (VulnDbError, KevError) as exc:
        fail(str(exc))


@db_app.command("update")
def db_update(
    url: str = typer.Option(
        None, "--url", help="OSV base URL (default: MAMORI_OSV_URL or the public OSV bucket)."
    ),
    ecosystems: list[str] = typer.Option(
        list(DEFAULT_ECOSYSTEMS), "--ecosystem", "-e", help="Ecosystems to fetch (repeat)."
    ),
    kev_url: str = typer.Option(KEV_URL, "--kev-url", help="CISA KEV feed ('' to skip)."),
    db_path: Path | None = DB_PATH,
) -> None:
    """Download new and changed advisories (HTTP conditional requests: only what changed)."""

    def show(event: UpdateProgress) -> None:
        if event.phase in ("updated", "unchanged", "failed"):
            err_console.print(f"  {event.feed}: {event.phase}", highlight=False)

    try:
        with VulnDb.open(db_path) as db:
            report = update(url or base_url(), ecosystems, show, db=db, kev_url=kev_url or None)
    except VulnDbError as exc:
        fail(str(exc))
    for feed in report.feeds:
        if feed.error is not None:
            err_console.print(f"[yellow]{feed.feed}[/yellow]: {feed.error}", highlight=False)
    ok = sum(1 for f in report.feeds if f.error is None)
    typer.echo(f"{ok}/{len(report.feeds)} feeds up to date")
    if ok == 0 and report.feeds:
        raise typer.Exit(EXIT_ERROR)


@db_app.command("status")
def db_status(
    as_json: bool = typer.Option(False, "--json"),
    db_path: Path | None = DB_PATH,
) -> None:
    """Show what the advisory database holds and when it was last updated."""
    st = status(db_path)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "path": st.info.path,
                    "available": st.info.available,
                    "advisories": st.info.advisories,
                    "withdrawn": st.withdrawn,
                    "kev_entries": st.kev_entries,
                    "size_bytes": st.size_bytes,
                    "updated_at": st.info.updated_at.isoformat() if st.info.updated_at else None,
                    "per_ecosystem": st.per_ecosystem,
                    "error": st.error,
                },
                indent=2,
            )
        )
        return
    if not st.info.available:
        fail(st.error or f"no advisory database at {st.info.path}")
    console = Console()
    console.print(f"database: {st.info.path} ({st.size_bytes / 1e6:.1f} MB)")
    console.print(
        f"advisories: {st.info.advisories:,} (+{st.withdrawn} withdrawn), "
        f"known exploited: {st.kev_entries:,}"
    )
    console.print(f"updated: {st.info.updated_at or 'never (imported only)'}")
    table = Table("ecosystem", "advisories")
    for eco, n in st.per_ecosystem.items():
        table.add_row(eco, f"{n:,}")
    console.print(table)
