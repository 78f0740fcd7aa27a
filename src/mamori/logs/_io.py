"""Limits, notices and file opening shared by the log readers."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

from mamori.logs._scan import Bad, JsonShapeError, Oversized, iter_array
from mamori.model import Notice, NoticeLevel

GZIP_MAGIC = b"\x1f\x8b"
READ_ERRORS = (OSError, EOFError, zlib.error, gzip.BadGzipFile)
"""What reading a (possibly truncated or corrupt) plain or gzip'd file can raise."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one reader accepts. A record over `max_record_bytes` is skipped
    with a warning; a file whose (decompressed) content exceeds `max_file_bytes` is
    abandoned at that point with a warning."""

    max_record_bytes: int = 4 << 20
    max_file_bytes: int = 4 << 30


class Notices:
    """Collects warnings into a caller's list, at most `per_kind` of each kind, so a
    file with a million bad records yields a bounded list; `counts` has every kind."""

    def __init__(self, sink: list[Notice] | None, source: str, per_kind: int = 20) -> None:
        self.sink = sink
        self.source = source
        self.per_kind = per_kind
        self.counts: Counter[str] = Counter()

    def warn(self, kind: str, message: str, path: str | None = None) -> None:
        self.counts[kind] += 1
        if self.sink is not None and self.counts[kind] <= self.per_kind:
            self.sink.append(
                Notice(level=NoticeLevel.WARNING, source=self.source, message=message, path=path)
            )


def gzip_stream(stream: IO[bytes]) -> IO[bytes]:
    """A byte stream, decompressed when it starts with the gzip magic."""
    buffered: Any = stream if hasattr(stream, "peek") else io.BufferedReader(cast(Any, stream))
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return cast(IO[bytes], gzip.GzipFile(fileobj=buffered, mode="rb"))
    return cast(IO[bytes], buffered)


def array_records(
    stream: IO[bytes], key: str, where: str, notices: Notices, limits: Limits
) -> Iterator[dict[str, Any]]:
    """Objects of the array under `key` (or of a top-level array); anything that goes
    wrong is a warning naming `where`, never an exception."""
    elements = iter_array(stream, key, limits.max_record_bytes, limits.max_file_bytes)
    try:
        for i, value in enumerate(elements):
            if value.__class__ is dict:
                yield value
            elif isinstance(value, Oversized):
                notices.warn(
                    "oversized",
                    f"record {value.index} is over the {limits.max_record_bytes}-byte cap "
                    f"({value.size} characters): skipped",
                    where,
                )
            elif isinstance(value, Bad):
                notices.warn("bad-record", f"record {i}: invalid JSON: {value.error}", where)
            else:
                kind = type(value).__name__
                notices.warn("bad-record", f"record {i}: a {kind}, not an object", where)
    except JsonShapeError as exc:
        notices.warn("malformed", f"not a readable log: {exc}", where)
    except READ_ERRORS as exc:
        notices.warn("unreadable", f"read error: {exc}", where)


def decode(raw: bytes, index: int, where: str, notices: Notices) -> dict[str, Any] | None:
    """One JSON object, or None (with a warning) for bad JSON or a non-object."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        notices.warn("bad-record", f"record {index}: invalid JSON: {exc}", where)
        return None
    if not isinstance(value, dict):
        kind = type(value).__name__
        notices.warn("bad-record", f"record {index}: a {kind}, not an object", where)
        return None
    return value
