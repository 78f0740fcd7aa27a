"""Deep comparison of JSON-like values (a resource's attributes), and its inverse.

`diff_values(old, new)` lists every difference with its path; `apply_changes(old, that)`
rebuilds `new`. Rules:

- dicts are compared key by key (a missing key is ADDED/REMOVED, not None);
- lists of dicts are matched by a natural id when every element on both sides carries
  the same id field(s) (`NATURAL_IDS`, first that fits) with scalar values unique on each
  side; the path then says `[field=value]`, and order within the list is not a change
  (the APIs return rules and tags in no fixed order). Otherwise lists are compared by
  position (`[n]`): element n against element n, extra elements ADDED or REMOVED at the
  end;
- scalars are equal when they have the same JSON type and value: `true` is not `1`, but
  `1` is `1.0` (one JSON number). A value that changes type is one CHANGED at its path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from mamori.store.records import AttributeChange, ChangeOp, IdStep, Step

# Candidate natural ids, most specific first; each is the field(s) that name an element.
NATURAL_IDS: tuple[tuple[str, ...], ...] = (
    ("id",),
    ("Id",),
    ("arn",),
    ("Arn",),
    ("rule_number", "egress"),  # NACL entries: numbers repeat across directions
    ("RuleNumber", "Egress"),
    ("rule_number",),
    ("RuleNumber",),
    ("cidr",),
    ("cidr_ip",),
    ("CidrIp",),
    ("cidr_ipv6",),
    ("CidrIpv6",),
    ("prefix_list_id",),
    ("PrefixListId",),
    ("group_id",),
    ("GroupId",),
    ("key",),
    ("Key",),
    ("name",),
    ("Name",),
)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_PLAIN = re.compile(r"[A-Za-z0-9_.:/@+*-]+")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()

_Tag = tuple[tuple[str, Any], ...]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def render_path(steps: Sequence[Step]) -> str:
    """`a.b[2].c`, `rules[cidr=0.0.0.0/0]`, `tags["odd key"]`."""
    parts: list[str] = []
    for step in steps:
        if isinstance(step, IdStep):
            pairs = ",".join(
                f"{f}={_render_id(v)}" for f, v in zip(step.fields, step.values, strict=True)
            )
            parts.append(f"[{pairs}]")
        elif isinstance(step, int):
            parts.append(f"[{step}]")
        elif _IDENT.fullmatch(step):
            parts.append(f".{step}" if parts else step)
        else:
            parts.append(f"[{json.dumps(step)}]")
    return "".join(parts)


def _render_id(value: Any) -> str:
    if isinstance(value, str) and _PLAIN.fullmatch(value):
        return value
    return json.dumps(value)


def _id_of(element: Mapping[str, Any], fields: tuple[str, ...]) -> _Tag | None:
    """The element's natural id as a hashable tag (True and 1 kept apart), or None."""
    values = []
    for name in fields:
        if name not in element:
            return None
        value = element[name]
        kind = _kind(value)
        if kind not in ("null", "bool", "number", "string"):
            return None
        values.append((kind, value))
    return tuple(values)


def _index(items: Sequence[Any], fields: tuple[str, ...]) -> dict[_Tag, Any] | None:
    found: dict[_Tag, Any] = {}
    for item in items:
        if not isinstance(item, Mapping):
            return None
        tag = _id_of(item, fields)
        if tag is None or tag in found:
            return None
        found[tag] = item
    return found


def natural_id(
    old: Sequence[Any], new: Sequence[Any], ids: Sequence[tuple[str, ...]] = NATURAL_IDS
) -> tuple[tuple[str, ...], dict[_Tag, Any], dict[_Tag, Any]] | None:
    """The id fields both lists can be matched on, with each side indexed by them."""
    if not old and not new:
        return None
    for fields in ids:
        left = _index(old, fields)
        if left is None:
            continue
        right = _index(new, fields)
        if right is not None:
            return fields, left, right
    return None


def diff_values(
    old: Any, new: Any, *, ids: Sequence[tuple[str, ...]] = NATURAL_IDS
) -> list[AttributeChange]:
    """Every difference from `old` to `new`, in a stable order."""
    out: list[AttributeChange] = []
    _walk(old, new, (), out, ids)
    return out


def _change(op: ChangeOp, steps: tuple[Step, ...], old: Any, new: Any) -> AttributeChange:
    return AttributeChange(
        path=render_path(steps),
        steps=steps,
        op=op,
        old=None if old is MISSING else old,
        new=None if new is MISSING else new,
    )


