"""Terraform's built-in functions and operators, evaluated by mamori and by `terraform
console` (the oracle) on the same expressions, in one console process: every value
must agree, and where Terraform reports an error mamori must give `Failed` (what `try`
catches), never a wrong value."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from mamori.workload.iac.model import Failed, Unknown
from mamori.workload.iac.terraform import load_terraform
from tests.support import oracle_tool

ERROR = "__error__"
CONTEXT = """
variable "names" {
  default = ["logs", "data", "logs", "audit"]
}
variable "tags" {
  default = { env = "prod", team = "sec" }
}
variable "cidr" {
  default = "10.0.0.0/16"
}
variable "maybe" {
  default = null
}
locals {
  extra  = { team = "platform", owner = "me" }
  nested = [["a", ["b"]], [], "c"]
  policy = "{\\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{\\"Effect\\": \\"Deny\\"}]}"
}
"""
EXPRESSIONS = [
    # collections
    "length(var.names)",
    'length("héllo")',
    "length(var.tags)",
    "length([])",
    'lookup(var.tags, "env", "none")',
    'lookup(var.tags, "nope", "none")',
    'lookup(var.tags, "nope")',
    "merge(var.tags, local.extra)",
    "merge(var.tags, null, {})",
    "merge()",
    'concat(var.names, ["x"], [])',
    'contains(var.names, "data")',
    'contains(var.names, "nope")',
    'coalesce("", "b", "c")',
    'coalesce(var.maybe, "fallback")',
    'coalesce("", "")',
    "coalescelist([], [1, 2], [3])",
    "element(var.names, 1)",
    "element(var.names, 5)",
    "element([], 0)",
    "flatten(local.nested)",
    "flatten([[1, [2, [3, [4]]]], 5])",
    "keys(local.extra)",
    "values(local.extra)",
    "toset(var.names)",
    "toset([3, 1, 2, 1])",
    'tolist(toset(["b", "a"]))',
    "tomap({ a = 1, b = 2 })",
    'tomap({ a = "x", b = 2 })',
    "distinct(var.names)",
    "distinct([1, 2, 1, 3, 2])",
    'compact(["a", "", "b", null])',
    'zipmap(["a", "b"], [1, 2])',
    'zipmap(["a"], [1, 2])',
    "range(3)",
    "range(1, 4)",
    "range(0, 10, 3)",
    "range(5, 1, -2)",
    "range(0, 1, 0.25)",
    "range(3, 1)",
    # strings
    'format("%s-%03d", "web", 7)',
    'format("%v|%q|%5.2f|%-4s|%t", 1.5, "x\\"y", 3.14159, "ab", true)',
    'format("%d%%", 50)',
    'format("%x %X %o %b", 255, 255, 8, 5)',
    'format("%[2]s %[1]s", "a", "b")',
    'format("%d", 1.5)',
    'format("%s")',
    'formatlist("%s.example.com", var.names)',
    'formatlist("%s=%s", ["a", "b"], ["1", "2"])',
    'formatlist("%s-%s", ["a", "b"], "x")',
    'join(",", var.names)',
    'join("-", ["a"], ["b", "c"])',
    'join(", ", [1, true, "x"])',
    'split(",", "a,b,,c")',
    'split(",", "")',
    'lower("MiXeD")',
    'upper("MiXeD")',
    'replace("hello world", "o", "0")',
    'replace("a-b-c", "/-(\\\\w)/", "_$1")',
    'replace("1.2.3", "/[.]/", "")',
    'trimspace("  \\t padded \\n ")',
    'substr("hello world", 1, 4)',
    'substr("hello world", -5, -1)',
    'substr("hello", 2, 100)',
    'substr("hello", 0, 0)',
    # encoding and conversion
    "jsonencode(var.tags)",
    "jsondecode(local.policy)",
    'jsondecode("[1, 2.5, true, null]")',
    'jsondecode("{not json")',
    "tostring(1.5)",
    "tostring(42)",
    "tostring(true)",
    'tonumber("42")',
    'tonumber("1.25")',
    'tonumber("x")',
    "tonumber(null)",
    'tobool("true")',
    # networking and numbers
    "cidrsubnet(var.cidr, 8, 2)",
    'cidrsubnet("10.0.0.0/8", 16, 300)',
    'cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)',
    'cidrsubnet("10.0.0.0/30", 4, 1)',
    "min(3, 1.5, 7)",
    "max(3, 1.5, 7)",
    "max(var.names...)",
    "min([4, 2, 8]...)",
    "abs(-4.5)",
    "abs(3)",
    # try / can
    'try(var.tags.missing, "default")',
    'try(var.tags["env"], "default")',
    'try(tonumber("x"), 0)',
    "can(var.tags.missing)",
    "can(var.tags.env)",
    'can(regex("a", "b"))',
    # operators
    "1 + 2 * 3 - 4 / 2",
    "10 / 4",
    "7 % 3",
    "-7 % 3",
    "2 * -3",
    "(1 + 2) * 3",
    "1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 4",
    '1 == "1"',
    "[1, 2] == [1, 2]",
    "{ a = 1 } != { a = 2 }",
    "!true || false",
    'length(var.names) > 2 ? "many" : "few"',
    '"${upper("a")}-${length(var.names)}-${1 + 1}"',
    "var.names[1]",
    "var.names[9]",
    'var.tags["team"]',
    "local.extra.owner",
]

# edge cases: number printing, Go's JSON escapes, Go's per-rune case mapping, format
# precision with %q, strict number parsing, empty argument lists, type unification
EDGES = [
    'format("%v", {a = 1})',
    'format("%v", [1, "a"])',
    'format("%5s|%-5d|%+d|%05.1f", "ab", 3, 4, 2.25)',
    'format("%e %g %G", 12345.678, 0.000012, 1e21)',
    'format("%.3s", "abcdef")',
    'format("%q", 5)',
    'format("%s", [1])',
    'format("%d", "12")',
    'format("%v", true)',
    'format("%5.1q", "x")',
    "tostring(0.1 + 0.2)",
    "1e20",
    "12345678901234567890",
    "0.5 * 3",
    "1 / 3",
    "2 / 3 * 3",
    'split("::", "a::b::c")',
    'replace("abc", "/(?P<x>b)/", "[$x]")',
    'replace("aaa", "a", "")',
    'substr("héllo", 1, 2)',
    'length("e\\u0301")',
    'upper("straße")',
    'lower("ÀÉ")',
    'jsonencode({b = 1, a = [true, null, "x<y>&"]})',
    'jsonencode("\\u2028")',
    "jsonencode(1.5)",
    "jsonencode(10000000)",
    'jsondecode("1e3")',
    'jsondecode("{\\"a\\": {\\"b\\": [1]}}").a.b[0]',
    'tonumber("0x10")',
    'tonumber(" 5")',
    'tonumber("1e3")',
    "tostring([1])",
    'cidrsubnet("10.1.2.0/24", 4, 15)',
    'cidrsubnet("10.1.2.0/24", 4, 16)',
    'cidrsubnet("10.1.2.5/24", 2, 1)',
    "min()",
    'max("3", 2)',
    "abs(-0)",
    'element(["a", "b"], 3)',
    'element(["a"], 1.5)',
    "flatten([[], [[]], [null]])",
    "compact([])",
    "zipmap([], [])",
    'zipmap(["a", "a"], [1, 2])',
    "keys({})",
    "values({b = 2, a = 1})",
    "merge({a = 1}, {a = null})",
    "coalesce(null, 0, 1)",
    'coalesce("", null, "")',
    "coalescelist([])",
    'contains([1, 2], "1")',
    'contains(["1"], 1)',
    'lookup({a = {b = 1}}, "a")',
    "concat()",
    'concat([1], ["a"])',
    'toset(["b", "a", "b"])',
    "toset([true, false])",
    "toset([])",
    'tolist([1, "a"])',
    "tomap({})",
    'join(",", [])',
    'join(",", [null])',
    'split(",", "a,")',
    'trimspace("\\u00a0x\\u00a0")',
    "range(-3)",
    "range(0)",
    "range(1, 2, 0.3)",
    "range(10, 0, -3)",
    "range(1.5)",
    'formatlist("%s", [])',
    'formatlist("%d-%s", [1, 2], ["a"])',
    'format("%%")',
    'format("%[3]s", 1, 2)',
    'try(null, "x")',
    'try(lookup({}, "a"), null)',
    'can(tonumber("1"))',
    "try(1)",
    "5 % -3",
    "-5 % 3",
    "5.5 % 2",
    "10 - 2 - 3",
    "2 * 3 % 4",
    "1 + 2 == 3",
    "!(1 < 2) || 3 >= 3",
    '"a" == "a" && "b" != "c"',
    '[1, "a"] == [1, "a"]',
    "null == null",
    "1 == 1.0",
    '"${1.5}"',
    '"${true}"',
    'true ? "a" : 1',
    'false ? null : "b"',
    'length(var.tags) == 2 ? var.tags.env : "x"',
    "var.maybe == null",
    'substr("abc", 3, 1)',
    'substr("abc", 4, 1)',
    'replace("a.b", ".", "-")',
    'format("%s-%s", "a")',
    "upper(1)",
    "length(1)",
    "jsonencode(null)",
    "tostring(null)",
]
UNEVALUATED = {'can(regex("a", "b"))', 'length("e\\u0301")'}  # unknown, never wrong


def _console(folder: Path, expressions: list[str]) -> list[Any]:
    """One `terraform console` run answering every expression (or ERROR when it fails)."""
    terraform = oracle_tool("terraform", "HashiCorp ships it outside Debian")
    items = ", ".join(f'try(jsonencode({e}), "{ERROR}")' for e in expressions)
    env = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": os.devnull,
    }
    done = subprocess.run(
        [terraform, "console"],
        input=f"jsonencode([{items}])\n",
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answers = json.loads(json.loads(done.stdout.strip().splitlines()[-1]))
    return [a if a == ERROR else json.loads(a) for a in answers]


def _ours(folder: Path, expressions: list[str]) -> list[Any]:
    """mamori's values, read through a resource (so python-hcl2's rendering is included)."""
    body = "\n".join(f"  e{i} = {e}" for i, e in enumerate(expressions))
    (folder / "probe.tf").write_text(f'resource "aws_probe" "p" {{\n{body}\n}}\n')
    try:
        (probe,) = [r for r in load_terraform(folder).resources if r.type == "aws_probe"]
    finally:
        (folder / "probe.tf").unlink()
    return [probe.attrs.get(f"e{i}") for i in range(len(expressions))]


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(ours, bool) or isinstance(theirs, bool):
        return ours is theirs
    if isinstance(ours, int | float) and isinstance(theirs, int | float):
        return abs(ours - theirs) < 1e-9
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(map(_same, ours, theirs))
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(_same(ours[k], theirs[k]) for k in ours)
    return bool(ours == theirs)


def test_functions_and_operators_match_terraform_console(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONTEXT)
    expressions = EXPRESSIONS + EDGES
    oracle = _console(tmp_path, expressions)
    ours = _ours(tmp_path, expressions)
    wrong = []
    for expr, mine, theirs in zip(expressions, ours, oracle, strict=True):
        if theirs == ERROR:
            ok = isinstance(mine, Failed) or (expr.startswith("can(") and mine is False)
        elif isinstance(mine, Unknown):
            ok = expr in UNEVALUATED
        else:
            ok = _same(mine, theirs)
        if not ok:
            wrong.append(f"{expr}: mamori {mine!r}, terraform {theirs!r}")
    assert not wrong, "\n".join(wrong)
    errors = sum(1 for t in oracle if t == ERROR)
    print(f"{len(expressions)} expressions agree with terraform console ({errors} errors)")
