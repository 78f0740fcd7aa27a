"""What a Falco condition says about one field's value, for the engine's dispatch.

A source without event types (CloudTrail) can still index its rules by one field of
the record (``eventName``): `literal_keys` reads from a compiled condition the values
that field must equal for the condition to hold. It is an over-approximation by
construction (keys are lowered; anything it cannot read is "unrestricted"), so an
index built on it never hides a rule from an event the rule could match.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from mamori.rules.ast import And, Binary, Expr, Field, ListValue, Or, Value
from mamori.rules.engine import ANY_KEY
from mamori.rules.rule import Rule
from mamori.rules.source import CatalogSource, FieldInfo
from mamori.rules.sources._json_fields import PLUGIN_EVENT


def literal_keys(e: Expr, fields: Collection[tuple[str, str | None]]) -> frozenset[str] | None:
    """Lowered values one of `fields` (name, argument) must equal for `e` to hold, or
    None when `e` does not restrict them to a set of literals (``not``, other
    operators, transformers). ``and`` intersects, ``or`` unites (all branches must
    restrict)."""
    if isinstance(e, Binary) and isinstance(e.operand, Field):
        if (e.operand.name, e.operand.arg) not in fields:
            return None
        if e.op in ("=", "==") and isinstance(e.rhs, Value):
            return frozenset({e.rhs.value.lower()})
        if e.op == "in" and isinstance(e.rhs, ListValue):
            return frozenset(v.lower() for v in e.rhs.values)
        return None
    if isinstance(e, And):
        found = [k for c in e.children if (k := literal_keys(c, fields)) is not None]
        return frozenset.intersection(*found) if found else None
    if isinstance(e, Or):
        keys: set[str] = set()
        for child in e.children:
            k = literal_keys(child, fields)
            if k is None:
                return None
            keys |= k
        return frozenset(keys)
    return None


def json_key_fields(falco_field: str, key: str) -> frozenset[tuple[str, str | None]]:
    """The Falco fields reading the record's top-level `key`: the source's own field
    and the json plugin's ``json.value``/``jevt.value`` pointers to it."""
    ptrs = {(f, a) for f in ("json.value", "jevt.value") for a in (f"/{key}", key)}
    return frozenset({(falco_field, None)} | ptrs)


class KeyedPluginSource(CatalogSource[Any]):
    """A plugin source (no event types) whose rules the engine indexes by one
    top-level string of the record (`RuleSet`'s dispatch): ``dispatch_key`` gives an
    event's lowered value (None when absent, ``ANY_KEY`` when not a string), and
    ``rule_dispatch`` the values a Falco rule's condition allows. Keys are lowered, so
    they also serve case-insensitive (Sigma) rules."""

    def __init__(
        self,
        name: str,
        fields: Iterable[FieldInfo],
        key: str,
        falco_fields: Collection[tuple[str, str | None]],
    ) -> None:
        super().__init__(name, fields, (), lambda _ev: PLUGIN_EVENT)
        self._key = key
        self._falco_fields = falco_fields

    def dispatch_key(self, ev: Any) -> Any:
        value = ev.get(self._key)
        if value.__class__ is str:
            return value.lower()
        return None if value is None else ANY_KEY

    def rule_dispatch(self, rule: Rule) -> frozenset[str] | None:
        return literal_keys(rule.ast, self._falco_fields)
