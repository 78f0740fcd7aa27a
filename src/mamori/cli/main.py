"""The `mamori` console script.

Sub-commands are imported when they run (`_lazy`): `mamori scan iac` does not load the
AWS SDK, the advisory database or the eBPF sensor."""

from __future__ import annotations

import typer

from mamori import __version__
from mamori.cli._exit import exit_now, own_process
from mamori.cli._lazy import lazy_group

COMMANDS = {
    "scan": "mamori.cli.scan_group:scan_app",
    "sbom": "mamori.cli.scan:sbom",
    "db": "mamori.cli.db:db_app",
    "rules": "mamori.cli.rules:rules_app",
    "doctor": "mamori.cli.doctor:doctor",
    "diff": "mamori.cli.scan_aws:diff",
    "replay": "mamori.cli.replay:replay_command",
    "agent": "mamori.cli.agent:agent",
    "watch": "mamori.cli.logs:watch_app",
    "k8s-audit": "mamori.cli.logs:k8s_audit_app",
}

app = typer.Typer(
    name="mamori",
    cls=lazy_group(COMMANDS),
    help="Agentless and agent-based cloud security: vulnerabilities, posture, compliance, "
    "threat detection on logs and on hosts.",
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


def main() -> None:
    own_process()
    try:
        app()
    except SystemExit as done:
        exit_now(done.code)  # returns unless the command allowed a fast exit
        raise
