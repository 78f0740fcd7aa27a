"""Comparison operators: literal parsing by field type and value predicates.

Each builder returns a predicate on ONE non-missing field value, built once at
compile time (literals converted, sets frozen, regexes and globs compiled), so
evaluating an event only calls the predicate. Semantics are libsinsp's
(``filter_compare.cpp``, ``sinsp_filter_check::compare_rhs``): ``regex`` must match the
whole value, ``in``/``intersects`` on a single value are set membership, ``pmatch`` is
a path-prefix match on whole path components, IP fields compare addresses and
networks.
"""

from __future__ import annotations

import binascii
import fnmatch
import ipaddress
import operator
import re
from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import Any

from mamori.rules.source import FieldType

Pred = Callable[[Any], bool]

NUMERIC_OPS = frozenset({"=", "==", "!=", "<", "<=", ">", ">=", "in", "intersects", "exists"})
_ALLOWED: dict[FieldType, frozenset[str]] = {
    FieldType.BOOL: frozenset({"=", "==", "!=", "in", "intersects", "exists"}),
    FieldType.IPADDR: frozenset({"=", "==", "!=", "in", "intersects", "exists"}),
    FieldType.IPNET: frozenset({"=", "==", "!=", "in", "intersects", "exists"}),
}
_ORDER = {
    "<": operator.gt,  # value < c  <=>  c > value
    "<=": operator.ge,
    ">": operator.lt,
    ">=": operator.le,
}


class OpError(ValueError):
    """A literal or operator that does not fit the field."""


def check_allowed(op: str, ftype: FieldType, field: str) -> None:
    allowed = NUMERIC_OPS if ftype.numeric else _ALLOWED.get(ftype, frozenset())
    if allowed and op not in allowed:
        raise OpError(f"operator '{op}' is not supported by field '{field}' of type {ftype}")


def parse_literal(text: str, ftype: FieldType, op: str = "=") -> Any:
    """Convert one literal to the field type's Python value."""
    if ftype.numeric:
        try:
            return float(text) if ftype is FieldType.DOUBLE else parse_int(text)
        except ValueError:
            raise OpError(f"'{text}' is not a valid number") from None
    if ftype is FieldType.BOOL:
        low = text.lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise OpError(f"'{text}' is not a valid boolean")
    if ftype in (FieldType.IPADDR, FieldType.IPNET):
        try:
            if "/" in text:
                return ipaddress.ip_network(text, strict=False)
            return ipaddress.ip_address(text)
        except ValueError:
            raise OpError(f"'{text}' is not a valid IP address or network") from None
    if ftype is FieldType.BYTES or op in ("bcontains", "bstartswith"):
        if op in ("bcontains", "bstartswith"):
            try:
                return binascii.unhexlify(text)
            except (binascii.Error, ValueError):
                raise OpError(f"{op} requires a hexadecimal string, got '{text}'") from None
        return text.encode()
    return text


def parse_int(text: str) -> int:
    """Decimal (leading zeros allowed, as strtoll reads them) or 0x hexadecimal."""
    t = text.strip()
    if t[:2].lower() in ("0x",) or t[:3].lower() in ("-0x", "+0x"):
        return int(t, 16)
    return int(t, 10)


def _ip(value: Any) -> Any:
    if isinstance(value, str):
        return _parse_ip(value)
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _parse_ip(text: str) -> Any:
    """`ipaddress.ip_address` of a field's text, cached: parsing costs tens of
    microseconds and a capture meets the same few addresses over and over."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _ip_pred(op: str, literals: Sequence[Any]) -> Pred:
    addrs = frozenset(x for x in literals if not isinstance(x, ipaddress._BaseNetwork))
    nets = tuple(x for x in literals if isinstance(x, ipaddress._BaseNetwork))

    def hit(value: Any) -> bool:
        ip = _ip(value)
        if ip is None:
            return False
        return ip in addrs or any(ip in n for n in nets)

    if op == "!=":
        return lambda v: _ip(v) is not None and not hit(v)
    return hit


class PathPrefixes:
    """``pmatch``: does a path start with one of the prefixes, on component boundaries?

    ``/var/run`` matches ``/var/run`` and ``/var/run/docker.sock`` but not
    ``/var/running``; trailing slashes on prefixes are ignored.
    """

    def __init__(self, prefixes: Sequence[str]) -> None:
        self.exact: frozenset[str] = frozenset(p.rstrip("/") or "/" for p in prefixes)

    def __call__(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if "/" in self.exact and value.startswith("/"):
            return True
        path = value.rstrip("/") or "/"
        while True:
            if path in self.exact:
                return True
            cut = path.rfind("/")
            if cut <= 0:
                return False
            path = path[:cut]


def _glob(pattern: str, icase: bool) -> Pred:
    rx = re.compile(fnmatch.translate(pattern), re.IGNORECASE if icase else 0)
    return lambda v: isinstance(v, str) and rx.match(v) is not None


def make_pred(op: str, ftype: FieldType, literal: Any, literals: Sequence[Any] = ()) -> Pred:
    """A predicate for a single (non-list) field value. `literal` is the converted RHS;
    for list operators `literals` holds the converted list."""
    if ftype in (FieldType.IPADDR, FieldType.IPNET):
        return _ip_pred(op, literals if op in ("in", "intersects") else (literal,))
    if op in ("in", "intersects"):
        return frozenset(literals).__contains__
    if op == "pmatch":
        return PathPrefixes([str(x) for x in literals])
    if op in ("=", "=="):
        return partial(operator.eq, literal)
    if op == "!=":
        return partial(operator.ne, literal)
    if op in _ORDER:
        return partial(_ORDER[op], literal)
    return _string_pred(op, literal)


def _string_pred(op: str, c: Any) -> Pred:
    if op in ("contains", "bcontains"):
        return lambda v: c in v
    if op == "icontains":
        low = c.lower()
        return lambda v: low in v.lower()
    if op in ("startswith", "bstartswith"):
        return lambda v: v.startswith(c)
    if op == "endswith":
        return lambda v: v.endswith(c)
    if op in ("glob", "iglob"):
        return _glob(c, op == "iglob")
    if op == "regex":
        try:
            rx = re.compile(c)
        except re.error as exc:
            raise OpError(f"invalid regular expression '{c}': {exc}") from None
        return lambda v: rx.fullmatch(v) is not None
    raise OpError(f"unknown operator '{op}'")


def make_pair(op: str, ftype: FieldType) -> Callable[[Any, Any], bool]:
    """For ``field op val(other)``: a predicate on both extracted values."""
    if op in ("in", "intersects"):
        return lambda a, b: a in b if isinstance(b, tuple | list | frozenset) else a == b
    if op in ("=", "=="):
        return operator.eq
    if op == "!=":
        return operator.ne
    if op in _ORDER:
        cmp = _ORDER[op]
        return lambda a, b: bool(cmp(b, a))
    if op == "pmatch":
        return lambda a, b: PathPrefixes([b] if isinstance(b, str) else list(b))(a)
    return lambda a, b: _string_pred(op, b)(a)
