"""The condition parser: grammar, escaping, errors, and hostile input (hypothesis)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.rules.ast import (
    And,
    Binary,
    Field,
    FieldValue,
    ListValue,
    MacroRef,
    Not,
    Or,
    Transform,
    Unary,
    Value,
)
from mamori.rules.engine import load
from mamori.rules.parser import MAX_DEPTH, ParseError, parse, unescape
from mamori.rules.result import LoadResult


def test_precedence_and_structure() -> None:
    e = parse("a or not b and c.d = 1")
    assert isinstance(e, Or)
    assert e.children[0] == MacroRef("a", 0)
    right = e.children[1]
    assert isinstance(right, And) and isinstance(right.children[0], Not)


def test_fields_arguments_and_values() -> None:
    e = parse('proc.aname[2] = "a b" and container.mount.dest[/proc*] exists')
    assert isinstance(e, And)
    first, second = e.children
    assert isinstance(first, Binary) and first.operand == Field("proc.aname", "2", 0)
    assert first.rhs == Value("a b", 16)
    assert isinstance(second, Unary) and second.operand.arg == "/proc*"  # type: ignore[union-attr]
    j = parse("json.value[/requestParameters/bucket] = x")
    assert isinstance(j, Binary) and j.operand == Field("json.value", "/requestParameters/bucket")


def test_lists_and_expansion() -> None:
    e = parse(
        "evt.type in (open, 'openat', my_list)", lambda v: ["x", "y"] if v == "my_list" else [v]
    )
    assert isinstance(e, Binary) and e.rhs == ListValue(("open", "openat", "x", "y"), 12)
    assert parse("proc.name in ()").rhs == ListValue((), 13)  # type: ignore[union-attr]


def test_transformers_and_val() -> None:
    e = parse("tolower(basename(fd.name)) = toupper(val(proc.name))")
    assert isinstance(e, Binary)
    assert e.operand == Transform(
        "tolower", Transform("basename", Field("fd.name", None, 17), 8), 0
    )
    assert isinstance(e.rhs, FieldValue)
    assert e.rhs.operand == Transform("toupper", Field("proc.name", None, 41), 29)


@pytest.mark.parametrize(
    ("quoted", "value"),
    [('"a\\"b"', 'a"b'), ("'a\\'b'", "a'b"), ('"\\\\ \\ x"', "\\ \\x"), ('"\\t\\/"', "\t/")],
)
def test_unescape(quoted: str, value: str) -> None:
    assert unescape(quoted) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("evt.type=execve foo", "unexpected token after 'execve', expecting 'or', 'and'"),
        ("(proc.name = a", "unexpected token after 'a', expecting ')'"),
        ("proc.name", "unexpected token after 'proc.name', expecting a valid operator"),
        ("proc.name in a", "unexpected token after 'in', expecting '('"),
        ("proc.name = 'a\\qb'", "unsupported string escape sequence: \\q"),
        ("", "unexpected end of input, expecting a condition"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ParseError) as exc:
        parse(text)
    assert str(exc.value) == message


def test_depth_limit_is_an_error_not_a_crash() -> None:
    deep = "(" * (MAX_DEPTH + 5) + "a" + ")" * (MAX_DEPTH + 5)
    with pytest.raises(ParseError, match="max depth"):
        parse(deep)
    with pytest.raises(ParseError, match="max depth"):
        parse("not " * 5000 + "a")
    assert isinstance(parse(" and ".join(f"x{i}" for i in range(20000))), And)


_WORDS = ["and ", "or ", "not ", " in ", " exists", "proc.name", "evt.type", "val(", "tolower("]
ALPHABET = st.sampled_from([*"()[],=!<>'\"\\ \t\nabcxyz.-/*0129", *_WORDS])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_fuzz_parser_never_crashes(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_fuzz_conditions_through_the_loader(text: str) -> None:
    item = f"- rule: r\n  desc: d\n  condition: {text!r}\n  output: o\n  priority: info\n"
    rs = load([("fuzz.yaml", item)])
    assert isinstance(rs.result, LoadResult)


YAML_BITS = st.sampled_from(
    ["- ", "rule: ", "macro: ", "list: ", "items: ", "condition: ", "output: ", "priority: ",
     "desc: ", "append: true", "override: {items: append}", "exceptions: ", "[", "]", "{",
     "}", "\n", "\n  ", "&a ", "*a", "!!binary ", "x", "evt.type=open", ": ", "'", "%"]
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(YAML_BITS, max_size=50).map("".join))
def test_fuzz_yaml_loader_never_crashes(text: str) -> None:
    rs = load([("fuzz.yaml", text)])
    assert isinstance(rs.result, LoadResult)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,
        "- list: big\n  items: [" + ", ".join(f"i{i}" for i in range(50000)) + "]\n",
        "- rule: r\n  desc: d\n  condition: " + "(" * 400 + "a" + ")" * 400 + "\n",
        "- rule: [1, 2]\n",
        "- macro: {a: b}\n  condition: x\n",
        "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: info\n"
        "  exceptions: [{name: e, fields: [[[[[[[[[[a]]]]]]]]]]}]\n",
        "a: &x [*x]\n",
        "\x00\xff",
    ],
)
def test_hostile_yaml_gives_structured_errors(text: str) -> None:
    rs = load([("hostile.yaml", text)])
    assert rs.rules == []
    assert all(m.message for m in rs.result.errors + rs.result.warnings)


def test_yaml_alias_bomb_in_exception_values_is_bounded() -> None:
    levels = ["l0: &l0 [a, a, a, a, a, a, a, a, a]"]
    for i in range(1, 8):
        levels.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    text = (
        "- defs: {" + ", ".join(levels) + "}\n"
        "- rule: r\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: info\n"
        "  exceptions: [{name: e, fields: [proc.name], values: [*l7, *l7]}]\n"
    )
    rs = load([("bomb.yaml", text)])
    assert [e.message for e in rs.result.errors] == ["Exception values too large"]


def test_exponential_macro_expansion_is_refused() -> None:
    items = ["- macro: m0\n  condition: proc.name = a\n"]
    for i in range(1, 40):
        items.append(f"- macro: m{i}\n  condition: m{i - 1} and m{i - 1}\n")
    items.append("- rule: r\n  desc: d\n  condition: evt.type=open and m39\n")
    items.append("  output: o\n  priority: info\n")
    rs = load([("exp.yaml", "".join(items))])
    assert [e.message for e in rs.result.errors] == [
        "condition has more than 100000 nodes after macro expansion"
    ]


def test_a_list_name_as_a_bare_value_is_its_single_item() -> None:
    """Falco substitutes list names in the condition text: `proc.name=cats` with
    items [cat] reads `proc.name=cat`; a list of several items is no single value."""
    lists = {"cats": ("cat",), "shells": ("bash", "sh")}

    def expand(item: str) -> tuple[str, ...]:
        return lists.get(item, (item,))

    expr = parse("proc.name=cats", expand)
    assert isinstance(expr, Binary) and expr.rhs == Value("cat", expr.rhs.pos)
    assert parse("proc.name=dog", expand) == parse("proc.name=dog")
    with pytest.raises(ParseError, match="list 'shells' has 2 items"):
        parse("proc.name=shells", expand)
