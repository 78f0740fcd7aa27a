"""A compiled rule and a match."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mamori.rules.ast import Expr
from mamori.rules.output import OutputFormat
from mamori.rules.priority import Priority
from mamori.rules.result import Position
from mamori.rules.source import FieldRef


@dataclass(slots=True)
class Rule:
    """One loaded rule. `event_types` is None for sources without event types."""

    name: str
    desc: str
    priority: Priority
    source: str
    tags: tuple[str, ...]
    enabled: bool
    condition: str  # as compiled: appends and exceptions included, before macro expansion
    ast: Expr  # macros substituted, lists expanded
    check: Callable[[Any], bool] = field(repr=False)
    output: OutputFormat = field(repr=False)
    event_types: frozenset[str] | None = None
    condition_fields: tuple[FieldRef, ...] = ()
    position: Position | None = None
    index: int = 0
    dispatch: frozenset[str] | None = None
    """For sources with a dispatch key (`RuleSet`): the key values an event must have
    for this rule to match (None: any, or let the source work it out from `ast`)."""


@dataclass(frozen=True, slots=True)
class Match:
    """A rule that matched an event."""

    rule: Rule
    output: str
    fields: dict[str, Any]

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def priority(self) -> Priority:
        return self.rule.priority

    @property
    def tags(self) -> tuple[str, ...]:
        return self.rule.tags

    @property
    def source(self) -> str:
        return self.rule.source
