"""Byte streams for image blobs: file windows, hashing, and bounded decompression.

Every reader returns at most the number of bytes asked for, so memory stays bounded
whatever the input claims; compression is detected from magic bytes, never trusted from
a media type. A shared `Budget` caps the decompressed bytes of a whole image, and each
decompressed stream stops when its ratio looks like a bomb.
"""

from __future__ import annotations

import bz2
import enum
import hashlib
import lzma
import os
import types
import zlib
from typing import IO, Protocol, cast

import zstandard

from mamori.sources.image_types import LimitError, Limits

_gzip_impl: types.ModuleType = zlib
try:  # ISA-L inflates gzip about twice as fast as zlib; optional
    from isal import isal_zlib  # type: ignore[import-not-found, unused-ignore]

    _gzip_impl = isal_zlib
except ImportError:  # pragma: no cover - depends on the environment
    pass
_DECODE_ERRORS: tuple[type[Exception], ...] = (
    zlib.error,
    _gzip_impl.error,
    lzma.LZMAError,
    zstandard.ZstdError,
    OSError,
    EOFError,
)

CHUNK = 1024 * 1024


class CorruptDataError(Exception):
    """A compressed stream could not be decoded."""


class Compression(enum.StrEnum):
    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"
    XZ = "xz"
    BZIP2 = "bzip2"


def sniff(head: bytes) -> Compression:
    """The compression of a stream from its first bytes."""
    if head.startswith(b"\x1f\x8b"):
        return Compression.GZIP
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return Compression.ZSTD
    if head.startswith(b"\xfd7zXZ\x00"):
        return Compression.XZ
    if head.startswith(b"BZh"):
        return Compression.BZIP2
    return Compression.NONE


class Reader(Protocol):
    def read(self, n: int, /) -> bytes: ...


