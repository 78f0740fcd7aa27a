"""Compile a resolved condition AST into one Python closure per rule.

No tree is interpreted per event: each node becomes a closure that calls its
children's closures directly, ``and``/``or`` short-circuit, literals are converted and
lists frozen once. Missing values follow libsinsp: a check whose field is not
available for the event is false, whatever the operator (``!=`` too), so ``not`` of it
is true.

Field values: a getter returns ``None`` when the field is not available. A getter of a
non-list field may return a tuple to mean "any of these" (``proc.aname`` without an
index matches any ancestor); for list fields (``FieldInfo.is_list``) ``in`` means every
value is in the set and ``intersects`` means at least one is, as in libsinsp.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import posixpath
from collections.abc import Callable, Sequence
from typing import Any

from mamori.rules.ast import (
    And,
    Binary,
    Expr,
    Field,
    FieldValue,
    ListValue,
    MacroRef,
    Not,
    Operand,
    Or,
    Transform,
    Unary,
    Value,
)
from mamori.rules.ops import (
    OpError,
    check_allowed,
    make_pair,
    make_pred,
    parse_int,
    parse_literal,
)
from mamori.rules.source import EventSource, FieldError, FieldInfo, FieldRef, FieldType

Check = Callable[[Any], bool]
Getter = Callable[[Any], Any]


class CompileError(ValueError):
    """A condition that does not compile. `unknown` marks unknown fields/event types,
    the errors ``skip-if-unknown-filter`` turns into warnings."""

    def __init__(self, message: str, pos: int = 0, unknown: bool = False) -> None:
        super().__init__(message)
        self.pos = pos
        self.unknown = unknown


class Compiled:
    """What compiling one condition produced."""

    def __init__(self, check: Check, fields: list[FieldRef]) -> None:
        self.check = check
        self.fields = fields


def resolve_field(source: EventSource[Any], f: Field) -> tuple[FieldInfo, FieldRef]:
    try:
        return source.resolve(f.name, f.arg)
    except FieldError as exc:
        msg = str(exc)
        raise CompileError(msg, f.pos, unknown="nonexistent field" in msg) from None


MEMO_SOURCES = frozenset({"syscall"})
"""Sources whose events carry a per-event ``memo`` dict (`EventView.memo`)."""
_SLOTS = itertools.count()  # memo keys: unique across loads (two rulesets, one event)


class SharedChecks:
    """Macro bodies shared by the rules of one load, compiled once and memoized per
    event (see `Compiler`). ``roots`` are the ids of the resolved macro expressions (the
    loader hands every rule the same expression object for a macro)."""

    def __init__(self, roots: frozenset[int]) -> None:
        self.roots = roots
        self.compiled: dict[int, tuple[Check, list[FieldRef]]] = {}


class Compiler:
    """Compiles conditions of one source.

    With `shared` (sources whose events carry a per-event ``memo`` dict: the ``syscall``
    `EventView`), a macro's body is compiled once for all the rules that use it, and its
    result is kept in the event's memo: the 17 default rules of an ``openat`` evaluate
    ``mamori_open_write`` once, not 17 times. Events without a memo are evaluated
    directly."""

    def __init__(self, source: EventSource[Any], shared: SharedChecks | None = None) -> None:
        self.source = source
        self.shared = shared
        self.fields: list[FieldRef] = []
        self._getters: dict[FieldRef, Getter] = {}

    def compile(self, expr: Expr) -> Compiled:
        self.fields = []
        try:
            return Compiled(self._expr(expr), self.fields)
        except RecursionError:
            raise CompileError("condition is nested too deeply") from None

    # -- boolean structure --------------------------------------------------------------

    def _expr(self, e: Expr) -> Check:
        shared = self.shared
        if shared is not None and id(e) in shared.roots and isinstance(e, And | Or):
            done = shared.compiled.get(id(e))
            if done is None:
                outer, self.fields = self.fields, []
                try:
                    done = (_memoized(self._plain(e), next(_SLOTS)), self.fields)
                finally:
                    self.fields = outer
                shared.compiled[id(e)] = done
            self.fields.extend(done[1])
            return done[0]
        return self._plain(e)

    def _plain(self, e: Expr) -> Check:
        if isinstance(e, And):
            return _all([self._expr(c) for c in e.children])
        if isinstance(e, Or):
            return _any([self._expr(c) for c in e.children])
        if isinstance(e, Not):
            inner = self._expr(e.child)
            return lambda ev: not inner(ev)
        if isinstance(e, Unary):
            getter, _t, _l, _m = self._operand(e.operand)
            return _exists(getter)
        if isinstance(e, Binary):
            return self._binary(e)
        assert isinstance(e, MacroRef)
        raise CompileError(f"Undefined macro '{e.name}' used in filter.", e.pos)

    # -- operands -------------------------------------------------------------------------

    def _getter(self, ref: FieldRef) -> Getter:
        g = self._getters.get(ref)
        if g is None:
            g = self._getters[ref] = self.source.compile_field(ref)
        return g

    def _operand(self, o: Operand) -> tuple[Getter, FieldType, bool, bool]:
        """Getter, value type, list-ness, and whether a non-list value may come as a
        tuple of alternatives (an optional argument left out: ``proc.aname``)."""
        if isinstance(o, Field):
            info, ref = resolve_field(self.source, o)
            self.fields.append(ref)
            multi = info.arg is not None and not info.arg.required and ref.arg is None
            getter = self._getter(ref)
            # a getter may declare that it answers "any of these" tuples (fd.port: client
            # or server port), which the inlined fast checks do not handle
            multi = multi or bool(getattr(getter, "multi", False))
            return getter, info.type, info.is_list, multi
        getter, ftype, is_list, multi = self._operand(o.operand)
        getter, ftype, is_list = _transform(o, getter, ftype, is_list)
        return getter, ftype, is_list, multi and o.name != "len"

    # -- comparisons -----------------------------------------------------------------------

    def _binary(self, e: Binary) -> Check:
        getter, ftype, is_list, multi = self._operand(e.operand)
        name = str(e.operand)
        try:
            if ftype is not FieldType.DYNAMIC:
                check_allowed(e.op, ftype, name)
            if is_list and e.op not in ("in", "intersects"):
                raise OpError(
                    f"list filter '{name}' only supports operators 'exists', 'in' and 'intersects'"
                )
            if isinstance(e.rhs, FieldValue):
                return self._field_value(e, getter, ftype, is_list)
            self._check_event_types(e)
            if isinstance(e.rhs, ListValue):
                if e.op not in ("in", "intersects", "pmatch"):
                    raise OpError(f"operator '{e.op}' does not take a list")
                literals = [parse_literal(v, ftype, e.op) for v in e.rhs.values]
                if ftype is FieldType.DYNAMIC:
                    literals = [*e.rhs.values, *(_maybe_int(v) for v in e.rhs.values)]
                if is_list:
                    return _list_check(getter, e.op, frozenset(literals))
                fast = None if multi else _fast(getter, e.op, ftype, None, literals)
                return fast or _scalar(getter, make_pred(e.op, ftype, None, literals))
            assert isinstance(e.rhs, Value)
            if ftype is FieldType.DYNAMIC:
                return _dynamic(getter, e.op, e.rhs.value)
            literal = parse_literal(e.rhs.value, ftype, e.op)
            fast = None if multi else _fast(getter, e.op, ftype, literal, (literal,))
            return fast or _scalar(getter, make_pred(e.op, ftype, literal, (literal,)))
        except OpError as exc:
            raise CompileError(str(exc), e.pos) from None

    def _check_event_types(self, e: Binary) -> None:
        known = self.source.event_types
        if not known or not isinstance(e.operand, Field) or e.operand.name != "evt.type":
            return
        if e.op not in ("=", "==", "!=", "in"):
            return
        values = e.rhs.values if isinstance(e.rhs, ListValue) else (e.rhs.value,)  # type: ignore[union-attr]
        for v in values:
            if v not in known:
                raise CompileError(f"unknown event type {v}", e.pos, unknown=True)

    def _field_value(self, e: Binary, getter: Getter, ftype: FieldType, is_list: bool) -> Check:
        assert isinstance(e.rhs, FieldValue)
        rgetter, rtype, rlist, _multi = self._operand(e.rhs.operand)
        if (rtype, rlist) != (ftype, is_list) and FieldType.DYNAMIC not in (ftype, rtype):
            lt = f"{ftype}{' (list)' if is_list else ''}"
            rt = f"{rtype}{' (list)' if rlist else ''}"
            raise OpError(
                f"field '{e.operand}' has type '{lt}' while the right-hand side field "
                f"'{e.rhs.operand}' has incompatible type '{rt}'"
            )
        pair = make_pair(e.op, ftype)

        def check(ev: Any) -> bool:
            a = getter(ev)
            if a is None:
                return False
            b = rgetter(ev)
            if b is None:
                return False
            if a.__class__ is tuple:
                return any(pair(x, b) for x in a)
            return bool(pair(a, b))

        return check


def _maybe_int(text: str) -> Any:
    try:
        return parse_int(text)
    except ValueError:
        return text


def _memoized(inner: Check, slot: int) -> Check:
    """`inner`, its result kept in the event's ``memo`` dict under `slot`."""

    def check(ev: Any) -> bool:
        memo = getattr(ev, "memo", None)
        if memo is None:
            return inner(ev)
        r: bool | None = memo.get(slot)
        if r is None:
            r = memo[slot] = bool(inner(ev))
        return r

    return check


