"""Multi-document YAML to plain values, with the line of every key and item, bounded.

PyYAML's composer is recursive (deep nesting overflows the stack) and its constructor
expands aliases into trees that can be exponentially larger than the text ("billion
laughs"). This module builds documents from the parser's *event* stream instead, with no
recursion and with caps checked as it goes:

- the text is at most `MAX_BYTES` (the caller reads no more);
- at most `MAX_DOCUMENTS` documents, nesting at most `MAX_DEPTH` deep;
- each document's *expanded* size (an alias counts as the whole node it repeats) is at
  most `MAX_NODES`. Aliases share the Python object they repeat, so memory stays
  proportional to the text; the expanded cap bounds the work of anything walking it.

Values follow the YAML 1.1 safe schema, as Kubernetes' YAML decoder does (`on`/`yes` are
booleans); timestamps, binary and unknown tags stay strings, as they would in JSON; merge
keys (`<<`) are honoured. `lines` maps a path (keys and list indexes) to its 1-based line;
an alias's line is where the alias is, and its inside is not listed (a lookup falls back
to the nearest listed prefix, see `line_of`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_BYTES = 8 * 1024 * 1024
MAX_DOCUMENTS = 10_000
MAX_DEPTH = 200
MAX_NODES = 1_000_000

Path = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()
_KEEP_TEXT = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:merge",
}
_TYPED = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
MERGE = "tag:yaml.org,2002:merge"


class YamlError(ValueError):
    """The text is not YAML mamori will read: the message says why, `line` where (1-based)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass
class Document:
    """One YAML document: its value (None when empty) and where it and its parts are."""

    value: Any
    lines: dict[Path, int] = field(default_factory=dict)
    region: tuple[int, int] = (1, 1)  # first and last line that belong to it (comments too)
    content_line: int = 1  # line of its first node


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, else of its nearest listed ancestor."""
    for end in range(len(path), -1, -1):
        found = lines.get(path[:end])
        if found is not None:
            return found
    return None


# First characters some implicit resolver (bool, int, float, null, timestamp, merge...)
# starts with: any other plain scalar is a string without trying a regular expression.
_RESOLVED_FIRST = frozenset(k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k)
_ANY_FIRST = None in yaml.resolver.Resolver.yaml_implicit_resolvers
_STR = "tag:yaml.org,2002:str"


def _scalar(event: yaml.ScalarEvent) -> Any:
    tag = event.tag
    if tag is None or tag == "!":
        value = event.value
        if value and not _ANY_FIRST and value[0] not in _RESOLVED_FIRST:
            return value  # what the resolver would say: a string
        tag = _resolver.resolve(yaml.ScalarNode, value, event.implicit)  # type: ignore[no-untyped-call]
    if tag in _KEEP_TEXT or tag not in _TYPED:
        return event.value
    node = yaml.ScalarNode(tag, event.value, None, None, event.style)
    try:
        return _constructor.yaml_constructors[tag](_constructor, node)
    except (ValueError, TypeError, yaml.YAMLError):  # e.g. an int of 10k digits
        return event.value


def _key(value: Any, raw: str | None) -> str:
    if isinstance(value, str):
        return value
    if raw is not None:  # a scalar key: its text, as YAML-to-JSON converters do
        return raw
    return f"<complex key {type(value).__name__}>"


@dataclass
class _Frame:
    container: dict[str, Any] | list[Any]
    path: Path
    anchor: str | None
    size: int = 1
    key: str | None = None  # a mapping frame's pending key
    key_is_merge: bool = False
    have_key: bool = False
    merges: list[dict[str, Any]] = field(default_factory=list)


class _Composer:
    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.lines: dict[Path, int] = {}
        self.value: Any = None
        self._key_line = 0

    def _child_path(self) -> Path | None:
        """The path the next value lands at, or None when it is a mapping key."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.container, list):
            return (*top.path, len(top.container))
        return (*top.path, top.key) if top.have_key else None  # type: ignore[arg-type]

    def _attach(self, value: Any, size: int, raw: str | None, is_merge: bool) -> None:
        if not self.stack:
            self.value = value
            return
        top = self.stack[-1]
        top.size += size
        if top.size > MAX_NODES:
            raise YamlError(f"document expands to more than {MAX_NODES} nodes (alias bomb?)")
        if isinstance(top.container, list):
            top.container.append(value)
        elif not top.have_key:
            top.key, top.key_is_merge, top.have_key = _key(value, raw), is_merge, True
        else:
            if top.key_is_merge:
                items = value if isinstance(value, list) else [value]
                top.merges.extend(m for m in items if isinstance(m, dict))
            else:
                assert top.key is not None
                top.container[top.key] = value
            top.key, top.key_is_merge, top.have_key = None, False, False

    def event(self, event: yaml.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        kind = type(event)  # exact types: PyYAML's parsers make no subclasses
        if kind is yaml.ScalarEvent:
            self._scalar_event(event, line)  # type: ignore[arg-type]
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            self._start(event, line)  # type: ignore[arg-type]
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            self._end()
        elif kind is yaml.AliasEvent:
            if event.anchor not in self.anchors:  # type: ignore[attr-defined]
                raise YamlError(f"undefined or recursive alias *{event.anchor}", line)  # type: ignore[attr-defined]
            value, size = self.anchors[event.anchor]  # type: ignore[attr-defined]
            self._note_line(line)
            self._attach(value, size, None, False)

    def _scalar_event(self, event: yaml.ScalarEvent, line: int) -> None:
        value = _scalar(event)
        is_merge = event.value == "<<" and event.tag is None and event.implicit[0]
        self._note_line(line)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self._attach(value, 1, event.value, is_merge and self._expecting_key())

    def _start(self, event: yaml.CollectionStartEvent, line: int) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH}", line)
        path = self._child_path()
        if path is None:
            path = (*self.stack[-1].path, f"<complex key at line {line}>")
        self._note_line(line)
        container: dict[str, Any] | list[Any] = [] if type(event) is yaml.SequenceStartEvent else {}
        self.stack.append(_Frame(container, path, event.anchor))

    def _end(self) -> None:
        frame = self.stack.pop()
        if frame.merges and isinstance(frame.container, dict):
            explicit = frame.container
            merged: dict[str, Any] = {}
            for source in frame.merges:
                for k, v in source.items():
                    merged.setdefault(k, v)
            merged.update(explicit)
            frame.container = merged
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.container, frame.size)
        self._attach(frame.container, frame.size, None, False)

    def _expecting_key(self) -> bool:
        return (
            bool(self.stack)
            and isinstance(self.stack[-1].container, dict)
            and (not self.stack[-1].have_key)
        )

    def _note_line(self, line: int) -> None:
        """Record `line` for the entry or item this event starts."""
        if not self.stack:
            self.lines.setdefault((), line)
            return
        top = self.stack[-1]
        if isinstance(top.container, list):
            self.lines.setdefault((*top.path, len(top.container)), line)
        elif not top.have_key:
            self._key_line = line  # recorded under the key once the key is complete
        else:
            assert top.key is not None
            self.lines.setdefault((*top.path, top.key), self._key_line or line)


