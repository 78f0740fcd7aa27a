"""The `mamori` console script."""

from __future__ import annotations

import typer

from mamori import __version__
from mamori.cli.doctor import doctor

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


app.command()(doctor)


def main() -> None:
    app()
