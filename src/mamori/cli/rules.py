"""`mamori rules validate|list|test`: rules files in Falco's rule language.

Exit codes: 0 ok; 1 the rules (or their tests) failed: load errors, ``--strict``
warnings, a failing test; 2 a usage error: a missing, binary or non-regular file, no
tests to run. The rules engine is imported inside the commands, so ``mamori --help``
does not pay for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from mamori.cli._render import EXIT_FAIL_ON, EXIT_OK, err_console, fail

if TYPE_CHECKING:
    from mamori.rules.engine import RuleSet
    from mamori.rules.result import LoadMessage

rules_app = typer.Typer(
    help="Validate, list and test detection rules written in Falco's rule language.",
    no_args_is_help=True,
)

FILES = typer.Argument(
    ...,
    help="Rules files, loaded in order: later files may append to or override earlier ones.",
    show_default=False,
)
JSON = typer.Option(False, "--json", help="Print JSON.")


def _echo_json(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _load(contents: list[tuple[str, str]], testing: bool = False) -> RuleSet:
    """Load rules contents with the registered sources, or, for rule tests, with each
    source wrapped as a `MappingSource` (dictionary events)."""
    from mamori.rules.engine import load
    from mamori.rules.testing import mapping_sources

    return load(contents, mapping_sources() if testing else None)


def _file_status(name: str, messages: list[LoadMessage]) -> str:
    mine = [m for m in messages if m.position is not None and m.position.source == name]
    if any(m.is_error for m in mine):
        return "Invalid"
    return "Ok, with warnings" if mine else "Ok"


@rules_app.command("validate")
def validate(
    files: list[Path] = FILES,
    as_json: bool = JSON,
    strict: bool = typer.Option(False, "--strict", help="Warnings fail the validation too."),
) -> None:
    """Check rules files as `falco -V` does: errors and warnings with positions.

    Every error and warning, with its typed code (LOAD_ERR_*, LOAD_*), item and
    file:line:column. Exit 1 on errors (and on warnings with --strict).
    """
    from mamori.cli._rules_io import read_text_files
    from mamori.cli._rules_render import message_json, print_messages

    ruleset = _load(read_text_files(files))
    errors, warnings = ruleset.result.errors, ruleset.result.warnings
    failed = bool(errors) or (strict and bool(warnings))
    if as_json:
        _echo_json(
            {
                "files": [str(f) for f in files],
                "ok": not failed,
                "rules": len(ruleset.rules),
                "errors": [message_json(m) for m in errors],
                "warnings": [message_json(m) for m in warnings],
            }
        )
    else:
        console = Console()
        messages = [*errors, *warnings]
        for f in files:
            console.print(
                f"{f}: {_file_status(str(f), messages)}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        print_messages(console, messages, "load errors and warnings")
        console.print(
            f"{len(ruleset.rules)} rules loaded; {len(errors)} errors, {len(warnings)} warnings",
            highlight=False,
            soft_wrap=True,
        )
    raise typer.Exit(EXIT_FAIL_ON if failed else EXIT_OK)


def _refuse_on_errors(ruleset: RuleSet, as_json: bool) -> None:
    """Commands that use the rules stop when they do not load (exit 1)."""
    from mamori.cli._rules_render import message_json, print_messages

    errors = ruleset.result.errors
    if not errors:
        return
    if as_json:
        _echo_json({"ok": False, "errors": [message_json(m) for m in errors]})
    else:
        print_messages(err_console, errors, "the rules do not load")
        err_console.print(f"{len(errors)} load errors (mamori rules validate lists them)")
    raise typer.Exit(EXIT_FAIL_ON)


@rules_app.command("list")
def list_rules(
    files: list[Path] = FILES,
    source: list[str] = typer.Option(
        [], "--source", "-s", help="Only rules of this event source (repeatable)."
    ),
    tag: list[str] = typer.Option([], "--tag", "-t", help="Only rules with this tag (repeatable)."),
    as_json: bool = JSON,
) -> None:
    """List the rules and the event types each needs.

    Below the rules, per source, the union of the enabled rules' event types: what a
    sensor must capture.
    """
    from mamori.cli._rules_io import read_text_files
    from mamori.cli._rules_render import needed_text, needed_types, rule_json, rules_table

    ruleset = _load(read_text_files(files))
    _refuse_on_errors(ruleset, as_json)
    rules = [
        r
        for r in ruleset.rules
        if (not source or r.source in source) and (not tag or set(tag).intersection(r.tags))
    ]
    needed = needed_types(rules)
    if as_json:
        _echo_json({"rules": [rule_json(r) for r in rules], "event_types": needed})
        return
    console = Console()
    console.print(rules_table(rules, ruleset.sources))
    console.print("Event types the enabled rules need, per source:", highlight=False)
    for line in needed_text(needed) or ["(no enabled rules)"]:
        console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    if ruleset.result.warnings:
        err_console.print(
            f"{len(ruleset.result.warnings)} load warnings (see mamori rules validate)"
        )


@rules_app.command("test")
def test_rules(
    files: list[Path] = typer.Argument(
        ...,
        help="Rules files and tests files (*.tests.yaml). RULES.yaml's tests are also read "
        "from RULES.tests.yaml beside it.",
        show_default=False,
    ),
    include_disabled: bool = typer.Option(
        False, "--include-disabled", help="Enable disabled rules so their tests run."
    ),
    as_json: bool = JSON,
) -> None:
    """Run the rules' test events (RULES.tests.yaml); exit 1 when a test fails.

    Each event goes through the compiled rules and the event-type index. The test
    format is in docs/rules.md.
    """
    from mamori.cli._rules_io import read_text, read_text_files, split_tests
    from mamori.cli._rules_render import (
        counts,
        message_json,
        outcome_json,
        print_messages,
        print_outcomes,
    )
    from mamori.rules.result import LoadResult
    from mamori.rules.testing import read_tests, run_tests

    given = dict(read_text_files(files))  # every path given is checked first

    def texts(paths: list[Path]) -> list[tuple[str, str]]:
        return [(str(p), given[str(p)] if str(p) in given else read_text(p)) for p in paths]

    rules_files, tests_files = split_tests(files)
    if not tests_files:
        fail("no tests: give FILE.tests.yaml, or put the tests of RULES.yaml in RULES.tests.yaml")
    if not rules_files:
        fail("no rules files: give the rules files the tests are for")
    ruleset = _load(texts(rules_files), testing=True)
    problems = LoadResult()
    tests = [t for name, text in texts(tests_files) for t in read_tests(text, name, problems)]
    _refuse_on_errors(ruleset, as_json)
    enabled = sum(1 for r in ruleset.rules if r.enabled)  # before --include-disabled
    outcomes = run_tests(ruleset, tests, include_disabled)
    summary = counts(outcomes)
    tested = {o.test.rule for o in outcomes if ruleset.get(o.test.rule) is not None}
    ok = bool(outcomes) and not problems.errors and not summary["fail"] and not summary["error"]
    if as_json:
        _echo_json(
            {
                "rules_files": [str(f) for f in rules_files],
                "tests_files": [str(f) for f in tests_files],
                "ok": ok,
                "summary": summary,
                "rules_tested": len(tested),
                "rules_enabled": enabled,
                "test_file_errors": [message_json(m) for m in problems.errors],
                "results": [outcome_json(o) for o in outcomes],
            }
        )
    else:
        console = Console()
        print_messages(console, problems.errors, "errors in the tests files")
        if outcomes:
            print_outcomes(console, outcomes)
        elif not problems.errors:
            console.print("no tests in the tests files", highlight=False)
        parts = ", ".join(f"{n} {s}" for s, n in summary.items())
        console.print(
            f"{parts}; {len(problems.errors)} tests-file errors; "
            f"{len(tested)} of {enabled} enabled rules have tests",
            highlight=False,
            soft_wrap=True,
        )
        if ruleset.result.warnings:
            err_console.print(f"{len(ruleset.result.warnings)} load warnings (see rules validate)")
    raise typer.Exit(EXIT_OK if ok else EXIT_FAIL_ON)
