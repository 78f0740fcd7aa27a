"""Sigma values compiled to tests over one field's scalar values.

Everything a test needs is prepared once: literals lowered for case-insensitive
comparison (Sigma's default; ``|cased`` keeps case), wildcard strings classified as
exact / prefix / suffix / substring / "any value" or turned into one anchored RE2 regex,
regexes compiled, CIDR networks parsed. Several OR-linked string values of one field
collapse into one `Strings` set (a set lookup, ``str.startswith(tuple)``...).

Semantics, following the Sigma specification:

- strings match the whole value; ``*`` is any run of characters, ``?`` one character,
  ``\\*``, ``\\?`` and ``\\\\`` are literal; comparison ignores case unless ``|cased``;
- numbers and booleans compare as text (``401`` matches the JSON number 401 and the
  string ``"401"``; ``'false'`` matches JSON ``false``), case-insensitively;
- ``null`` matches a field that is absent or JSON null (every value of it null);
- ``|re`` searches (unanchored, RE2 syntax and linear-time matching as pySigma's
  safe policy validates it, case-sensitive unless ``|i``);
- ``|cidr`` tests an IPv4/IPv6 address value; ``|lt`` ``|gt``... compare numbers;
- ``|exists: true`` holds when the field has a non-null value, ``false`` otherwise;
- ``|fieldref`` compares with another field's values, ignoring case
  (``|fieldref|startswith``/``endswith``/``contains`` too).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sigma.policy.regex_engine import RE2RegexEngine
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
    SpecialChars,
)

from mamori.rules.sigma.fields import Values, render

ValueTest = Callable[[tuple[Any, ...], Any], bool]
"""A test over a field's values (and the event, for field references)."""


class SigmaCompileError(ValueError):
    """A detection this evaluator cannot express (unsupported modifier or value)."""


_RE_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: re.IGNORECASE,
    SigmaRegularExpressionFlag.MULTILINE: re.MULTILINE,
    SigmaRegularExpressionFlag.DOTALL: re.DOTALL,
}


@dataclass
class Strings:
    """OR-linked string values of one field, one case mode."""

    cased: bool
    exact: set[str] = field(default_factory=set)
    prefixes: list[str] = field(default_factory=list)
    suffixes: list[str] = field(default_factory=list)
    inner: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    anything: bool = False

    def add(self, value: SigmaString) -> None:
        parts = _collapse(value)
        texts = [p for p in parts if isinstance(p, str)]
        lit = [p if self.cased else p.lower() for p in texts]
        star = SpecialChars.WILDCARD_MULTI
        if not parts:
            self.exact.add("")
        elif parts == [star]:
            self.anything = True
        elif all(isinstance(p, str) for p in parts):
            self.exact.add("".join(lit))
        elif len(parts) == 3 and parts[0] == star and parts[2] == star and len(lit) == 1:
            self.inner.append(lit[0])
        elif len(parts) == 2 and parts[1] == star and len(lit) == 1:
            self.prefixes.append(lit[0])
        elif len(parts) == 2 and parts[0] == star and len(lit) == 1:
            self.suffixes.append(lit[0])
        else:
            self.patterns.append(_regex(parts, self.cased))

    def test(self) -> Callable[[str], bool]:
        """The compiled test of one rendered value."""
        if self.anything:
            return lambda _s: True
        exact = frozenset(self.exact)
        pre, suf, inner = tuple(self.prefixes), tuple(self.suffixes), tuple(self.inner)
        # RE2: several ``*`` would make a backtracking engine polynomial in the value
        rx = RE2RegexEngine().compile("|".join(f"(?:{p})" for p in self.patterns), re.DOTALL)
        rx_full = rx.fullmatch
        has_rx = bool(self.patterns)
        fold = not self.cased
        if not (pre or suf or inner or has_rx):
            if fold:
                return lambda s: s.lower() in exact
            return lambda s: s in exact

        def test(s: str) -> bool:
            t = s.lower() if fold else s
            if t in exact or (pre and t.startswith(pre)) or (suf and t.endswith(suf)):
                return True
            if any(x in t for x in inner):
                return True
            return has_rx and rx_full(t) is not None

        return test


def _collapse(value: SigmaString) -> list[str | SpecialChars]:
    """The string's parts with runs of ``*`` collapsed (placeholders refused)."""
    out: list[str | SpecialChars] = []
    for p in value.s:
        if isinstance(p, Placeholder):
            raise SigmaCompileError(f"placeholder %{p.name}% needs a processing pipeline")
        if p == SpecialChars.WILDCARD_MULTI and out and out[-1] == p:
            continue
        if isinstance(p, str) and out and isinstance(out[-1], str):
            out[-1] += p
            continue
        out.append(p)
    return out


def _regex(parts: list[str | SpecialChars], cased: bool) -> str:
    text = []
    for p in parts:
        if p == SpecialChars.WILDCARD_MULTI:
            text.append(".*")
        elif p == SpecialChars.WILDCARD_SINGLE:
            text.append(".")
        else:
            assert isinstance(p, str)
            text.append(re.escape(p if cased else p.lower()))
    return "".join(text)


def any_text(test: Callable[[str], bool]) -> ValueTest:
    """True when one non-null value, rendered as text, passes `test`."""

    def check(values: tuple[Any, ...], _ev: Any) -> bool:
        for v in values:
            s = v if v.__class__ is str else render(v)
            if s is not None and test(s):
                return True
        return False

    return check


def _null(values: tuple[Any, ...], _ev: Any) -> bool:
    return all(v is None for v in values)


def _exists(values: tuple[Any, ...], _ev: Any) -> bool:
    return any(v is not None for v in values)


