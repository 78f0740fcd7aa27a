"""Stage 1 of loading: read rules YAML, validate its shape, feed the collector.

Uses ``yaml.compose`` (nodes, not Python objects) so every message carries the line
and column of the item, and so scalars are kept as written (``items: [1, true]``
are the strings ``"1"`` and ``"true"``, as yaml-cpp gives them to Falco). Messages
follow Falco's ``rule_loader_reader.cpp``. A problem in one item is reported and the
item skipped; the rest of the file is still read.
"""

from __future__ import annotations

import io
import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mamori.rules.collector import (
    Collector,
    ItemError,
    ListInfo,
    MacroInfo,
)
from mamori.rules.reader_rule import read_rule
from mamori.rules.result import ErrorCode, LoadResult, Position, WarningCode
from mamori.rules.version import ENGINE_VERSION, parse_version
from mamori.rules.yaml_item import NULL_TAG, Item, fail, overrides, pos

_RGX_IDENTIFIER = "([a-zA-Z]+[a-zA-Z0-9_]*)"
_RGX_BARESTR = "([^()\"'[:space:]=,]+)"
_IDENT = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*")
_BARESTR = re.compile(r"[^()\"'\s=,]+")
_RULE_APPEND = ("condition", "output", "desc", "tags", "exceptions")
_RULE_REPLACE = (
    *_RULE_APPEND,
    "priority",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
)
_KNOWN_KEYS = {
    "list": {"list", "items", "append", "override"},
    "macro": {"macro", "condition", "append", "override"},
    "rule": {"rule", "source", "append", "override", "capture", "capture_duration"}
    | set(_RULE_REPLACE),
}


