"""The rules engine: load rules files into a `RuleSet`, match events against it.

    ruleset = load_files(["falco_rules.yaml", "local.yaml"])
    for msg in ruleset.result.errors: print(msg)
    needed = ruleset.event_types()          # what a sensor must capture
    for m in ruleset.match(event): print(m.priority.label, m.name, m.output)

Rules are indexed by event type, so an event only meets the rules that can match it.
Matching follows Falco's load order; `match` returns every matching rule (Falco's
``rule_matching: all``), `match_first` only the first (Falco's default ``first``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from mamori.rules import reader
from mamori.rules.collector import Collector
from mamori.rules.loader import compile_all
from mamori.rules.priority import Priority
from mamori.rules.result import ErrorCode, LoadResult, Position
from mamori.rules.rule import Match, Rule
from mamori.rules.source import EventSource, FieldError, sources

MAX_FILE_BYTES = 64 * 1024 * 1024
_FIELD_WITH_ARG = re.compile(r"([^\[\]]+)\[(.*)\]")
_NO_INDEX: dict[str, tuple[Rule, ...]] = {}


class RuleSet:
    """Loaded rules, indexed by source and event type."""

    def __init__(
        self, rules: list[Rule], result: LoadResult, sources: Mapping[str, EventSource[Any]]
    ) -> None:
        self.rules = rules
        self.result = result
        self.sources = sources
        self.errors = 0  # rule checks that raised (treated as no match)
        self.required_plugins: list[list[tuple[str, str]]] = []
        """``required_plugin_versions``: per requirement, the accepted (name, version)
        alternatives. Recorded, not enforced: plugins are not loaded here."""
        self._index: dict[str, dict[str, tuple[Rule, ...]]] = {}
        self._untyped: dict[str, tuple[Rule, ...]] = {}
        self._keyed: dict[str, _Keyed] = {}
        self.reindex()

    def reindex(self) -> None:
        """Rebuild the index (call after changing `Rule.enabled`)."""
        by_type: dict[str, dict[str, list[Rule]]] = {}
        untyped: dict[str, list[Rule]] = {}
        for r in self.rules:
            if not r.enabled:
                continue
            if r.event_types is None:
                untyped.setdefault(r.source, []).append(r)
                continue
            index = by_type.setdefault(r.source, {})
            for t in r.event_types:
                index.setdefault(t, []).append(r)
        self._index = {s: {t: tuple(rs) for t, rs in d.items()} for s, d in by_type.items()}
        self._untyped = {s: tuple(rs) for s, rs in untyped.items()}
        self._keyed = {
            s: k for s, rs in self._untyped.items() if (k := _keyed(self.sources, s, rs))
        }

    def get(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)

    def event_types(self, source: str = "syscall") -> frozenset[str]:
        """Union of the event types the enabled rules of `source` need."""
        return frozenset(self._index.get(source, {}))

    def candidates(self, event: Any, source: str = "syscall") -> tuple[Rule, ...]:
        untyped = self._untyped.get(source)
        if untyped is not None:
            keyed = self._keyed.get(source)
            if keyed is None:
                return untyped
            return keyed[1].get(keyed[0](event), keyed[2])
        etype = self.sources[source].event_type(event)
        return self._index.get(source, _NO_INDEX).get(etype, ())

    def match(self, event: Any, source: str = "syscall") -> list[Match]:
        out: list[Match] = []
        for rule in self.candidates(event, source):
            try:
                hit = rule.check(event)
            except Exception:  # a getter that cannot handle this event: no match
                self.errors += 1
                continue
            if hit:
                out.append(_match(rule, event))
        return out

    def match_first(self, event: Any, source: str = "syscall") -> Match | None:
        for rule in self.candidates(event, source):
            try:  # `_check`, inlined: this runs for every rule on every event
                hit = rule.check(event)
            except Exception:  # a getter that cannot handle this event: no match
                self.errors += 1
                continue
            if hit:
                return _match(rule, event)
        return None

    def _check(self, rule: Rule, event: Any) -> bool:
        try:
            return rule.check(event)
        except Exception:  # a getter that cannot handle this event: no match
            self.errors += 1
            return False

    def select(
        self,
        disabled_names: Iterable[str] = (),
        disabled_tags: Iterable[str] = (),
        enabled_tags: Iterable[str] = (),
        min_priority: Priority | None = None,
    ) -> None:
        """Falco's ``-D`` (name substring), ``-T``, ``-t`` and ``priority`` selection."""
        dn, dt, et = list(disabled_names), set(disabled_tags), set(enabled_tags)
        for r in self.rules:
            if any(s in r.name for s in dn) or dt.intersection(r.tags):
                r.enabled = False
            if et and not et.intersection(r.tags):
                r.enabled = False
            if min_priority is not None and r.priority > min_priority:
                r.enabled = False
        self.reindex()


