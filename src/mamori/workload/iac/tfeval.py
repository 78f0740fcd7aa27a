"""Evaluate the Terraform expressions python-hcl2 leaves as `${...}` strings.

Only what a static reader can know: literals, `var.*` (defaults and tfvars), `local.*`,
attribute and index traversal of those, string templates of known scalars,
`jsonencode(...)` of a known value, and references to other resources (`Ref`, for
linking; a resource argument written literally is substituted where a string needs it).
Everything else (functions, conditionals, `data.*`, `module.*`, splats) is `Unknown`.
A `Budget` bounds the values built, so chains of locals cannot blow up memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from hcl2.api import loads as hcl_loads

from mamori.workload.iac.model import Budget, Ref, Unknown

META_KEYS = ("__start_line__", "__end_line__")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_TRAVERSAL = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[\d+\]|\[\"[^\"]*\"\])*$")
_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[\"([^\"]*)\"\]")
MAX_DEPTH = 64

ResourceAttr = Callable[[str, str], Any]  # (address, attr) -> value or Unknown


def split_template(text: str) -> list[tuple[bool, str]] | None:
    """A string as (is_expression, text) parts; None when braces do not balance."""
    parts: list[tuple[bool, str]] = []
    i, start, n = 0, 0, len(text)
    while i < n:
        if text.startswith("$${", i):  # an escaped literal ${
            i += 3
            continue
        if text.startswith("${", i):
            if i > start:
                parts.append((False, text[start:i]))
            depth, j, quote = 1, i + 2, False
            while j < n and depth:
                c = text[j]
                if quote:
                    if c == "\\":
                        j += 1
                    elif c == '"':
                        quote = False
                elif c == '"':
                    quote = True
                elif c == "{":
                    depth += 1
                elif c == "}":
                    depth -= 1
                j += 1
            if depth:
                return None
            parts.append((True, text[i + 2 : j - 1]))
            i = start = j
            continue
        i += 1
    if start < n:
        parts.append((False, text[start:]))
    return parts


class Scope:
    """Names an expression may use in one module instance."""

    def __init__(
        self,
        variables: dict[str, Any],
        locals_: dict[str, Any],
        prefix: str,
        budget: Budget,
        resource_attr: ResourceAttr | None = None,
    ) -> None:
        self.variables = variables
        self.raw_locals = locals_
        self.locals: dict[str, Any] = {}
        self.resolving: set[str] = set()
        self.prefix = prefix  # "module.a." inside a module call
        self.budget = budget
        self.resource_attr = resource_attr

    def local(self, name: str) -> Any:
        if name in self.locals:
            return self.locals[name]
        if name not in self.raw_locals or name in self.resolving:
            return Unknown(f"local.{name}")
        self.resolving.add(name)
        try:
            value = self.value(self.raw_locals[name])
        finally:
            self.resolving.discard(name)
        self.locals[name] = value
        return value

    def value(self, raw: Any, depth: int = 0) -> Any:
        """A parsed HCL value with its expressions evaluated (block line markers dropped)."""
        if depth > MAX_DEPTH or not self.budget.spend():
            return Unknown("too large or too deep")
        if isinstance(raw, dict):
            return {str(k): self.value(v, depth + 1) for k, v in raw.items() if k not in META_KEYS}
        if isinstance(raw, list):
            return [self.value(v, depth + 1) for v in raw]
        if isinstance(raw, str) and "${" in raw:
            return self.template(raw, depth)
        return raw

    def template(self, text: str, depth: int) -> Any:
        parts = split_template(text)
        if parts is None:
            return Unknown(text)
        if len(parts) == 1 and parts[0][0]:
            return self.expr(parts[0][1].strip(), depth)
        out: list[str] = []
        for is_expr, piece in parts:
            if not is_expr:
                out.append(piece.replace("$${", "${"))
                continue
            value = self.expr(piece.strip(), depth)
            if isinstance(value, Ref) and self.resource_attr is not None:
                value = self.resource_attr(value.address, value.attr)
            if isinstance(value, bool):
                out.append("true" if value else "false")
            elif isinstance(value, int | float | str):
                out.append(str(value))
            else:
                return Unknown(text)
        return "".join(out)

    def expr(self, expr: str, depth: int) -> Any:
        if expr in ("true", "false"):
            return expr == "true"
        if expr == "null":
            return None
        if _NUMBER.match(expr):
            return float(expr) if any(c in expr for c in ".eE") else int(expr)
        if len(expr) >= 2 and expr[0] == '"' and expr[-1] == '"' and '"' not in expr[1:-1]:
            return self.value(expr[1:-1], depth + 1)
        operated = self._operators(expr, depth)
        if operated is not None:
            return operated
        if expr.startswith("jsonencode(") and expr.endswith(")"):
            return self._jsonencode(expr[len("jsonencode(") : -1], depth)
        if _TRAVERSAL.match(expr):
            return self._traverse(expr)
        return Unknown(expr)

    def _operators(self, expr: str, depth: int) -> Any:
        """`c ? a : b`, `||`, `&&`, `==`, `!=`, `!x` over known operands; None: not one."""
        question = _top_level(expr, "?")
        if question is not None:
            colon = _top_level(expr[question + 1 :], ":")
            if colon is None:
                return Unknown(expr)
            cond = self.expr(expr[:question].strip(), depth + 1)
            if not isinstance(cond, bool):
                return Unknown(expr)
            branch = expr[question + 1 :][:colon] if cond else expr[question + 1 :][colon + 1 :]
            return self.expr(branch.strip(), depth + 1)
        for op in ("||", "&&", "==", "!="):
            at = _top_level(expr, op)
            if at is None:
                continue
            left = self.expr(expr[:at].strip(), depth + 1)
            right = self.expr(expr[at + len(op) :].strip(), depth + 1)
            if isinstance(left, Unknown | Ref) or isinstance(right, Unknown | Ref):
                return Unknown(expr)
            if op in ("==", "!="):
                return (left == right) == (op == "==")
            if not isinstance(left, bool) or not isinstance(right, bool):
                return Unknown(expr)
            return (left or right) if op == "||" else (left and right)
        if expr.startswith("!") and not expr.startswith("!="):
            inner = self.expr(expr[1:].strip(), depth + 1)
            return (not inner) if isinstance(inner, bool) else Unknown(expr)
        return None

    def _jsonencode(self, inner: str, depth: int) -> Any:
        try:
            parsed = hcl_loads(f"x = {inner}\n")["x"]
        except Exception:  # python-hcl2 raises lark errors of many kinds
            return Unknown(f"jsonencode({inner[:60]})")
        value = self._deref(self.value(parsed, depth + 1))
        if _has_unknown(value):
            return Unknown(f"jsonencode({inner[:60]})")
        return json.dumps(value)

    def _traverse(self, expr: str) -> Any:
        head, _, rest = expr.partition(".")
        steps = [m.group(1) or m.group(3) or int(m.group(2)) for m in _STEP.finditer("." + rest)]
        if head == "var" and steps:
            name = steps.pop(0)
            value = self.variables.get(str(name), Unknown(f"var.{name}"))
        elif head == "local" and steps:
            value = self.local(str(steps.pop(0)))
        elif head in ("data", "module", "path", "terraform", "each", "count", "self"):
            return Unknown(expr)
        elif steps and isinstance(steps[0], str):
            address = f"{self.prefix}{head}.{steps.pop(0)}"
            if steps and isinstance(steps[0], int):
                steps.pop(0)  # aws_x.y[0].id: count is not expanded, take the one declared
            attr = str(steps[0]) if steps else "id"
            return Ref(address, attr)
        else:
            return Unknown(expr)
        for step in steps:
            if isinstance(value, dict) and str(step) in value:
                value = value[str(step)]
            elif isinstance(value, list) and isinstance(step, int) and step < len(value):
                value = value[step]
            else:
                return Unknown(expr)
        return value

    def _deref(self, value: Any) -> Any:
        """References replaced by the attribute they name, where it is written literally."""
        if isinstance(value, Ref) and self.resource_attr is not None:
            return self.resource_attr(value.address, value.attr)
        if isinstance(value, dict):
            return {k: self._deref(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._deref(v) for v in value]
        return value


def _top_level(expr: str, op: str) -> int | None:
    """Index of the first `op` outside brackets, braces, parentheses and strings."""
    depth, quote, i = 0, False, 0
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and expr.startswith(op, i):
            return i
        i += 1
    return None


def _has_unknown(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Unknown | Ref):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
