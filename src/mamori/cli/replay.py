"""`mamori replay FILE.scap`: evaluate rules over a capture written by sysdig or Falco.

Exit codes: 0 done (alerts or not); 1 the rules or the filter do not load; 2 a usage
error (an unreadable capture, no rules given). The engine is imported inside the
command, so ``mamori --help`` does not pay for it.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mamori.cli._render import EXIT_FAIL_ON, fail

RULES = typer.Option(
    None,
    "--rules",
    "-r",
    help="Rules file (Falco's language); repeat to load several in order.",
    show_default=False,
)


def replay_command(
    capture: Path = typer.Argument(
        ..., help="A .scap capture (plain or gzip'd).", show_default=False
    ),
    rules: list[Path] | None = RULES,
    filter_expr: str | None = typer.Option(
        None, "--filter", help="A Falco condition: print the events it accepts (like sysdig)."
    ),
    fmt: str = typer.Option("table", "--format", "-f", help="table or json."),
    print_format: str | None = typer.Option(
        None, "--print", "-p", help="With --filter: the %field format of each line."
    ),
    match_all: bool = typer.Option(
        False, "--all-matches", help="Every matching rule per event (Falco's rule_matching: all)."
    ),
) -> None:
    """Replay a capture through the state engine and the rules, as `falco -e` does.

    Prints one alert per line: time, priority, rule, output. With --filter and no
    --rules, prints the events the filter accepts instead (sysdig -r FILE FILTER);
    with both, only alerts on events the filter accepts.
    """
    from mamori.app.replay import DEFAULT_FILTER_FORMAT, ReplayError, filter_events, replay
    from mamori.captures.scap import CaptureError

    if fmt not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")
    if not capture.is_file():
        fail(f"{capture}: no such capture file")
    if not rules and filter_expr is None:  # mamori's own default ruleset
        from mamori.rules.default import default_rule_files

        rules = default_rule_files()
    try:
        if not rules:
            assert filter_expr is not None
            for line in filter_events(capture, filter_expr, print_format or DEFAULT_FILTER_FORMAT):
                typer.echo(line)
            return
        for alert in replay(capture, rules, filter_expr=filter_expr, match_all=match_all):
            if fmt == "json":
                typer.echo(json.dumps(alert.json(), ensure_ascii=False))
            else:
                typer.echo(
                    f"{alert.iso_time}  {alert.priority.label:<13} {alert.rule}: {alert.output}"
                )
    except ReplayError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_FAIL_ON) from None
    except (CaptureError, OSError) as exc:
        fail(f"{capture}: {exc}")
