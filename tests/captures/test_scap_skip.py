"""`ScapReader.events(skip=..., on_skip=...)`: skipping event codes without decoding them.

Oracles: the full read of the same capture (every event not skipped comes out equal,
with the same ``evt.num``, and the times `on_skip` reports are exactly those of the
events left out, so ``evt.deltatime``/``evt.reltime`` computed over a skipping read
equal a full read's), and an independent walk of the capture's blocks with `struct`
that says which block carries which event code.
"""

from __future__ import annotations

import gzip
import io
import struct
import warnings
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.captures.scap import CaptureError, CaptureWarning, ScapReader, codes_for
from mamori.captures.scap.events import EVENT_MAX
from mamori.model.events import SyscallEvent
from mamori.rules.syscall_extract import Session
from mamori.runtime.state import StateEngine
from tests.captures.sysdig_oracle import capture, capture_paths

FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
# Event block types and where the event code sits in their body (after 32 bits of
# dump flags in the "EVF" blocks).
_CODE_AT = {0x204: 22, 0x8010ABCD: 22, 0x216: 22, 0x221: 22, 0x208: 26, 0x217: 26, 0x222: 26}
# What the replay of a typical ruleset keeps: file opens, process and network events.
KEEP = ("open", "openat", "openat2", "close", "execve", "clone", "procexit", "connect")


@cache
def _plain(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def _codes(plain: bytes) -> list[int]:
    """The event code of every event block, in file order, read with `struct` alone
    (codes past the event table are left out: readers do not number them)."""
    out, offset = [], 0
    while offset + 8 <= len(plain):
        block_type, total = struct.unpack_from("<II", plain, offset)
        if block_type in _CODE_AT:
            code = struct.unpack_from("<H", plain, offset + 8 + _CODE_AT[block_type])[0]
            if code < EVENT_MAX:
                out.append(code)
        offset += total
    return out


def _skip_all_but(names: tuple[str, ...]) -> frozenset[int]:
    kept = {c for n in names for c in codes_for(n)}
    return frozenset(range(EVENT_MAX)) - kept


def _times(events: list[SyscallEvent]) -> list[tuple[int, int]]:
    """(first_ts, prev_ts) of a `Session` at each event: what evt.reltime and
    evt.deltatime read."""
    session = Session(StateEngine())
    out = []
    for event in events:
        session.observe(event)
        out.append((session.first_ts, session.prev_ts))
    return out


def _read(
    source: Path | bytes, skip: frozenset[int]
) -> tuple[list[SyscallEvent], list[int], list[tuple[int, int]]]:
    """Events, skipped times and the session's times at each event, of a skipping read."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    skipped: list[int] = []
    session = Session(StateEngine())
    times = []

    def on_skip(ts: int) -> None:
        skipped.append(ts)
        session.stamp(ts)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CaptureWarning)
        with ScapReader(stream) as reader:
            events = []
            for event in reader.events(skip=skip, on_skip=on_skip):
                session.observe(event)
                times.append((session.first_ts, session.prev_ts))
                events.append(event)
    return events, skipped, times


def _full(source: Path | bytes) -> list[SyscallEvent]:
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CaptureWarning)
        with ScapReader(stream) as reader:
            return list(reader.events())


@pytest.mark.parametrize("keep", [KEEP, (), ("switch", "procinfo")])
def test_skipping_keeps_numbers_and_times_of_a_full_read(keep: tuple[str, ...]) -> None:
    skip = _skip_all_but(keep)
    compared = 0
    for path in capture_paths():
        full = _full(path)
        codes = _codes(_plain(path))
        assert len(codes) == len(full), path.name
        events, skipped_ts, times = _read(path, skip)
        expected = [e for e, c in zip(full, codes, strict=True) if c not in skip]
        assert events == expected, path.name  # numbers (evt.num) included
        assert skipped_ts == [e.ts for e, c in zip(full, codes, strict=True) if c in skip]
        full_times = dict(zip((e.num for e in full), _times(full), strict=True))
        assert times == [full_times[e.num] for e in events], path.name
        compared += len(events)
    assert compared > 100 or not keep


def test_skipping_counts_like_a_full_read() -> None:
    path = capture("libs_curl_google.scap")
    with ScapReader(path) as full, ScapReader(path) as sparse:
        total = sum(1 for _ in full.events())
        kept = sum(1 for _ in sparse.events(skip=_skip_all_but(KEEP)))
        assert 0 < kept < total
        assert (sparse.skipped_events, sparse.state_only_events) == (
            full.skipped_events,
            full.state_only_events,
        )
        assert len(sparse.threads) == len(full.threads) and len(sparse.fds) == len(full.fds)


def test_codes_outside_the_table_are_ignored() -> None:
    path = capture("libs_curl_google.scap")
    assert _read(path, frozenset({-1, EVENT_MAX, 1 << 20}))[0] == _full(path)


@FUZZ
@given(st.data())
def test_truncated_capture_skipping_keeps_what_was_read(data: st.DataObject) -> None:
    plain = _plain(capture("libs_test_ipv6_client.scap"))
    cut = data.draw(st.integers(min_value=0, max_value=len(plain) - 1))
    skip = _skip_all_but(KEEP)
    try:
        full = _full(plain[:cut])
        events = _read(plain[:cut], skip)[0]
    except CaptureError:
        return  # cut inside the header or the metadata blocks
    codes = _codes(plain)[: len(full)]
    assert events == [e for e, c in zip(full, codes, strict=True) if c not in skip]


@FUZZ
@given(
    st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1, max_size=8),
    st.frozensets(st.integers(0, EVENT_MAX - 1), max_size=40),
)
def test_damaged_captures_only_raise_capture_errors(
    flips: list[tuple[int, int]], skip: frozenset[int]
) -> None:
    damaged = bytearray(_plain(capture("libs_test_ipv6_client.scap")))
    for position, mask in flips:
        damaged[position % len(damaged)] ^= mask
    try:
        _read(bytes(damaged), skip | _skip_all_but(KEEP))
        _read(bytes(damaged), skip)
    except CaptureError:
        pass


def _with_flags(plain: bytes) -> tuple[bytes, int]:
    """The capture with every event block rewritten as its "with flags" twin (v1 0x204 ->
    0x208, v2 0x216 -> 0x217), every third one flagged "for state only"; and how many."""
    twin = {0x204: 0x208, 0x216: 0x217}
    out, offset, flagged, index = bytearray(), 0, 0, 0
    while offset + 8 <= len(plain):
        block_type, total = struct.unpack_from("<II", plain, offset)
        block = plain[offset : offset + total]
        if block_type in twin:
            flags = 1 if index % 3 == 0 else 0
            flagged += flags
            index += 1
            body = block[8:10] + struct.pack("<I", flags) + block[10:-4]
            size = 8 + len(body) + 4
            block = struct.pack("<II", twin[block_type], size) + body + struct.pack("<I", size)
        out += block
        offset += total
    return bytes(out), flagged


@pytest.mark.parametrize("name", ["libs_curl_google.scap", "ping_sendto.scap"])
def test_blocks_with_flags_read_and_skip_like_plain_ones(name: str) -> None:
    plain = _plain(capture(name))
    patched, flagged = _with_flags(plain)
    assert flagged > 100
    skip = _skip_all_but(KEEP)
    for chosen in (frozenset[int](), skip):
        with ScapReader(io.BytesIO(plain)) as a, ScapReader(io.BytesIO(patched)) as b:
            assert list(b.events(skip=chosen)) == list(a.events(skip=chosen))
            assert (a.state_only_events, b.state_only_events) == (0, flagged)
