"""The `mamori` console script."""

from __future__ import annotations

import typer

from mamori import __version__
from mamori.cli.agent import agent
from mamori.cli.db import db_app
from mamori.cli.doctor import doctor
from mamori.cli.logs import k8s_audit_app, scan_cloudtrail, watch_app
from mamori.cli.logs_vpcflow import scan_vpcflow
from mamori.cli.replay import replay_command
from mamori.cli.rules import rules_app
from mamori.cli.scan import sbom, scan_app
from mamori.cli.scan_aws import diff

app = typer.Typer(
    name="mamori",
    help="Agentless and agent-based cloud security: scan images, filesystems and SBOMs.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mamori {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """mamori: know what runs, what is vulnerable and what is misconfigured."""


app.add_typer(scan_app, name="scan")
scan_app.command("cloudtrail")(scan_cloudtrail)
scan_app.command("vpcflow")(scan_vpcflow)
app.add_typer(watch_app, name="watch")
app.add_typer(k8s_audit_app, name="k8s-audit")
app.command("sbom")(sbom)
app.add_typer(db_app, name="db")
app.add_typer(rules_app, name="rules")
app.command()(doctor)
app.command()(diff)
app.command("replay")(replay_command)
app.command()(agent)


def main() -> None:
    app()
