"""YAML node helpers for the rules reader: typed access with Falco's messages."""

from __future__ import annotations

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mamori.rules.collector import ItemError
from mamori.rules.result import ErrorCode, Position

NULL_TAG = "tag:yaml.org,2002:null"
_TRUE = frozenset({"true", "yes", "on", "y"})
_FALSE = frozenset({"false", "no", "off", "n"})


def fail(message: str, node: Node | None, name: str) -> ItemError:
    return ItemError(ErrorCode.LOAD_ERR_YAML_VALIDATE, message, pos(node, name))


def pos(node: Node | None, name: str) -> Position:
    if node is None:
        return Position(name)
    return Position(name, node.start_mark.line + 1, node.start_mark.column + 1)


class Item:
    """One top-level mapping, with Falco's typed accessors."""

    def __init__(self, node: MappingNode, source: str) -> None:
        self.node = node
        self.source = source
        self.keys: dict[str, Node] = {}
        for k, v in node.value:
            if isinstance(k, ScalarNode):
                self.keys[k.value] = v

    def has(self, key: str) -> bool:
        return key in self.keys

    def pos(self, key: str | None = None) -> Position:
        return pos(self.keys.get(key) if key else self.node, self.source)

    def string(self, key: str, optional: bool = False) -> str | None:
        val = self.keys.get(key)
        if val is None:
            if optional:
                return None
            raise fail(f"Item has no mapping for key '{key}'", self.node, self.source)
        if isinstance(val, ScalarNode) and val.tag == NULL_TAG:
            raise fail(f"Mapping for key '{key}' is empty", self.node, self.source)
        if not isinstance(val, ScalarNode):
            raise fail("Value is not a scalar value", val, self.source)
        if val.value == "":
            raise fail("Value must be non-empty", val, self.source)
        return str(val.value)

    def boolean(self, key: str) -> bool | None:
        text = self.string(key, optional=True)
        if text is None:
            return None
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise fail("Can't decode YAML scalar value", self.keys[key], self.source)

    def seq(self, key: str, optional: bool) -> list[str] | None:
        val = self.keys.get(key)
        if val is None:
            if optional:
                return None
            raise fail(f"Item has no mapping for key '{key}'", self.node, self.source)
        if isinstance(val, ScalarNode) and val.tag == NULL_TAG and optional:
            return []
        if not isinstance(val, SequenceNode):
            raise fail("Value is not a sequence", val, self.source)
        out: list[str] = []
        for v in val.value:
            if not isinstance(v, ScalarNode):
                raise fail("sequence value is not scalar", v, self.source)
            out.append(str(v.value))
        return out


def overrides(
    item: Item, appendable: tuple[str, ...], replaceable: tuple[str, ...]
) -> tuple[set[str], set[str]]:
    node = item.keys.get("override")
    append: set[str] = set()
    replace: set[str] = set()
    if node is None:
        return append, replace
    if not isinstance(node, MappingNode):
        raise fail("Value of override must be a mapping", node, item.source)
    for k, v in node.value:
        key = str(k.value) if isinstance(k, ScalarNode) else ""
        op = str(v.value) if isinstance(v, ScalarNode) else ""
        if op == "append":
            if key not in appendable:
                raise fail(
                    f"Key '{key}' cannot be appended to, use 'replace' instead", k, item.source
                )
            append.add(key)
        elif op == "replace":
            if key not in replaceable:
                raise fail(f"Key '{key}' cannot be replaced", k, item.source)
            replace.add(key)
        else:
            allowed = ("append " if key in appendable else "") + (
                "replace " if key in replaceable else ""
            )
            raise fail(
                f"Invalid override operation for key '{key}': '{op}'. Allowed values are: "
                + allowed,
                v,
                item.source,
            )
    return append, replace
