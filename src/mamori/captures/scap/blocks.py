"""The block layer of a ``.scap`` file: pcapng-like blocks read one at a time.

Every block is ``type:u32, total_length:u32, body, total_length:u32``; the first block
of a section is the section header, whose magic gives the byte order of the section.
Reading is streaming and bounded: a block longer than the caller's limit is refused
with a ``CaptureError`` before anything is allocated for it, and a file cut in the
middle of a block raises ``TruncatedCaptureError`` (the reader turns that into a warning
and keeps the events read so far). gzip'd captures are recognised by their magic and
decompressed as a stream.
"""

from __future__ import annotations

import gzip
import io
import struct
from dataclasses import dataclass
from typing import BinaryIO

SHB_BLOCK_TYPE = 0x0A0D0D0A
SHB_MAGIC = 0x1A2B3C4D

MI_BLOCK_TYPES = frozenset({0x201, 0x8002ABCD})
PL_BLOCK_VERSIONS = {
    0x202: 1, 0x8000ABCD: 1, 0x207: 2, 0x8013ABCD: 2, 0x209: 3, 0x8014ABCD: 3,
    0x210: 4, 0x211: 5, 0x212: 6, 0x213: 7, 0x214: 8, 0x215: 9,
}  # fmt: skip
FDL_BLOCK_TYPES = frozenset({0x203, 0x8001ABCD, 0x218})
FDL_BLOCK_TYPE_V2 = 0x218
IL_BLOCK_TYPES = frozenset({0x205, 0x8011ABCD, 0x219})
IL_BLOCK_TYPE_V2 = 0x219
UL_BLOCK_TYPES = frozenset({0x206, 0x8012ABCD, 0x220})
UL_BLOCK_TYPE_V2 = 0x220

EV_BLOCK_V1 = frozenset({0x204, 0x8010ABCD, 0x208})
EV_BLOCK_V2 = frozenset({0x216, 0x217})
EV_BLOCK_LARGE = frozenset({0x221, 0x222})
EV_BLOCK_TYPES = EV_BLOCK_V1 | EV_BLOCK_V2 | EV_BLOCK_LARGE
EVF_BLOCK_TYPES = frozenset({0x208, 0x217, 0x222})  # carry 32 bits of dump flags

# libscap reads a non-large event block into a 64 KiB buffer: anything longer is corrupt.
MAX_EVENT_BLOCK = (1 << 16) + 8
DEFAULT_MAX_LARGE_BLOCK = 64 << 20
DEFAULT_MAX_META_BLOCK = 64 << 20
_CHUNK = 1 << 20
_READAHEAD = 256 << 10

GZIP_MAGIC = b"\x1f\x8b"
_SHB_BYTES = SHB_BLOCK_TYPE.to_bytes(4, "little")  # a palindrome: same in both orders


class CaptureError(Exception):
    """The capture is corrupt or not a capture at all."""


class TruncatedCaptureError(CaptureError):
    """The capture ends in the middle of a block."""


@dataclass(frozen=True, slots=True)
class Section:
    """A section header: the byte order and the format version of what follows."""

    order: str  # "little" or "big"
    major: int
    minor: int
    length: int


def open_source(source: str | BinaryIO) -> BinaryIO:
    """Open a path or wrap a binary stream, transparently un-gzipping."""
    raw: BinaryIO = open(source, "rb") if isinstance(source, str) else source  # noqa: SIM115
    if not hasattr(raw, "peek"):
        raw = io.BufferedReader(raw)  # type: ignore[type-var]
    head = raw.peek(2)[:2]
    if head == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


