"""Kubernetes audit logs: audit events out of log files and ``EventList`` documents.

The API server's log backend writes one ``audit.k8s.io/v1`` ``Event`` per line (JSON
lines, ``--audit-log-path``); its webhook backend posts ``EventList`` batches
(``{"kind": "EventList", "items": [...]}``), which people also save to files.
`read_k8s_audit` takes either (plain or gzip'd, recognised by content; a directory
reads every file below it in path order) and yields each event as a ``dict``; a line
holding an ``EventList`` yields its items.

Bounded: a line over `Limits.max_record_bytes` is skipped without being buffered; a
line that is not JSON, or JSON that is not an object, is a warning; a truncated gzip
stream ends the file with a warning. A file that does not start as JSON lines (its
first line is not a complete JSON value) is read as one document (an ``EventList`` or
an array of events), streamed element by element.

Not here yet: the HTTP endpoint receiving the webhook's batches (with a token); it
will hand each request body to `read_k8s_audit_stream`.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from mamori.logs._io import READ_ERRORS, Limits, Notices, array_records, decode, gzip_stream
from mamori.model import Notice

SOURCE = "logs.k8s_audit"


def read_k8s_audit(
    path: str | Path, *, notices: list[Notice] | None = None, limits: Limits | None = None
) -> Iterator[dict[str, Any]]:
    """Every audit event of a log file (JSON lines or EventList) or a directory."""
    sink = Notices(notices, SOURCE)
    lim = limits or Limits()
    root = Path(path)
    if root.is_dir():
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                file = Path(dirpath) / name
                if file.is_file():
                    yield from _read_file(file, sink, lim)
    elif root.is_file():
        yield from _read_file(root, sink, lim)
    else:
        sink.warn("missing", "no such file or directory", str(root))


def read_k8s_audit_stream(
    stream: IO[bytes],
    name: str = "<stream>",
    *,
    notices: list[Notice] | None = None,
    limits: Limits | None = None,
) -> Iterator[dict[str, Any]]:
    """Audit events of one byte stream (a log file's content or a webhook body)."""
    yield from _read_stream(stream, name, Notices(notices, SOURCE), limits or Limits())


def _read_file(file: Path, sink: Notices, limits: Limits) -> Iterator[dict[str, Any]]:
    try:
        with file.open("rb") as raw:
            yield from _read_stream(raw, str(file), sink, limits)
    except READ_ERRORS as exc:
        sink.warn("unreadable", f"cannot read: {exc}", str(file))


def _read_stream(
    stream: IO[bytes], name: str, sink: Notices, limits: Limits
) -> Iterator[dict[str, Any]]:
    try:
        data = gzip_stream(stream)
        first = data.readline(limits.max_record_bytes + 1)
    except READ_ERRORS as exc:
        sink.warn("unreadable", f"cannot read: {exc}", name)
        return
    if _is_document(first, limits.max_record_bytes):
        # not JSON lines: one document (EventList or array), streamed
        rest = io.BufferedReader(_Chain(first, data))
        for event in array_records(rest, "items", name, sink, limits):
            yield from _events(event, name, sink, 0)
        return
    yield from _lines(first, data, name, sink, limits)


def _is_document(first: bytes, cap: int) -> bool:
    """Is this the first line of one multi-line document rather than of JSON lines?
    A pretty-printed EventList or array opens with a lone bracket; a one-line document
    too long for a line is recognised by its kind."""
    head = first.strip()
    if head in (b"{", b"[") or (head.startswith(b"[") and len(first) <= cap):
        return not _complete(first)
    return len(first) > cap and b'"EventList"' in first


def _complete(line: bytes) -> bool:
    try:
        json.loads(line)
    except (ValueError, RecursionError):
        return False
    return True


def _lines(
    first: bytes, data: IO[bytes], name: str, sink: Notices, limits: Limits
) -> Iterator[dict[str, Any]]:
    cap = limits.max_record_bytes
    line, number, total = first, 1, 0
    try:
        while line:
            total += len(line)
            if total > limits.max_file_bytes:
                sink.warn("too-large", f"over {limits.max_file_bytes} bytes: rest skipped", name)
                return
            if len(line) > cap and not line.endswith(b"\n"):
                size = len(line)
                while line and not line.endswith(b"\n"):  # skip the rest of the line
                    line = data.readline(cap + 1)
                    size += len(line)
                    total += len(line)
                sink.warn("oversized", f"line {number} is over {cap} bytes: skipped", name)
            elif line.strip():
                event = decode(line, number, name, sink)
                if event is not None:
                    yield from _events(event, name, sink, number)
            line = data.readline(cap + 1)
            number += 1
    except READ_ERRORS as exc:
        sink.warn("unreadable", f"read error after line {number}: {exc}", name)


def _events(
    value: dict[str, Any], name: str, sink: Notices, where: int
) -> Iterator[dict[str, Any]]:
    if value.get("kind") != "EventList":
        yield value
        return
    items = value.get("items")
    if not isinstance(items, list):
        sink.warn("bad-record", f"record {where}: an EventList without an items list", name)
        return
    for i, item in enumerate(items):
        if isinstance(item, dict):
            yield item
        else:
            sink.warn("bad-record", f"record {where} item {i}: not an object", name)


class _Chain(io.RawIOBase):
    """`head` followed by the rest of `tail`, as one raw stream."""

    def __init__(self, head: bytes, tail: IO[bytes]) -> None:
        self.head = head
        self.tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.head:
            n = min(len(view), len(self.head))
            view[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.tail.read(len(view))
        view[: len(data)] = data
        return len(data)
