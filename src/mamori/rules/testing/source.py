"""`MappingSource`: a source's catalogue over ``dict`` events, for rule tests.

The rules are compiled against it by the real engine, so types, argument rules and
event types are the wrapped source's; only extraction differs (a dictionary lookup).
`build_event` turns a test's fields, as written, into such an event.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from mamori.rules.ops import parse_int
from mamori.rules.source import EventSource, FieldError, FieldInfo, FieldRef, FieldType, sources
from mamori.rules.testing.reader import Raw, RuleTest

TYPE_FIELD = "evt.type"


class RuleTestError(ValueError):
    """A test that cannot run (unknown field, value of the wrong type...)."""


class MappingSource:
    """An `EventSource` over ``dict`` events keyed by the field as the engine names it
    (``str(FieldRef)``: ``proc.aname[2]``, ``evt.arg[flags]``); same catalogue, argument
    rules and event types as the wrapped source."""

    def __init__(self, inner: EventSource[Any]) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def fields(self) -> Mapping[str, FieldInfo]:
        return self.inner.fields

    @property
    def event_types(self) -> frozenset[str]:
        return self.inner.event_types

    def resolve(self, name: str, arg: str | None = None) -> tuple[FieldInfo, FieldRef]:
        return self.inner.resolve(name, arg)

    def compile_field(self, ref: FieldRef) -> Callable[[dict[str, Any]], Any]:
        key = str(ref)
        return lambda event: event.get(key)

    def event_type(self, event: dict[str, Any]) -> str:
        return str(event.get(TYPE_FIELD) or "")


def mapping_sources(
    srcs: Mapping[str, EventSource[Any]] | None = None,
) -> dict[str, EventSource[Any]]:
    """Every source (default: every registered one) wrapped as a `MappingSource`."""
    if srcs is None:
        srcs = {name: sources.get(name) for name in sources.names()}
    return {name: MappingSource(src) for name, src in srcs.items()}


def build_event(test: RuleTest, source: EventSource[Any]) -> dict[str, Any]:
    """The test's event, each field resolved against `source` and converted to the
    field's type. Raises `RuleTestError` naming the field and its position."""
    event: dict[str, Any] = {}
    for written, raw, where in test.fields:
        try:
            info, ref = _resolve(source, written)
            value = _convert(info, ref, raw)
        except (FieldError, RuleTestError) as exc:
            raise RuleTestError(f"{where}: {written}: {exc}") from None
        key = str(ref)
        if key in event:
            raise RuleTestError(f"{where}: {written}: the same field as another key ({key})")
        if value is not None:
            event[key] = value
    etype = event.get(TYPE_FIELD)
    if source.event_types:
        if etype is None:
            raise RuleTestError(
                f"{test.position}: the event has no {TYPE_FIELD}: rules of source "
                f"'{source.name}' are indexed by event type"
            )
        if etype not in source.event_types:
            raise RuleTestError(f"{test.position}: unknown event type '{etype}'")
    return event


def _resolve(source: EventSource[Any], written: str) -> tuple[FieldInfo, FieldRef]:
    if written.endswith("]") and "[" in written:
        name, _, arg = written[:-1].partition("[")
        return source.resolve(name, arg)
    return source.resolve(written)


def _convert(info: FieldInfo, ref: FieldRef, raw: Raw) -> Any:
    if raw is None:
        return None
    if isinstance(raw, tuple):
        multi = info.arg is not None and not info.arg.required and ref.arg is None
        if not (info.is_list or multi):
            raise RuleTestError("this field holds one value, not a list")
        return tuple(_scalar(info.type, v) for v in raw)
    value = _scalar(info.type, raw)
    return (value,) if info.is_list else value


def _scalar(ftype: FieldType, text: str) -> Any:
    try:
        if ftype is FieldType.STRING:
            return text
        if ftype is FieldType.DOUBLE:
            return float(text)
        if ftype.numeric:
            return parse_int(text)
        if ftype is FieldType.BOOL:
            return _bool(text)
        if ftype in (FieldType.IPADDR, FieldType.IPNET):
            return ipaddress.ip_address(text)
        if ftype is FieldType.BYTES:
            return text.encode()
        if ftype is FieldType.DYNAMIC:
            try:
                return parse_int(text)
            except ValueError:
                return text
    except ValueError:
        pass
    raise RuleTestError(f"'{text}' is not a valid {ftype} value")


def _bool(text: str) -> bool:
    low = text.lower()
    if low in ("true", "yes", "on", "1"):
        return True
    if low in ("false", "no", "off", "0"):
        return False
    raise ValueError(text)
