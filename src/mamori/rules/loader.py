"""Stage 3 of loading: lists and macros resolved, rule conditions and outputs compiled.

Follows Falco's ``rule_loader_compiler.cpp``:

- a list's items may name lists defined before it (one level, as Falco does);
- list names in conditions are replaced in definition order, each replacement open to
  lists defined later (this reproduces Falco's textual substitution token by token);
- every macro is parsed (so syntax errors and loops surface even in unused macros) and
  resolved against the macros visible to it; rules see every macro;
- a rule's output is validated before its condition; unknown fields are errors, or
  ``LOAD_UNKNOWN_FILTER`` warnings that skip the rule with ``skip-if-unknown-filter``;
- warnings: ``LOAD_NO_EVTTYPE``, ``LOAD_UNSAFE_NA_CHECK``, ``LOAD_DEPRECATED_ITEM``,
  ``LOAD_UNUSED_MACRO``, ``LOAD_UNUSED_LIST``.

Unlike Falco, which stops at the first compile error, every item is compiled and every
error reported; an item with an error is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mamori.rules.ast import And, Binary, Expr, Field, ListValue, MacroRef, Not, Or, Unary, Value
from mamori.rules.collector import Collector, ItemError, RuleInfo
from mamori.rules.compiler import MEMO_SOURCES, CompileError, Compiler, SharedChecks
from mamori.rules.evttypes import event_types
from mamori.rules.exceptions import with_exceptions
from mamori.rules.output import OutputError, OutputFormat
from mamori.rules.parser import ParseError, parse, unescape
from mamori.rules.result import ErrorCode, LoadResult, WarningCode
from mamori.rules.rule import Rule
from mamori.rules.source import EventSource

MAX_NODES = 100_000
"""Largest condition after macro expansion (Falco's rulesets stay under 500 nodes);
macros referring to each other twice per level would otherwise grow exponentially."""
NO_EVTTYPE_LIMIT = 50
"""Falco warns above 100 event codes; each event name has an enter and an exit code."""
_DEPRECATED = {
    "evt.dir": "due to the drop of enter events, 'evt.dir = <' always evaluates to true, and "
    "'evt.dir = >' always evaluates to false. The rule expression can be simplified by "
    "removing the condition on 'evt.dir'",
    "evt.wait_latency": "field is not available due to the drop of enter events.",
    **{
        f: "field is not available due to the drop of enter events."
        for f in ("evt.latency", "evt.latency.s", "evt.latency.ns", "evt.latency.human")
    },
}
_EQ_OPS = frozenset({"=", "==", "!=", "in", "intersects", "pmatch"})


class _Lists:
    """List expansion with Falco's visibility and substitution order; tracks use."""

    def __init__(self, col: Collector) -> None:
        self.order = {name: i for i, name in enumerate(col.lists)}
        self.used: set[str] = set()
        self.items: dict[str, list[str]] = {}
        for name, info in col.lists.items():
            out: list[str] = []
            for item in info.items:
                ref = col.lists.get(item)
                if ref is not None and ref.index < info.visibility:
                    self.used.add(item)
                    out.extend(ref.items)
                else:
                    out.append(item)
            self.items[name] = out

    def expand(self, value: str, start: int = 0) -> list[str]:
        i = self.order.get(value)
        if i is None or i < start:
            return [value]
        self.used.add(value)
        out: list[str] = []
        for item in self.items[value]:
            if len(item) >= 2 and item[0] in "\"'" and item[-1] == item[0]:
                try:
                    out.append(unescape(item))
                except ValueError:
                    out.append(item)
            elif " " in item:
                out.append(item)
            else:
                out.extend(self.expand(item, i + 1))
        return out


class _Macros:
    def __init__(self, col: Collector, lists: _Lists, result: LoadResult) -> None:
        self.col = col
        self.parsed: dict[str, Expr] = {}
        self.resolved: dict[str, Expr] = {}
        self.failed: set[str] = set()
        self.used: set[str] = set()
        for name, m in col.macros.items():
            try:
                self.parsed[name] = parse(m.condition, lists.expand)
            except ParseError as exc:
                self.failed.add(name)
                result.error(
                    ErrorCode.LOAD_ERR_COMPILE_CONDITION,
                    str(exc),
                    "macro",
                    name,
                    m.cond_position.at(exc.pos) if m.cond_position else None,
                )
        for name, m in col.macros.items():
            if name in self.failed:
                continue
            try:
                self.resolved[name] = self.substitute(self.parsed[name], m.visibility, [name])
            except ItemError as err:
                self.failed.add(name)
                result.error(err.code, err.message, "macro", name, m.position)
            except RecursionError:
                self.failed.add(name)
                result.error(
                    ErrorCode.LOAD_ERR_VALIDATE,
                    "macro nested too deeply",
                    "macro",
                    name,
                    m.position,
                )

    def substitute(self, e: Expr, visibility: int, stack: list[str]) -> Expr:
        if isinstance(e, MacroRef):
            m = self.col.macros.get(e.name)
            if m is None or m.index >= visibility:
                raise ItemError(
                    ErrorCode.LOAD_ERR_VALIDATE, f"Undefined macro '{e.name}' used in filter.", None
                )
            if e.name in stack:
                raise ItemError(
                    ErrorCode.LOAD_ERR_VALIDATE, f"reference loop in macro '{e.name}'", None
                )
            if e.name in self.failed:
                raise ItemError(ErrorCode.LOAD_ERR_VALIDATE, f"macro '{e.name}' has errors", None)
            self.used.add(e.name)
            done = self.resolved.get(e.name)
            if done is not None:
                return done
            return self.substitute(self.parsed[e.name], visibility, [*stack, e.name])
        if isinstance(e, And):
            return And(tuple(self.substitute(c, visibility, stack) for c in e.children), e.pos)
        if isinstance(e, Or):
            return Or(tuple(self.substitute(c, visibility, stack) for c in e.children), e.pos)
        if isinstance(e, Not):
            return Not(self.substitute(e.child, visibility, stack), e.pos)
        return e


def compile_all(
    col: Collector, sources: Mapping[str, EventSource[Any]], result: LoadResult
) -> list[Rule]:
    lists = _Lists(col)
    macros = _Macros(col, lists, result)
    rules: list[Rule] = []
    # macro bodies shared by rules are compiled once per source and memoized per event
    roots = frozenset(id(e) for e in macros.resolved.values() if isinstance(e, And | Or))
    shared = {name: SharedChecks(roots) for name in MEMO_SOURCES}
    for info in col.rules.values():
        if info.unknown_source:
            continue
        rule = _compile_rule(
            info, sources[info.source], lists, macros, result, shared.get(info.source)
        )
        if rule is not None:
            rules.append(rule)
    for name, m in col.macros.items():
        if name not in macros.used:
            result.warn(
                WarningCode.LOAD_UNUSED_MACRO,
                "Macro not referred to by any other rule/macro",
                "macro",
                name,
                m.position,
            )
    for name, li in col.lists.items():
        if name not in lists.used:
            result.warn(
                WarningCode.LOAD_UNUSED_LIST,
                "List not referred to by any other rule/macro",
                "list",
                name,
                li.position,
            )
    return rules


def _compile_rule(
    info: RuleInfo,
    source: EventSource[Any],
    lists: _Lists,
    macros: _Macros,
    result: LoadResult,
    shared: SharedChecks | None = None,
) -> Rule | None:
    def err(code: ErrorCode, msg: str, where: Any = None) -> None:
        result.error(code, msg, "rule", info.name, where or info.position)

    try:
        condition = (
            with_exceptions(info.condition, info.exceptions) if info.exceptions else info.condition
        )
    except ItemError as exc:
        itype, iname = exc.item or ("rule", info.name)
        result.error(exc.code, exc.message, itype, iname, exc.position)
        return None
    out_fmt = info.output
    if "%container.info" in out_fmt:
        result.warn(
            WarningCode.LOAD_DEPRECATED_ITEM,
            "%container.info is deprecated and no more useful, and will be dropped by Falco "
            "1.0.0. The container plugin will automatically add required fields to the "
            "output message.",
            "rule",
            info.name,
            info.position,
        )
        out_fmt = out_fmt.replace("%container.info", "")
    try:
        output = OutputFormat(out_fmt, source)
    except OutputError as exc:
        if info.skip_if_unknown_filter and "invalid formatting token" in str(exc):
            result.warn(
                WarningCode.LOAD_UNKNOWN_FILTER, str(exc), "rule", info.name, info.output_position
            )
            return None
        err(ErrorCode.LOAD_ERR_COMPILE_OUTPUT, str(exc), info.output_position)
        return None
    for name, desc in _DEPRECATED.items():
        if "%" + name in info.output:
            result.warn(
                WarningCode.LOAD_DEPRECATED_ITEM, desc, "rule", info.name, info.output_position
            )
    try:
        ast = parse(condition, lists.expand)
    except ParseError as exc:
        where = info.cond_position.at(exc.pos) if info.cond_position else None
        err(ErrorCode.LOAD_ERR_COMPILE_CONDITION, str(exc), where)
        return None
    try:
        ast = macros.substitute(ast, 1 << 62, [])
    except ItemError as exc:
        err(exc.code, exc.message, info.cond_position)
        return None
    except RecursionError:
        err(ErrorCode.LOAD_ERR_COMPILE_CONDITION, "condition nested too deeply", info.cond_position)
        return None
    if _size(ast, {}) > MAX_NODES:
        msg = f"condition has more than {MAX_NODES} nodes after macro expansion"
        err(ErrorCode.LOAD_ERR_COMPILE_CONDITION, msg, info.cond_position)
        return None
    _warn_condition(ast, info, result)
    try:
        compiled = Compiler(source, shared).compile(ast)
    except CompileError as exc:
        where = info.cond_position.at(exc.pos) if info.cond_position else None
        if exc.unknown and info.skip_if_unknown_filter:
            result.warn(WarningCode.LOAD_UNKNOWN_FILTER, str(exc), "rule", info.name, where)
            return None
        err(ErrorCode.LOAD_ERR_COMPILE_CONDITION, str(exc), where)
        return None
    types: frozenset[str] | None = None
    if source.event_types:
        types = event_types(ast, source.event_types)
        if info.warn_evttypes and (not types or len(types) > NO_EVTTYPE_LIMIT):
            result.warn(
                WarningCode.LOAD_NO_EVTTYPE,
                "Rule matches too many evt.type values. This has a significant performance "
                "penalty.",
                "rule",
                info.name,
                info.position,
            )
    return Rule(
        name=info.name,
        desc=info.desc,
        priority=info.priority,
        source=info.source,
        tags=tuple(info.tags),
        enabled=info.enabled,
        condition=condition,
        ast=ast,
        check=compiled.check,
        output=output,
        event_types=types,
        condition_fields=tuple(dict.fromkeys(compiled.fields)),
        position=info.position,
        index=info.index,
    )


def _warn_condition(ast: Expr, info: RuleInfo, result: LoadResult) -> None:
    """Falco's ``filter_warning_resolver``: unsafe ``<NA>`` checks, deprecated fields."""
    seen: set[str] = set()
    unsafe = False
    stack: list[Expr] = [ast]
    while stack:
        e = stack.pop()
        if isinstance(e, And | Or):
            stack.extend(e.children)
        elif isinstance(e, Not):
            stack.append(e.child)
        elif isinstance(e, Binary | Unary):
            f = e.operand
            if isinstance(f, Field) and f.name in _DEPRECATED:
                seen.add(f.name)
            if (
                isinstance(e, Binary)
                and isinstance(f, Field)
                and f.name.startswith(("ka.", "jevt."))
                and e.op in _EQ_OPS
                and _has_na(e.rhs)
            ):
                unsafe = True
    if unsafe:
        result.warn(
            WarningCode.LOAD_UNSAFE_NA_CHECK,
            "Unsafe <NA> comparison in condition",
            "rule",
            info.name,
            info.cond_position,
        )
    for name in sorted(seen):
        result.warn(
            WarningCode.LOAD_DEPRECATED_ITEM,
            _DEPRECATED[name],
            "rule",
            info.name,
            info.cond_position,
        )


def _has_na(rhs: object) -> bool:
    if isinstance(rhs, Value):
        return rhs.value == "<NA>"
    if isinstance(rhs, ListValue):
        return "<NA>" in rhs.values
    return False


def _size(e: Expr, memo: dict[int, int]) -> int:
    """Node count of the expanded tree, computed on the shared DAG in linear time."""
    key = id(e)
    if key in memo:
        return memo[key]
    if isinstance(e, And | Or):
        n = 1 + sum(_size(c, memo) for c in e.children)
    elif isinstance(e, Not):
        n = 1 + _size(e.child, memo)
    else:
        n = 1
    memo[key] = n
    return n
