"""Evaluate the Terraform expressions python-hcl2 leaves as `${...}` strings.

Only what a static reader can know: literals, `var.*` (defaults and tfvars), `local.*`,
`count.index` / `each.key` / `each.value` of an expanded instance, traversal, string
templates, operators, conditionals and Terraform's pure built-in functions (`tffuncs`),
and references to other resources (`Ref`, for linking; a resource argument written
literally is substituted where a string or a function needs it). `data.*`, `module.*`,
splats, `for` expressions and impure functions are `Unknown`; an expression Terraform
would reject on known values is `Failed` (an Unknown that `try` and `can` catch).
A `Budget` bounds the values built, so chains of locals cannot blow up memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mamori.workload.iac import tffuncs, tfstrings
from mamori.workload.iac.model import Budget, Failed, Ref, Unknown
from mamori.workload.iac.tfexpr import Node, ParseError, parse
from mamori.workload.iac.tfops import apply_operator

META_KEYS = ("__start_line__", "__end_line__")
MAX_DEPTH = 64

FUNCTIONS = {**tffuncs.FUNCTIONS, **tfstrings.FUNCTIONS}
_ERRORS = (TypeError, ValueError, KeyError, IndexError, OverflowError, RecursionError)
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


def instance_suffix(key: int | str) -> str:
    """`[0]` or `["logs"]`: how Terraform writes an instance key in an address."""
    return f"[{key}]" if isinstance(key, int) else '["' + key.replace('"', '\\"') + '"]'


class Scope:
    """Names an expression may use in one module instance (and resource instance)."""

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
        self.instance: dict[str, Any] = {}  # {"count": {"index": 0}} / {"each": {...}}
        # resource address -> its instance keys when expanded (None: declared once)
        self.expanded: dict[str, list[int | str] | None] = {}

    def child(self, instance: dict[str, Any]) -> Scope:
        """The same module scope (shared locals and budget) for one resource instance."""
        other = Scope(self.variables, self.raw_locals, self.prefix, self.budget)
        other.locals, other.resolving, other.expanded = self.locals, self.resolving, self.expanded
        other.resource_attr, other.instance = self.resource_attr, instance
        return other

    def local(self, name: str) -> Any:
        if name in self.locals:
            return self.locals[name]
        if name not in self.raw_locals or name in self.resolving:
            return Unknown(f"local.{name}")
        self.resolving.add(name)
        try:
            value = self.child({}).value(self.raw_locals[name])
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
            value = self.deref(self.expr(piece.strip(), depth))
            if isinstance(value, Failed):
                return value
            if value is None or isinstance(value, list | dict | Unknown):
                return Unknown(text)
            out.append(tffuncs.text(value))
            if not self.budget.spend(len(out[-1]) // 64):
                return Unknown("too large")
        return "".join(out)

    def expr(self, expr: str, depth: int) -> Any:
        try:
            node = parse(expr)
        except (ParseError, RecursionError):
            return Unknown(expr)
        return self.eval(node, depth + 1)

    def eval(self, node: Node, depth: int) -> Any:
        if depth > MAX_DEPTH or not self.budget.spend():
            return Unknown("too large or too deep")
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "str":
            return self.value(node[1], depth + 1)
        if kind in ("name", "get"):
            return self._traversal(node, depth)
        if kind == "list":
            return [self.eval(item, depth + 1) for item in node[1]]
        if kind == "obj":
            out: dict[str, Any] = {}
            for key_node, value_node in node[1]:
                key = self.deref(self.eval(key_node, depth + 1))
                if isinstance(key, Unknown) or key is None or isinstance(key, list | dict):
                    return key if isinstance(key, Failed) else Unknown("object key")
                out[tffuncs.text(key)] = self.eval(value_node, depth + 1)
            return out
        if kind == "call":
            return self._call(node[1], node[2], node[3], depth)
        return evaluate_operator(self, node, depth)

    def _traversal(self, node: Node, depth: int) -> Any:
        steps: list[Any] = []
        while node[0] == "get":
            steps.append(self.deref(self.eval(node[2], depth + 1)))
            node = node[1]
        steps.reverse()
        if node[0] != "name":
            return index_into(self.eval(node, depth + 1), steps)
        for step in steps:
            if isinstance(step, Unknown) or step is None or isinstance(step, list | dict):
                return step if isinstance(step, Failed) else Unknown("index")
        return self.resolve(node[1], steps)

    def resolve(self, head: str, steps: list[Any]) -> Any:
        """`head.step...`: a variable, local, instance key or resource reference."""
        if head == "var" and steps:
            value = self.variables.get(str(steps[0]), Unknown(f"var.{steps[0]}"))
        elif head == "local" and steps:
            value = self.local(str(steps[0]))
        elif head in ("count", "each") and head in self.instance and steps:
            value = self.instance[head].get(str(steps[0]), Failed(f"{head}.{steps[0]}"))
        elif head in ("data", "module", "path", "terraform", "each", "count", "self"):
            return Unknown(head)
        elif steps and isinstance(steps[0], str):
            return self._reference(f"{self.prefix}{head}.{steps[0]}", steps[1:])
        else:
            return Unknown(head)
        return index_into(value, steps[1:])

    def _reference(self, address: str, steps: list[Any]) -> Any:
        keys = self.expanded.get(address)
        if steps and (address in self.expanded or not isinstance(steps[0], str)):
            key = steps.pop(0)  # an instance key (dropped when the resource is not expanded)
            if keys is not None:
                if key not in keys:
                    return Failed(f"{address}[{key}]")
                address += instance_suffix(key)
        attr = str(steps[0]) if steps else "id"
        return Ref(address, attr)

    def _call(self, name: str, arg_nodes: list[Node], spread: bool, depth: int) -> Any:
        if name in ("try", "can"):
            return try_can(self, name, arg_nodes, depth)
        func = FUNCTIONS.get(name)
        if func is None:
            return Unknown(f"{name}()")
        args = [self.deref(self.eval(a, depth + 1)) for a in arg_nodes]
        if spread and args:
            if not isinstance(args[-1], list):
                return args[-1] if isinstance(args[-1], Unknown) else Failed("...")
            args = args[:-1] + args[-1]
        for arg in args:
            if isinstance(arg, Failed):
                return arg
        if any(_has_unknown(a) for a in args):
            return Unknown(f"{name}()")
        try:
            tffuncs.check_size(args)
            result = func(*args)
            tffuncs.check_size(result)
        except tffuncs.UnsupportedError:
            return Unknown(f"{name}()")
        except _ERRORS as exc:  # FuncError, or arguments of the wrong kind or number
            return Failed(f"{name}(): {type(exc).__name__}")
        if not self.budget.spend(_size(result)):
            return Unknown("too large")
        return result

    def deref(self, value: Any) -> Any:
        """References replaced by the attribute they name, where it is written literally."""
        if isinstance(value, Ref) and self.resource_attr is not None:
            return self.resource_attr(value.address, value.attr)
        if isinstance(value, dict):
            return {k: self.deref(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deref(v) for v in value]
        return value


def _size(value: Any) -> int:
    if isinstance(value, list):
        return len(value) + 1
    if isinstance(value, dict):
        return len(value) + 1
    if isinstance(value, str):
        return len(value) // 64 + 1
    return 1


def index_into(value: Any, steps: list[Any]) -> Any:
    """Attribute and index steps into a known value; Failed when the step is not there."""
    for step in steps:
        if isinstance(value, Unknown | Ref):
            return value
        if isinstance(step, Unknown):
            return step
        if isinstance(value, dict) and not isinstance(step, list | dict):
            key = tffuncs.text(step) if step is not None else ""
            if key not in value:
                return Failed(f"no key {key[:40]}")
            value = value[key]
        elif (
            isinstance(value, list)
            and isinstance(step, int | float | str)
            and not isinstance(step, bool)
        ):
            try:
                at = tffuncs.num(step)
            except tffuncs.FuncError:
                return Failed("list index")
            if not isinstance(at, int) or not 0 <= at < len(value):
                return Failed("index out of range")
            value = value[at]
        else:
            return Failed("not a collection")
    return value


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


def try_can(scope: Scope, name: str, arg_nodes: list[Node], depth: int) -> Any:
    """`try(a, b...)`: the first argument that evaluates without error; `can(x)`: whether
    `x` does. An argument that is merely unknown makes the answer unknown."""
    if not arg_nodes or (name == "can" and len(arg_nodes) != 1):
        return Failed(f"{name}()")
    for node in arg_nodes:
        value = scope.deref(scope.eval(node, depth + 1))
        if isinstance(value, Failed):
            continue
        if name == "can":
            return Unknown("can()") if _has_unknown(value) else True
        return value
    return False if name == "can" else Failed("try(): no argument succeeded")


def evaluate_operator(scope: Scope, node: Node, depth: int) -> Any:
    """`c ? a : b`, unary `!` and `-`, and the binary operators over known operands."""
    kind = node[0]
    if kind == "cond":
        cond = scope.deref(scope.eval(node[1], depth + 1))
        if isinstance(cond, str) and cond in ("true", "false"):
            cond = cond == "true"
        if not isinstance(cond, bool):
            return cond if isinstance(cond, Unknown) else Failed("condition is not a bool")
        return scope.eval(node[2] if cond else node[3], depth + 1)
    children = node[1:] if kind in ("not", "neg") else node[2:]
    operands = [scope.deref(scope.eval(n, depth + 1)) for n in children]
    for operand in operands:
        if isinstance(operand, Failed):
            return operand
    if kind == "bin" and node[1] in ("&&", "||"):  # HCL short-circuits over unknowns
        decisive = node[1] == "||"
        if any(o is decisive for o in operands):
            return decisive
    if any(_has_unknown(o) for o in operands):
        return Unknown(kind)
    try:
        return apply_operator(kind, node[1] if kind == "bin" else "", operands)
    except (tffuncs.FuncError, ZeroDivisionError, OverflowError):
        return Failed(f"operator {kind}")
