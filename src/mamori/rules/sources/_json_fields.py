"""What the two JSON log sources (``aws_cloudtrail``, ``k8s_audit``) share.

Events of both sources are the JSON record itself, decoded to a ``dict`` (what
`mamori.logs` readers yield). Falco runs them as plugin events (``evt.type`` is
``pluginevent``): rules of those sources carry no event-type restriction, so these
sources declare no event types and the engine hands every event to every rule of the
source (and, as in Falco, never warns ``LOAD_NO_EVTTYPE`` about them).

Shared here:

- JSON pointers (RFC 6901) as Falco's ``json`` plugin walks them: the leading ``/`` is
  optional, ``~1`` decodes to ``/`` and then ``~0`` to ``~``, an array step is a decimal
  index, anything that does not resolve is "not available";
- value rendering: a JSON string as is, anything else as compact JSON text (``false``,
  ``3``, ``{"a":1}``), as the ``json`` plugin's ``json.value`` does;
- the generic ``evt.*`` fields Falco gives plugin sources (time forms from the record's
  own timestamp; ``evt.num`` from `Record.num` when the caller numbered the events),
  and the ``json.*``/``jevt.*`` fields of Falco's ``json`` plugin.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from mamori.rules.source import CatalogSource, ExtractorFactory, FieldInfo, FieldRef
from mamori.rules.syscall_fields import parse_table

NS = 1_000_000_000
PLUGIN_EVENT = "pluginevent"
"""``evt.type`` of every plugin event in Falco."""

Getter = Callable[[Any], Any]
Timestamp = Callable[[Mapping[str, Any]], int | None]
"""Nanoseconds since the epoch of a record (its own time field), or None."""


class Record(dict[str, Any]):
    """A JSON record with its sequence number (``evt.num``): a plain ``dict`` to every
    other reader. Build them with `numbered`."""

    __slots__ = ("num",)

    def __init__(self, data: Mapping[str, Any], num: int) -> None:
        super().__init__(data)
        self.num = num


def numbered(records: Iterable[Mapping[str, Any]], start: int = 1) -> Iterator[Record]:
    """Number records from `start`, as Falco numbers the events it reads."""
    for num, rec in enumerate(records, start):
        yield Record(rec, num)


class _Missing:
    __slots__ = ()


MISSING: Any = _Missing()


def parse_pointer(text: str) -> tuple[str, ...]:
    """Split a JSON pointer into reference tokens (``~1`` -> ``/``, then ``~0`` -> ``~``)."""
    body = text[1:] if text.startswith("/") else text
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in body.split("/"))


def lookup(doc: Any, keys: tuple[str, ...]) -> Any:
    """The value at `keys` below `doc`, or `MISSING`."""
    for key in keys:
        if isinstance(doc, dict):
            doc = doc.get(key, MISSING)
            if doc is MISSING:
                return MISSING
        elif isinstance(doc, list) and key.isdigit() and key.isascii():
            i = int(key)
            if i >= len(doc):
                return MISSING
            doc = doc[i]
        else:
            return MISSING
    return doc


def compact(value: Any) -> str:
    """Compact JSON text of a decoded value."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def as_text(value: Any) -> str:
    """A JSON string as is; any other value as compact JSON."""
    return value if isinstance(value, str) else compact(value)


def _path(keys: tuple[str, ...]) -> Callable[[Any], Any]:
    """The value at `keys` (dict steps unrolled for short paths), or `MISSING`."""
    if len(keys) == 1 and keys[0]:
        (a,) = keys
        return lambda ev: ev.get(a, MISSING)
    if len(keys) == 2 and not any(k.isdigit() for k in keys):
        a, b = keys

        def two(ev: Any) -> Any:
            d = ev.get(a)
            return d.get(b, MISSING) if d.__class__ is dict else MISSING

        return two
    if len(keys) == 3 and not any(k.isdigit() for k in keys):
        a, b, c = keys

        def three(ev: Any) -> Any:
            d = ev.get(a)
            if d.__class__ is not dict:
                return MISSING
            d = d.get(b)
            return d.get(c, MISSING) if d.__class__ is dict else MISSING

        return three
    return lambda ev: lookup(ev, keys)


def string_at(*keys: str) -> Getter:
    """Getter of the JSON string at `keys`; a missing or non-string value is not
    available (the CloudTrail plugin's rule for its string fields)."""
    at = _path(keys)

    def get(ev: Any) -> Any:
        v = at(ev)
        return v if v.__class__ is str else None

    return get


def text_at(*keys: str, null: bool = True) -> Getter:
    """Getter of the value at `keys` as text (`as_text`); missing is not available,
    and so is a JSON ``null`` unless `null` (then it reads ``null``)."""
    at = _path(keys)

    def get(ev: Any) -> Any:
        v = at(ev)
        if v.__class__ is str:
            return v
        if v is MISSING or (v is None and not null):
            return None
        return compact(v)

    return get


# -- generic evt.* fields of plugin sources -----------------------------------------------

