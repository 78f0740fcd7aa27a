"""Running rule tests: each event through the ruleset's index and compiled conditions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mamori.rules.engine import RuleSet
from mamori.rules.rule import Match, Rule
from mamori.rules.testing.reader import Expect, RuleTest
from mamori.rules.testing.source import TYPE_FIELD, MappingSource, RuleTestError, build_event

MAX_SHOWN = 8


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # the test itself is wrong: unknown field, bad value...
    SKIP = "skip"  # the rule is disabled


@dataclass(frozen=True, slots=True)
class Outcome:
    """What running one `RuleTest` gave. `matched`: every rule the event matched."""

    test: RuleTest
    status: Status
    reason: str = ""
    matched: tuple[str, ...] = ()
    output: str | None = None


def run_tests(
    ruleset: RuleSet, tests: Iterable[RuleTest], include_disabled: bool = False
) -> list[Outcome]:
    """Run every test. `ruleset` must have been loaded with `mapping_sources`. With
    `include_disabled`, disabled rules are enabled first (the ruleset is changed)."""
    if not all(isinstance(s, MappingSource) for s in ruleset.sources.values()):
        raise ValueError("load the rules with mapping_sources() to run rule tests")
    if include_disabled:
        for r in ruleset.rules:
            r.enabled = True
        ruleset.reindex()
    return [run_test(ruleset, t) for t in tests]


def run_test(ruleset: RuleSet, test: RuleTest) -> Outcome:
    rule = ruleset.get(test.rule)
    if rule is None:
        return Outcome(test, Status.ERROR, f"no rule named '{test.rule}' is loaded")
    if not rule.enabled:
        return Outcome(test, Status.SKIP, "the rule is disabled (--include-disabled tests it)")
    try:
        event = build_event(test, ruleset.sources[rule.source])
    except RuleTestError as exc:
        return Outcome(test, Status.ERROR, str(exc))
    matches = ruleset.match(event, rule.source)
    names = tuple(m.name for m in matches)
    mine = next((m for m in matches if m.rule is rule), None)
    if test.expect is Expect.NO_MATCH:
        if mine is None:
            return Outcome(test, Status.PASS, "", names)
        return Outcome(test, Status.FAIL, f"the rule matched: {mine.output}", names, mine.output)
    if mine is None:
        return Outcome(test, Status.FAIL, _why_not(rule, event, matches), names)
    if test.output is not None and test.output not in mine.output:
        reason = f"the rule matched, but its output does not contain {test.output!r}"
        return Outcome(test, Status.FAIL, reason, names, mine.output)
    return Outcome(test, Status.PASS, "", names, mine.output)


def _why_not(rule: Rule, event: dict[str, Any], matches: list[Match]) -> str:
    others = [m.name for m in matches]
    tail = f"; matched instead: {', '.join(others)}" if others else "; no rule matched"
    etype = event.get(TYPE_FIELD)
    if rule.event_types is not None and etype not in rule.event_types:
        wanted = ", ".join(sorted(rule.event_types)[:MAX_SHOWN])
        more = "..." if len(rule.event_types) > MAX_SHOWN else ""
        why = f"evt.type '{etype}' is not one of the rule's event types ({wanted}{more})"
        return why + tail
    try:
        rule.check(event)
    except Exception as exc:  # a value the condition cannot compare: say so
        return f"evaluating the condition raised {type(exc).__name__}: {exc}{tail}"
    missing = list(dict.fromkeys(str(f) for f in rule.condition_fields if str(f) not in event))
    why = "the condition is false for this event"
    if missing:
        shown = ", ".join(missing[:MAX_SHOWN])
        more = f" and {len(missing) - MAX_SHOWN} more" if len(missing) > MAX_SHOWN else ""
        why += f" (fields it reads that the event leaves not available: {shown}{more})"
    return why + tail
