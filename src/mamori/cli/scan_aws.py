"""`mamori scan aws`: inventory and CIS posture of AWS accounts, and `mamori diff`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer
from rich.console import Console

from mamori.app.posture import PostureOutcome, PostureRequest, run_posture_scan
from mamori.cli._render import (
    EXIT_FAIL_ON,
    EXIT_OK,
    check_format,
    err_console,
    fail,
    parse_severity,
    render,
)
from mamori.cli.scan import FAIL_ON, NO_STORE, OUTPUT
from mamori.model import FindingStatus, Severity


def posture_kind(outcome: PostureOutcome) -> str:
    """Scans compare with the previous scan of the same kind: one kind per framework, so a
    CIS scan is never diffed against a PCI scan (whose other checks would look resolved)."""
    return f"posture:{outcome.framework.id if outcome.framework else 'checks'}"


def _save(outcome: PostureOutcome) -> list[str]:
    """Store each account's report and inventory snapshot; returns the scan ids."""
    from mamori.store import Store

    ids = []
    with Store.open() as store:
        for account in outcome.accounts:
            scan_id = store.save_scan(
                account.report, kind=posture_kind(outcome), producer="mamori.posture.aws"
            )
            store.save_inventory(scan_id, outcome.inventory, account=account.account)
            ids.append(scan_id)
    return ids


def _exit_code(outcome: PostureOutcome, fail_on: Severity | None) -> int:
    if fail_on is None:
        return EXIT_OK
    failing = (
        f
        for report in outcome.reports
        for f in report.findings
        if f.status == FindingStatus.OPEN and f.severity.rank >= fail_on.rank
    )
    return EXIT_FAIL_ON if any(True for _ in failing) else EXIT_OK


def _one_scan(
    request: PostureRequest, fmt: str, output: Path | None, fail_on: str | None, no_store: bool
) -> int:
    threshold = parse_severity(fail_on)
    try:
        with err_console.status("collecting AWS inventory") as status:

            def progress(phase: str, done: int, total: int) -> None:
                status.update(f"{phase}: {done}/{total}")

            outcome = run_posture_scan(request, progress=progress)
    except ValueError as exc:
        fail(str(exc))
    ids: list[str] = []
    if not no_store:
        # the store (SQLAlchemy, ~30 MB) is imported only by the commands that use it
        from mamori.store import StoreError

        try:
            ids = _save(outcome)
        except StoreError as exc:
            err_console.print(f"[yellow]warning:[/yellow] results not saved: {exc}")
    for index, report in enumerate(outcome.reports):
        target = output
        if output is not None and len(outcome.reports) > 1:
            target = output.with_name(
                f"{output.stem}-{outcome.accounts[index].account}{output.suffix}"
            )
        render(report, fmt, target)
    if ids:
        from mamori.cli._changes import render_changes
        from mamori.store import Store

        console = Console(stderr=fmt != "table" or output is not None)
        with Store.open() as store:
            for scan_id in ids:
                render_changes(store.diff_previous(scan_id), console)
    return _exit_code(outcome, threshold)


def scan_aws(
    profile: str | None = typer.Option(
        None, "--profile", help="AWS profile (else the standard credential chain)."
    ),
    region: list[str] = typer.Option(
        [], "--region", "-r", help="Regions (repeat); default: every enabled region."
    ),
    role_arn: list[str] = typer.Option(
        [],
        "--role-arn",
        help="Scan the account of this role (assume-role; repeat for several accounts).",
    ),
    org_role: str | None = typer.Option(
        None,
        "--org-role",
        help="Scan every active AWS Organizations account through this role name.",
    ),
    framework: str = typer.Option(
        "cis_aws_3.0",
        "--framework",
        help="Compliance framework: cis_aws_3.0, the newest CIS AWS, pci_dss_4.0; '' for --check.",
    ),
    check: list[str] = typer.Option([], "--check", help="Run only these check ids (repeat)."),
    fmt: str = typer.Option(
        "table", "-f", "--format", callback=check_format, help="table, json, csv, ocsf."
    ),
    output: Path | None = OUTPUT,
    fail_on: str | None = FAIL_ON,
    no_store: bool = NO_STORE,
    every: str | None = typer.Option(
        None, "--every", help="Repeat the scan at this interval (e.g. 1h, 30m) until interrupted."
    ),
) -> None:
    """Inventory AWS accounts and judge them against CIS/PCI checks (like Prowler)."""
    request = PostureRequest(
        profile=profile,
        role_arns=tuple(role_arn),
        organization_role=org_role,
        regions=tuple(region) or None,
        framework=framework or None,
        checks=tuple(check) or None,
    )
    if every is None:
        raise typer.Exit(_one_scan(request, fmt, output, fail_on, no_store))
    from mamori.app.monitor import parse_interval, run_every

    try:
        interval: timedelta = parse_interval(every)
    except ValueError as exc:
        fail(str(exc))
    err_console.print(f"scanning every {every}; Ctrl-C to stop")
    run_every(interval, lambda: _one_scan(request, fmt, output, fail_on, no_store))


def diff(
    scan_a: str | None = typer.Argument(None, help="Older scan id (default: the one before B)."),
    scan_b: str | None = typer.Argument(None, help="Newer scan id (default: the latest)."),
    as_json: bool = typer.Option(False, "--json", help="Print the diff as JSON."),
) -> None:
    """What changed between two stored scans: resources and findings (default: the last two)."""
    from mamori.cli._changes import render_changes
    from mamori.store import Store, StoreError

    try:
        with Store.open() as store:
            if scan_b is None:
                latest = store.list_scans(limit=1)
                if not latest:
                    fail("no stored scans yet: run `mamori scan aws` first")
                scan_b = latest[0].id
            result = (
                store.snapshot_diff(scan_a, scan_b)
                if scan_a is not None
                else store.diff_previous(scan_b)
            )
    except StoreError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json") if result else None, indent=2))
        return
    render_changes(result, Console())
    if result is None:
        raise typer.Exit(EXIT_OK)
