"""CloudWatch Logs JSON filter patterns: parse them, and decide if one covers another.

    { ($.eventName = ConsoleLogin) && ($.additionalEventData.MFAUsed != "Yes") }

A pattern is a boolean expression of terms `<selector> <op> <value>` (ops = != < > <= >=),
`<selector> IS TRUE|FALSE|NULL`, `<selector> [NOT] EXISTS`, joined by && and || with
parentheses; && binds tighter than || (AWS documents no precedence; CIS patterns only
mix them in 4.1, and the same text parses the same way whatever the rule). Values may
be quoted or bare; `"Yes"` and `Yes` are the same term.

`covers(candidate, required)` says whether every event `required` matches is also
matched by `candidate`, treating each term as an independent condition. The language has
no negation over expressions (!= and NOT EXISTS are terms), so a pattern is monotone in
its terms and it is enough to try, for each way `required` can be satisfied (one
conjunction of its disjunctive normal form), the assignment that makes exactly those
terms true. A candidate term also holds when a true required term implies it: the same
selector and `=`, with a value the candidate's `*` wildcards match. So reordering,
whitespace, quoting, extra parentheses, extra alternatives (`||`) and broader wildcards
are accepted; a missing alternative or an extra `&&` condition is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product

_OPS = ("!=", "<=", ">=", "=", "<", ">")
_SELECTOR = re.compile(r"\$(?:[.\[\]A-Za-z0-9_\-@]|\*)*")
_BARE_END = set(" \t\r\n)&|}")
_KEYWORDS = {
    word: re.compile(word.replace(" ", r"\s+") + r"(?![A-Za-z0-9_])", re.IGNORECASE)
    for word in ("NOT EXISTS", "EXISTS", "IS", "TRUE", "FALSE", "NULL")
}
MAX_DEPTH = 50  # nested parentheses; deeper input is rejected, not recursed into
MAX_CONJUNCTIONS = 4096  # a required pattern with more is a programming error


class PatternError(ValueError):
    """Not a JSON filter pattern this parser understands."""


@dataclass(frozen=True)
class Term:
    selector: str
    op: str  # one of _OPS, "IS", "EXISTS", "NOT EXISTS"
    value: str = ""  # unquoted; TRUE/FALSE/NULL for IS; empty for (NOT) EXISTS


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Node, ...]


Node = Term | AllOf | AnyOf


def parse(text: str) -> Node:
    """The expression of a `{ ... }` JSON filter pattern; PatternError when it is not one."""
    parser = _Parser(text)
    parser.expect("{")
    node = parser.expression()
    parser.expect("}")
    parser.skip()
    if parser.pos != len(text):
        raise PatternError(f"unexpected text at {parser.pos}")
    return node


def render(node: Node) -> str:
    """The pattern text of a node (parse(render(n)) == n for flattened nodes)."""
    return "{ " + _render(node) + " }"


def _render(node: Node) -> str:
    if isinstance(node, Term):
        if node.op in ("EXISTS", "NOT EXISTS"):
            return f"{node.selector} {node.op}"
        if node.op == "IS":
            return f"{node.selector} IS {node.value}"
        escaped = node.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{node.selector} {node.op} "{escaped}"'
    joiner = " && " if isinstance(node, AllOf) else " || "
    return "(" + joiner.join(_render(p) for p in node.parts) + ")"


def covers(candidate: Node, required: Node) -> bool:
    """True when every event `required` matches is also matched by `candidate`."""
    return all(_holds(candidate, terms) for terms in conjunctions(required))


def conjunctions(node: Node) -> list[frozenset[Term]]:
    """The disjunctive normal form: each set of terms that together satisfy `node`."""
    if isinstance(node, Term):
        return [frozenset({node})]
    if isinstance(node, AnyOf):
        return [c for part in node.parts for c in conjunctions(part)]
    combined = [frozenset(set().union(*combo)) for combo in product(*map(conjunctions, node.parts))]
    if len(combined) > MAX_CONJUNCTIONS:
        raise PatternError("pattern too complex to compare")
    return combined


def _holds(node: Node, true: frozenset[Term]) -> bool:
    if isinstance(node, Term):
        return any(_implies(t, node) for t in true)
    if isinstance(node, AllOf):
        return all(_holds(p, true) for p in node.parts)
    return any(_holds(p, true) for p in node.parts)


def _implies(known: Term, term: Term) -> bool:
    if known == term:
        return True
    if known.selector != term.selector or known.op != "=" or term.op != "=":
        return False
    if "*" not in term.value:
        return False
    wildcard = ".*".join(re.escape(part) for part in term.value.split("*"))
    return re.fullmatch(wildcard, known.value, flags=re.DOTALL) is not None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self, token: str) -> bool:
        self.skip()
        return self.text.startswith(token, self.pos)

    def expect(self, token: str) -> None:
        if not self.peek(token):
            raise PatternError(f"expected {token!r} at {self.pos}")
        self.pos += len(token)

    def expression(self) -> Node:
        parts = [self.conjunction()]
        while self.peek("||"):
            self.pos += 2
            parts.append(self.conjunction())
        return _join(AnyOf, parts)

    def conjunction(self) -> Node:
        parts = [self.primary()]
        while self.peek("&&"):
            self.pos += 2
            parts.append(self.primary())
        return _join(AllOf, parts)

    def primary(self) -> Node:
        if self.peek("("):
            self.pos += 1
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise PatternError("parentheses nested too deeply")
            node = self.expression()
            self.expect(")")
            self.depth -= 1
            return node
        return self.term()

    def term(self) -> Term:
        self.skip()
        match = _SELECTOR.match(self.text, self.pos)
        if match is None or match.end() == self.pos + 1:
            raise PatternError(f"expected a $.selector at {self.pos}")
        self.pos = match.end()
        selector = match.group()
        for keyword in ("NOT EXISTS", "EXISTS", "IS"):
            if self._keyword(keyword):
                if keyword != "IS":
                    return Term(selector, keyword)
                for value in ("TRUE", "FALSE", "NULL"):
                    if self._keyword(value):
                        return Term(selector, "IS", value)
                raise PatternError(f"expected TRUE, FALSE or NULL at {self.pos}")
        for op in _OPS:
            if self.peek(op):
                self.pos += len(op)
                return Term(selector, op, self.value())
        raise PatternError(f"expected an operator at {self.pos}")

    def _keyword(self, word: str) -> bool:
        self.skip()
        match = _KEYWORDS[word].match(self.text, self.pos)
        if match is None:
            return False
        self.pos = match.end()
        return True

    def value(self) -> str:
        self.skip()
        if self.peek('"'):
            return self._quoted()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _BARE_END:
            self.pos += 1
        if self.pos == start:
            raise PatternError(f"expected a value at {start}")
        return self.text[start : self.pos]

    def _quoted(self) -> str:
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
            elif char == '"':
                self.pos += 1
                return "".join(out)
            else:
                out.append(char)
                self.pos += 1
        raise PatternError("unterminated string")


def _join(kind: type[AllOf] | type[AnyOf], parts: list[Node]) -> Node:
    """One node, with nested nodes of the same kind flattened into it."""
    if len(parts) == 1:
        return parts[0]
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, kind) else (part,))
    return kind(tuple(flat))
