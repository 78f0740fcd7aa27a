"""Terraform's pure built-in functions over known values, with Terraform's semantics.

Values are Python data: str, int/float (Terraform numbers; an integral result is an int),
bool, None (null), list (list, tuple and set: a set is sorted and deduplicated), dict
(map and object). A function given arguments it rejects raises `FuncError`; the evaluator
turns that into `Failed` (what `try` and `can` catch). Sizes are bounded (`MAX_ITEMS`) so
`range(1e9)` or `formatlist` over huge lists is an error, not gigabytes.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable
from typing import Any

MAX_ITEMS = 10_000
MAX_DEPTH = 64  # nesting of a decoded or flattened value
MAX_TEXT = 4 * 1024 * 1024  # characters an argument list or a result may hold


_NUMERIC = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
# characters that join with their neighbour into one user-perceived character (grapheme)
_JOINING = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u0610-\u061a\u064b-\u065f"
    "\u0e31-\u0e3a\u1ab0-\u1aff\u1dc0-\u1dff\u200c\u200d\u20d0-\u20ff"
    "\ufe00-\ufe0f\ufe20-\ufe2f\U0001f1e6-\U0001f1ff\U0001f3fb-\U0001f3ff"
    "\U000e0100-\U000e01ef\u1100-\u11ff\r]"
)


class FuncError(ValueError):
    """A function call Terraform would reject (wrong type, out of range...)."""


class UnsupportedError(Exception):
    """A call Terraform would answer that mamori does not evaluate (too large, a set of
    objects, a regular expression that could backtrack for ever): the value is unknown."""


def check_size(value: Any) -> None:
    """UnsupportedError when `value` holds more than MAX_TEXT characters or MAX_ITEMS * 4 items
    (lists can share one large string many times: counted each time it appears)."""
    total, items, stack = 0, 0, [value]
    while stack:
        item = stack.pop()
        items += 1
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
            total += sum(len(k) for k in item)
        if total > MAX_TEXT or items > MAX_ITEMS * 4:
            raise UnsupportedError("too large")


def num(value: Any) -> int | float:
    if isinstance(value, bool) or value is None:
        raise FuncError("a number is required")
    if isinstance(value, int | float):
        return norm(value)
    if isinstance(value, str):
        if not _NUMERIC.match(value) or len(value) > 400:
            raise FuncError(f"cannot convert {value[:40]!r} to number")
        if value.lstrip("-").isdigit():
            return int(value)
        parsed = float(value)
        if not math.isfinite(parsed):
            raise FuncError(f"cannot convert {value[:40]!r} to number")
        return norm(parsed)
    raise FuncError("a number is required")


def norm(value: int | float) -> int | float:
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def text(value: Any) -> str:
    """Terraform's string conversion of a primitive."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        value = norm(value)
        if isinstance(value, int):
            return str(value)
        shown = repr(value)  # 0.1 + 0.2: Terraform's decimals say 0.3, a float 0.30000000000000004
        digits = len(shown.split("e")[0].replace("-", "").replace(".", "").lstrip("0"))
        return format(value, ".16g") if digits >= 17 else shown
    if isinstance(value, str):
        return value
    raise FuncError("a string is required")