class BlockStream:
    """Reads blocks one by one; knows the current section's byte order."""

    def __init__(
        self,
        stream: BinaryIO,
        *,
        max_meta_block: int = DEFAULT_MAX_META_BLOCK,
        max_large_block: int = DEFAULT_MAX_LARGE_BLOCK,
    ) -> None:
        self._stream = stream
        self._max_meta = max_meta_block
        self._max_large = max_large_block
        self.section: Section | None = None
        self.order = "little"  # byte order of the current section
        self._header: struct.Struct | None = None
        self.offset = 0  # bytes consumed (of the decompressed stream)
        self._buf = b""
        self._pos = 0

    def _fill(self, n: int) -> bool:
        """Make n bytes available in the read-ahead buffer if the input has them.
        Reads in chunks: a corrupt length in a short file costs only what it holds."""
        avail = len(self._buf) - self._pos
        if avail >= n:
            return True
        parts = [self._buf[self._pos :]]
        need = n - avail
        try:
            while need > 0:
                part = self._stream.read(max(_READAHEAD, min(need, _CHUNK)))
                if not part:
                    break
                parts.append(part)
                need -= len(part)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise TruncatedCaptureError(f"unreadable input at offset {self.offset}: {exc}") from exc
        self._buf = b"".join(parts)
        self._pos = 0
        return need <= 0

    def _read(self, n: int, what: str) -> bytes:
        if not self._fill(n):
            got = len(self._buf) - self._pos
            raise TruncatedCaptureError(
                f"{what}: expected {n} bytes at offset {self.offset}, got {got} "
                "(is the file truncated?)"
            )
        pos = self._pos
        self._pos = pos + n
        self.offset += n
        return self._buf[pos : pos + n]

    # -- direct access for the event fast path (`ScapReader.events`) -----------------
    @property
    def header(self) -> struct.Struct | None:
        """The ``type, total_length`` struct of the current section (None before one)."""
        return self._header

    def window(self) -> tuple[bytes, int]:
        """The read-ahead buffer and where the next block starts in it. A caller may
        parse whole blocks straight from it (checking what `next_block` checks: the
        length limit, the block fitting the buffer, the trailer), then `consume` them;
        anything else (a short buffer, a section header, a bad length) it leaves to
        `next_block`, which refills, raises or ends the stream as usual."""
        return self._buf, self._pos

    def consume(self, pos: int) -> None:
        """Mark the buffer up to `pos` (from `window`) as read."""
        self.offset += pos - self._pos
        self._pos = pos

    def limit(self, block_type: int) -> int:
        """The largest total length accepted for a block of this type."""
        return self._limit(block_type)

    def _limit(self, block_type: int) -> int:
        if block_type in EV_BLOCK_LARGE:
            return self._max_large
        if block_type in EV_BLOCK_TYPES:
            return MAX_EVENT_BLOCK + 4  # + trailer
        return self._max_meta

    def next_block(self) -> tuple[int, bytes] | None:
        """The next (type, body) pair, or None at a clean end of file."""
        if not self._fill(8):
            if self._pos == len(self._buf):
                return None
            raise TruncatedCaptureError(f"block header cut short at offset {self.offset}")
        head = self._read(8, "block header")
        if head[:4] == _SHB_BYTES:
            return SHB_BLOCK_TYPE, self._read_section(head)
        if self._header is None:
            raise CaptureError("not a scap capture: no section header block")
        block_type, total = self._header.unpack(head)
        if total > self._limit(block_type) or total < 12:
            raise CaptureError(
                f"block type {block_type:#x}: length {total} is not within 12.."
                f"{self._limit(block_type)} (corrupt capture?)"
            )
        data = self._read(total - 8, f"block type {block_type:#x}")
        if data[-4:] != head[4:]:
            trailer = int.from_bytes(data[-4:], self.order)  # type: ignore[arg-type]
            raise CaptureError(
                f"block type {block_type:#x}: wrong block total length, header={total}, "
                f"trailer={trailer}"
            )
        return block_type, data[:-4]

    def _read_section(self, head: bytes) -> bytes:
        magic_raw = self._read(4, "section header")
        if int.from_bytes(magic_raw, "little") == SHB_MAGIC:
            order = "little"
        elif int.from_bytes(magic_raw, "big") == SHB_MAGIC:
            order = "big"
        else:
            raise CaptureError("invalid section header magic: not a scap capture")
        total = int.from_bytes(head[4:8], order)  # type: ignore[arg-type]
        if total < 28 or total > self._max_meta:
            raise CaptureError(f"section header: invalid length {total}")
        rest = self._read(total - 12, "section header")
        body = magic_raw + rest[:-4]
        trailer = int.from_bytes(rest[-4:], order)  # type: ignore[arg-type]
        if trailer != total:
            raise CaptureError(f"section header: wrong block total length {total}/{trailer}")
        fmt = "<HHQ" if order == "little" else ">HHQ"
        major, minor, length = struct.unpack_from(fmt, body, 4)
        if major > 1:
            raise CaptureError(f"capture format {major}.{minor} is newer than this reader (1.x)")
        self.section = Section(order, major, minor, length)
        self.order = order
        self._header = struct.Struct("<II" if order == "little" else ">II")
        return body