def _all(checks: list[Check]) -> Check:
    if len(checks) == 2:
        a, b = checks
        return lambda ev: a(ev) and b(ev)
    if len(checks) == 3:
        a, b, c = checks
        return lambda ev: a(ev) and b(ev) and c(ev)
    items = tuple(checks)

    def check(ev: Any) -> bool:
        for c in items:  # noqa: SIM110 - a loop is faster than all(genexpr)
            if not c(ev):
                return False
        return True

    return check


def _any(checks: list[Check]) -> Check:
    if len(checks) == 2:
        a, b = checks
        return lambda ev: a(ev) or b(ev)
    if len(checks) == 3:
        a, b, c = checks
        return lambda ev: a(ev) or b(ev) or c(ev)
    items = tuple(checks)

    def check(ev: Any) -> bool:
        for c in items:  # noqa: SIM110 - a loop is faster than any(genexpr)
            if c(ev):
                return True
        return False

    return check


def _fast(getter: Getter, op: str, ftype: FieldType, c: Any, values: Sequence[Any]) -> Check | None:
    """Checks with the predicate inlined, for single-valued string and number fields:
    one call less per check. None when the generic path is needed."""
    if not (ftype is FieldType.STRING or (ftype.numeric and ftype is not FieldType.DOUBLE)):
        return None
    g = getter
    if op in ("=", "=="):
        return lambda ev: g(ev) == c
    if op in ("in", "intersects"):
        members = frozenset(values)
        return lambda ev: g(ev) in members
    if op == "!=":

        def ne(ev: Any) -> bool:
            v = g(ev)
            return v is not None and bool(v != c)

        return ne
    if ftype is not FieldType.STRING:
        return None
    if op == "startswith":

        def startswith(ev: Any) -> bool:
            v = g(ev)
            return v is not None and bool(v.startswith(c))

        return startswith
    if op == "endswith":

        def endswith(ev: Any) -> bool:
            v = g(ev)
            return v is not None and bool(v.endswith(c))

        return endswith
    if op == "contains":

        def contains(ev: Any) -> bool:
            v = g(ev)
            return v is not None and c in v

        return contains
    return None


