"""The condition AST (the shape of libsinsp's ``filter/ast.h``, in Python).

Nodes are immutable. ``pos`` is the 0-based offset of the node in the condition text,
used for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass

TRANSFORMERS = frozenset({"tolower", "toupper", "b64", "basename", "len"})

UNARY_OPS = frozenset({"exists"})
LIST_OPS = frozenset({"in", "intersects", "pmatch"})
BINARY_OPS = frozenset(
    {"=", "==", "!=", "<", "<=", ">", ">="}
    | {"contains", "icontains", "bcontains", "startswith", "bstartswith", "endswith"}
    | {"glob", "iglob", "regex"}
)
ALL_OPS = UNARY_OPS | LIST_OPS | BINARY_OPS


@dataclass(frozen=True, slots=True)
class Field:
    """A field reference as written: ``proc.aname[2]`` -> name ``proc.aname``, arg ``2``."""

    name: str
    arg: str | None = None
    pos: int = 0

    def __str__(self) -> str:
        return self.name if self.arg is None else f"{self.name}[{self.arg}]"


@dataclass(frozen=True, slots=True)
class Transform:
    """A transformer applied to a field or to another transformer: ``tolower(proc.name)``."""

    name: str
    operand: Field | Transform
    pos: int = 0

    def __str__(self) -> str:
        return f"{self.name}({self.operand})"


Operand = Field | Transform


def base_field(operand: Operand) -> Field:
    """The field under any transformers."""
    while isinstance(operand, Transform):
        operand = operand.operand
    return operand


@dataclass(frozen=True, slots=True)
class Value:
    """A literal (quotes removed, escapes resolved)."""

    value: str
    pos: int = 0


@dataclass(frozen=True, slots=True)
class ListValue:
    """A literal list ``(a, "b c", d)``; list references are already expanded."""

    values: tuple[str, ...]
    pos: int = 0


@dataclass(frozen=True, slots=True)
class FieldValue:
    """The right side ``val(field)``, possibly under transformers: another field's value."""

    operand: Operand
    pos: int = 0


Rhs = Value | ListValue | FieldValue


@dataclass(frozen=True, slots=True)
class Unary:
    operand: Operand
    op: str
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Binary:
    operand: Operand
    op: str
    rhs: Rhs
    pos: int = 0


@dataclass(frozen=True, slots=True)
class MacroRef:
    """A bare identifier: a macro to be substituted."""

    name: str
    pos: int = 0


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Expr, ...]
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Expr, ...]
    pos: int = 0


@dataclass(frozen=True, slots=True)
class Not:
    child: Expr
    pos: int = 0


Expr = And | Or | Not | Unary | Binary | MacroRef
