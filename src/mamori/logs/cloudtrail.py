"""CloudTrail log files: records out of ``{"Records": [...]}`` documents.

CloudTrail delivers one JSON document per object, gzip'd, under
``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_
<YYYYMMDDTHHmmZ>_<id>.json.gz`` (organization trails add ``<org-id>/`` after
``AWSLogs``); digest files live under ``CloudTrail-Digest/`` and are not records.
`read_cloudtrail` takes a file (plain or gzip'd, recognised by content) or a directory
in that layout (or any tree of ``.json``/``.json.gz`` files) and yields each record as
a ``dict``, file by file in path order (chronological within one account and region).

Reading streams: a file is never loaded whole; each record is decoded on its own, so
memory stays around one record (capped by `Limits.max_record_bytes`). A record over
the cap, a record that is not a JSON object, a malformed or truncated file: a warning
in `notices`, the rest is still read.

Not here yet: the S3 bucket reader (boto3, incremental per prefix) and
``watch``; they will hand each object's body to `read_cloudtrail_stream`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from mamori.logs._io import READ_ERRORS, Limits, Notices, array_records, gzip_stream
from mamori.model import Notice

SOURCE = "logs.cloudtrail"
SUFFIXES = (".json", ".json.gz", ".gz")
DIGEST_DIR = "CloudTrail-Digest"


def read_cloudtrail(
    path: str | Path, *, notices: list[Notice] | None = None, limits: Limits | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of a CloudTrail log file or of a directory of them."""
    sink = Notices(notices, SOURCE)
    lim = limits or Limits()
    root = Path(path)
    if root.is_dir():
        for file in cloudtrail_files(root):
            yield from _read_file(file, sink, lim)
    elif root.is_file():
        yield from _read_file(root, sink, lim)
    else:
        sink.warn("missing", "no such file or directory", str(root))


def read_cloudtrail_stream(
    stream: IO[bytes],
    name: str = "<stream>",
    *,
    notices: list[Notice] | None = None,
    limits: Limits | None = None,
) -> Iterator[dict[str, Any]]:
    """Records of one log document read from a byte stream (plain or gzip'd): what
    the S3 reader will call with an object's body."""
    sink = Notices(notices, SOURCE)
    yield from _read_stream(stream, name, sink, limits or Limits())


def cloudtrail_files(root: Path) -> Iterator[Path]:
    """Log files below `root` in path order; digest folders and other files skipped.
    Symbolic links to directories are not followed (no loops, no escaping the tree)."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != DIGEST_DIR)
        for name in sorted(filenames):
            file = Path(dirpath) / name
            if name.endswith(SUFFIXES) and file.is_file():
                yield file


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
    except READ_ERRORS as exc:
        sink.warn("unreadable", f"cannot read: {exc}", name)
        return
    yield from array_records(data, "Records", name, sink, limits)