def read(text: str, source: str, collector: Collector, result: LoadResult) -> None:
    """Read one rules content into `collector`; problems go to `result`."""
    try:
        stream = io.StringIO(text)
        stream.name = source  # PyYAML names the stream in its messages
        docs = list(yaml.compose_all(stream, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Position(source, mark.line + 1, mark.column + 1) if mark else Position(source)
        result.error(ErrorCode.LOAD_ERR_YAML_PARSE, str(exc), "rules content", "", where)
        return
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        msg = "YAML nesting too deep" if isinstance(exc, RecursionError) else str(exc)
        result.error(ErrorCode.LOAD_ERR_YAML_PARSE, msg, "rules content", "", Position(source))
        return
    for doc in docs:
        if doc is None or (isinstance(doc, ScalarNode) and doc.tag == NULL_TAG):
            continue
        if not isinstance(doc, MappingNode | SequenceNode):
            result.error(
                ErrorCode.LOAD_ERR_YAML_VALIDATE,
                "Rules content is not yaml",
                "rules content",
                "",
                pos(doc, source),
            )
            return
        if not isinstance(doc, SequenceNode):
            result.error(
                ErrorCode.LOAD_ERR_YAML_VALIDATE,
                "Rules content is not yaml array of objects",
                "rules content",
                "",
                pos(doc, source),
            )
            return
        for node in doc.value:
            if isinstance(node, ScalarNode) and node.tag == NULL_TAG:
                continue
            _read_one(node, source, collector, result)


def _read_one(node: Node, source: str, collector: Collector, result: LoadResult) -> None:
    item_type, item_name = "rules content item", ""
    try:
        if not isinstance(node, MappingNode):
            raise fail(
                "Unexpected element type. Each element should be a yaml associative array.",
                node,
                source,
            )
        item = Item(node, source)
        for kind in ("required_engine_version", "required_plugin_versions"):
            if item.has(kind):
                item_type = kind
                if kind == "required_engine_version":
                    _engine_version(item)
                else:
                    _plugins(item, collector)
                return
        for kind, fn in (("list", _list), ("macro", _macro), ("rule", read_rule)):
            if item.has(kind):
                item_type = kind
                item_name = item.string(kind) or ""
                _warn_unknown_keys(item, kind, item_name, result)
                fn(item, item_name, collector, result)
                return
        result.warn(
            WarningCode.LOAD_UNKNOWN_ITEM,
            "Unknown top level item",
            item_type,
            "",
            pos(node, source),
        )
    except ItemError as err:
        itype, iname = err.item or (item_type, item_name)
        result.error(err.code, err.message, itype, iname, err.position)


def _warn_unknown_keys(item: Item, kind: str, name: str, result: LoadResult) -> None:
    for key in item.keys:
        if key not in _KNOWN_KEYS[kind]:
            result.warn(
                WarningCode.LOAD_UNKNOWN_KEY,
                f"Unknown key '{key}'. The key will be ignored.",
                kind,
                name,
                item.pos(key),
            )


def _engine_version(item: Item) -> None:
    text = item.string("required_engine_version") or ""
    version = parse_version(text)
    if version is None:
        raise fail(
            f"Unable to parse engine version '{text}' as a semver string. Expected "
            '"x.y.z" semver format.',
            item.node,
            item.source,
        )
    if version[0] != ENGINE_VERSION[0] or version > ENGINE_VERSION:
        shown = ".".join(map(str, version))
        ours = ".".join(map(str, ENGINE_VERSION))
        raise ItemError(
            ErrorCode.LOAD_ERR_VALIDATE,
            f"Rules require engine version {shown}, but engine version is {ours}",
            item.pos(),
        )


def _plugins(item: Item, collector: Collector) -> None:
    node = item.keys["required_plugin_versions"]
    if not isinstance(node, SequenceNode):
        raise fail("Value of required_plugin_versions must be a sequence", node, item.source)
    for plugin in node.value:
        if not isinstance(plugin, MappingNode):
            raise fail("Plugin version must be a mapping", plugin, item.source)
        entry = Item(plugin, item.source)
        entries = [entry]
        alts = entry.keys.get("alternatives")
        if alts is not None:
            if not isinstance(alts, SequenceNode):
                raise fail(
                    "Value of plugin version alternatives must be a sequence", alts, item.source
                )
            for alt in alts.value:
                if not isinstance(alt, MappingNode):
                    raise fail("Plugin version alternative must be a mapping", alt, item.source)
                entries.append(Item(alt, item.source))
        seen: set[str] = set()
        alternatives: list[tuple[str, str]] = []
        for e in entries:
            name = e.string("name") or ""
            ver = e.string("version") or ""
            if parse_version(ver) is None:
                raise ItemError(
                    ErrorCode.LOAD_ERR_VALIDATE,
                    f"Invalid required version '{ver}' for plugin '{name}'",
                    e.pos(),
                )
            if name in seen:
                raise ItemError(
                    ErrorCode.LOAD_ERR_VALIDATE,
                    f"Defined multiple alternative version requirements for plugin '{name}'",
                    e.pos(),
                )
            seen.add(name)
            alternatives.append((name, ver))
        collector.required_plugins.append(alternatives)


_OVERRIDE_APPEND = (
    "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry "
    "(e.g. 'condition: append') under 'override' instead."
)
_WARNING_APPEND = (
    "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under "
    "'override' instead."
)


def _list(item: Item, name: str, collector: Collector, result: LoadResult) -> None:
    if not _BARESTR.fullmatch(name):
        result.warn(
            WarningCode.LOAD_INVALID_LIST_NAME,
            "List has an invalid name. List names must match a regular expression: " + _RGX_BARESTR,
            "list",
            name,
            item.pos(),
        )
    items = item.seq("items", optional=False) or []
    append = bool(item.boolean("append"))
    if append:
        result.warn(WarningCode.LOAD_DEPRECATED_ITEM, _WARNING_APPEND, "list", name, item.pos())
    o_append, o_replace = overrides(item, ("items",), ("items",))
    if append and (o_append or o_replace):
        raise fail(_OVERRIDE_APPEND, item.node, item.source)
    info = ListInfo(name, items, item.pos())
    if append or "items" in o_append:
        collector.append_list(info)
    else:
        collector.define_list(info)


def _macro(item: Item, name: str, collector: Collector, result: LoadResult) -> None:
    if not _IDENT.fullmatch(name):
        result.warn(
            WarningCode.LOAD_INVALID_MACRO_NAME,
            "Macro has an invalid name. Macro names must match a regular expression: "
            + _RGX_IDENTIFIER,
            "macro",
            name,
            item.pos(),
        )
    cond = item.string("condition") or ""
    append = bool(item.boolean("append"))
    if append:
        result.warn(WarningCode.LOAD_DEPRECATED_ITEM, _WARNING_APPEND, "macro", name, item.pos())
    o_append, o_replace = overrides(item, ("condition",), ("condition",))
    if append and (o_append or o_replace):
        raise fail(_OVERRIDE_APPEND, item.node, item.source)
    info = MacroInfo(name, cond, item.pos(), item.pos("condition"))
    if append or "condition" in o_append:
        collector.append_macro(info)
    else:
        collector.define_macro(info)
