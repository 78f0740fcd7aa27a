"""A streaming tar reader built for hostile input.

Python's `tarfile` reads a pax header or GNU long name of any claimed size into memory
and silently treats a corrupt header in mid-stream as the end of the archive. This
reader bounds every metadata record, reports a corrupt or truncated archive as such,
and streams member data straight to a file descriptor. It reads ustar, GNU (long names,
base-256 numbers) and pax archives, which covers what image builders write.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mamori.sources.streams import CHUNK, Reader

BLOCK = 512
_ZERO_BLOCK = bytes(BLOCK)


class TarError(Exception):
    """The archive cannot be read further."""


class TarTruncatedError(TarError):
    """The stream ended inside a header or a member's data."""


class TarCorruptError(TarError):
    """A header is malformed (bad checksum, bad number, oversized metadata)."""


class MemberType(enum.Enum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    CHAR = "char"
    BLOCK = "block"
    FIFO = "fifo"
    OTHER = "other"  # unknown type flags, GNU sparse files, volume labels


_TYPES = {
    b"0": MemberType.FILE,
    b"\0": MemberType.FILE,
    b"7": MemberType.FILE,  # contiguous file: a regular file everywhere that matters
    b"1": MemberType.HARDLINK,
    b"2": MemberType.SYMLINK,
    b"3": MemberType.CHAR,
    b"4": MemberType.BLOCK,
    b"5": MemberType.DIR,
    b"6": MemberType.FIFO,
}
# Types with no data records after the header, whatever their size field says.
_NO_DATA = frozenset({b"1", b"2", b"3", b"4", b"5", b"6"})


@dataclass(slots=True)
class Member:
    name: str  # as stored (decoded with surrogateescape, so bytes round-trip)
    type: MemberType
    size: int  # data bytes that follow the header
    mode: int
    linkname: str = ""
    devmajor: int = 0
    devminor: int = 0
    sparse: bool = False
    offset: int = 0  # where the data starts in the (decompressed) stream


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _nts(field: bytes) -> bytes:
    end = field.find(b"\0")
    return field if end < 0 else field[:end]


def _number(field: bytes, what: str, offset: int) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # GNU base-256
        value = int.from_bytes(field[1:], "big")
        if field[0] == 0xFF:
            value -= 256 ** (len(field) - 1)
        return value
    text = field.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError:
        raise TarCorruptError(f"bad {what} field in the header at offset {offset}") from None


def _checksum_ok(block: bytes, stored: int) -> bool:
    unsigned = sum(block) - sum(block[148:156]) + 8 * 32
    if unsigned == stored:
        return True
    signed = sum(b - 256 if b > 127 else b for b in block)
    signed -= sum(b - 256 if b > 127 else b for b in block[148:156]) - 8 * 32
    return signed == stored


def _parse_pax(data: bytes, offset: int) -> dict[str, str]:
    """Parse pax records ("LEN key=value\\n")."""
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:  # NUL padding after the last record
            break
        space = data.find(b" ", pos, pos + 20)
        if space < 0:
            raise TarCorruptError(f"bad pax record at offset {offset}")
        try:
            length = int(data[pos:space])
        except ValueError:
            raise TarCorruptError(f"bad pax record length at offset {offset}") from None
        end = pos + length
        if length <= space - pos + 1 or end > len(data) or data[end - 1 : end] != b"\n":
            raise TarCorruptError(f"bad pax record at offset {offset}")
        key, sep, value = data[space + 1 : end - 1].partition(b"=")
        if not sep:
            raise TarCorruptError(f"bad pax record at offset {offset}")
        out[_decode(key)] = _decode(value)
        pos = end
    return out


class TarReader:
    """Iterate over the members of a tar stream; read or skip each one's data.

    The data of a member not consumed before the next iteration step is skipped.
    `complete` tells whether the end-of-archive marker was reached.
    """

    def __init__(
        self,
        src: Reader,
        *,
        max_metadata: int = 1024 * 1024,
        chunk: int = CHUNK,
        skip: Callable[[int], None] | None = None,
    ) -> None:
        self._src = src
        self._max_metadata = max_metadata
        self._chunk = chunk
        self._skip = skip
        self._buf = b""
        self._pos = 0
        self.offset = 0  # stream position of the next byte not yet consumed
        self._remaining = 0  # data bytes of the current member not yet consumed
        self._padding = 0
        self._global: dict[str, str] = {}
        self.complete = False

    # -- low level -------------------------------------------------------------------

    def _take(self, n: int) -> bytes:
        """Exactly `n` bytes, or TarTruncatedError."""
        end = self._pos + n
        if end <= len(self._buf):
            out = self._buf[self._pos : end]
            self._pos = end
            self.offset += n
            return out
        parts = [self._buf[self._pos :]]
        got = len(parts[0])
        while got < n:
            data = self._src.read(max(self._chunk, n - got))
            if not data:
                self._buf, self._pos = b"", 0
                self.offset += got
                raise TarTruncatedError(f"stream ended at offset {self.offset}, inside a header")
            parts.append(data)
            got += len(data)
        joined = b"".join(parts)
        self._buf, self._pos = joined, n
        self.offset += n
        return joined[:n]

    def _discard(self, n: int) -> None:
        avail = len(self._buf) - self._pos
        if n <= avail:
            self._pos += n
            self.offset += n
            return
        self._buf, self._pos = b"", 0
        self.offset += avail
        n -= avail
        if self._skip is not None:
            self._skip(n)
            self.offset += n
            return
        while n:
            data = self._src.read(min(n, CHUNK))
            if not data:
                raise TarTruncatedError(f"stream ended at offset {self.offset}, inside member data")
            n -= len(data)
            self.offset += len(data)

    # -- member data -----------------------------------------------------------------

    def copy_to(self, fd: int, limit: int | None = None) -> int:
        """Write the current member's data to `fd` (at most `limit` bytes, the rest is
        skipped). Raises TarTruncatedError if the stream ends first; what was read is kept."""
        written = 0
        want = self._remaining if limit is None else min(limit, self._remaining)
        while written < want:
            avail = len(self._buf) - self._pos
            if avail:
                n = min(avail, want - written)
                view = memoryview(self._buf)[self._pos : self._pos + n]
                self._pos += n
            else:
                data = self._src.read(min(CHUNK, want - written))
                if not data:
                    self.offset += written
                    self._remaining -= written
                    raise TarTruncatedError(f"stream ended at offset {self.offset}, inside a file")
                view = memoryview(data)
                n = len(data)
            while view:
                view = view[os.write(fd, view) :]
            written += n
        self.offset += written
        self._remaining -= written
        return written

    def read_data(self, limit: int) -> bytes:
        """The current member's data, if it is at most `limit` bytes (else TarCorruptError)."""
        if self._remaining > limit:
            raise TarCorruptError(f"member data of {self._remaining} bytes exceeds {limit}")
        data = self._take(self._remaining)
        self._remaining = 0
        return data

    # -- headers ---------------------------------------------------------------------

    def _finish_member(self) -> None:
        if self._remaining or self._padding:
            n, self._remaining = self._remaining + self._padding, 0
            self._padding = 0
            self._discard(n)

    def __iter__(self) -> Iterator[Member]:
        while True:
            self._finish_member()
            member = self._next()
            if member is None:
                return
            yield member

    def _read_block(self) -> bytes | None:
        if self._pos == len(self._buf):
            data = self._src.read(self._chunk)
            if not data:
                return None  # clean end of stream at a header boundary
            self._buf, self._pos = data, 0
        return self._take(BLOCK)

    def _metadata(self, size: int, what: str, offset: int) -> bytes:
        if size < 0 or size > self._max_metadata:
            raise TarCorruptError(f"{what} of {size} bytes at offset {offset} exceeds the limit")
        data = self._take(size)
        self._discard(-size % BLOCK)
        return data

    def _next(self) -> Member | None:
        pax: dict[str, str] = {}
        long_name: bytes | None = None
        long_link: bytes | None = None
        meta_total = 0  # metadata records for this one member, all headers together
        while True:
            offset = self.offset
            block = self._read_block()
            if block is None:
                return None
            if block == _ZERO_BLOCK:
                self.complete = True
                return None
            if not _checksum_ok(block, _number(block[148:156], "checksum", offset)):
                raise TarCorruptError(f"bad header checksum at offset {offset}")
            flag = block[156:157]
            size = _number(block[124:136], "size", offset)
            if flag in (b"x", b"g", b"X", b"L", b"K"):
                meta_total += size
                if meta_total > self._max_metadata:
                    raise TarCorruptError(
                        f"metadata headers before offset {offset} exceed the limit"
                    )
            if flag in (b"x", b"g", b"X"):
                records = _parse_pax(self._metadata(size, "pax header", offset), offset)
                if flag == b"g":
                    self._global.update(records)
                    if sum(len(k) + len(v) for k, v in self._global.items()) > self._max_metadata:
                        raise TarCorruptError(
                            f"global pax headers exceed the limit at offset {offset}"
                        )
                else:
                    pax.update(records)
                continue
            if flag in (b"L", b"K"):
                value = _nts(self._metadata(size, "GNU long name", offset))
                if flag == b"L":
                    long_name = value
                else:
                    long_link = value
                continue
            return self._member(
                block, flag, size, offset, {**self._global, **pax}, long_name, long_link
            )

    def _member(
        self,
        block: bytes,
        flag: bytes,
        size: int,
        offset: int,
        pax: dict[str, str],
        long_name: bytes | None,
        long_link: bytes | None,
    ) -> Member:
        name = _nts(block[0:100])
        prefix = _nts(block[345:500]) if block[257:263] == b"ustar\x00" else b""
        if prefix:
            name = prefix + b"/" + name
        if long_name is not None:
            name = long_name
        link = long_link if long_link is not None else _nts(block[157:257])
        text_name = pax.get("path", _decode(name))
        text_link = pax.get("linkpath", _decode(link))
        if "size" in pax:
            try:
                size = int(pax["size"])
            except ValueError:
                raise TarCorruptError(f"bad pax size at offset {offset}") from None
        if size < 0:
            raise TarCorruptError(f"negative size at offset {offset}")
        kind = _TYPES.get(flag, MemberType.OTHER)
        has_data = flag not in _NO_DATA
        if flag == b"\0" and text_name.endswith("/"):  # a V7 directory
            kind, has_data = MemberType.DIR, False
        elif flag == b"D":  # a GNU dump directory: its data is a listing, skipped
            kind = MemberType.DIR
        sparse = flag == b"S" or any(k.startswith("GNU.sparse.") for k in pax)
        if sparse:
            kind = MemberType.OTHER
        self._remaining = size if has_data else 0
        self._padding = -self._remaining % BLOCK
        return Member(
            name=text_name,
            type=kind,
            size=self._remaining,
            mode=_number(block[100:108], "mode", offset) & 0o7777,
            linkname=text_link,
            devmajor=_number(block[329:337], "devmajor", offset) if flag in b"34" else 0,
            devminor=_number(block[337:345], "devminor", offset) if flag in b"34" else 0,
            sparse=sparse,
            offset=self.offset,
        )
