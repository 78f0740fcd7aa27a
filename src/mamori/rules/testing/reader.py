"""Reading rule tests files (``*.tests.yaml``): ``- test: <rule>`` items with events.

Read as YAML nodes, like the rules reader, so every problem carries a line and column
and scalars keep their text as written (``proc.tty: 34816`` is converted by the field's
type later, when the rule under test, and so its source, is known). A problem in one
item is reported and the item skipped; the rest of the file is still read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mamori.rules.result import ErrorCode, LoadResult, Position
from mamori.rules.yaml_item import NULL_TAG, pos

TEST_SUFFIXES = (".tests.yaml", ".tests.yml")
EVENT_KEYS = frozenset({"name", "expect", "output"})
"""Keys of an event that are not fields (every field name has a dot)."""
MAX_FIELD_ENTRIES = 1_000_000
"""Keys and values one tests file may expand to (aliases and merges can repeat a lot)."""

MAX_MERGE_DEPTH = 16
MERGE_TAG = "tag:yaml.org,2002:merge"

Raw = str | tuple[str, ...] | None
"""A field value as written: a scalar's text, a flat sequence, or null (not available)."""


Entry = tuple[Node, Node]
"""A mapping entry: key node and value node."""


class Expect(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"


@dataclass(frozen=True, slots=True)
class RuleTest:
    """One event of a ``- test:`` item, with its expected outcome for `rule`."""

    rule: str
    expect: Expect
    fields: tuple[tuple[str, Raw, Position], ...]
    position: Position
    index: int = 1
    name: str = ""
    output: str | None = None

    @property
    def label(self) -> str:
        return self.name or f"event {self.index}"


def is_test_file(name: str) -> bool:
    return name.endswith(TEST_SUFFIXES)


class _BadError(Exception):
    def __init__(self, message: str, node: Node | None) -> None:
        super().__init__(message)
        self.node = node


def read_tests(text: str, source: str, result: LoadResult) -> list[RuleTest]:
    """Parse one tests file; problems become errors in `result` with their position."""
    try:
        stream = io.StringIO(text)
        stream.name = source
        docs = list(yaml.compose_all(stream, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Position(source, mark.line + 1, mark.column + 1) if mark else Position(source)
        result.error(ErrorCode.LOAD_ERR_YAML_PARSE, str(exc), "tests content", "", where)
        return []
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        msg = "YAML nesting too deep" if isinstance(exc, RecursionError) else str(exc)
        result.error(ErrorCode.LOAD_ERR_YAML_PARSE, msg, "tests content", "", Position(source))
        return []
    out: list[RuleTest] = []
    budget = [MAX_FIELD_ENTRIES]
    for doc in docs:
        if doc is None or (isinstance(doc, ScalarNode) and doc.tag == NULL_TAG):
            continue
        if not isinstance(doc, SequenceNode):
            _invalid(result, "Tests content is not a yaml array of objects", "", doc, source)
            continue
        for node in doc.value:
            name = _test_name(node)
            try:
                out.extend(_read_item(node, name, source, budget))
            except _BadError as bad:
                _invalid(result, str(bad), name, bad.node, source)
                if budget[0] < 0:
                    return out
    return out


def _invalid(result: LoadResult, message: str, name: str, node: Node | None, src: str) -> None:
    result.error(ErrorCode.LOAD_ERR_YAML_VALIDATE, message, "test", name, pos(node, src))


def _test_name(node: Node) -> str:
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == "test" and isinstance(v, ScalarNode):
                return str(v.value)
    return ""


def _mapping(node: Node, what: str, budget: list[int], depth: int = 0) -> dict[str, Entry]:
    """A mapping's keys, with YAML merge keys (``<<: *base``) applied: explicit keys win
    over merged ones, earlier merge sources over later ones. Every key visited costs one
    unit of `budget`, so aliases cannot make the work explode."""
    if not isinstance(node, MappingNode):
        raise _BadError(f"{what} must be a mapping", node)
    keys: dict[str, Entry] = {}
    merged: dict[str, Entry] = {}
    for k, v in node.value:
        budget[0] -= 1
        if budget[0] < 0:
            raise _BadError("too many keys and values in this tests file", k)
        if isinstance(k, ScalarNode) and k.tag == MERGE_TAG:
            if depth >= MAX_MERGE_DEPTH:
                raise _BadError("merge keys ('<<') nested too deeply", k)
            try:
                for base in v.value if isinstance(v, SequenceNode) else [v]:
                    for bk, bv in _mapping(base, "a merged value", budget, depth + 1).items():
                        merged.setdefault(bk, bv)
            except _BadError as bad:  # point at this mapping's '<<', not an anchor far away
                if depth:
                    raise
                raise _BadError(str(bad), k) from None
            continue
        if not isinstance(k, ScalarNode):
            raise _BadError("keys must be scalars", k)
        if k.value in keys:
            raise _BadError(f"duplicate key '{k.value}'", k)
        keys[str(k.value)] = (k, v)
    return {**merged, **keys}


def _read_item(node: Node, name: str, source: str, budget: list[int]) -> list[RuleTest]:
    keys = _mapping(node, "each item", budget)
    if "test" not in keys:
        raise _BadError("item has no 'test' key (the name of the rule under test)", node)
    for key, (k, _v) in keys.items():
        if key not in ("test", "events"):
            raise _BadError(f"unknown key '{key}' (a test has 'test' and 'events')", k)
    if not name:
        raise _BadError("'test' must name a rule", keys["test"][1])
    events = keys.get("events")
    if events is None:
        raise _BadError("item has no 'events' list", node)
    if not isinstance(events[1], SequenceNode) or not events[1].value:
        raise _BadError("'events' must be a non-empty list of events", events[1])
    return [
        _read_event(ev, name, i, source, budget) for i, ev in enumerate(events[1].value, start=1)
    ]


def _read_event(node: Node, rule: str, index: int, source: str, budget: list[int]) -> RuleTest:
    keys = _mapping(node, "an event", budget)
    fields: list[tuple[str, Raw, Position]] = []
    meta: dict[str, str] = {}
    for key, (k, v) in keys.items():
        if key in EVENT_KEYS:
            if not isinstance(v, ScalarNode) or v.tag == NULL_TAG:
                raise _BadError(f"'{key}' must be a text value", v)
            meta[key] = str(v.value)
        elif "." in key:
            fields.append((key, _raw(v, budget), pos(k, source)))
        else:
            raise _BadError(
                f"unknown key '{key}': an event holds 'expect', 'output', 'name' and field "
                "names such as proc.name",
                k,
            )
    expect = meta.get("expect")
    if expect not in (Expect.MATCH, Expect.NO_MATCH):
        where = keys["expect"][1] if "expect" in keys else node
        raise _BadError("'expect' must be 'match' or 'no_match'", where)
    if "output" in meta and expect == Expect.NO_MATCH:
        raise _BadError("'output' is only checked when the rule is expected to match", node)
    return RuleTest(
        rule,
        Expect(expect),
        tuple(fields),
        pos(node, source),
        index,
        meta.get("name", ""),
        meta.get("output"),
    )


def _raw(node: Node, budget: list[int]) -> Raw:
    if isinstance(node, ScalarNode):
        return None if node.tag == NULL_TAG else str(node.value)
    if isinstance(node, SequenceNode):
        budget[0] -= len(node.value)
        if budget[0] < 0:
            raise _BadError("too many keys and values in this tests file", node)
        items: list[str] = []
        for v in node.value:
            if not isinstance(v, ScalarNode) or v.tag == NULL_TAG:
                raise _BadError("a field's list holds text values only", v)
            items.append(str(v.value))
        return tuple(items)
    raise _BadError("a field value is a scalar or a list of scalars", node)
