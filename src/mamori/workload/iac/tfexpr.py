"""A small parser for the HCL expressions python-hcl2 hands back as `${...}` text.

Grammar (HCL's native syntax, minus `for` expressions and splats, which stay unknown):
conditional `c ? a : b`; `||`; `&&`; `==` `!=`; `<` `>` `<=` `>=`; `+` `-`; `*` `/` `%`;
unary `!` `-`; traversals `a.b[expr].c`; calls `f(x, y...)`; tuples `[...]`; objects
`{k = v, "k": v, (expr) = v}`; numbers, strings (with templates, handed back to the
scope), `true`/`false`/`null`. The result is a tuple tree; `tfeval.Scope` evaluates it.
Iterative where input controls the depth, and capped at `MAX_DEPTH` nesting levels.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

MAX_DEPTH = 64
Node = tuple[Any, ...]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<str>\")|(?P<ident>[A-Za-z_][\w-]*)"
    r"|(?P<op>\.\.\.|\.\*|\[\*\]|==|!=|<=|>=|&&|\|\||=>|[-+*/%<>!?:.,()\[\]{}=]))"
)

_COMMENT = re.compile(r"\s*(?:(?:#|//)[^\n]*|/\*.*?\*/)", re.S)


class ParseError(ValueError):
    """Text this parser does not read (a `for` expression, a splat, bad syntax)."""


def _string_end(text: str, start: int, level: int = 0) -> int:
    """Index just past the closing quote of the string opening at `start` (templates nest)."""
    i, depth = start + 1, 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if text.startswith("${", i) or text.startswith("%{", i):
            depth += 1
            i += 2
            continue
        if depth and c == "}":
            depth -= 1
        elif depth and c == '"':  # a string inside a template interpolation
            if level > MAX_DEPTH:
                raise ParseError("strings nested too deep")
            i = _string_end(text, i, level + 1)
            continue
        elif not depth and c == '"':
            return i + 1
        i += 1
    raise ParseError("unterminated string")


def tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        skip = _COMMENT.match(text, at)
        if skip is not None and skip.end() > at:
            at = skip.end()
            continue
        hit = _TOKEN.match(text, at)
        if hit is None:
            if text[at:].strip():
                raise ParseError(f"unexpected {text[at : at + 10]!r}")
            break
        kind = hit.lastgroup or ""
        if kind == "str":
            end = _string_end(text, hit.start("str"))
            out.append(("str", _unescape(text[hit.start("str") + 1 : end - 1])))
            at = end
            continue
        out.append((kind, hit.group(kind)))
        at = hit.end()
    return out


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(body: str) -> str:
    def one(hit: re.Match[str]) -> str:
        code = hit.group(1)
        if len(code) == 1:
            return _ESCAPES.get(code, hit.group(0))
        point = int(code[1:], 16)
        return chr(point) if point <= 0x10FFFF else hit.group(0)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)", one, body)


_BINARY = [("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%")]


class _Parser:
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self.items = items
        self.at = 0
        self.depth = 0

    def peek(self) -> str:
        return self.items[self.at][1] if self.at < len(self.items) else ""

    def take(self, expect: str | None = None) -> tuple[str, str]:
        if self.at >= len(self.items):
            raise ParseError("unexpected end")
        item = self.items[self.at]
        if expect is not None and item[1] != expect:
            raise ParseError(f"expected {expect}")
        self.at += 1
        return item

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError("too deep")
        try:
            cond = self.binary(0)
            if self.peek() == "?":
                self.take()
                yes = self.expr()
                self.take(":")
                return ("cond", cond, yes, self.expr())
            return cond
        finally:
            self.depth -= 1

    def binary(self, level: int) -> Node:
        if level == len(_BINARY):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek() in _BINARY[level] and self.items[self.at][0] == "op":
            op = self.take()[1]
            left = ("bin", op, left, self.binary(level + 1))
        return left

    def unary(self) -> Node:
        ops: list[str] = []
        while self.peek() in ("!", "-") and self.items[self.at][0] == "op":
            ops.append(self.take()[1])
            if len(ops) > MAX_DEPTH:
                raise ParseError("too deep")
        node = self.postfix()
        for op in reversed(ops):
            node = ("not", node) if op == "!" else ("neg", node)
        return node

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            nxt = self.peek()
            if nxt == ".":
                self.take()
                kind, name = self.take()
                if kind not in ("ident", "num"):
                    raise ParseError("bad attribute")
                node = ("get", node, ("lit", int(name) if kind == "num" else name))
            elif nxt == "[":
                self.take()
                node = ("get", node, self.expr())
                self.take("]")
            elif nxt in (".*", "[*]"):
                raise ParseError("splat")
            else:
                return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            number = float(value) if any(c in value for c in ".eE") else int(value)
            return ("lit", number)
        if kind == "str":
            return ("str", value)
        if kind == "ident":
            if value in ("true", "false", "True", "False"):  # python-hcl2 renders
                return ("lit", value in ("true", "True"))  # `"${true}"` as `${True}`
            if value in ("null", "None"):
                return ("lit", None)
            if value == "for":
                raise ParseError("for expression")
            if self.peek() == "(":
                return self.call(value)
            return ("name", value)
        if value == "(":
            inner = self.expr()
            self.take(")")
            return inner
        if value == "[":
            return ("list", self.sequence("]"))
        if value == "{":
            return self.object()
        raise ParseError(f"unexpected {value}")

    def sequence(self, close: str) -> list[Node]:
        items: list[Node] = []
        if self.peek() == "for":
            raise ParseError("for expression")
        while self.peek() != close:
            items.append(self.expr())
            if self.peek() == ",":
                self.take()
            elif self.peek() != close:
                raise ParseError("expected ,")
        self.take(close)
        return items

    def call(self, name: str) -> Node:
        self.take("(")
        args: list[Node] = []
        spread = False
        while self.peek() != ")":
            args.append(self.expr())
            if self.peek() == "...":
                self.take()
                spread = True
            if self.peek() == ",":
                self.take()
            elif self.peek() != ")":
                raise ParseError("expected ,")
        self.take(")")
        return ("call", name, args, spread)

    def object(self) -> Node:
        pairs: list[tuple[Node, Node]] = []
        if self.peek() == "for":
            raise ParseError("for expression")
        while self.peek() != "}":
            kind, _ = self.items[self.at] if self.at < len(self.items) else ("", "")
            if (
                kind == "ident"
                and self.at + 1 < len(self.items)
                and self.items[self.at + 1][1] in ("=", ":")
            ):
                key: Node = ("lit", self.take()[1])
            else:
                key = self.expr()
            if self.peek() not in ("=", ":"):
                raise ParseError("expected = in object")
            self.take()
            pairs.append((key, self.expr()))
            if self.peek() == ",":
                self.take()
        self.take("}")
        return ("obj", pairs)


def parse(text: str) -> Node:
    """The expression as a tuple tree; ParseError for what is not read. Short texts (the
    same expression in every instance of a resource) are parsed once."""
    return _parse_cached(text) if len(text) <= 2048 else _parse(text)


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> Node:
    return _parse(text)


def _parse(text: str) -> Node:
    parser = _Parser(tokens(text))
    node = parser.expr()
    if parser.at != len(parser.items):
        raise ParseError("trailing text")
    return node