def _walk(
    old: Any,
    new: Any,
    path: tuple[Step, ...],
    out: list[AttributeChange],
    ids: Sequence[tuple[str, ...]],
) -> None:
    kind = _kind(old)
    if kind != _kind(new):
        out.append(_change(ChangeOp.CHANGED, path, old, new))
    elif kind == "object":
        for key in old:
            if key not in new:
                out.append(_change(ChangeOp.REMOVED, (*path, key), old[key], MISSING))
        for key in new:
            if key not in old:
                out.append(_change(ChangeOp.ADDED, (*path, key), MISSING, new[key]))
            else:
                _walk(old[key], new[key], (*path, key), out, ids)
    elif kind == "array":
        _walk_list(old, new, path, out, ids)
    elif old != new:
        out.append(_change(ChangeOp.CHANGED, path, old, new))


def _walk_list(
    old: Sequence[Any],
    new: Sequence[Any],
    path: tuple[Step, ...],
    out: list[AttributeChange],
    ids: Sequence[tuple[str, ...]],
) -> None:
    matched = natural_id(old, new, ids)
    if matched is None:
        for i in range(min(len(old), len(new))):
            _walk(old[i], new[i], (*path, i), out, ids)
        for i in range(len(new), len(old)):
            out.append(_change(ChangeOp.REMOVED, (*path, i), old[i], MISSING))
        for i in range(len(old), len(new)):
            out.append(_change(ChangeOp.ADDED, (*path, i), MISSING, new[i]))
        return
    fields, left, right = matched
    for tag, item in left.items():
        step = (*path, IdStep(fields=fields, values=tuple(v for _, v in tag)))
        if tag not in right:
            out.append(_change(ChangeOp.REMOVED, step, item, MISSING))
        else:
            _walk(item, right[tag], step, out, ids)
    for tag, item in right.items():
        if tag not in left:
            step = (*path, IdStep(fields=fields, values=tuple(v for _, v in tag)))
            out.append(_change(ChangeOp.ADDED, step, MISSING, item))


# -- the inverse -----------------------------------------------------------------------------

_Pending = list[tuple[tuple[Step, ...], AttributeChange]]


def apply_changes(value: Any, changes: Sequence[AttributeChange]) -> Any:
    """`value` with `changes` applied (a new value; the input is not modified). Elements
    added to a list matched by id go at its end: order there is not significant."""
    return _apply(value, [(c.steps, c) for c in changes])


def _group_key(step: Step) -> Any:
    if isinstance(step, IdStep):
        return (step.fields, tuple((_kind(v), v) for v in step.values))
    return step


def _apply(value: Any, pending: _Pending) -> Any:
    if not pending:
        return value
    for steps, change in pending:
        if not steps:
            return MISSING if change.op is ChangeOp.REMOVED else change.new
    groups: dict[Any, _Pending] = {}
    for steps, change in pending:
        groups.setdefault(_group_key(steps[0]), []).append((steps[1:], change))
    if isinstance(value, Mapping):
        result = dict(value)
        for key, rest in groups.items():
            child = _apply(result.get(key, MISSING), rest)
            if child is MISSING:
                result.pop(key, None)
            else:
                result[key] = child
        return result
    if isinstance(value, list | tuple) or value is MISSING:
        return _apply_list(list(value) if value is not MISSING else [], groups)
    raise ValueError(f"cannot apply a change below a {_kind(value)} value")


def _apply_list(items: list[Any], groups: dict[Any, _Pending]) -> list[Any]:
    id_fields = {key[0] for key in groups if isinstance(key, tuple)}
    result: list[Any] = []
    used: set[Any] = set()
    for position, item in enumerate(items):
        key: Any = position
        if isinstance(item, Mapping):
            for fields in id_fields:
                tag = (fields, _id_of(item, fields))
                if tag in groups:
                    key = tag
                    break
        if key in groups:
            used.add(key)
            item = _apply(item, groups[key])
            if item is MISSING:
                continue
        result.append(item)
    rest = [key for key in groups if key not in used]
    rest.sort(key=lambda k: k if isinstance(k, int) else -1)  # positions ascending; ids keep order
    for key in rest:
        added = _apply(MISSING, groups[key])
        if added is not MISSING:
            result.append(added)
    return result
