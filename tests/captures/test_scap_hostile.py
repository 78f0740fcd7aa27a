"""Hostile input: truncated, bit-flipped, absurdly sized, random and gzip-bomb captures
give a ``CaptureError`` or a warning, never another exception, and never allocate
more than the input justifies."""

from __future__ import annotations

import contextlib
import gzip
import io
import struct
import tracemalloc
import warnings
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.captures.scap import CaptureError, CaptureWarning, ScapReader, metadata
from mamori.captures.scap.decode import EventDecoder
from mamori.model.events import SyscallEvent
from tests.captures.sysdig_oracle import capture

FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@cache
def _plain(name: str = "libs_test_ipv6_client.scap") -> bytes:
    return gzip.decompress(capture(name).read_bytes())


@cache
def _events(name: str = "libs_test_ipv6_client.scap") -> list[SyscallEvent]:
    with ScapReader(io.BytesIO(_plain(name))) as reader:
        return list(reader.events())


def _read(data: bytes) -> tuple[list[SyscallEvent], list[str]] | None:
    """Events and warnings, or None for a CaptureError. Any other exception fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CaptureWarning)
            with ScapReader(io.BytesIO(data)) as reader:
                events = list(reader.events())
                return events, reader.warnings
    except CaptureError:
        return None


@FUZZ
@given(st.data())
def test_truncated_capture_keeps_what_was_read(data: st.DataObject) -> None:
    plain = _plain()
    cut = data.draw(st.integers(min_value=0, max_value=len(plain) - 1))
    result = _read(plain[:cut])
    if result is None:
        return  # cut inside the header or the metadata blocks
    events, found = result
    full = _events()
    assert events == full[: len(events)]
    if len(events) < len(full):
        assert found and "truncated" in found[-1]


@FUZZ
@given(st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1, max_size=8))
def test_byte_flips_never_crash(flips: list[tuple[int, int]]) -> None:
    damaged = bytearray(_plain())
    for position, mask in flips:
        damaged[position % len(damaged)] ^= mask
    _read(bytes(damaged))


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_are_rejected(blob: bytes) -> None:
    assert _read(blob) is None or _read(blob) == ([], [])


def _block_offsets(plain: bytes) -> list[int]:
    offsets, offset = [], 0
    while offset + 8 <= len(plain):
        offsets.append(offset)
        offset += struct.unpack_from("<I", plain, offset + 4)[0]
    return offsets


@FUZZ
@given(st.data(), st.integers(min_value=0, max_value=2**32 - 1))
def test_absurd_block_lengths(data: st.DataObject, length: int) -> None:
    plain = bytearray(_plain())
    offsets = _block_offsets(bytes(plain))
    at = data.draw(st.sampled_from(offsets))
    struct.pack_into("<I", plain, at + 4, length)
    tracemalloc.start()
    try:
        _read(bytes(plain))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * len(plain) + (8 << 20)


def test_gzip_bomb_is_cheap() -> None:
    bomb = gzip.compress(b"\0" * (64 << 20), compresslevel=9)  # 64 MiB of zeros, ~64 KiB
    tracemalloc.start()
    try:
        assert _read(bomb) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_bomb_after_valid_header_is_cheap() -> None:
    """A real header and metadata, then a huge run of zeros: refused, not buffered."""
    head = _plain()[: _block_offsets(_plain())[6]]
    bomb = gzip.compress(head + b"\0" * (64 << 20), compresslevel=9)
    tracemalloc.start()
    try:
        result = _read(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result is None
    assert peak < 16 << 20


def test_absurd_event_length_is_a_clear_error() -> None:
    plain = bytearray(_plain())
    offsets = _block_offsets(bytes(plain))
    first_event = next(o for o in offsets if struct.unpack_from("<I", plain, o)[0] == 0x204)
    struct.pack_into("<I", plain, first_event + 4, 1 << 30)
    try:
        ScapReader(io.BytesIO(bytes(plain)))
    except CaptureError as exc:
        assert "is not within" in str(exc)
    else:
        raise AssertionError("an absurd event block length was accepted")


def test_not_a_capture() -> None:
    for blob in (b"", b"hello world, not a capture", gzip.compress(b"plain text")):
        assert _read(blob) is None


@FUZZ
@given(st.binary(max_size=600), st.sampled_from(range(1, 10)), st.booleans())
def test_metadata_parsers_only_raise_capture_errors(body: bytes, version: int, v2: bool) -> None:
    for parse in (
        lambda: list(metadata.parse_proclist(body, version, "little")),
        lambda: metadata.parse_fdlist(body, 0x218 if v2 else 0x203, "little"),
        lambda: metadata.parse_userlist(body, 0x220 if v2 else 0x206, "little"),
        lambda: metadata.parse_iflist(body, 0x219 if v2 else 0x205, "little"),
        lambda: metadata.parse_machine_info(body, "big"),
    ):
        with contextlib.suppress(CaptureError):
            parse()


@FUZZ
@given(st.binary(max_size=300), st.integers(0, 3))
def test_event_decoder_only_raises_capture_errors(body: bytes, kind: int) -> None:
    with contextlib.suppress(CaptureError):
        EventDecoder().decode(body, kind, "little", 1)
