"""The record decoder on synthetic records: exact layouts, and fuzzing (never raises)."""

from __future__ import annotations

import os
import socket
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, SockAddr, SockTuple, SyscallEvent
from mamori.sensor import layout as lay
from mamori.sensor.decode import Decoder
from mamori.sensor.table import BY_NAME, SPECS
from mamori.sensor.values import parse_blobs, parse_sockaddr, parse_tuple


def blob(tag: int, data: bytes) -> bytes:
    return struct.pack("<BH", tag, len(data)) + data


def record(nr: int, ret: int, args: tuple[int, ...], blobs: bytes = b"", **hdr: int) -> bytes:
    size = lay.HEADER.size + len(blobs)
    head = lay.HEADER.pack(
        size, nr, hdr.get("cpu", 1), 0, 1000, ret, *args,
        42, 41, 1, 0, 0, 0, 0xFFFFFFFF, 7, 8, 9, 1234, b"comm\0" + b"\0" * 11,
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
    # flags 0o101 (O_WRONLY|O_CREAT) in Falco's encoding: PPM_O_WRONLY|PPM_O_CREAT
    assert ev.params == {
        "fd": 5, "dirfd": -100, "name": "/home/u/x.txt", "flags": 2 | 4, "mode": 0o644,
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
    # unix: family + the socket's and its peer's kernel addresses, local path, peer path
    ptrs = struct.pack("<H6xQQ", AF_UNIX, 0xFFFF8C3B00001000, 0xFFFF8C3B00002000)
    raw = blob(lay.T_TUPLE, ptrs) + blob(lay.T_TUPLE, b"") + blob(lay.T_TUPLE, b"/srv.sock\0")
    assert parse_tuple(parse_blobs(raw, 0, len(raw))) == SockTuple(
        AF_UNIX, "ffff8c3b00001000", 0, "ffff8c3b00002000", 0, "/srv.sock"
    )
    # an older object's 2-byte family blob: no addresses known
    raw = blob(lay.T_TUPLE, struct.pack("<H", AF_UNIX)) + blob(lay.T_TUPLE, b"/own.sock\0")
    assert parse_tuple(parse_blobs(raw, 0, len(raw))) == SockTuple(
        AF_UNIX, "0", 0, "0", 0, "/own.sock"
    )


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


def _framed(*records: bytes) -> bytes:
    """Records as the ring holds them: an 8-byte header each, 8-byte aligned."""
    out = b""
    for raw in records:
        out += struct.pack("<II", len(raw), 0) + raw + b"\0" * (-len(raw) % 8)
    return out


def _sample_records() -> list[bytes]:
    openat = BY_NAME["openat"]
    connect = BY_NAME["connect"]
    addr = struct.pack("<H", AF_INET) + struct.pack(">H", 443) + socket.inet_aton("10.0.0.9")
    return [
        record(openat.nr, 3, (0xFFFFFF9C, 0, 0, 0, 0, 0), blob(1, b"/etc/passwd")),
        record(BY_NAME["close"].nr, 0, (3, 0, 0, 0, 0, 0)),
        record(connect.nr, -111, (4, 0, 16, 0, 0, 0), blob(1, addr + b"\0" * 8)),
        record(lay.EV_PROCEXIT, 256, (1, 0, 0, 0, 0, 0)),
    ]


def test_batch_decode_matches_record_by_record_and_lazy_params_match_eager() -> None:
    recs = _sample_records()
    chunk = _framed(*recs)
    eager = Decoder(5).decode_batch(chunk, lazy=False)
    lazy = Decoder(5).decode_batch(chunk)
    one = Decoder(5)  # numbering continues across calls, as across batches
    single = [one.decode(r, 0, len(r)) for r in recs]
    assert [e.name for e in eager] == ["openat", "close", "connect", "procexit"]
    assert [e.dir for e in eager] == ["<", "<", "<", ">"]
    assert eager == single
    assert all(type(e) is SyscallEvent for e in eager)
    # lazy events are SyscallEvents that decode params on first access, equal both ways
    assert all(isinstance(e, SyscallEvent) and type(e) is not SyscallEvent for e in lazy)
    assert lazy == eager and eager == lazy
    assert lazy[0].params == {"fd": 3, "dirfd": -100, "name": "/etc/passwd", "flags": 1, "mode": 0}
    assert lazy[2].params["tuple"] == SockTuple(AF_INET, "", 0, "10.0.0.9", 443)
    assert lazy[3].params == {"status": 256, "ret": 1, "sig": 0, "core": 0}
    # the context block is shared between events of the same task
    assert lazy[0].ctx is lazy[1].ctx and lazy[0].ctx == eager[0].ctx
    assert lazy[1].ctx is not None and lazy[1].ctx.pid == 41 and lazy[1].ctx.comm == "comm"


def test_lazy_events_behave_as_syscall_events() -> None:
    import dataclasses
    import pickle

    ev = Decoder(0).decode_batch(_framed(_sample_records()[0]))[0]
    copy = dataclasses.replace(ev, name="x")
    assert copy.name == "x" and copy.params == ev.params
    assert pickle.loads(pickle.dumps(ev)) == ev
    assert dataclasses.asdict(ev)["params"]["name"] == "/etc/passwd"
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.tid = 1  # type: ignore[misc]


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.lists(st.sampled_from(range(4)), max_size=6),
    junk=st.binary(max_size=400),
    cut=st.integers(0, 2000),
)
def test_batch_decoder_never_raises(prefix: list[int], junk: bytes, cut: int) -> None:
    recs = _sample_records()
    chunk = (_framed(*(recs[i] for i in prefix)) + junk)[: cut + 8]
    decoder = Decoder(0)
    for ev in decoder.decode_batch(chunk):
        assert ev.name in BY_NAME
        assert isinstance(ev.params, dict)
