"""Bounded, in-memory access to Java archives and the archives nested in them.

Nothing is extracted to disk. Every read is bounded before it starts (declared sizes,
compression ratio, a per-file byte budget), and the central directory's entry count is
checked from the end-of-central-directory record before `zipfile` parses it, so a
hostile archive costs bounded memory and time.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

MAX_DEPTH = 3  # archive nesting levels below the file on disk (war -> jar -> jar -> jar)
MAX_ENTRIES = 100_000
MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024
MAX_NESTED_SIZE = 64 * 1024 * 1024  # uncompressed size of one nested archive
MAX_META_SIZE = 1024 * 1024  # MANIFEST.MF, pom.properties, pom.xml
MAX_RATIO = 100  # uncompressed/compressed, checked for members above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
TOTAL_BUDGET = 512 * 1024 * 1024  # uncompressed bytes read per file on disk
MAX_ARCHIVES = 2000  # nested archives opened per file on disk
MAX_UNSEEKABLE = 512 * 1024 * 1024
SAFE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"


class ZipLimitError(ValueError):
    """An archive or member is refused: malformed, or past a safety limit."""


@dataclass
class Budget:
    """What is left to read for one file on disk, shared by all archives nested in it."""

    bytes_left: int = TOTAL_BUDGET
    archives_left: int = MAX_ARCHIVES

    def take(self, size: int) -> None:
        if size > self.bytes_left:
            raise ZipLimitError(f"read budget of {TOTAL_BUDGET} bytes exhausted")
        self.bytes_left -= size

    def take_archive(self) -> None:
        if self.archives_left <= 0:
            raise ZipLimitError(f"more than {MAX_ARCHIVES} nested archives")
        self.archives_left -= 1


def _entry_count(fh: BinaryIO) -> tuple[int, int]:
    """(entries, central directory size) from the end records, without parsing entries."""
    size = fh.seek(0, 2)
    tail_len = min(size, 22 + 65535)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise ZipLimitError("no end of central directory: not a zip archive")
    entries, cd_size = struct.unpack_from("<HI", tail, at + 10)
    if entries == 0xFFFF or cd_size == 0xFFFFFFFF:
        loc = at - 20
        if loc >= 0 and tail[loc : loc + 4] == _EOCD64_LOCATOR:
            (offset,) = struct.unpack_from("<Q", tail, loc + 8)
            if offset + 56 <= size:
                fh.seek(offset)
                rec = fh.read(56)
                if rec[:4] == _EOCD64:
                    entries, cd_size = struct.unpack_from("<QQ", rec, 32)
    return entries, cd_size


def open_zip(fh: BinaryIO) -> zipfile.ZipFile:
    """A ZipFile over a seekable file object, after checking the directory's size."""
    try:
        entries, cd_size = _entry_count(fh)
    except (OSError, struct.error) as exc:
        raise ZipLimitError(f"unreadable zip: {exc}") from exc
    if entries > MAX_ENTRIES:
        raise ZipLimitError(f"{entries} entries (limit {MAX_ENTRIES})")
    if cd_size > MAX_CENTRAL_DIRECTORY:
        raise ZipLimitError(f"central directory of {cd_size} bytes")
    try:
        fh.seek(0)
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, struct.error) as exc:
        raise ZipLimitError(f"unreadable zip: {exc}") from exc
    except (ValueError, NotImplementedError, UnicodeError) as exc:
        raise ZipLimitError(f"unreadable zip: {exc}") from exc
    if len(zf.filelist) > MAX_ENTRIES:
        zf.close()
        raise ZipLimitError(f"more than {MAX_ENTRIES} entries")
    return zf


def seekable(fh: BinaryIO) -> BinaryIO:
    """`fh` itself if seekable, else its content buffered in memory (bounded)."""
    if fh.seekable():
        return fh
    data = fh.read(MAX_UNSEEKABLE + 1)
    if len(data) > MAX_UNSEEKABLE:
        raise ZipLimitError("archive too large to buffer")
    return io.BytesIO(data)


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, budget: Budget) -> bytes:
    """A member's bytes, refused before reading if past `limit`, the ratio or the budget."""
    if info.compress_type not in SAFE_METHODS:
        raise ZipLimitError(f"{info.filename}: compression method {info.compress_type}")
    if info.file_size > limit:
        raise ZipLimitError(f"{info.filename}: {info.file_size} bytes (limit {limit})")
    if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise ZipLimitError(f"{info.filename}: compression ratio above {MAX_RATIO} (zip bomb?)")
    budget.take(info.file_size)
    try:
        # ZipExtFile never yields more than the declared file_size, so this is bounded.
        with zf.open(info) as member:
            data = member.read(limit + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error) as exc:
        raise ZipLimitError(f"{info.filename}: {exc}") from exc
    except (EOFError, OSError, ValueError) as exc:
        raise ZipLimitError(f"{info.filename}: {exc}") from exc
    if len(data) > limit:
        raise ZipLimitError(f"{info.filename}: larger than declared")
    return data
