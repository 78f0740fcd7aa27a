"""Read OSV records out of files, directories, .zip and .tar(.gz) archives, one at a time.

Archives are streamed member by member (a tar is read as a stream, a zip through its
central directory), and every member is read with a size cap, so memory stays bounded
whatever the archive claims. A broken member becomes a `Member` with an error instead of
an exception; a tar stream that breaks ends there (a stream cannot be resynchronised).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_MEMBER_BYTES = 16 * 1024 * 1024
CHUNK = 1024 * 1024
RECORD_SUFFIXES = (".json", ".yaml", ".yml")
_ARCHIVE_ERRORS = (
    OSError,
    EOFError,
    zlib.error,
    zipfile.BadZipFile,
    tarfile.TarError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


class _StringLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """YAML with every scalar a string: "1.10" stays "1.10", dates stay RFC 3339 text."""


_KEEP = {"tag:yaml.org,2002:null"}
_StringLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag in _KEEP]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Member:
    """One candidate record file: its data, or why it could not be read."""

    name: str
    data: bytes | None = None
    error: str | None = None


class RecordDecodeError(ValueError):
    pass


def decode(member: Member) -> list[Any]:
    """The records in a member: an OSV object, or a JSON/YAML list of them."""
    assert member.data is not None
    try:
        if member.name.lower().endswith(".json"):
            value = json.loads(member.data)
        else:
            value = yaml.load(member.data, Loader=_StringLoader)  # noqa: S506 (safe loader)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        raise RecordDecodeError(f"not valid {_kind(member.name)}: {_first_line(exc)}") from None
    return value if isinstance(value, list) else [value]


def iter_members(path: Path) -> Iterator[Member]:
    """Every record file under `path` (a file, a directory or an archive)."""
    if path.is_dir():
        yield from _directory(path)
    elif _is_zip(path):
        yield from _zip(path)
    elif _is_tar(path):
        yield from _tar(path)
    elif path.is_file():
        yield _read_file(path, path.name)
    else:
        yield Member(str(path), error="no such file or directory")


def is_record_name(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.lower().endswith(RECORD_SUFFIXES) and not base.startswith(".")


def _kind(name: str) -> str:
    return "JSON" if name.lower().endswith(".json") else "YAML"


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _is_zip(path: Path) -> bool:
    return path.is_file() and path.name.lower().endswith(".zip")


def _is_tar(path: Path) -> bool:
    name = path.name.lower()
    return path.is_file() and name.endswith((".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2"))


def _read_file(path: Path, name: str) -> Member:
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_MEMBER_BYTES + 1)
    except OSError as exc:
        return Member(name, error=f"unreadable: {exc.strerror or exc}")
    if len(data) > MAX_MEMBER_BYTES:
        return Member(name, error=f"larger than {MAX_MEMBER_BYTES} bytes")
    return Member(name, data=data)


def _directory(root: Path) -> Iterator[Member]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink() or not path.is_file() or not is_record_name(rel):
            continue
        yield _read_file(path, rel)


def _zip(path: Path) -> Iterator[Member]:
    try:
        archive = zipfile.ZipFile(path)
    except _ARCHIVE_ERRORS as exc:
        yield Member(path.name, error=f"not a readable zip archive: {_first_line(exc)}")
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir() or not is_record_name(info.filename):
                continue
            name = f"{path.name}:{info.filename}"
            if info.file_size > MAX_MEMBER_BYTES:
                yield Member(name, error=f"larger than {MAX_MEMBER_BYTES} bytes")
                continue
            try:
                with archive.open(info) as fh:
                    data = fh.read(MAX_MEMBER_BYTES + 1)
            except _ARCHIVE_ERRORS as exc:
                yield Member(name, error=f"unreadable zip member: {_first_line(exc)}")
                continue
            if len(data) > MAX_MEMBER_BYTES:
                yield Member(name, error=f"larger than {MAX_MEMBER_BYTES} bytes")
                continue
            yield Member(name, data=data)


def _decompressed(path: Path) -> io.BufferedIOBase:
    """The tar stream inside `path`. The stdlib decompressors (unlike tarfile's own
    stream mode) raise on a stream that ends early, so truncation is noticed."""
    name = path.name.lower()
    if name.endswith((".gz", ".tgz")):
        return gzip.open(path, "rb")
    if name.endswith(".xz"):
        return lzma.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return path.open("rb")


def _tar(path: Path) -> Iterator[Member]:
    try:
        stream = _decompressed(path)
    except _ARCHIVE_ERRORS as exc:
        yield Member(path.name, error=f"unreadable: {_first_line(exc)}")
        return
    with stream:
        try:
            archive = tarfile.open(fileobj=stream, mode="r|")  # noqa: SIM115 (closed below)
        except _ARCHIVE_ERRORS as exc:
            yield Member(path.name, error=f"not a readable tar archive: {_first_line(exc)}")
            return
        yield from _tar_members(path, stream, archive)


def _tar_members(
    path: Path, stream: io.BufferedIOBase, archive: tarfile.TarFile
) -> Iterator[Member]:
    with archive:
        try:
            for info in archive:
                if not info.isfile() or not is_record_name(info.name):
                    continue
                name = f"{path.name}:{info.name}"
                if info.size > MAX_MEMBER_BYTES:
                    yield Member(name, error=f"larger than {MAX_MEMBER_BYTES} bytes")
                    continue
                fh = archive.extractfile(info)
                data = fh.read(MAX_MEMBER_BYTES + 1) if fh is not None else b""
                yield Member(name, data=data)
            while stream.read(CHUNK):  # to the end: the decompressor checks the trailer
                pass
        except _ARCHIVE_ERRORS as exc:
            yield Member(path.name, error=f"tar archive broken, rest skipped: {_first_line(exc)}")
