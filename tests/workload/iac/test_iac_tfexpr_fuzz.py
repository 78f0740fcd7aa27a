"""Hostile Terraform expressions: the expression parser, the functions and the expansion
never raise, never hang and never build unbounded values. Every answer is a value, an
`Unknown` or a `Failed`, within a wall-clock bound."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.workload.iac.model import Budget, Unknown
from mamori.workload.iac.terraform import load_terraform
from mamori.workload.iac.tfeval import FUNCTIONS, Scope
from mamori.workload.iac.tfexpr import ParseError, parse

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATOMS = [
    "1",
    "-2.5",
    "0",
    "1e400",
    '"a"',
    '"${var.s}"',
    '""',
    "null",
    "true",
    "var.l",
    "var.m",
    "var.s",
    "local.big",
    "count.index",
    "each.key",
    "aws_s3_bucket.b[0].id",
    "[]",
    "{}",
    '["x", 1]',
    "{ a = 1 }",
    "var.missing",
    "data.x.y",
]
names = [*sorted(FUNCTIONS), "try", "can", "file", "nosuch"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 3 or draw(st.booleans()):
        return draw(st.sampled_from(ATOMS))
    kind = draw(st.sampled_from(["call", "op", "cond", "list", "index", "spread"]))
    sub = [draw(expressions(depth + 1)) for _ in range(draw(st.integers(0, 3)))]
    if kind == "call":
        return f"{draw(st.sampled_from(names))}({', '.join(sub)})"
    if kind == "op" and len(sub) >= 2:
        op = draw(st.sampled_from(["+", "-", "*", "/", "%", "==", "<", "&&", "||"]))
        return f"({sub[0]} {op} {sub[1]})"
    if kind == "cond" and len(sub) == 3:
        return f"{sub[0]} ? {sub[1]} : {sub[2]}"
    if kind == "index" and sub:
        return f"{sub[0]}[{draw(st.sampled_from(ATOMS))}]"
    if kind == "spread" and sub:
        return f"{draw(st.sampled_from(names))}({sub[0]}...)"
    return f"[{', '.join(sub)}]"


def _scope() -> Scope:
    scope = Scope(
        {"l": [1, "two", [3]], "m": {"k": "v", "n": 2}, "s": "text"},
        {"big": '${join("", formatlist("%s", range(5000)))}'},
        "",
        Budget(20_000),
    )
    scope.instance = {"count": {"index": 1}, "each": {"key": "k", "value": "v"}}
    return scope


@FUZZ
@given(expressions())
def test_generated_expressions_never_crash(expr: str) -> None:
    started = time.monotonic()
    _scope().expr(expr, 0)
    assert time.monotonic() - started < 5, expr


@FUZZ
@given(st.text(st.sampled_from(list('abc()[]{}.,:?!=<>&|+-*/%"$#\\ 01...xyz\n')), max_size=120))
def test_random_text_only_parse_errors(text: str) -> None:
    with contextlib.suppress(ParseError, RecursionError):
        parse(text)
    _scope().expr(text, 0)  # and evaluation never raises


def test_hostile_expressions_are_bounded() -> None:
    hostile = [
        "range(1000000000)",
        "range(0, 1, 0.0000001)",
        'format("%999999999d", 1)',
        'replace(join("", formatlist("a%s", range(3000))), "/(a+)+$/", "")',
        "flatten(" + "[" * 200 + "1" + "]" * 200 + ")",
        "(" * 500 + "1" + ")" * 500,
        "!" * 5000 + "true",
        "-" * 5000 + "1",
        'join(",", concat(range(9999), range(9999)))',
        'split("", join("", formatlist("%s", range(9999))))',
        'jsondecode("' + "[" * 3000 + '")',
        'cidrsubnet("10.0.0.0/8", 100, 1)',
        'tonumber("1e999999")',
        "abs(-9" + "9" * 400 + ")",
        "1 / 0",
        'lookup({}, "a")',
        'jsondecode("' + "[" * 900 + "]" * 900 + '")',
        '"${"' * 300,
        "upper(" * 300 + '"x"' + ")" * 300,
        "{" + ", ".join(f"k{i} = {i}" for i in range(3000)) + "}",
    ]
    for expr in hostile:
        started = time.monotonic()
        value = _scope().expr(expr, 0)
        assert time.monotonic() - started < 5, expr
        assert isinstance(value, Unknown) or len(str(value)) < 10_000_000, expr


def test_doubling_locals_and_counts_are_bounded(tmp_path: Path) -> None:
    chain = ['  l0 = ["x", "x"]']
    chain += [f"  l{i} = concat(local.l{i - 1}, local.l{i - 1})" for i in range(1, 40)]
    strings = ['  s0 = "xxxxxxxx"']
    strings += [f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"' for i in range(1, 40)]
    (tmp_path / "main.tf").write_text(
        "locals {\n" + "\n".join(chain + strings) + "\n}\n"
        'resource "aws_ebs_volume" "v" {\n  count = length(local.l39)\n  tags = local.s39\n}\n'
        'resource "aws_ebs_volume" "w" {\n  for_each = toset(local.l39)\n}\n'
    )
    started = time.monotonic()
    loaded = load_terraform(tmp_path)
    assert time.monotonic() - started < 20
    assert 1 <= len(loaded.resources) <= 1001
