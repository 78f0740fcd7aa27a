"""Terraform's operators over known values: arithmetic, comparison, logic, equality."""

from __future__ import annotations

import math
from typing import Any

from mamori.workload.iac import tffuncs


def _same(left: Any, right: Any) -> bool:
    """Terraform equality: values of different types are never equal (1 != "1")."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    number = (int, float)
    if isinstance(left, number) and isinstance(right, number):
        return bool(left == right)
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    return bool(left == right)


def apply_operator(kind: str, op: str, operands: list[Any]) -> Any:
    if kind == "not":
        value = operands[0]
        if not isinstance(value, bool):
            raise tffuncs.FuncError("! needs a bool")
        return not value
    if kind == "neg":
        return tffuncs.norm(-tffuncs.num(operands[0]))
    left, right = operands
    if op in ("==", "!="):
        return _same(left, right) == (op == "==")
    if op in ("&&", "||"):
        if not isinstance(left, bool) or not isinstance(right, bool):
            raise tffuncs.FuncError("bool operands required")
        return (left and right) if op == "&&" else (left or right)
    a, b = tffuncs.num(left), tffuncs.num(right)
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == ">=":
        return a >= b
    if op == "+":
        result: int | float = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    elif op == "/":
        result = a / b
    else:
        result = math.fmod(a, b) if isinstance(a, float) or isinstance(b, float) else _imod(a, b)
    if isinstance(result, float) and not math.isfinite(result):
        raise tffuncs.FuncError("not finite")
    return tffuncs.norm(result)


def _imod(a: int, b: int) -> int:
    """Go's remainder: the sign of the dividend (math/big's Rem truncates toward zero)."""
    if b == 0:
        raise ZeroDivisionError
    return int(math.fmod(a, b)) if abs(a) < 2**52 and abs(b) < 2**52 else a - b * int(a / b)
