"""Event types a condition can match, inferred from its AST as Falco does.

Same algebra as libsinsp's ``ppm_event_codes`` (``filter/ppm_codes.cpp``): ``and`` is
the intersection of its children, ``or`` the union; ``evt.type = x``, ``in (...)`` and
``!=`` give explicit sets; a check on any other field is neutral (all types); negation
is pushed down to the leaves with De Morgan's laws so that ``not proc.name=cat`` stays
neutral while ``not evt.type=open`` becomes "every type but open". Unknown names
contribute nothing. Works on names (the set of all names is the source's catalogue).
"""

from __future__ import annotations

from mamori.rules.ast import And, Binary, Expr, Field, ListValue, MacroRef, Not, Or, Unary, Value

_EVTTYPE_OPS = frozenset({"=", "==", "!=", "in"})


class _Visitor:
    def __init__(self, all_types: frozenset[str]) -> None:
        self.all = all_types
        self.negated = False
        self.has_codes = False

    def invert(self, types: frozenset[str]) -> frozenset[str]:
        return self.all - types if self.has_codes else types

    def maybe_invert(self, types: frozenset[str]) -> frozenset[str]:
        return self.invert(types) if self.negated else types

    def visit(self, e: Expr) -> frozenset[str]:
        if isinstance(e, And):
            return self.union(e.children) if self.negated else self.intersection(e.children)
        if isinstance(e, Or):
            return self.intersection(e.children) if self.negated else self.union(e.children)
        if isinstance(e, Not):
            saved = self.negated
            self.negated = not saved
            out = self.visit(e.child)
            self.negated = saved
            return out
        if isinstance(e, Binary):
            return self.binary(e)
        if isinstance(e, Unary):
            self.has_codes = isinstance(e.operand, Field) and e.operand.name == "evt.type"
            return self.maybe_invert(self.all)
        assert isinstance(e, MacroRef)  # unresolved macro: neutral
        self.has_codes = False
        return self.all

    def intersection(self, children: tuple[Expr, ...]) -> frozenset[str]:
        types = self.all
        for c in children:
            types = types & self.visit(c)
        return types

    def union(self, children: tuple[Expr, ...]) -> frozenset[str]:
        types: frozenset[str] = frozenset()
        for c in children:
            types = types | self.visit(c)
        return types

    def binary(self, e: Binary) -> frozenset[str]:
        self.has_codes = False
        is_evttype = isinstance(e.operand, Field) and e.operand.name == "evt.type"
        if is_evttype and e.op in _EVTTYPE_OPS and isinstance(e.rhs, Value | ListValue):
            names = (e.rhs.value,) if isinstance(e.rhs, Value) else e.rhs.values
            self.has_codes = True
            types = self.maybe_invert(frozenset(names) & self.all)
            if e.op == "!=":
                types = self.invert(types)
            return types
        return self.maybe_invert(self.all)


def event_types(expr: Expr, all_types: frozenset[str]) -> frozenset[str]:
    """The event type names `expr` can be true for (`all_types` when unrestricted)."""
    return _Visitor(all_types).visit(expr)