class Budget:
    """Decompressed bytes left for the whole image (shared by all its layers)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.used = 0

    def consume(self, n: int) -> None:
        self.used += n
        if self.used > self.total:
            raise LimitError(
                f"the image holds more than {self.total} bytes of layer data "
                "(max_total_bytes); extraction stopped",
                image_wide=True,
            )


class FileWindow:
    """A byte range of an open file descriptor, read with pread (no shared offset), and
    hashed as it is read once `hash_with` was called."""

    def __init__(self, fd: int, start: int, length: int, *, owns_fd: bool = False) -> None:
        self.fd = fd
        self.start = start
        self.length = length
        self.pos = 0
        self.owns_fd = owns_fd
        self.algorithm: str | None = None
        self._hash: hashlib._Hash | None = None

    def hash_with(self, algorithm: str) -> None:
        """Hash what is read from now on (call before the first read)."""
        self.algorithm = algorithm
        self._hash = hashlib.new(algorithm)

    def read(self, n: int, /) -> bytes:
        n = min(n, self.length - self.pos)
        if n <= 0:
            return b""
        data = os.pread(self.fd, n, self.start + self.pos)
        self.pos += len(data)
        if self._hash is not None:
            self._hash.update(data)
        if not data:
            self.length = self.pos  # the file shrank under us: treat as its end
        return data

    def peek(self, n: int) -> bytes:
        return os.pread(self.fd, min(n, self.length - self.pos), self.start + self.pos)

    def skip(self, n: int) -> None:
        """Move forward without reading (only for unhashed windows)."""
        assert self._hash is None
        self.pos = min(self.length, self.pos + n)

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    def digest(self) -> str | None:
        if self._hash is None or self.algorithm is None:
            return None
        return f"{self.algorithm}:{self._hash.hexdigest()}"

    def close(self) -> None:
        if self.owns_fd and self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class _Zlib:
    """gzip, possibly several concatenated members (pigz and some builders write them)."""

    def __init__(self) -> None:
        self._d = _gzip_impl.decompressobj(wbits=31)
        self.pending = b""
        self.member_done = True  # between members: the next bytes must be a gzip header

    def step(self, max_length: int) -> bytes:
        if self.member_done:
            self._d = _gzip_impl.decompressobj(wbits=31)
            self.member_done = False
        out: bytes = self._d.decompress(self.pending, max_length)
        if self._d.eof:
            self.pending = self._d.unused_data
            self.member_done = True
        else:
            self.pending = self._d.unconsumed_tail
        return out


class DecodedStream:
    """Decompressed bytes of a `FileWindow`, hashed with sha256 (the layer's diff_id).

    `truncated` is set when the compressed input ended inside a stream.
    """

    def __init__(self, raw: FileWindow, kind: Compression, budget: Budget, limits: Limits) -> None:
        self.raw = raw
        self.kind = kind
        self.budget = budget
        self.limits = limits
        self.produced = 0
        self.truncated = False
        self._hash = hashlib.sha256()
        self._eof = False
        self._zlib: _Zlib | None = None
        self._zstd: zstandard.ZstdDecompressionReader | None = None
        self._other: lzma.LZMADecompressor | bz2.BZ2Decompressor | None = None
        if kind is Compression.GZIP:
            self._zlib = _Zlib()
        elif kind is Compression.ZSTD:
            dctx = zstandard.ZstdDecompressor()
            self._zstd = dctx.stream_reader(
                cast(IO[bytes], raw), read_size=CHUNK, read_across_frames=True
            )
        elif kind in (Compression.XZ, Compression.BZIP2):
            self._other = self._new_other()

    def read(self, n: int, /) -> bytes:
        if self._eof or n <= 0:
            return b""
        try:
            data = self._read(n)
        except _DECODE_ERRORS as exc:
            self._eof = True
            raise CorruptDataError(f"{self.kind} stream is corrupt: {exc}") from exc
        if not data:
            self._eof = True
            return b""
        self.produced += len(data)
        self.budget.consume(len(data))
        if (
            self.kind is not Compression.NONE
            and self.produced > self.limits.ratio_floor
            and self.produced > self.limits.max_ratio * max(self.raw.pos, 1)
        ):
            self._eof = True
            raise LimitError(
                f"{self.kind} stream expands more than {self.limits.max_ratio}:1 "
                "(a decompression bomb?); layer stopped"
            )
        self._hash.update(data)
        return data

    def _read(self, n: int) -> bytes:
        if self.kind is Compression.NONE:
            return self.raw.read(n)
        if self._zstd is not None:
            return self._zstd.read(n)
        if self._zlib is not None:
            return self._read_zlib(n)
        return self._read_other(n)

    def _read_zlib(self, n: int) -> bytes:
        z = self._zlib
        assert z is not None
        while True:
            if z.member_done:
                if len(z.pending) < 2:
                    more = self.raw.read(CHUNK)
                    if not more:
                        return b""
                    z.pending += more
                if not z.pending.startswith(b"\x1f\x8b"):
                    return b""  # padding or garbage after the last member: ignored
            elif not z.pending:
                z.pending = self.raw.read(CHUNK)
                if not z.pending:
                    self.truncated = True
                    return b""
            out = z.step(n)
            if out:
                return out

    def _read_other(self, n: int) -> bytes:
        """xz and bzip2, each possibly several concatenated streams."""
        d = self._other
        assert d is not None
        while True:
            if d.eof:
                rest = d.unused_data
                if not rest.strip(b"\0"):
                    if self.raw.pos >= self.raw.length:
                        return b""
                    rest = self.raw.read(CHUNK)  # zero padding, or another stream
                    if not rest.strip(b"\0"):
                        continue
                if sniff(rest) is not self.kind:
                    raise CorruptDataError(f"{self.kind}: data after the end of the stream")
                d = self._other = self._new_other()
                out = d.decompress(rest, n)
            else:
                chunk = b""
                if d.needs_input:
                    chunk = self.raw.read(CHUNK)
                    if not chunk:
                        self.truncated = True
                        return b""
                out = d.decompress(chunk, n)
            if out:
                return out

    def _new_other(self) -> lzma.LZMADecompressor | bz2.BZ2Decompressor:
        if self.kind is Compression.XZ:
            return lzma.LZMADecompressor(memlimit=256 * 1024 * 1024)
        return bz2.BZ2Decompressor()

    def drain(self) -> None:
        """Read to the end, so the digests cover the whole stream."""
        while self.read(CHUNK):
            pass

    def digest(self) -> str:
        return f"sha256:{self._hash.hexdigest()}"