def _exists(getter: Getter) -> Check:
    def check(ev: Any) -> bool:
        v = getter(ev)
        return v is not None and not (v.__class__ is tuple and not v)

    return check


def _scalar(getter: Getter, pred: Callable[[Any], bool]) -> Check:
    def check(ev: Any) -> bool:
        v = getter(ev)
        if v is None:
            return False
        if v.__class__ is tuple:
            for x in v:  # noqa: SIM110
                if pred(x):
                    return True
            return False
        return bool(pred(v))

    return check


def _list_check(getter: Getter, op: str, values: frozenset[Any]) -> Check:
    def check(ev: Any) -> bool:
        v = getter(ev)
        if not v:
            return False
        if op == "in":
            return all(x in values for x in v)
        return any(x in values for x in v)

    return check


def _dynamic(getter: Getter, op: str, text: str) -> Check:
    """``evt.rawarg.*``: the literal is read as the parameter's type at run time."""
    as_int = _maybe_int(text)
    str_pred = make_pred(op, FieldType.STRING, text, (text,))
    int_pred = (
        make_pred(op, FieldType.INT64, as_int, (as_int,)) if isinstance(as_int, int) else None
    )

    def check(ev: Any) -> bool:
        v = getter(ev)
        if v is None:
            return False
        if isinstance(v, int) and not isinstance(v, bool):
            return int_pred is not None and bool(int_pred(v))
        return bool(str_pred(v if isinstance(v, str) else str(v)))

    return check


def _b64(v: Any) -> Any:
    try:
        raw = base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    return raw.decode("utf-8", "replace") if isinstance(v, str) else raw


_STRING_FNS: dict[str, Callable[[Any], Any]] = {
    "tolower": lambda v: v.lower(),
    "toupper": lambda v: v.upper(),
    "basename": lambda v: posixpath.basename(v) if isinstance(v, str) else v,
    "b64": _b64,
}


def _transform(
    o: Transform, getter: Getter, ftype: FieldType, is_list: bool
) -> tuple[Getter, FieldType, bool]:
    if ftype not in (FieldType.STRING, FieldType.BYTES, FieldType.DYNAMIC):
        raise CompileError(
            f"can't add field transformer: type '{ftype}' is not supported by '{o.name}' "
            f"transformer applied on {'list ' if is_list else ''}field '{o.operand}'",
            o.pos,
        )
    if o.name == "len":

        def length(ev: Any) -> Any:
            v = getter(ev)
            return None if v is None else len(v)

        return length, FieldType.UINT64, False
    fn = _STRING_FNS[o.name]

    def apply(ev: Any) -> Any:
        v = getter(ev)
        if v is None:
            return None
        if v.__class__ is tuple:
            return tuple(fn(x) for x in v)
        return fn(v)

    return apply, ftype, is_list
