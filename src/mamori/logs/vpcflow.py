"""VPC Flow Logs in their text format: records out of plain or gzip'd files.

A flow log record is one line of space-separated values, in the order of the flow log's
format. The default format is version 2's fourteen fields (`DEFAULT_FIELDS`); a custom
format is any subset of the documented fields (versions 2 to 5, and later ones, kept as
text) in any order. Files delivered to S3 start with a header line naming the fields
(``version account-id interface-id srcaddr ...``): it is read, and any later line made
only of field names starts a new format (files concatenated together). A file without a
header (a CloudWatch Logs export) is read with the format given by the caller, else
the default one.

Values: ``-`` is null (``None``: the field does not apply, such as the addresses of a
``NODATA`` or ``SKIPDATA`` record); the numeric fields (`INT_FIELDS`) become ``int``;
addresses are checked and kept as text; everything else stays text. A record is a
``dict`` keyed by the field names as AWS spells them (``"log-status"``,
``"pkt-srcaddr"``) holding only the fields of its format.

Bounded and never raising: a line longer than `Limits.max_record_bytes` is skipped
without being buffered, a line with the wrong number of values or a value that does not
parse is a warning and is skipped, reading stops at `Limits.max_file_bytes`, a
truncated gzip stream keeps what was read; every problem is a `Notice` (at most 20 per
kind per call).
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from mamori.logs._io import READ_ERRORS, Limits, Notices, gzip_stream
from mamori.model import Notice

SOURCE = "logs.vpcflow"

DEFAULT_FIELDS: tuple[str, ...] = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
)  # fmt: skip
"""The default format (version 2), in order."""

VERSION_FIELDS: dict[int, tuple[str, ...]] = {
    2: DEFAULT_FIELDS,
    3: ("vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr",
        "pkt-dstaddr"),
    4: ("region", "az-id", "sublocation-type", "sublocation-id"),
    5: ("pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path"),
    7: ("ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn",
        "ecs-container-instance-id", "ecs-container-id", "ecs-second-container-id",
        "ecs-service-name", "ecs-task-definition-arn", "ecs-task-arn", "ecs-task-id"),
    8: ("reject-reason",),
}  # fmt: skip
"""The documented fields by the version that introduced them."""

KNOWN_FIELDS = frozenset(f for fields in VERSION_FIELDS.values() for f in fields)
INT_FIELDS = frozenset(
    {"version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end"}
    | {"tcp-flags", "traffic-path"}
)
ADDRESS_FIELDS = frozenset({"srcaddr", "dstaddr", "pkt-srcaddr", "pkt-dstaddr"})
LOG_STATUSES = frozenset({"OK", "NODATA", "SKIPDATA"})
MAX_INT = 2**64 - 1
_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
SUFFIXES = (".log", ".log.gz", ".gz", ".txt")

FlowRecord = dict[str, Any]


class BadValueError(ValueError):
    """A value that does not parse as its field's type."""


def read_vpc_flow(
    path: str | Path,
    *,
    fields: Sequence[str] | None = None,
    notices: list[Notice] | None = None,
    limits: Limits | None = None,
) -> Iterator[FlowRecord]:
    """Every record of a flow log file (plain or gzip'd) or of a directory of them
    (read in path order; symbolic links to directories are not followed). `fields` is
    the format of files without a header line (default: `DEFAULT_FIELDS`)."""
    sink = Notices(notices, SOURCE)
    lim = limits or Limits()
    fmt = _format(fields, sink)
    root = Path(path)
    if root.is_dir():
        for file in vpc_flow_files(root):
            yield from _read_file(file, fmt, sink, lim)
    elif root.is_file():
        yield from _read_file(root, fmt, sink, lim)
    else:
        sink.warn("missing", "no such file or directory", str(root))


def read_vpc_flow_stream(
    stream: IO[bytes],
    name: str = "<stream>",
    *,
    fields: Sequence[str] | None = None,
    notices: list[Notice] | None = None,
    limits: Limits | None = None,
) -> Iterator[FlowRecord]:
    """Records of one byte stream (a file's content, an S3 object's body)."""
    sink = Notices(notices, SOURCE)
    yield from _read_stream(stream, name, _format(fields, sink), sink, limits or Limits())


