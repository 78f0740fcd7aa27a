"""Streaming the elements of one JSON array out of a large document, in bounded memory.

CloudTrail log files are one object ``{"Records": [...]}`` and a Kubernetes
``EventList`` is ``{"kind": "EventList", "items": [...]}``: both can be far larger than
one record. `iter_array` reads the document in chunks (decoded as UTF-8, invalid bytes
replaced), finds the array (under a top-level key, or the document itself when it is
an array) and decodes one element at a time with the C JSON decoder
(``JSONDecoder.raw_decode``), reading more only while an element is incomplete. An
element that grows past the size cap is skipped by a structural scan (strings,
escapes, brackets) without being kept, and reported as `Oversized`; one that does not
decode is reported as `Bad`, and reading goes on after it.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

CHUNK = 1 << 16
_DECODER = json.JSONDecoder()
_SPECIAL = re.compile(r'["{}\[\]]')
_IN_STRING = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[\s,}\]]")
_BLANK = re.compile(r"[ \t\r\n]*")


class JsonShapeError(ValueError):
    """The document is not JSON of the expected shape (or ends early)."""


@dataclass(frozen=True, slots=True)
class Oversized:
    """An element larger than the cap, skipped: its index and size in characters."""

    index: int
    size: int


@dataclass(frozen=True, slots=True)
class Bad:
    """An element that is not valid JSON, skipped."""

    index: int
    error: str


class _Reader:
    def __init__(self, stream: IO[bytes], max_total: int) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.buf = ""
        self.pos = 0
        self.total = 0
        self.max_total = max_total
        self.eof = False

    def fill(self, size: int = CHUNK) -> bool:
        """Append at least one more chunk (dropping what was consumed); False at end."""
        if self.eof:
            return False
        data = self.stream.read(max(size, CHUNK))
        self.total += len(data)
        if self.total > self.max_total:
            raise JsonShapeError(f"document larger than {self.max_total} bytes")
        text = self.decoder.decode(data, final=not data)
        self.eof = not data
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        return bool(text) or not self.eof

    def peek(self) -> str:
        """The next non-blank character (not consumed)."""
        while True:
            m = _BLANK.match(self.buf, self.pos)
            self.pos = m.end() if m else self.pos
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                raise JsonShapeError("unexpected end of document")

    def expect(self, char: str) -> None:
        got = self.peek()
        if got != char:
            raise JsonShapeError(f"expected {char!r}, found {got!r}")
        self.pos += 1

    def element(self, limit: int) -> tuple[Any, Any]:
        """Decode one value: ``(value, size)``, ``(_OVERSIZED, size)`` or ``(_BAD, error)``."""
        self.peek()
        error = ""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                error = str(exc)
            except RecursionError:
                error = "nested too deeply"
            else:
                if end < len(self.buf) or self.eof:  # a number may go on in the next chunk
                    size, self.pos = end - self.pos, end
                    return (value, size) if size <= limit else (_OVERSIZED, size)
            pending = len(self.buf) - self.pos
            if pending > limit or self.eof:
                size = self.skip()
                return (_OVERSIZED, size) if size > limit else (_BAD, error)
            self.fill(pending)

    def skip(self) -> int:
        """Scan past one value without keeping it; its size in characters."""
        self.peek()
        start, size = self.pos, 0
        if self.buf[self.pos] not in '{["':
            return self._skip_scalar()
        depth, in_string = 0, False
        while True:
            m = (_IN_STRING if in_string else _SPECIAL).search(self.buf, self.pos)
            if m is None:
                size += len(self.buf) - start
                self.pos = len(self.buf)
                if not self.fill():
                    raise JsonShapeError("unexpected end of document inside a value")
                start = 0
                continue
            c = m.group()
            self.pos = m.end()
            if in_string:
                if c == "\\":
                    if self.pos >= len(self.buf):
                        size += self.pos - start
                        if not self.fill():
                            raise JsonShapeError("unexpected end of document in a string")
                        start = 0
                    self.pos += 1
                    continue
                in_string = False
            elif c == '"':
                in_string = True
            elif c in "{[":
                depth += 1
            else:
                depth -= 1
            if depth <= 0 and not in_string:
                return size + self.pos - start

    def _skip_scalar(self) -> int:
        size = 0
        while True:
            m = _SCALAR_END.search(self.buf, self.pos)
            end = m.start() if m is not None else len(self.buf)
            size += end - self.pos
            self.pos = end
            if m is not None or not self.fill():
                break
        if not size:
            raise JsonShapeError("expected a JSON value")
        return size


_OVERSIZED = object()
_BAD = object()


def iter_array(
    stream: IO[bytes], key: str | None, max_element: int, max_total: int
) -> Iterator[Any]:
    """Decoded elements (or `Oversized`/`Bad`) of the array under top-level `key`, or
    of a top-level array.

    Raises `JsonShapeError` for a document that is not of that shape, is cut short, or
    exceeds `max_total` bytes; elements already yielded stay valid.
    """
    r = _Reader(stream, max_total)
    first = r.peek()
    if first == "[":
        yield from _elements(r, max_element)
        return
    if first != "{" or key is None:
        raise JsonShapeError("expected a JSON object")
    r.expect("{")
    found = False
    while r.peek() != "}":
        name, _size = r.element(1 << 16)
        r.expect(":")
        if name == key and r.peek() == "[":
            found = True
            yield from _elements(r, max_element)
        else:
            r.skip()
        if r.peek() != ",":
            break
        r.pos += 1
    r.expect("}")
    if not found:
        raise JsonShapeError(f"no {key!r} array in the document")


def _elements(r: _Reader, max_element: int) -> Iterator[Any]:
    r.expect("[")
    if r.peek() == "]":
        r.pos += 1
        return
    index = 0
    while True:
        value, size = r.element(max_element)
        if value is _OVERSIZED:
            yield Oversized(index, size)
        elif value is _BAD:
            yield Bad(index, size)
        else:
            yield value
        index += 1
        c = r.peek()
        r.pos += 1
        if c == "]":
            return
        if c != ",":
            raise JsonShapeError(f"expected ',' or ']' after element {index}, found {c!r}")
