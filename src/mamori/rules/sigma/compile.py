"""A Sigma rule's condition tree (as pySigma parses it) compiled to one predicate.

pySigma resolves the condition text (``selection and not 1 of filter_*``, ``all of
them``, parentheses) and the detections into a tree of AND/OR/NOT whose leaves are
field = value (or keyword) expressions, modifiers already applied. Here that tree
becomes nested closures over the raw record:

- an OR of leaves on one field becomes one field test (one getter call, one set
  lookup for plain strings);
- AND children are ordered cheap-first (plain top-level string tests first), which
  is free since Sigma conditions have no side effects;
- keywords (values without a field) search every scalar of the record for the
  value as a substring, as Sigma's full-text keywords mean.

`dispatch_keys` reads, from the same tree, the values a field (CloudTrail's
``eventName``) must take for the rule to match, so the engine can skip the rule for
other events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.types import SigmaCasedString, SigmaString, SigmaType, SpecialChars

from mamori.rules.sigma.fields import COMPLEX, Values, leaves, render, scalar_path
from mamori.rules.sigma.values import SigmaCompileError, compile_values

Predicate = Callable[[Any], bool]
Node = Any  # a pySigma condition node


def _and(preds: list[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda ev: a(ev) and b(ev)
    if len(preds) == 3:
        a, b, c = preds
        return lambda ev: a(ev) and b(ev) and c(ev)
    ps = tuple(preds)
    return lambda ev: all(p(ev) for p in ps)


def _or(preds: list[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda ev: a(ev) or b(ev)
    ps = tuple(preds)
    return lambda ev: any(p(ev) for p in ps)


def _plain(values: list[SigmaType]) -> frozenset[str] | None:
    """Lowered literals when every value is a plain case-insensitive string."""
    out = set()
    for v in values:
        if type(v) is not SigmaString or not all(isinstance(p, str) for p in v.s):
            return None
        out.add("".join(str(p) for p in v.s).lower())
    return frozenset(out)


class Compiler:
    """Compiles condition trees of one source (`resolve`: field name -> getter)."""

    def __init__(
        self,
        resolve: Callable[[str], Values],
        top_key: Callable[[str], str | None],
        single_path: Callable[[str], str | None],
    ):
        self.resolve = resolve
        self.top_key = top_key  # the record key a field reads directly, if it is one
        self.single_path = single_path  # the one raw path a field reads, if it is one

    def compile(self, node: Node) -> Predicate:
        return self._node(node)[0]

    def _node(self, node: Node) -> tuple[Predicate, int]:
        """The predicate and a cost rank (lower runs first inside an AND)."""
        if isinstance(node, ConditionFieldEqualsValueExpression):
            return self._field(node.field, [node.value])
        if isinstance(node, ConditionValueExpression):
            return self._keywords([node.value]), 9
        if isinstance(node, ConditionNOT):
            inner, cost = self._node(node.args[0])
            return (lambda ev: not inner(ev)), cost + 1
        if isinstance(node, ConditionOR):
            return self._or(_flat(node, ConditionOR))
        if isinstance(node, ConditionAND):
            parts = sorted((self._node(c) for c in _flat(node, ConditionAND)), key=lambda p: p[1])
            return _and([p for p, _ in parts]), max(c for _, c in parts)
        raise SigmaCompileError(f"unsupported condition node {type(node).__name__}")

    def _or(self, children: list[Node]) -> tuple[Predicate, int]:
        by_field: dict[str, list[SigmaType]] = {}
        keywords: list[SigmaType] = []
        others: list[tuple[Predicate, int]] = []
        for c in children:
            if isinstance(c, ConditionFieldEqualsValueExpression):
                by_field.setdefault(c.field, []).append(c.value)
            elif isinstance(c, ConditionValueExpression):
                keywords.append(c.value)
            else:
                others.append(self._node(c))
        parts = [self._field(f, vs) for f, vs in by_field.items()]
        if keywords:
            parts.append((self._keywords(keywords), 9))
        parts += others
        parts.sort(key=lambda p: p[1])
        return _or([p for p, _ in parts]), max(c for _, c in parts)

    def _field(self, name: str, values: list[SigmaType]) -> tuple[Predicate, int]:
        key = self.top_key(name)
        plain = _plain(values)
        if key is not None and plain is not None:
            return _top_strings(key, plain, self.resolve(name)), 0
        path = self.single_path(name)
        if path is not None and plain is not None:
            return _path_strings(scalar_path(path), plain, self.resolve(name)), 1
        get = self.resolve(name)
        tests = compile_values(values, self.resolve)
        if len(tests) == 1:
            (t,) = tests
            return (lambda ev: t(get(ev), ev)), 2 if key is not None else 3

        def check(ev: Any) -> bool:
            vals = get(ev)
            return any(t(vals, ev) for t in tests)

        return check, 4

    def _keywords(self, values: list[SigmaType]) -> Predicate:
        wrapped: list[SigmaType] = []
        for v in values:
            if not isinstance(v, SigmaString):
                raise SigmaCompileError(f"unsupported keyword value {type(v).__name__}")
            w = v.__class__(v.original) if isinstance(v, SigmaCasedString) else SigmaString()
            w.s = [SpecialChars.WILDCARD_MULTI, *v.s, SpecialChars.WILDCARD_MULTI]
            wrapped.append(w)
        tests = compile_values(wrapped, self.resolve)

        def check(ev: Any) -> bool:
            found: list[Any] = []
            leaves(ev, found)
            vals = tuple(found)
            return any(t(vals, ev) for t in tests)

        return check


def _flat(node: Node, kind: type) -> list[Node]:
    out: list[Node] = []
    for c in node.args:
        if isinstance(c, kind):
            out.extend(_flat(c, kind))
        else:
            out.append(c)
    return out


def _top_strings(key: str, exact: frozenset[str], get: Values) -> Predicate:
    """The common case: a top-level string field equal to one of some literals."""

    def check(ev: Any) -> bool:
        v = ev.get(key)
        if v.__class__ is str:
            return v.lower() in exact
        return any(isinstance(s, str | int | float) and _text(s).lower() in exact for s in get(ev))

    return check


def _path_strings(scalar: Callable[[Any], Any], exact: frozenset[str], get: Values) -> Predicate:
    """A nested field equal to one of some literals: dict steps without building tuples."""

    def check(ev: Any) -> bool:
        v = scalar(ev)
        if v.__class__ is str:
            return v.lower() in exact
        if v is None:
            return False
        if v is not COMPLEX:
            return _text(v).lower() in exact
        return any(isinstance(s, str | int | float) and _text(s).lower() in exact for s in get(ev))

    return check


def _text(v: Any) -> str:
    return render(v) or ""


def dispatch_keys(node: Node, is_key_field: Callable[[str], bool]) -> frozenset[str] | None:
    """Lowered values the key field must equal for `node` to hold (None: unrestricted)."""
    if isinstance(node, ConditionFieldEqualsValueExpression):
        if not is_key_field(node.field):
            return None
        return _plain([node.value]) or _cased_plain(node.value)
    if isinstance(node, ConditionOR):
        keys: set[str] = set()
        for c in _flat(node, ConditionOR):
            k = dispatch_keys(c, is_key_field)
            if k is None:
                return None
            keys |= k
        return frozenset(keys)
    if isinstance(node, ConditionAND):
        found = [dispatch_keys(c, is_key_field) for c in _flat(node, ConditionAND)]
        restricting = [k for k in found if k is not None]
        if not restricting:
            return None
        return frozenset.intersection(*restricting)
    return None


def _cased_plain(value: SigmaType) -> frozenset[str] | None:
    if isinstance(value, SigmaCasedString) and all(isinstance(p, str) for p in value.s):
        return frozenset({"".join(str(p) for p in value.s).lower()})
    return None
