"""Outputs of Sigma matches: the rule's title and the record fields worth reading.

A Sigma rule has no output format, so a match prints its title followed by
``field=value`` for the source's usual fields (`mapping.OUTPUT_FIELDS`) and the
rule's own ``fields:``. `Match.fields` holds the raw values under their Sigma names
(``userIdentity.arn``, ``objectRef``...); an absent field is ``None`` and prints
``<NA>``, objects and lists print as compact JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from mamori.rules.output import NA, OutputFormat
from mamori.rules.source import FieldRef

_MISSING = object()


def _getter(path: str) -> Callable[[Any], Any]:
    """The raw value at a dotted path (a key containing dots is found too), or None."""
    keys = tuple(path.split("."))

    def slow(ev: Any) -> Any:
        doc = ev
        i = 0
        while i < len(keys):
            if not isinstance(doc, dict):
                return None
            key = keys[i]
            if key not in doc:  # a key containing dots
                for n in range(len(keys), i + 1, -1):
                    joined = ".".join(keys[i:n])
                    if joined in doc:
                        key, i = joined, n - 1
                        break
                else:
                    return None
            doc = doc[key]
            i += 1
        return doc

    if len(keys) == 1:
        (a,) = keys
        return lambda ev: ev.get(a)
    if len(keys) == 2:
        a, b = keys

        def two(ev: Any) -> Any:
            d = ev.get(a)
            if d.__class__ is dict and b in d:
                return d[b]
            return slow(ev)

        return two
    return slow


def _text(value: Any) -> str:
    if value is None:
        return NA
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


class SigmaOutput(OutputFormat):
    """An `OutputFormat` over raw record paths instead of a source's filter fields."""

    def __init__(self, title: str, fields: Iterable[str]) -> None:  # no super(): no %tokens
        self.fmt = title
        self.tokens = []
        names = list(dict.fromkeys(fields))
        self.fields = [FieldRef(n) for n in names]
        self._paths: list[tuple[str, Callable[[Any], Any]]] = [(n, _getter(n)) for n in names]

    def values(self, event: Any) -> dict[str, Any]:
        return {name: get(event) for name, get in self._paths}

    def format(self, event: Any, values: dict[str, Any] | None = None) -> str:
        vals = values if values is not None else self.values(event)
        if not vals:
            return self.fmt
        shown = " ".join([f"{n}={v if v.__class__ is str else _text(v)}" for n, v in vals.items()])
        return f"{self.fmt} ({shown})"