def _events(text: str) -> Iterator[yaml.Event]:
    """The parser's events (`yaml.parse` without its extra check per event)."""
    loader = _Loader(text)
    try:
        while (event := loader.get_event()) is not None:
            yield event
    finally:
        loader.dispose()


def iter_documents(text: str) -> Iterator[Document]:
    """Yield each document of `text` in order; raise YamlError at the first bad one.

    Documents before an error have been yielded already, so a caller may keep them.
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlError(f"file larger than {MAX_BYTES} bytes")
    composer: _Composer | None = None
    region_start = 1
    content_line = 0
    count = 0
    try:
        for event in _events(text):
            if isinstance(event, yaml.DocumentStartEvent):
                composer = _Composer()
                content_line = 0
                count += 1
                if count > MAX_DOCUMENTS:
                    raise YamlError(f"more than {MAX_DOCUMENTS} documents")
            elif isinstance(event, yaml.DocumentEndEvent):
                assert composer is not None
                end = event.end_mark.line + 1 if event.end_mark is not None else region_start
                yield Document(
                    value=composer.value,
                    lines=composer.lines,
                    region=(region_start, max(end, region_start)),
                    content_line=content_line or region_start,
                )
                region_start = end
                composer = None
            elif composer is not None and not isinstance(
                event, yaml.StreamStartEvent | yaml.StreamEndEvent
            ):
                if not content_line and event.start_mark is not None:
                    content_line = event.start_mark.line + 1
                composer.event(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(str(exc.problem or exc.context or "invalid YAML"), line) from None
    except yaml.YAMLError as exc:
        raise YamlError(str(exc) or "invalid YAML") from None