def _absent(values: tuple[Any, ...], _ev: Any) -> bool:
    return all(v is None for v in values)


def _number(v: Any) -> float | None:
    if v.__class__ is int or v.__class__ is float:
        return float(v)
    if v.__class__ is str:
        try:
            return float(v)
        except ValueError:
            return None
    return None


_COMPARE: dict[CompareOperators, Callable[[float, float], bool]] = {
    CompareOperators.LT: lambda a, b: a < b,
    CompareOperators.LTE: lambda a, b: a <= b,
    CompareOperators.GT: lambda a, b: a > b,
    CompareOperators.GTE: lambda a, b: a >= b,
    CompareOperators.NEQ: lambda a, b: a != b,
}


def _compare(value: SigmaCompareExpression) -> ValueTest:
    op, limit = _COMPARE[value.op], float(value.number.number)

    def check(values: tuple[Any, ...], _ev: Any) -> bool:
        for v in values:
            n = _number(v)
            if n is not None and op(n, limit):
                return True
        return False

    return check


_SIMPLE_RE = re.compile(r"(?:\.[+*?]?|[^\\.^$*+?{}\[\]|()]|\\[^A-Za-z0-9])*")
_TOKEN = re.compile(r"\.[+*?]?|\\[^A-Za-z0-9]|.", re.DOTALL)


def required_literal(pattern: str) -> str | None:
    """A substring every match of `pattern` contains, for patterns made only of
    literal characters and dots (``.+:assumed-role/aws:.+``); None otherwise."""
    if not _SIMPLE_RE.fullmatch(pattern):
        return None
    runs, run = [], ""
    for tok in _TOKEN.findall(pattern):
        if tok.startswith("."):
            runs.append(run)
            run = ""
        else:
            run += tok[-1]
    runs.append(run)
    best = max(runs, key=len)
    return best or None


def _searcher(value: SigmaRegularExpression) -> Callable[[str], bool]:
    """An unanchored search with RE2 (pySigma's safe regex engine, which also
    validated the rule: linear time whatever the pattern and the logged value), after
    a plain substring test when the pattern has a required literal."""
    flags = 0
    for f in value.flags:
        flags |= _RE_FLAGS[f]
    pattern = str(value.regexp)
    engine = RE2RegexEngine()
    try:
        search = engine.compile(pattern, flags).search
    except engine.error as exc:
        raise SigmaCompileError(f"regular expression {pattern}: {exc}") from exc
    lit = None if flags & re.IGNORECASE else required_literal(pattern)
    if not lit:
        return lambda s: search(s) is not None
    return lambda s: lit in s and search(s) is not None


def _cidr(value: SigmaCIDRExpression) -> Callable[[str], bool]:
    net = value.network

    def test(s: str) -> bool:
        try:
            return ipaddress.ip_address(s.strip()) in net
        except ValueError:
            return False

    return test


def _fieldref(value: SigmaFieldReference, other: Values) -> ValueTest:
    start, end = value.starts_with, value.ends_with

    def same(a: str, b: str) -> bool:
        if start and end:
            return b in a
        if start:
            return a.startswith(b)
        if end:
            return a.endswith(b)
        return a == b

    def check(values: tuple[Any, ...], ev: Any) -> bool:
        mine = [s.lower() for s in map(render, values) if s is not None]
        if not mine:
            return False
        theirs = [s.lower() for s in map(render, other(ev)) if s is not None]
        return any(same(a, b) for a in mine for b in theirs)

    return check


def _expand(values: list[SigmaType]) -> list[SigmaType]:
    """Values with modifier expansions (``base64offset``...) inlined: they are OR-linked
    whatever links the values around them."""
    out: list[SigmaType] = []
    for v in values:
        out.extend(_expand(v.values) if isinstance(v, SigmaExpansion) else [v])
    return out


def compile_values(values: list[SigmaType], resolve: Callable[[str], Values]) -> list[ValueTest]:
    """Tests for OR-linked values of one field: one per non-string kind, one per
    string case mode. `resolve` gives the getter of a referenced field."""
    tests: list[ValueTest] = []
    folded, cased = Strings(cased=False), Strings(cased=True)
    used: set[int] = set()
    for value in _expand(values):
        if isinstance(value, SigmaCasedString):
            cased.add(value)
            used.add(1)
        elif isinstance(value, SigmaString):
            folded.add(value)
            used.add(0)
        elif isinstance(value, SigmaBool):
            folded.exact.add("true" if value.boolean else "false")
            used.add(0)
        elif isinstance(value, SigmaTimestampPart):
            raise SigmaCompileError("timestamp part modifiers need a backend's time field")
        elif isinstance(value, SigmaNumber):
            folded.exact.add(render(value.number) or "")
            used.add(0)
        elif isinstance(value, SigmaNull):
            tests.append(_null)
        elif isinstance(value, SigmaExists):
            tests.append(_exists if value.exists else _absent)
        elif isinstance(value, SigmaRegularExpression):
            tests.append(any_text(_searcher(value)))
        elif isinstance(value, SigmaCIDRExpression):
            tests.append(any_text(_cidr(value)))
        elif isinstance(value, SigmaCompareExpression):
            tests.append(_compare(value))
        elif isinstance(value, SigmaFieldReference):
            tests.append(_fieldref(value, resolve(value.field)))
        else:
            raise SigmaCompileError(f"unsupported value type {type(value).__name__}")
    if 0 in used:
        tests.insert(0, any_text(folded.test()))
    if 1 in used:
        tests.insert(0, any_text(cased.test()))
    return tests
