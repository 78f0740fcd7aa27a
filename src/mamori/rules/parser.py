"""Parser for Falco's condition language: text -> `mamori.rules.ast`.

Hand-written recursive descent because no maintained Python library parses this
grammar (libsinsp's parser is C++; the old Lua/LPeg one is gone), and because the
grammar is context dependent in ways a generated lexer handles badly: ``a-b`` is one
bare string after an operator but ``proc.aname[2]`` is a field with an argument, a
word is a macro in one place and an operator in another, and Falco's error messages
("unexpected token after 'execve', expecting 'or', 'and'") name the last token read.
So, like libsinsp, it is scannerless: each rule tries an anchored regex at the
current offset.

Grammar (precedence low to high)::

    expr      := and ('or' and)*
    and       := not ('and' not)*
    not       := 'not' not | check
    check     := '(' expr ')' | operand condition | macro
    operand   := field | transformer '(' operand ')'
    field     := name ('[' arg ']')?            name has at least one dot
    condition := 'exists' | binop rhs | listop list
    rhs       := 'val(' operand ')' | transformer '(' ... 'val(' ... ')' | value
    list      := '(' (value (',' value)*)? ')'

Nesting deeper than `MAX_DEPTH` is a parse error, never a RecursionError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from mamori.rules.ast import (
    TRANSFORMERS,
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
    Rhs,
    Transform,
    Unary,
    Value,
)

MAX_DEPTH = 100

_WS = re.compile(r"[ \t\b\f\r\n]*")
_FIELD = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+")
_IDENT = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*")
_ARG_BARE = re.compile(r"[^ \b\t\n\r\[\]\"']+")
_QUOTED = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", re.DOTALL)
_BARE = re.compile(r"[^()\"'\s=,]+")
_SYMBOL_OPS = ("==", "=", "!=", "<=", "<", ">=", ">")
_WORD_OPS = (
    "exists",
    "bcontains",
    "bstartswith",
    "contains",
    "icontains",
    "startswith",
    "endswith",
    "iglob",
    "glob",
    "regex",
    "intersects",
    "in",
    "pmatch",
)
_WORD_CHAR = re.compile(r"[a-zA-Z0-9_.]")


class ParseError(ValueError):
    """A condition that does not parse; `pos` is the offset where parsing stopped."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.pos = pos


def unescape(quoted: str) -> str:
    """Resolve a quoted string's escapes as libsinsp does (``\\ `` stays a backslash)."""
    out: list[str] = []
    escaped = False
    quote = quoted[0]
    simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", " ": "\\", "\\": "\\"}
    for ch in quoted[1:-1]:
        if not escaped:
            if ch == "\\":
                escaped = True
            else:
                out.append(ch)
            continue
        escaped = False
        if ch in simple:
            out.append(simple[ch])
        elif ch == "/":
            out.append("/")
        elif ch in "\"'":
            if ch != quote:
                raise ValueError(f"invalid \\{ch} escape in {quote}-quoted string")
            out.append(ch)
        else:
            raise ValueError(f"unsupported string escape sequence: \\{ch}")
    return "".join(out)


ListExpander = Callable[[str], Sequence[str]]
"""Maps a bare list item to its values: a list name to its items, anything else to itself."""


def _no_lists(item: str) -> Sequence[str]:
    return (item,)


