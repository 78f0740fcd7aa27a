"""Field access over raw JSON records, resolved once per rule, as Sigma means it.

A Sigma field name is a dotted path into the record (``requestParameters.bucketName``).
Resolution follows what a document store does with JSON (Elasticsearch, OpenSearch):

- a list met on the way is walked element by element and its elements' values flatten
  (``requestParameters.containerDefinitions.command`` yields every command string of
  every container);
- a key that itself contains dots (``annotations`` key
  ``authorization.k8s.io/decision``) is found when the plain split does not resolve:
  the remaining segments are re-joined, longest first;
- a value that is an object or a list is searched through: its scalar leaves are the
  values the field has (``requestParameters|contains: Suspended`` looks in every value
  below ``requestParameters``).

`values` returns the scalar values a field has for one event (``None`` entries are
JSON nulls); an empty tuple means the field is absent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Values = Callable[[Any], tuple[Any, ...]]
"""The scalar values of one field of an event (empty: absent; ``None``: JSON null)."""

MAX_LEAVES = 4096
"""Bound on the leaves read below one field of one event (bounded work per rule)."""

_EMPTY: tuple[Any, ...] = ()
_MISSING: Any = object()


def leaves(value: Any, out: list[Any]) -> None:
    """Append the scalar leaves of a decoded JSON value (depth-first, bounded). The
    top may be a ``dict`` subclass (`mamori.rules.sources._json_fields.Record`)."""
    stack = [value]
    while stack and len(out) < MAX_LEAVES:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, list):
            stack.extend(reversed(v))
        else:
            out.append(v)


def _walk(doc: Any, keys: tuple[str, ...], out: list[Any]) -> None:
    """Values at `keys` below `doc` (lists flatten, dotted keys re-joined), into out."""
    if not keys:
        out.append(doc)
        return
    if doc.__class__ is list:
        for item in doc:
            if len(out) >= MAX_LEAVES:
                return
            _walk(item, keys, out)
        return
    if not isinstance(doc, dict):
        return
    if keys[0] in doc:
        _walk(doc[keys[0]], keys[1:], out)
        return
    for n in range(len(keys), 1, -1):  # a key containing dots
        joined = ".".join(keys[:n])
        if joined in doc:
            _walk(doc[joined], keys[n:], out)
            return


def _flatten(found: list[Any]) -> tuple[Any, ...]:
    out: list[Any] = []
    for v in found:
        if v.__class__ is dict or v.__class__ is list:
            leaves(v, out)
        else:
            out.append(v)
    return tuple(out)


def compile_path(path: str) -> Values:
    """The `Values` getter of a dotted path.

    Dict steps are walked in a loop; a key with dots is tried (from precomputed joined
    names, longest first) only where the plain key is missing; a list on the way hands
    over to the general walk, and an object or list at the end is flattened."""
    keys = tuple(path.split("."))
    # at step i: the joined names keys[i:n] (n > i + 1) with the step they lead to
    joins = tuple(
        tuple((".".join(keys[i:n]), n) for n in range(len(keys), i + 1, -1))
        for i in range(len(keys))
    )
    n_keys = len(keys)

    def slow(ev: Any) -> tuple[Any, ...]:
        found: list[Any] = []
        _walk(ev, keys, found)
        return _flatten(found)

    def get(ev: Any) -> tuple[Any, ...]:
        d = ev
        i = 0
        while i < n_keys:
            if d.__class__ is not dict and not isinstance(d, dict):
                return slow(ev) if d.__class__ is list else _EMPTY
            v = d.get(keys[i], _MISSING)
            if v is _MISSING:
                for joined, nxt in joins[i]:
                    if joined in d:
                        v, i = d[joined], nxt - 1
                        break
                else:
                    return _EMPTY
            d = v
            i += 1
        if d.__class__ is dict or d.__class__ is list:
            return _flatten([d])
        return (d,)

    if n_keys == 1:
        (a,) = keys

        def one(ev: Any) -> tuple[Any, ...]:
            v = ev.get(a, _MISSING)
            if v is _MISSING:
                return _EMPTY
            if v.__class__ is dict or v.__class__ is list:
                return _flatten([v])
            return (v,)

        return one
    return get


COMPLEX: Any = object()
"""`scalar_path`'s answer when the value needs the general walk (a list on the way,
an object or list at the end, a key containing dots)."""


def scalar_path(path: str) -> Callable[[Any], Any]:
    """A fast getter for the common case: the scalar at a path of dict steps, ``None``
    when a plain key is absent (or the value is JSON null), else `COMPLEX`."""
    keys = tuple(path.split("."))
    last = keys[-1]
    head = keys[:-1]

    def get(ev: Any) -> Any:
        d = ev
        for k in head:
            v = d.get(k, _MISSING)
            if v.__class__ is not dict:
                if v is _MISSING or v is None:
                    return COMPLEX if any("." in key for key in d) else None
                return COMPLEX
            d = v
        v = d.get(last, _MISSING)
        if v is _MISSING:
            return COMPLEX if any("." in key for key in d) else None
        if v.__class__ is dict or v.__class__ is list:
            return COMPLEX
        return v

    return get


def first_of(paths: list[str]) -> Values:
    """The values of several raw paths one Sigma field maps to (their union)."""
    getters = [compile_path(p) for p in paths]
    if len(getters) == 1:
        return getters[0]

    def union(ev: Any) -> tuple[Any, ...]:
        out: tuple[Any, ...] = ()
        for g in getters:
            out += g(ev)
        return out

    return union


def render(value: Any) -> str | None:
    """A scalar as the text Sigma values compare with: JSON ``true``/``false`` for
    booleans, decimal numbers, strings as they are; ``None`` for null."""
    if value.__class__ is str:
        return value
    if value is None:
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