EVT_TABLE = """
evt.num UINT64 - event number
evt.time CHARBUF - event timestamp as a time string with nanoseconds
evt.time.s CHARBUF - event timestamp as a time string without nanoseconds
evt.time.iso8601 CHARBUF - event timestamp in ISO 8601 format (UTC)
evt.datetime CHARBUF - event timestamp as a date and time string
evt.datetime.s CHARBUF - event timestamp as a date and time string without nanoseconds
evt.rawtime ABSTIME - nanoseconds since the epoch
evt.rawtime.s ABSTIME - seconds since the epoch
evt.rawtime.ns ABSTIME - fractional part of the timestamp
evt.type CHARBUF - name of the event: pluginevent
evt.pluginname CHARBUF - name of the plugin that generated the event
evt.plugininfo CHARBUF - summary of a plugin event
evt.source CHARBUF - name of the source that produced the event
evt.is_async BOOL - true for asynchronous events
evt.asynctype CHARBUF - type of an asynchronous event
evt.hostname CHARBUF - host name of the machine
"""

JSON_TABLE = """
json.value CHARBUF K value at a JSON pointer (json.value[/a/b])
json.obj CHARBUF - the whole JSON record as text
json.rawtime CHARBUF - the time of the event, identical to evt.rawtime
jevt.value CHARBUF K alias of json.value
jevt.obj CHARBUF - alias of json.obj
jevt.rawtime CHARBUF - alias of json.rawtime
jevt.time CHARBUF - event timestamp as a time string with nanoseconds
jevt.time.iso8601 CHARBUF - event timestamp in ISO 8601 format (UTC)
"""


def plugin_fields(*tables: str) -> list[FieldInfo]:
    """The generic evt.* and json.* catalogue plus the source's own tables."""
    return [
        *parse_table(EVT_TABLE),
        *parse_table(JSON_TABLE),
        *(f for t in tables for f in parse_table(t)),
    ]


def parse_rfc3339(text: Any) -> int | None:
    """Nanoseconds since the epoch of an RFC 3339 UTC timestamp (``...Z``, up to
    nanoseconds, as CloudTrail's ``eventTime`` and the audit log's ``stageTimestamp``)."""
    if not isinstance(text, str) or not 20 <= len(text) <= 40:
        return None
    return _parse_rfc3339(text)


@lru_cache(maxsize=4096)
def _parse_rfc3339(text: str) -> int | None:
    """Cached: every rule reading a time field of one event parses the same text."""
    head, _, frac = text.rstrip("Zz").partition(".")
    if not text.endswith(("Z", "z")) or (
        frac and not (frac.isdigit() and frac.isascii() and len(frac) <= 9)
    ):
        return None
    try:
        dt = datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(dt.timestamp()) * NS + int(frac.ljust(9, "0") or 0)


def _clock(ts: int, fmt: str, utc: bool = False) -> str:
    return time.strftime(fmt, (time.gmtime if utc else time.localtime)(ts // NS))


def _iso(ts: int) -> str:
    return f"{_clock(ts, '%Y-%m-%dT%H:%M:%S', utc=True)}.{ts % NS:09d}+0000"


def _timed(ts_of: Timestamp, render: Callable[[int], Any]) -> Getter:
    def get(ev: Any) -> Any:
        ts = ts_of(ev)
        return None if ts is None else render(ts)

    return get


def attach_generic(
    src: CatalogSource[Any], plugin: str, ts_of: Timestamp, info: Getter | None = None
) -> None:
    """Extractors of the evt.*, json.* and jevt.* fields for a JSON plugin source."""
    renders: dict[str, Callable[[int], Any]] = {
        "evt.time": lambda t: f"{_clock(t, '%H:%M:%S')}.{t % NS:09d}",
        "evt.time.s": lambda t: _clock(t, "%H:%M:%S"),
        "evt.time.iso8601": _iso,
        "evt.datetime": lambda t: f"{_clock(t, '%Y-%m-%d %H:%M:%S')}.{t % NS:09d}",
        "evt.datetime.s": lambda t: _clock(t, "%Y-%m-%d %H:%M:%S"),
        "evt.rawtime": lambda t: t,
        "evt.rawtime.s": lambda t: t // NS,
        "evt.rawtime.ns": lambda t: t % NS,
        "json.rawtime": str,
        "jevt.rawtime": str,
        "jevt.time": lambda t: f"{_clock(t, '%H:%M:%S')}.{t % NS:09d}",
        "jevt.time.iso8601": _iso,
    }
    for name, render in renders.items():
        _const(src, name, _timed(ts_of, render))
    name_of_source = src.name
    _const(src, "evt.num", lambda ev: getattr(ev, "num", None))
    _const(src, "evt.type", lambda _ev: PLUGIN_EVENT)
    _const(src, "evt.pluginname", lambda _ev: plugin)
    _const(src, "evt.source", lambda _ev: name_of_source)
    _const(src, "evt.is_async", lambda _ev: False)
    if info is not None:
        _const(src, "evt.plugininfo", info)
    for obj in ("json.obj", "jevt.obj"):
        _const(src, obj, lambda ev: json.dumps(ev, indent=2, ensure_ascii=False))
    for value in ("json.value", "jevt.value"):
        src.add_extractor(value, _json_value)


def _const(src: CatalogSource[Any], name: str, getter: Getter) -> None:
    src.add_extractor(name, fixed(getter))


def fixed(getter: Getter) -> ExtractorFactory:
    """An extractor factory whose getter does not depend on the field's argument."""
    return lambda _ref, _info: getter


def _json_value(ref: FieldRef, _info: FieldInfo) -> Getter:
    if not ref.arg:
        return lambda _ev: None
    keys = parse_pointer(ref.arg)
    return text_at(*keys)


def plugin_source(name: str, fields: list[FieldInfo]) -> CatalogSource[Any]:
    """A source of JSON records with no event types (every rule sees every event)."""
    return CatalogSource(name, fields, (), lambda _ev: PLUGIN_EVENT)