class _Parser:
    def __init__(self, text: str, expand: ListExpander) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0
        self.last = ""
        self.expand = expand

    # -- lexing helpers -------------------------------------------------------------

    def ws(self) -> None:
        m = _WS.match(self.text, self.pos)
        if m:
            self.pos = m.end()

    def regex(self, rx: re.Pattern[str]) -> str | None:
        m = rx.match(self.text, self.pos)
        if m is None or m.end() == self.pos:
            return None
        self.pos = m.end()
        self.last = m.group(0)
        return self.last

    def lit(self, s: str) -> bool:
        if self.text.startswith(s, self.pos):
            self.pos += len(s)
            self.last = s
            return True
        return False

    def word(self, w: str) -> bool:
        end = self.pos + len(w)
        if not self.text.startswith(w, self.pos):
            return False
        if end < len(self.text) and _WORD_CHAR.match(self.text, end):
            return False
        self.pos = end
        self.last = w
        return True

    def fail(self, expecting: str) -> ParseError:
        if self.last:
            return ParseError(
                f"unexpected token after '{self.last}', expecting {expecting}", self.pos
            )
        return ParseError(f"unexpected token, expecting {expecting}", self.pos)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"exceeded max depth limit of {MAX_DEPTH}", self.pos)

    # -- grammar ----------------------------------------------------------------------

    def parse(self) -> Expr:
        self.ws()
        if self.pos >= len(self.text):
            raise ParseError("unexpected end of input, expecting a condition", self.pos)
        e = self.or_()
        self.ws()
        if self.pos < len(self.text):
            raise self.fail("'or', 'and'")
        return e

    def or_(self) -> Expr:
        start = self.pos
        children = [self.and_()]
        while True:
            self.ws()
            if not self.word("or"):
                break
            children.append(self.and_())
        return children[0] if len(children) == 1 else Or(tuple(children), start)

    def and_(self) -> Expr:
        start = self.pos
        children = [self.not_()]
        while True:
            self.ws()
            if not self.word("and"):
                break
            children.append(self.not_())
        return children[0] if len(children) == 1 else And(tuple(children), start)

    def not_(self) -> Expr:
        self.ws()
        start = self.pos
        if self.word("not"):
            self.enter()
            child = self.not_()
            self.depth -= 1
            return Not(child, start)
        return self.check()

    def check(self) -> Expr:
        self.ws()
        start = self.pos
        if self.lit("("):
            self.enter()
            e = self.or_()
            self.ws()
            if not self.lit(")"):
                raise self.fail("')'")
            self.depth -= 1
            return e
        operand = self.operand(allow_macro=True)
        if isinstance(operand, MacroRef):
            return operand
        return self.condition(operand, start)

    def operand(self, allow_macro: bool) -> Operand | MacroRef:
        start = self.pos
        name = self.regex(_FIELD)
        if name is not None:
            arg: str | None = None
            if self.lit("["):
                quoted = self.regex(_QUOTED)
                if quoted is not None:
                    arg = self._unescape(quoted)
                else:
                    arg = self.regex(_ARG_BARE)
                    if arg is None:
                        raise self.fail("a field argument")
                if not self.lit("]"):
                    raise self.fail("']'")
            return Field(name, arg, start)
        ident = self.regex(_IDENT)
        if ident is None:
            raise self.fail("a field, a macro, a transformer or '('")
        if ident in TRANSFORMERS and self.lit("("):
            self.enter()
            self.ws()
            inner = self.operand(allow_macro=False)
            assert not isinstance(inner, MacroRef)
            self.ws()
            if not self.lit(")"):
                raise self.fail("')'")
            self.depth -= 1
            return Transform(ident, inner, start)
        if not allow_macro:
            raise ParseError(f"expected a field or a transformer, found '{ident}'", start)
        return MacroRef(ident, start)

    def condition(self, operand: Operand, start: int) -> Expr:
        self.ws()
        for op in _SYMBOL_OPS:
            if self.lit(op):
                return Binary(operand, op, self.rhs(), start)
        for op in _WORD_OPS:
            if self.word(op):
                if op == "exists":
                    return Unary(operand, op, start)
                if op in ("in", "intersects", "pmatch"):
                    return Binary(operand, op, self.list_value(), start)
                return Binary(operand, op, self.rhs(), start)
        raise self.fail("a valid operator")

    def rhs(self) -> Rhs:
        self.ws()
        start = self.pos
        save = self.pos, self.last
        ident = self.regex(_IDENT)
        if ident is not None and (ident in TRANSFORMERS or ident == "val") and self.lit("("):
            return FieldValue(self.val_operand(ident, start), start)
        self.pos, self.last = save
        quoted = self.regex(_QUOTED)
        if quoted is not None:
            return Value(self._unescape(quoted), start)
        bare = self.regex(_BARE)
        if bare is None:
            raise self.fail("a value")
        # Falco substitutes list names in the condition text, bare values included:
        # `proc.name=cat_binaries` with items [cat] reads `proc.name=cat`.
        expanded = self.expand(bare)
        if len(expanded) == 1:
            return Value(expanded[0], start)
        raise ParseError(f"list '{bare}' has {len(expanded)} items: not a single value", start)

    def val_operand(self, ident: str, start: int) -> Operand:
        """After ``ident(``: ``val(field)`` or ``transformer(val(...))``."""
        self.enter()
        self.ws()
        inner: Operand
        if ident == "val":
            op = self.operand(allow_macro=False)
            assert not isinstance(op, MacroRef)
            inner = op
        else:
            nstart = self.pos
            name = self.regex(_IDENT)
            if name is None or not (name in TRANSFORMERS or name == "val") or not self.lit("("):
                raise self.fail("val(...) or a transformer")
            inner = Transform(ident, self.val_operand(name, nstart), start)
        self.ws()
        if not self.lit(")"):
            raise self.fail("')'")
        self.depth -= 1
        return inner

    def list_value(self) -> ListValue:
        self.ws()
        start = self.pos
        if not self.lit("("):
            raise self.fail("'('")
        values: list[str] = []
        self.ws()
        if self.lit(")"):
            return ListValue((), start)
        while True:
            self.ws()
            quoted = self.regex(_QUOTED)
            if quoted is not None:
                values.append(self._unescape(quoted))
            else:
                bare = self.regex(_BARE)
                if bare is None:
                    raise self.fail("a list value")
                values.extend(self.expand(bare))
            self.ws()
            if self.lit(")"):
                return ListValue(tuple(values), start)
            if not self.lit(","):
                raise self.fail("',' or ')'")

    def _unescape(self, quoted: str) -> str:
        try:
            return unescape(quoted)
        except ValueError as exc:
            raise ParseError(str(exc), self.pos) from None


def parse(text: str, expand: ListExpander | None = None) -> Expr:
    """Parse a condition. `expand` resolves list references inside ``( ... )``."""
    return _Parser(text, expand or _no_lists).parse()
