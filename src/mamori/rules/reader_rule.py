"""Reading one ``- rule:`` item: definition, ``append``, ``override`` and ``exceptions``.

Follows Falco's ``rule_loader_reader.cpp``: a rule with none of condition, output,
desc and priority only toggles ``enabled`` of an earlier rule (deprecated form); with
``override`` every overridable key present must be listed under it; ``append: true``
(deprecated) appends condition and exceptions.
"""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mamori.rules.collector import (
    Collector,
    Entry,
    ExceptionInfo,
    ItemError,
    RuleInfo,
    RuleUpdate,
)
from mamori.rules.priority import Priority
from mamori.rules.result import LoadResult, WarningCode
from mamori.rules.yaml_item import Item, fail, overrides, pos

_APPENDABLE = ("condition", "output", "desc", "tags", "exceptions")
_REPLACEABLE = (*_APPENDABLE, "priority", "enabled", "warn_evttypes", "skip-if-unknown-filter")
_WARNING_APPEND = (
    "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under "
    "'override' instead."
)
_WARNING_ENABLED = (
    "The standalone 'enabled' key usage is deprecated. The correct approach requires also "
    "a 'replace' entry under the 'override' key (i.e. 'enabled: replace')."
)
_OVERRIDE_APPEND = (
    "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry "
    "(e.g. 'condition: append') under 'override' instead."
)
MAX_EXCEPTION_DEPTH = 8
MAX_EXCEPTION_ENTRIES = 200_000


def read_rule(item: Item, name: str, collector: Collector, result: LoadResult) -> None:
    has_append = bool(item.boolean("append"))
    if has_append:
        result.warn(WarningCode.LOAD_DEPRECATED_ITEM, _WARNING_APPEND, "rule", name, item.pos())
    o_append, o_replace = overrides(item, _APPENDABLE, _REPLACEABLE)
    if has_append and (o_append or o_replace):
        raise fail(_OVERRIDE_APPEND, item.node, item.source)
    if o_append or o_replace:
        _overridden(item, name, collector, result, o_append, o_replace)
    elif has_append:
        upd = RuleUpdate(name, item.pos())
        if item.has("condition"):
            upd.condition = item.string("condition")
        if item.has("exceptions"):
            upd.exceptions = _exceptions(item, name, result, append=True)
        collector.append_rule(upd)
    elif not any(item.has(k) for k in ("condition", "output", "desc", "priority")):
        enabled = item.boolean("enabled")
        if enabled is None:
            raise fail("Item has no mapping for key 'enabled'", item.node, item.source)
        result.warn(WarningCode.LOAD_DEPRECATED_ITEM, _WARNING_ENABLED, "rule", name, item.pos())
        collector.enable_rule(name, enabled, item.pos())
    else:
        _define(item, name, collector, result)


def _define(item: Item, name: str, collector: Collector, result: LoadResult) -> None:
    info = RuleInfo(name, position=item.pos())
    info.condition = item.string("condition") or ""
    info.cond_position = item.pos("condition")
    info.output = (item.string("output") or "").strip()
    info.output_position = item.pos("output")
    info.desc = item.string("desc") or ""
    info.priority = _priority(item)
    info.source = item.string("source", optional=True) or "syscall"
    for key, attr in (
        ("enabled", "enabled"),
        ("warn_evttypes", "warn_evttypes"),
        ("skip-if-unknown-filter", "skip_if_unknown_filter"),
    ):
        value = item.boolean(key)
        if value is not None:
            setattr(info, attr, value)
    info.tags = _tags(item)
    info.exceptions = _exceptions(item, name, result, append=False)
    collector.define_rule(info)


def _priority(item: Item) -> Priority:
    text = item.string("priority") or ""
    parsed = Priority.parse(text)
    if parsed is None:
        raise fail("Invalid priority", item.keys.get("priority"), item.source)
    return parsed


def _tags(item: Item) -> list[str]:
    tags = item.seq("tags", optional=True) or []
    return list(dict.fromkeys(tags))


