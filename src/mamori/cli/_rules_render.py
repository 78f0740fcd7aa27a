"""Rendering for ``mamori rules``: load messages, rule lists and test outcomes.

Every text cell is a `rich.text.Text`, never markup: rule names, conditions and
messages are full of brackets (``proc.aname[2]``) that rich would read as styles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mamori.rules.result import DESCRIPTIONS, LoadMessage
from mamori.rules.rule import Rule
from mamori.rules.source import EventSource
from mamori.rules.testing import Outcome, Status

MAX_TYPES_SHOWN = 20
_STATUS_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "red",
    Status.ERROR: "red",
    Status.SKIP: "yellow",
}


# -- load messages ---------------------------------------------------------------------------


def message_json(msg: LoadMessage) -> dict[str, Any]:
    where = msg.position
    return {
        "severity": "error" if msg.is_error else "warning",
        "code": msg.code.value,
        "description": DESCRIPTIONS.get(msg.code.value, ""),
        "item_type": msg.item_type,
        "item_name": msg.item_name,
        "file": where.source if where else "",
        "line": where.line if where else 0,
        "column": where.column if where else 0,
        "condition_offset": where.offset if where else -1,
        "message": msg.message,
    }


def messages_table(messages: Sequence[LoadMessage], title: str) -> Table:
    table = Table(title=title, show_lines=True)
    table.add_column("", no_wrap=True)
    table.add_column("code", no_wrap=True)
    for name in ("item", "position", "message"):
        table.add_column(name, overflow="fold")
    for m in messages:
        kind = Text("error", "red") if m.is_error else Text("warning", "yellow")
        item = f"{m.item_type} '{m.item_name}'" if m.item_name else m.item_type
        where = str(m.position) if m.position else ""
        table.add_row(kind, Text(m.code.value), Text(item), Text(where), Text(m.message))
    return table


def print_messages(console: Console, messages: Sequence[LoadMessage], title: str) -> None:
    if messages:
        console.print(messages_table(messages, title))


# -- rules -----------------------------------------------------------------------------------


def types_text(rule: Rule, source: EventSource[Any] | None) -> str:
    """The event types a rule needs, short: ``all`` when unrestricted."""
    if rule.event_types is None:
        return "all (source has no event types)"
    if source is not None and rule.event_types >= source.event_types:
        return "all"
    if not rule.event_types:
        return "none"
    if len(rule.event_types) > MAX_TYPES_SHOWN:
        return f"{len(rule.event_types)} types"
    return ", ".join(sorted(rule.event_types))


def rule_json(rule: Rule) -> dict[str, Any]:
    where = rule.position
    return {
        "name": rule.name,
        "priority": rule.priority.label,
        "source": rule.source,
        "tags": list(rule.tags),
        "enabled": rule.enabled,
        "event_types": None if rule.event_types is None else sorted(rule.event_types),
        "file": where.source if where else "",
        "line": where.line if where else 0,
    }


def needed_types(rules: Iterable[Rule]) -> dict[str, list[str] | None]:
    """Per source, the union of the enabled rules' event types (None: every event, the
    source has no event types). This is what a sensor must capture."""
    out: dict[str, set[str] | None] = {}
    for r in rules:
        if not r.enabled:
            continue
        if r.event_types is None:
            out[r.source] = None
            continue
        current = out.setdefault(r.source, set())
        if current is not None:
            current.update(r.event_types)
    return {s: None if t is None else sorted(t) for s, t in sorted(out.items())}


def rules_table(rules: Sequence[Rule], srcs: Mapping[str, EventSource[Any]]) -> Table:
    table = Table(title=f"rules: {len(rules)}", show_lines=False)
    for name in ("rule", "priority", "source", "tags", "enabled", "event types"):
        table.add_column(name, overflow="fold")
    for r in rules:
        enabled = Text("yes", "green") if r.enabled else Text("no", "yellow")
        table.add_row(
            Text(r.name),
            Text(r.priority.label),
            Text(r.source),
            Text(", ".join(r.tags)),
            enabled,
            Text(types_text(r, srcs.get(r.source))),
        )
    return table


def needed_text(needed: Mapping[str, list[str] | None]) -> list[str]:
    lines = []
    for source, types in needed.items():
        if types is None:
            lines.append(f"{source}: every event (the source has no event types)")
        else:
            lines.append(f"{source} ({len(types)} event types): {' '.join(types)}")
    return lines


# -- tests -----------------------------------------------------------------------------------


def outcome_json(o: Outcome) -> dict[str, Any]:
    where = o.test.position
    return {
        "rule": o.test.rule,
        "test": o.test.label,
        "file": where.source,
        "line": where.line,
        "column": where.column,
        "expect": o.test.expect.value,
        "status": o.status.value,
        "reason": o.reason,
        "matched": list(o.matched),
        "output": o.output,
    }


def print_outcomes(console: Console, outcomes: Sequence[Outcome]) -> None:
    """One line per test (status, rule: test, position), then the reason when it did not
    pass, or the other rules the event matched."""
    for o in outcomes:
        line = Text(f"{o.status.value.upper():<5} ", _STATUS_STYLE[o.status])
        line.append(f"{o.test.rule}: {o.test.label}")
        line.append(f"  ({o.test.position})", "dim")
        console.print(line, soft_wrap=True)
        others = [n for n in o.matched if n != o.test.rule]
        if o.status is not Status.PASS:
            console.print(Text(f"      {o.reason}"), soft_wrap=True)
        elif others:
            console.print(Text(f"      also matched: {', '.join(others)}", "dim"), soft_wrap=True)


def counts(outcomes: Iterable[Outcome]) -> dict[str, int]:
    out = {s.value: 0 for s in Status}
    for o in outcomes:
        out[o.status.value] += 1
    return out
