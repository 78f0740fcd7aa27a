"""Decompression by magic bytes, concatenated streams, truncation, bombs and memory."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import tracemalloc
import zlib
from pathlib import Path

import pytest
import zstandard

from mamori.sources.image_types import LimitError, Limits
from mamori.sources.streams import (
    Budget,
    Compression,
    CorruptDataError,
    DecodedStream,
    FileWindow,
    sniff,
)

PAYLOAD = os.urandom(300_000) + b"\0" * 200_000 + b"tail"


def _window(tmp_path: Path, data: bytes) -> FileWindow:
    path = tmp_path / "blob"
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    return FileWindow(fd, 0, len(data), owns_fd=True)


def _decode(tmp_path: Path, data: bytes, limits: Limits | None = None, n: int = 65536) -> bytes:
    limits = limits or Limits()
    window = _window(tmp_path, data)
    stream = DecodedStream(window, sniff(window.peek(8)), Budget(limits.max_total_bytes), limits)
    out = bytearray()
    try:
        while chunk := stream.read(n):
            assert len(chunk) <= n
            out += chunk
    finally:
        window.close()
    return bytes(out)


COMPRESSORS = {
    Compression.GZIP: lambda d: gzip.compress(d, mtime=0),
    Compression.ZSTD: lambda d: zstandard.ZstdCompressor().compress(d),
    Compression.XZ: lzma.compress,
    Compression.BZIP2: bz2.compress,
    Compression.NONE: lambda d: d,
}


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_each_compression_is_detected_and_decoded(tmp_path: Path, kind: Compression) -> None:
    blob = COMPRESSORS[kind](PAYLOAD)
    assert sniff(blob[:8]) is kind
    assert _decode(tmp_path, blob) == PAYLOAD


@pytest.mark.parametrize("kind", [Compression.GZIP, Compression.ZSTD, Compression.XZ])
def test_concatenated_streams_are_read_whole(tmp_path: Path, kind: Compression) -> None:
    blob = COMPRESSORS[kind](PAYLOAD) + COMPRESSORS[kind](b"second member")
    assert _decode(tmp_path, blob) == PAYLOAD + b"second member"


def test_gzip_member_boundary_on_a_read_edge(tmp_path: Path) -> None:
    first = gzip.compress(os.urandom(2 * 1024 * 1024), mtime=0)
    pad = (1024 * 1024 - len(first) % (1024 * 1024)) - 1  # second magic split by a chunk
    data = first + gzip.compress(b"x" * pad, mtime=0)
    second = gzip.compress(b"end", mtime=0)
    out = _decode(tmp_path, data + second)
    assert out.endswith(b"end")


@pytest.mark.parametrize("kind", [Compression.GZIP, Compression.XZ, Compression.BZIP2])
def test_truncated_stream_keeps_what_was_read(tmp_path: Path, kind: Compression) -> None:
    blob = COMPRESSORS[kind](PAYLOAD)
    window = _window(tmp_path, blob[: len(blob) // 2])
    stream = DecodedStream(window, kind, Budget(1 << 30), Limits())
    out = bytearray()
    while chunk := stream.read(65536):
        out += chunk
    window.close()
    assert stream.truncated
    assert PAYLOAD.startswith(bytes(out))


def test_corrupt_gzip_is_reported(tmp_path: Path) -> None:
    blob = bytearray(gzip.compress(PAYLOAD, mtime=0))
    blob[100:140] = b"\xff" * 40
    with pytest.raises(CorruptDataError):
        _decode(tmp_path, bytes(blob))


def _gzip_bomb(size: int) -> bytes:
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    zero = bytes(1 << 20)
    return b"".join(comp.compress(zero) for _ in range(size >> 20)) + comp.flush()


def _zstd_bomb(size: int) -> bytes:
    comp = zstandard.ZstdCompressor(level=3).compressobj()
    zero = bytes(1 << 20)
    return b"".join(comp.compress(zero) for _ in range(size >> 20)) + comp.flush()


def test_gzip_bomb_is_stopped_by_ratio_in_bounded_memory(tmp_path: Path) -> None:
    bomb = _gzip_bomb(128 << 20)  # 128 MiB of zeros in about 130 KiB
    limits = Limits(ratio_floor=16 << 20, max_ratio=250)
    window = _window(tmp_path, bomb)
    stream = DecodedStream(window, Compression.GZIP, Budget(1 << 40), limits)
    tracemalloc.start()
    with pytest.raises(LimitError, match="expands more than 250:1"):
        while stream.read(1 << 20):
            pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    window.close()
    assert stream.produced < 40 << 20  # of 128 MiB
    assert peak < 8 << 20


def test_zstd_bomb_is_stopped_by_the_image_budget(tmp_path: Path) -> None:
    bomb = _zstd_bomb(1 << 30)  # 1 GiB of zeros in a few dozen KiB
    limits = Limits(max_total_bytes=64 << 20, max_ratio=10**9)
    with pytest.raises(LimitError, match="max_total_bytes") as caught:
        _decode(tmp_path, bomb, limits, n=1 << 20)
    assert caught.value.image_wide


def test_file_window_hashes_what_it_reads(tmp_path: Path) -> None:
    window = _window(tmp_path, b"0123456789")
    window.hash_with("sha256")
    assert window.read(4) == b"0123"
    window.drain()
    import hashlib

    assert window.digest() == "sha256:" + hashlib.sha256(b"0123456789").hexdigest()
    window.close()
