"""Rule exceptions -> condition text, as Falco builds them.

Falco turns a rule's ``exceptions`` into ``(<condition>) and not (<exception>) and not
...`` text before parsing (``build_rule_exception_infos``), so list names inside
exception values are resolved like any list reference. We build the same text:

- ``fields: proc.name`` (one field, comps ``in``/``pmatch``/``intersects``):
  ``(proc.name in (v1, v2))``;
- ``fields: [f1, f2]`` with comps: one ``(f1 c1 v1 and f2 c2 v2)`` per values tuple,
  or-ed; a value that is itself a list becomes ``(a, b)``; a single value for a list
  operator is wrapped in parentheses, other values are quoted when they hold spaces.
"""

from __future__ import annotations

from mamori.rules.collector import Entry, ExceptionInfo, validate_error

_LIST_OPS = frozenset({"in", "intersects", "pmatch"})


def _quote(item: str) -> str:
    if " " in item and item[:1] not in ("'", '"'):
        return '"' + item + '"'
    return item


def _paren(item: str) -> str:
    return item if item.startswith("(") else "(" + item + ")"


def with_exceptions(condition: str, exceptions: list[ExceptionInfo]) -> str:
    out = "(" + condition + ")"
    for ex in exceptions:
        assert ex.fields is not None and ex.comps is not None
        icond = ""
        if not ex.fields.is_list:
            parts: list[str] = []
            for val in ex.values:
                if val.is_list:
                    raise validate_error(
                        "Expected values array to contain a list of strings",
                        ex.position,
                        ("exception", ex.name),
                    )
                parts.append(_quote(val.item))
            if parts:
                icond = f"({ex.fields.item} {ex.comps.item} ({', '.join(parts)}))"
        else:
            fields = ex.fields.items or []
            comps = ex.comps.items or []
            alts: list[str] = []
            for values in ex.values:
                items = values.items if values.items is not None else [values]
                if len(items) != len(fields):
                    raise validate_error(
                        "Fields and values lists must have equal length",
                        ex.position,
                        ("exception", ex.name),
                    )
                alts.append(
                    "("
                    + " and ".join(
                        _term(f, c, v) for f, c, v in zip(fields, comps, items, strict=True)
                    )
                    + ")"
                )
            if alts:
                icond = "(" + " or ".join(alts) + ")"
        if icond:
            out += " and not " + icond
    return out


def _term(field: Entry, comp: Entry, value: Entry) -> str:
    if value.items is not None:
        rendered = "(" + ", ".join(_quote(v.item) for v in value.items) + ")"
    elif comp.item in _LIST_OPS:
        rendered = _paren(value.item)
    else:
        rendered = _quote(value.item)
    return f"{field.item} {comp.item} {rendered}"