def vpc_flow_files(root: Path) -> Iterator[Path]:
    """Flow log files below `root` (``.log``, ``.log.gz``, ``.gz``, ``.txt``), sorted."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            file = Path(dirpath) / name
            if name.endswith(SUFFIXES) and file.is_file():
                yield file


def parse_header(line: str) -> tuple[str, ...] | None:
    """The fields a header line names, or None when the line is not a header (a header
    is made of field names only, at least one of them documented, none repeated)."""
    names = tuple(line.split())
    if not names or len(set(names)) != len(names):
        return None
    if not all(_NAME.fullmatch(n) for n in names) or not any(n in KNOWN_FIELDS for n in names):
        return None
    return names


def parse_record(line: str, fields: Sequence[str]) -> FlowRecord:
    """One record in the format `fields`. Raises `BadValueError` (with the reason)."""
    values = line.split()
    if len(values) != len(fields):
        raise BadValueError(f"{len(values)} values for a format of {len(fields)} fields")
    convert = _converters(tuple(fields))
    return {
        name: None if text == "-" else conv(name, text)
        for name, conv, text in zip(fields, convert, values, strict=True)
    }


def format_record(record: FlowRecord, fields: Sequence[str]) -> str:
    """A record back to its line (``-`` for null and absent fields): for writing tests
    and fixtures, and the inverse of `parse_record`."""
    return " ".join("-" if record.get(f) is None else str(record[f]) for f in fields)


def _number(name: str, text: str) -> int:
    if not (text.isdigit() and text.isascii()) or len(text) > 20 or int(text) > MAX_INT:
        raise BadValueError(f"{name}: {text[:40]!r} is not a number")
    return int(text)


def _address(name: str, text: str) -> str:
    """The address as written, checked by the C parser (``inet_pton``), which is an
    order of magnitude faster than `ipaddress` on this hot path."""
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in text else socket.AF_INET, text)
    except (OSError, ValueError):
        raise BadValueError(f"{name}: {text[:40]!r} is not an IP address") from None
    return text


def _text(_name: str, text: str) -> str:
    return text


@lru_cache(maxsize=64)
def _converters(fields: tuple[str, ...]) -> tuple[Callable[[str, str], Any], ...]:
    return tuple(
        _number if f in INT_FIELDS else _address if f in ADDRESS_FIELDS else _text for f in fields
    )


def _format(fields: Sequence[str] | None, sink: Notices) -> tuple[str, ...]:
    if fields is None:
        return DEFAULT_FIELDS
    fmt = parse_header(" ".join(fields))
    if fmt is None:
        sink.warn("bad-format", f"not a flow log format: {' '.join(fields)[:200]!r}: default used")
        return DEFAULT_FIELDS
    return fmt


def _read_file(
    file: Path, fmt: tuple[str, ...], sink: Notices, limits: Limits
) -> Iterator[FlowRecord]:
    if file.name.endswith(".parquet"):
        sink.warn("unsupported", "Parquet flow logs are not read (text format only)", str(file))
        return
    try:
        with file.open("rb") as raw:
            yield from _read_stream(raw, str(file), fmt, sink, limits)
    except READ_ERRORS as exc:
        sink.warn("unreadable", f"cannot read: {exc}", str(file))


def _read_stream(
    stream: IO[bytes], name: str, fmt: tuple[str, ...], sink: Notices, limits: Limits
) -> Iterator[FlowRecord]:
    cap = limits.max_record_bytes
    number, total = 0, 0
    try:
        data = gzip_stream(stream)
        while line := data.readline(cap + 1):
            number += 1
            total += len(line)
            if total > limits.max_file_bytes:
                sink.warn("too-large", f"over {limits.max_file_bytes} bytes: rest skipped", name)
                return
            if len(line) > cap and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of the line
                    line = data.readline(cap + 1)
                    total += len(line)
                sink.warn("oversized", f"line {number} is over {cap} bytes: skipped", name)
                continue
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            header = parse_header(text) if text[0].islower() else None
            if header is not None:
                fmt = header
                continue
            try:
                yield parse_record(text, fmt)
            except BadValueError as exc:
                sink.warn("bad-line", f"line {number}: {exc}: skipped", name)
    except READ_ERRORS as exc:
        sink.warn("unreadable", f"read error after line {number}: {exc}", name)
