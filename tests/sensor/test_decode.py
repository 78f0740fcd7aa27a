"""The record decoder on synthetic records: exact layouts, and fuzzing (never raises)."""

from __future__ import annotations

import os
import socket
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, SockAddr, SockTuple
from mamori.sensor import layout as lay
from mamori.sensor.decode import Decoder
from mamori.sensor.table import BY_NAME, SPECS
from mamori.sensor.values import parse_blobs, parse_sockaddr, parse_tuple


def blob(tag: int, data: bytes) -> bytes:
    return struct.pack("<BH", tag, len(data)) + data


def record(nr: int, ret: int, args: tuple[int, ...], blobs: bytes = b"", **hdr: int) -> bytes:
    size = lay.HEADER.size + len(blobs)
    head = lay.HEADER.pack(
        size, nr, hdr.get("cpu", 1), 0, 1000, 42, 41, 1, 0, 0, 0, 0xFFFFFFFF, 7, 8, 9, 1234,
        ret, *args, b"comm\0" + b"\0" * 11,
    )  # fmt: skip
    return head + blobs


def test_openat_with_relative_name_and_file_blob() -> None:
    spec = BY_NAME["openat"]
    file_blob = lay.FILE.pack(99, (8 << 20) | 3, 0)
    raw = record(
        spec.nr, 5, (0xFFFFFF9C, 0, 0o101, 0o644, 0, 0),
        blob(1, b"sub/../x.txt") + blob(lay.T_BASE0 + 1, b"/home/u") + blob(lay.T_FILE, file_blob),
    )  # fmt: skip
    ev = Decoder(10).decode(raw, 0, len(raw))
    assert ev is not None
    assert (ev.name, ev.dir, ev.ts, ev.tid, ev.cpu) == ("openat", "<", 1010, 42, 1)
    assert ev.params == {
        "fd": 5, "dirfd": -100, "name": "/home/u/x.txt", "flags": 0o101, "mode": 0o644,
        "dev": os.makedev(8, 3), "ino": 99,
    }  # fmt: skip
    assert ev.ctx is not None and ev.ctx.comm == "comm" and ev.ctx.cgroup_id == 1234
    assert (ev.ctx.pidns, ev.ctx.mntns, ev.ctx.netns) == (7, 8, 9)


def test_sockaddrs_against_the_socket_module() -> None:
    v4 = struct.pack("<H", AF_INET) + struct.pack(">H", 8080) + socket.inet_aton("10.1.2.3")
    assert parse_sockaddr(v4 + b"\0" * 8) == SockAddr(AF_INET, "10.1.2.3", 8080)
    v6 = (
        struct.pack("<H", AF_INET6) + struct.pack(">H", 443) + b"\0" * 4
        + socket.inet_pton(socket.AF_INET6, "2001:db8::1") + b"\0" * 4
    )  # fmt: skip
    assert parse_sockaddr(v6) == SockAddr(AF_INET6, "2001:db8::1", 443)
    un = struct.pack("<H", AF_UNIX) + b"/run/x.sock\0\0\0"
    assert parse_sockaddr(un) == SockAddr(AF_UNIX, "/run/x.sock")
    assert parse_sockaddr(struct.pack("<H", AF_UNIX) + b"\0abstract") == SockAddr(
        AF_UNIX, "@abstract"
    )
    assert parse_sockaddr(b"\x02") is None


def test_inet_and_unix_tuples() -> None:
    t = lay.TUPLE_INET.pack(
        AF_INET, 5000, 80, 0, socket.inet_aton("127.0.0.1") + b"\0" * 12,
        socket.inet_aton("127.0.0.2") + b"\0" * 12,
    )  # fmt: skip
    assert parse_tuple(parse_blobs(blob(lay.T_TUPLE, t), 0, len(t) + 3)) == SockTuple(
        AF_INET, "127.0.0.1", 5000, "127.0.0.2", 80
    )
    raw = blob(lay.T_TUPLE, struct.pack("<H", AF_UNIX)) + blob(lay.T_TUPLE, b"")
    raw += blob(lay.T_TUPLE, b"/srv.sock\0")
    assert parse_tuple(parse_blobs(raw, 0, len(raw))) == SockTuple(AF_UNIX, "", 0, "/srv.sock", 0)


_DECODER = Decoder(0)  # compiling the per-event decoders once


@settings(max_examples=300, deadline=None)
@given(
    nr=st.sampled_from([s.nr for s in SPECS] + [9999]),
    ret=st.integers(-(2**63), 2**63 - 1),
    args=st.tuples(*[st.integers(0, 2**64 - 1)] * 6),
    tail=st.binary(max_size=600),
    cut=st.integers(0, 800),
)
def test_decoder_never_raises(
    nr: int, ret: int, args: tuple[int, ...], tail: bytes, cut: int
) -> None:
    raw = record(nr, ret, args, tail)
    raw = raw[: max(cut, 0) + lay.HEADER.size // 2]
    ev = _DECODER.decode(raw, 0, len(raw))
    if ev is not None:
        assert ev.name in BY_NAME


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 8, 16, 17, 18, 19, 21]), st.binary(max_size=64))))
def test_blob_round_trip(items: list[tuple[int, bytes]]) -> None:
    raw = b"".join(blob(t, d) for t, d in items)
    parsed = parse_blobs(raw, 0, len(raw))
    assert sorted(parsed.values()) == sorted(d for _, d in items)
