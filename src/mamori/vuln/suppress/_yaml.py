"""Safe YAML loading that remembers the line of every key and item.

Validation errors then point at `file:line`. The document is bounded before anything
walks it: a size cap on the text, and a cap on its expanded node count, since aliases
let a tiny file describe an exponentially large tree ("billion laughs").
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000

Path = tuple[str | int, ...]


class YamlError(ValueError):
    """The text is not a YAML document mamori will read; the message says where and why."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(message)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = MAX_NODES + 1  # a cycle counts as too big
    size = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            size += _expanded_size(child, memo)
            if size > MAX_NODES:
                break
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, memo) + _expanded_size(value, memo)
            if size > MAX_NODES:
                break
    memo[id(node)] = size
    return size


def _lines(node: yaml.Node, path: Path, out: dict[Path, int], seen: set[int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if id(node) in seen:  # an alias: its lines were recorded where it was defined
        return
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _lines(child, (*path, index), out, seen)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                out.setdefault((*path, str(key.value)), key.start_mark.line + 1)
                _lines(value, (*path, str(key.value)), out, seen)


def load_with_lines(text: str) -> tuple[Any, dict[Path, int]]:
    """(data, lines): the document as Python data, and path -> 1-based line."""
    if len(text) > MAX_BYTES:
        raise YamlError(f"file is larger than {MAX_BYTES} bytes")
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # checks for unprintable characters up front
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if _expanded_size(node, {}) > MAX_NODES:
            raise YamlError(f"document expands to more than {MAX_NODES} nodes")
        data = loader.construct_document(node)
        lines: dict[Path, int] = {}
        _lines(node, (), lines, set())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(f"invalid YAML: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. a timestamp-looking scalar that is no real date ("2024-13-45")
        raise YamlError(f"invalid YAML value: {exc}") from None
    except RecursionError:
        raise YamlError("YAML nesting is too deep") from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines


def line_of(lines: dict[Path, int], loc: Path) -> int | None:
    """The line of the deepest known prefix of `loc`."""
    for end in range(len(loc), -1, -1):
        found = lines.get(tuple(loc[:end]))
        if found is not None:
            return found
    return None