_Keyed = tuple[Callable[[Any], Any], dict[Any, tuple[Rule, ...]], tuple[Rule, ...]]


def _keyed(
    srcs: Mapping[str, EventSource[Any]], source: str, rules: tuple[Rule, ...]
) -> _Keyed | None:
    """A second index for sources without event types that offer one (optional source
    attributes): ``dispatch_key(event)`` gives an event's key (CloudTrail: its lowered
    ``eventName``), ``rule_dispatch(rule)`` the keys a rule can match (or None), unless
    the rule says so itself (`Rule.dispatch`). Key ``ANY_KEY`` selects every rule."""
    src = srcs.get(source)
    key_of = getattr(src, "dispatch_key", None)
    if key_of is None:
        return None
    keys_of = getattr(src, "rule_dispatch", None)
    per_rule = [(r, r.dispatch if r.dispatch is not None or keys_of is None else keys_of(r))
                for r in rules]  # fmt: skip
    if all(k is None for _, k in per_rule):
        return None
    table: dict[Any, tuple[Rule, ...]] = {
        key: tuple(r for r, k in per_rule if k is None or key in k)
        for key in frozenset().union(*(k for _, k in per_rule if k is not None))
    }
    table[ANY_KEY] = rules
    return key_of, table, tuple(r for r, k in per_rule if k is None)


ANY_KEY = "\0any"
"""The dispatch key of an event whose key field cannot be read as one key."""


def _match(rule: Rule, event: Any) -> Match:
    values = rule.output.values(event)
    return Match(rule, rule.output.format(event, values), values)


def _is_field(srcs: Mapping[str, EventSource[Any]]) -> Callable[[str, str], bool]:
    def check(source: str, name: str) -> bool:
        src = srcs.get(source)
        if src is None:
            return True
        m = _FIELD_WITH_ARG.fullmatch(name)
        try:
            if m:
                src.resolve(m.group(1), m.group(2))
            else:
                src.resolve(name)
        except FieldError as exc:
            return "requires an argument" in str(exc)
        return True

    return check


class Engine:
    """Loads rules against a fixed set of event sources (default: every registered one)."""

    def __init__(self, srcs: Mapping[str, EventSource[Any]] | None = None) -> None:
        self.sources = srcs

    def load(self, contents: Iterable[tuple[str, str]]) -> RuleSet:
        return load(contents, self.sources)

    def load_files(self, paths: Iterable[str | Path]) -> RuleSet:
        return load_files(paths, self.sources)


def load(
    contents: Iterable[tuple[str, str]],
    srcs: Mapping[str, EventSource[Any]] | None = None,
) -> RuleSet:
    """Load rules contents ``(name, text)`` in order, like several ``-r`` files."""
    if srcs is None:
        srcs = {name: sources.get(name) for name in sources.names()}
    result = LoadResult()
    col = Collector(result, frozenset(srcs), _is_field(srcs))
    for name, text in contents:
        reader.read(text, name, col, result)
    rules = compile_all(col, srcs, result)
    ruleset = RuleSet(rules, result, srcs)
    ruleset.required_plugins = col.required_plugins
    return ruleset


def load_files(
    paths: Iterable[str | Path], srcs: Mapping[str, EventSource[Any]] | None = None
) -> RuleSet:
    """Load rules files in order; unreadable files become ``LOAD_ERR_FILE_READ`` errors."""
    contents: list[tuple[str, str]] = []
    pre = LoadResult()
    for p in paths:
        path = Path(p)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise OSError(f"file larger than {MAX_FILE_BYTES} bytes")
            contents.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
        except OSError as exc:
            pre.error(
                ErrorCode.LOAD_ERR_FILE_READ, str(exc), "rules content", "", Position(str(path))
            )
    ruleset = load(contents, srcs)
    ruleset.result.errors[:0] = pre.errors
    return ruleset