def _overridden(
    item: Item,
    name: str,
    collector: Collector,
    result: LoadResult,
    o_append: set[str],
    o_replace: set[str],
) -> None:
    expected = {k for k in _REPLACEABLE if item.has(k)}
    for ops, kind in ((o_append, "append"), (o_replace, "replace")):
        for key in ops:
            if key not in expected:
                raise fail(
                    f"An {kind} override for '{key}' was specified but '{key}' is not defined",
                    item.node,
                    item.source,
                )
    for ops, is_append in ((o_append, True), (o_replace, False)):
        if not ops:
            continue
        upd = RuleUpdate(name, item.pos())
        for key in ops:
            expected.discard(key)
            if key in ("condition", "output", "desc"):
                setattr(upd, key, item.string(key))
            elif key == "tags":
                upd.tags = _tags(item)
            elif key == "exceptions":
                upd.exceptions = _exceptions(item, name, result, append=True)
            elif key == "priority":
                upd.priority = _priority(item)
            else:
                setattr(upd, key.replace("-", "_"), item.boolean(key))
        if is_append:
            collector.append_rule(upd)
        else:
            collector.replace_rule(upd)
    for key in sorted(expected):
        raise fail(
            f"Unexpected key '{key}': no corresponding entry under 'override' is defined.",
            item.keys[key],
            item.source,
        )


def _exceptions(item: Item, name: str, result: LoadResult, append: bool) -> list[ExceptionInfo]:
    node = item.keys.get("exceptions")
    if node is None or (isinstance(node, ScalarNode) and node.value in ("", "~", "null")):
        return []
    if not isinstance(node, SequenceNode):
        raise fail("Rule exceptions must be a sequence", node, item.source)
    out: list[ExceptionInfo] = []
    budget = [MAX_EXCEPTION_ENTRIES]
    for ex in node.value:
        try:
            out.append(_exception(ex, item, name, result, append, out, budget))
        except ItemError as err:
            if err.item is None:
                err.item = ("exception", _name_of(ex))
            raise
    return out


def _name_of(ex: Node) -> str:
    if isinstance(ex, MappingNode):
        for k, v in ex.value:
            if isinstance(k, ScalarNode) and k.value == "name" and isinstance(v, ScalarNode):
                return str(v.value)
    return ""


def _exception(
    ex: Node,
    item: Item,
    name: str,
    result: LoadResult,
    append: bool,
    out: list[ExceptionInfo],
    budget: list[int],
) -> ExceptionInfo:
    if not isinstance(ex, MappingNode):
        raise fail("Rule exception must be a mapping", ex, item.source)
    exi = Item(ex, item.source)
    ex_name = exi.string("name") or ""
    if any(e.name == ex_name for e in out):
        result.warn(
            WarningCode.LOAD_EXCEPTION_NAME_NOT_UNIQUE,
            f"Multiple definitions of exception '{ex_name}' in the same rule",
            "rule",
            name,
            pos(ex, item.source),
        )
    fields = _entry(exi.keys.get("fields"), item.source, 0, budget)
    if fields is None and not append:
        raise fail("Item has no mapping for key 'fields'", ex, item.source)
    comps = _entry(exi.keys.get("comps"), item.source, 0, budget)
    values: list[Entry] = []
    vals = exi.keys.get("values")
    if vals is not None:
        if not isinstance(vals, SequenceNode):
            raise fail("Rule exception values must be a sequence", vals, item.source)
        for v in vals.value:
            entry = _entry(v, item.source, 0, budget)
            if entry is None:
                raise fail("Item has no mapping for key 'values'", v, item.source)
            values.append(entry)
    elif append:
        result.warn(
            WarningCode.LOAD_APPEND_NO_VALUES,
            "Overriding/appending exception with no values",
            "rule",
            name,
            pos(ex, item.source),
        )
    return ExceptionInfo(ex_name, fields, comps, values, pos(ex, item.source))


def _entry(node: Node | None, source: str, depth: int, budget: list[int]) -> Entry | None:
    """Decode an exceptions entry. `budget` bounds the entries of one rule, so YAML
    aliases cannot blow nested values up exponentially ("billion laughs")."""
    budget[0] -= 1
    if budget[0] < 0:
        raise fail("Exception values too large", node, source)
    if node is None:
        return None
    if depth > MAX_EXCEPTION_DEPTH:
        raise fail("Exception values nested too deeply", node, source)
    if isinstance(node, ScalarNode):
        if node.value == "":
            raise fail("Value must be non-empty", node, source)
        return Entry(str(node.value))
    if isinstance(node, SequenceNode):
        items: list[Entry] = []
        for v in node.value:
            sub = _entry(v, source, depth + 1, budget)
            if sub is not None:
                items.append(sub)
        return Entry(items=items)
    raise fail("Could not decode scalar value", node, source)