def listed(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise FuncError("a list is required")
    return value


def _map(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FuncError("a map is required")
    return value


def bounded(items: list[Any]) -> list[Any]:
    if len(items) > MAX_ITEMS:
        raise UnsupportedError("result too large")
    return items


def to_set(value: Any) -> list[Any]:
    """Unique elements in Terraform's set order (strings lexical, numbers numeric)."""
    items = listed(value)
    if any(isinstance(i, list | dict) for i in items) or None in items:
        raise UnsupportedError("sets of collections or nulls are not evaluated")
    kinds = {type(i) for i in items}
    if len(kinds) > 1:  # mixed primitives unify to string
        items = [text(i) for i in items]
    elif kinds == {float} or kinds == {int}:
        items = [norm(i) for i in items]
    unique = list(dict.fromkeys(items))
    return sorted(unique, key=lambda i: (i is True, i) if isinstance(i, bool) else i)


def plain(value: str) -> str:
    """`value` when each code point is one character as Terraform counts them (grapheme
    clusters); combining marks, joiners, flags and CRLF are not evaluated."""
    if _JOINING.search(value):
        raise UnsupportedError("grapheme clusters are not counted")
    return value


def unify(items: list[Any]) -> list[Any]:
    """A list of mixed primitives unifies to strings, as Terraform's conversions do."""
    kinds = {type(i) for i in items if i is not None}
    if len(kinds) > 1 and kinds <= {str, int, float, bool} and kinds != {int, float}:
        return [None if i is None else text(i) for i in items]
    return items


def _length(v: Any) -> int:
    if isinstance(v, str):
        return len(plain(v))
    if isinstance(v, list | dict):
        return len(v)
    raise FuncError("length of a primitive")


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    m = _map(m)
    if text(key) in m:
        return m[text(key)]
    if default:
        return default[0]
    raise FuncError("key not found")


def _merge(*maps: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in maps:
        if m is not None:
            out.update(_map(m))
    return out


def _concat(*lists: Any) -> list[Any]:
    if not lists:
        raise FuncError("concat needs at least one list")
    out: list[Any] = []
    for item in lists:
        out.extend(listed(item))
    return bounded(out)


def _coalesce(*args: Any) -> Any:
    kinds = {type(a) for a in args if a is not None}
    if len(kinds) > 1 and kinds <= {str, int, float, bool}:
        args = tuple(None if a is None else text(a) for a in args)
    for arg in args:
        if arg is not None and arg != "":
            return arg
    raise FuncError("no non-null, non-empty-string arguments")


def _coalescelist(*args: Any) -> Any:
    for arg in args:
        if listed(arg):
            return arg
    raise FuncError("no non-empty list")


def _element(items: Any, index: Any) -> Any:
    items, at = listed(items), num(index)
    if not items or not isinstance(at, int) or at < 0:
        raise FuncError("element of an empty list or a negative index")
    return items[at % len(items)]


def _flatten(items: Any) -> list[Any]:
    out: list[Any] = []
    stack: list[Any] = [iter(listed(items))]
    while stack:
        item = next(stack[-1], StopIteration)
        if item is StopIteration:
            stack.pop()
        elif isinstance(item, list):
            if len(stack) > MAX_DEPTH:
                raise UnsupportedError("too deep")
            stack.append(iter(item))
        else:
            out.append(item)
    return bounded(out)


def _cidrsubnet(prefix: Any, newbits: Any, netnum: Any) -> str:
    try:
        net = ipaddress.ip_network(text(prefix), strict=False)
    except ValueError:
        raise FuncError("invalid CIDR") from None
    bits, number = num(newbits), num(netnum)
    if not isinstance(bits, int) or not isinstance(number, int) or bits < 0 or number < 0:
        raise FuncError("integers >= 0 are required")
    length = net.prefixlen + bits
    if length > net.max_prefixlen or number >= 2**bits:
        raise FuncError("not enough bits")
    base = int(net.network_address) + (number << (net.max_prefixlen - length))
    address = ipaddress.IPv4Address(base) if net.version == 4 else ipaddress.IPv6Address(base)
    return f"{address}/{length}"


def _tonumber(value: Any) -> Any:
    return None if value is None else num(value)


def _tostring(value: Any) -> Any:
    return None if value is None else text(value)


def _range(*args: Any) -> list[Any]:
    values = [num(a) for a in args]
    if not 1 <= len(values) <= 3:
        raise FuncError("range takes 1 to 3 arguments")
    start, stop = (0, values[0]) if len(values) == 1 else (values[0], values[1])
    step = values[2] if len(values) == 3 else (1 if start <= stop else -1)
    if step == 0 or (stop - start) * step < 0:
        if step == 0:
            raise FuncError("step 0")
        return []
    count = math.ceil((stop - start) / step)
    if count > MAX_ITEMS:
        raise UnsupportedError("range too large")
    return [norm(start + i * step) for i in range(count)]


def _zipmap(keys: Any, values: Any) -> dict[str, Any]:
    keys, values = listed(keys), listed(values)
    if len(keys) != len(values):
        raise FuncError("lists of different lengths")
    return {text(k): v for k, v in zip(keys, values, strict=True)}


def _jsondecode(value: Any) -> Any:
    source = text(value)
    depth = deepest = 0
    for char in source:  # bracket depth, strings included: an upper bound, cheap
        depth += 1 if char in "[{" else -1 if char in "]}" else 0
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise UnsupportedError("JSON nested too deep")
    try:
        return json.loads(source, parse_float=lambda s: norm(float(s)))
    except (ValueError, RecursionError):
        raise FuncError("invalid JSON") from None


def _jsonencode(value: Any) -> str:
    """Go's encoding/json: HTML-safe escapes, non-ASCII kept, keys sorted, no spaces."""
    out = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        out = out.replace(char, escape)
    return out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _distinct(items: Any) -> list[Any]:
    seen: dict[str, Any] = {}
    for item in listed(items):
        seen.setdefault(json.dumps(item, sort_keys=True), item)
    return list(seen.values())


def _tomap(value: Any) -> dict[str, Any]:
    m = _map(value)
    kinds = {type(v) for v in m.values() if v is not None}
    if len(kinds) > 1 and kinds <= {str, int, float, bool}:
        return {k: None if v is None else text(v) for k, v in m.items()}
    return m


def _minmax(pick: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        if not args:
            raise FuncError("at least one number is required")
        return pick(num(a) for a in args)

    return call


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "length": _length,
    "lookup": _lookup,
    "merge": _merge,
    "concat": _concat,
    "contains": lambda items, v: v in listed(items),
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "element": _element,
    "flatten": _flatten,
    "keys": lambda m: sorted(_map(m)),
    "values": lambda m: [_map(m)[k] for k in sorted(m)],
    "toset": to_set,
    "tolist": lambda items: unify(listed(items)),
    "tomap": _tomap,
    "jsonencode": lambda v: _jsonencode(v),
    "jsondecode": _jsondecode,
    "cidrsubnet": _cidrsubnet,
    "tostring": _tostring,
    "tonumber": _tonumber,
    "tobool": lambda v: (
        v if isinstance(v, bool) or v is None else {"true": True, "false": False}[text(v)]
    ),
    "min": _minmax(min),
    "max": _minmax(max),
    "abs": lambda v: abs(num(v)),
    "compact": lambda items: [i for i in listed(items) if i is not None and text(i) != ""],
    "distinct": _distinct,
    "zipmap": _zipmap,
    "range": _range,
}
