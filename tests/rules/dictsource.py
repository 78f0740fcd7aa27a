"""A dict-based ``syscall`` source for tests.

It stands in for the real ``syscall`` source, whose extractors come with the
process/fd state engine: same field catalogue and event types (so types, arguments
and validation are the real ones), but an event is a plain dict keyed by the field as
written (``"proc.name"``, ``"proc.aname[2]"``, ``"evt.arg[flags]"``). A key that is
absent reads as "not available", like a field the event does not carry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mamori.rules.engine import RuleSet, load
from mamori.rules.source import (
    ArgKind,
    CatalogSource,
    EventSource,
    FieldArg,
    FieldError,
    FieldInfo,
    FieldRef,
    FieldType,
)
from mamori.rules.syscall_fields import syscall_fields
from mamori.rules.syscall_fields.event_types import EVENT_TYPES

Event = dict[str, Any]


def _factory(ref: FieldRef, _info: FieldInfo) -> Callable[[Any], Any]:
    key = str(ref)
    return lambda event: event.get(key)


def dict_source() -> CatalogSource[Event]:
    src: CatalogSource[Event] = CatalogSource(
        "syscall", syscall_fields(), EVENT_TYPES, lambda e: str(e["evt.type"])
    )
    for name in src.fields:
        src.add_extractor(name, _factory)
    return src


def load_text(*texts: str) -> RuleSet:
    srcs: dict[str, EventSource[Any]] = {"syscall": dict_source()}
    return load([(f"test{i}.yaml", t) for i, t in enumerate(texts)], srcs)


def rule(condition: str, name: str = "r", output: str = "out", priority: str = "WARNING") -> str:
    """One rules-file item (the condition is given as a YAML literal block)."""
    body = "\n".join("    " + line for line in condition.splitlines())
    return (
        f"- rule: {name}\n  desc: d\n  condition: |\n{body}\n"
        f"  output: {json.dumps(output)}\n  priority: {priority}\n"
    )


class AnyField:
    """A stand-in source for plugin rulesets: any dotted name is a string field that
    takes an optional argument. Only parsing and compiling are exercised."""

    name = "any"
    fields: dict[str, FieldInfo] = {}
    event_types: frozenset[str] = frozenset()

    def resolve(self, name: str, arg: str | None = None) -> tuple[FieldInfo, FieldRef]:
        if "." not in name:
            raise FieldError(f"filter_check called with nonexistent field {name}")
        return FieldInfo(name, FieldType.STRING, arg=FieldArg(ArgKind.KEY)), FieldRef(name, arg)

    def compile_field(self, ref: FieldRef) -> Callable[[Any], Any]:
        return lambda _e: None

    def event_type(self, event: Any) -> str:
        return ""
