"""Hostile or garbled netlink, fanotify and audit input never crashes the parsers, and
well-formed input built from the kernel's struct layouts reads back exactly."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.sensor.fallback import audit_netlink as an
from mamori.sensor.fallback import fanotify, netlink, proc_connector
from mamori.sensor.fallback.audit import AuditSource
from mamori.sensor.fallback.audit_records import (
    Assembler,
    argv,
    build,
    parse_record,
    sockaddr,
    text,
)
from mamori.sensor.fallback.procinfo import ContextCache

FUZZ = settings(max_examples=150, deadline=None)
u32 = st.integers(0, 2**32 - 1)


def _cache() -> ContextCache:
    return ContextCache(proc="/nonexistent-proc")


@FUZZ
@given(st.binary(max_size=512))
def test_garbage_never_crashes_the_parsers(data: bytes) -> None:
    list(netlink.messages(data))
    for ev in proc_connector.parse(data):
        proc_connector.ProcConnectorSource(_cache(), proc_connector.EVENT_TYPES).convert(ev)
    fanotify.parse(data)
    an.parse_status(data)
    an.parse_rule(data)
    AuditSource(_cache(), frozenset({"execve", "connect", "bind", "accept"})).convert(data)
    parse_record(1300, data)


def _proc_msg(what: int, cpu: int, ts: int, ids: tuple[int, ...], comm: bytes) -> bytes:
    event = struct.pack("=IIQ", what, cpu, ts) + struct.pack(f"={len(ids)}I", *ids) + comm
    cn = struct.pack("=IIIIHH", 1, 1, 0, 0, len(event), 0) + event
    return netlink.pack(netlink.NLMSG_DONE, 0, 0, cn)


@FUZZ
@given(
    st.sampled_from(sorted(proc_connector._COUNTS)),
    u32,
    st.integers(0, 2**63),
    st.lists(u32, min_size=6, max_size=6),
    st.binary(min_size=16, max_size=16),
    st.integers(0, 40),
)
def test_proc_events_read_back_and_truncation_is_skipped(
    what: int, cpu: int, ts: int, ids: list[int], comm: bytes, cut: int
) -> None:
    count = proc_connector._COUNTS[what]
    msg = _proc_msg(what, cpu, ts, tuple(ids[:count]), comm if what == proc_connector.COMM else b"")
    (ev,) = proc_connector.parse(msg * 2)[:1]
    assert (ev.what, ev.cpu, ev.mono_ns, ev.ids) == (what, cpu, ts, tuple(ids[:count]))
    source = proc_connector.ProcConnectorSource(_cache(), proc_connector.EVENT_TYPES)
    source.convert(ev)
    proc_connector.parse(msg[: max(0, len(msg) - cut)])


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(-1, 2**31 - 1), u32), max_size=8))
def test_fanotify_events_read_back(events: list[tuple[int, int, int]]) -> None:
    buf = b"".join(struct.pack("=IBBHQii", 24, 3, 0, 24, m, fd, pid & 0x7FFFFFFF)
                   for m, fd, pid in events)  # fmt: skip
    got = fanotify.parse(buf + b"\x01" * 5)
    assert [(e.mask, e.fd, e.pid) for e in got] == [(m, fd, p & 0x7FFFFFFF) for m, fd, p in events]


words = st.text(st.characters(codec="utf-8"), max_size=30)


@FUZZ
@given(st.lists(words, min_size=1, max_size=6), st.integers(1, 3))
def test_execve_records_decode_quoted_hex_and_chunked_args(args: list[str], chunks: int) -> None:
    fields: dict[str, str] = {"argc": str(len(args))}
    for i, arg in enumerate(args):
        raw = arg.encode("utf-8", "surrogateescape")
        if i % 2 and raw:  # a long argument split into hex chunks
            step = max(1, len(raw) // chunks)
            parts = [raw[k : k + step] for k in range(0, len(raw), step)]
            fields[f"a{i}_len"] = str(len(raw))
            fields.update({f"a{i}[{k}]": p.hex().upper() for k, p in enumerate(parts)})
        else:
            fields[f"a{i}"] = raw.hex().upper() if raw else '""'
    assert argv([fields]) == (tuple(args), True)


@FUZZ
@given(st.dictionaries(st.sampled_from(["arch", "syscall", "pid", "exit", "a0", "a3", "ppid",
                                        "comm", "exe", "auid", "saddr", "argc", "a1", "cwd"]),
                       st.text(max_size=40), max_size=14),
       st.lists(st.sampled_from([1300, 1302, 1306, 1307, 1309, 1320]), max_size=6))  # fmt: skip
def test_garbled_record_groups_never_crash(fields: dict[str, str], types: list[int]) -> None:
    asm = Assembler()
    body = " ".join(f"{k}={v.replace(' ', '')}" for k, v in fields.items()).encode()
    for mtype in [1300, *types]:
        rec = parse_record(mtype, b"audit(1700000000.123:42): " + body)
        assert rec is not None and rec.serial == 42
        for group in asm.feed(rec):
            build(group)
    for group in asm.expire(0, everything=True):
        build(group)
    text(fields.get("comm"))
    sockaddr(fields.get("saddr"))


@FUZZ
@given(
    st.lists(st.integers(0, 2047), max_size=10),
    st.lists(st.tuples(st.integers(0, 200), st.sampled_from([an.AUDIT_EQUAL, an.AUDIT_NOT_EQUAL]),
                       u32), max_size=5),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
)  # fmt: skip
def test_rules_pack_and_parse_back(
    syscalls: list[int], fields: list[tuple[int, int, int]], key: str
) -> None:
    fields = [f for f in fields if f[0] not in an._STRING_FIELDS]
    rule = an.Rule(tuple(sorted(set(syscalls))), tuple(fields), key)
    parsed = an.parse_rule(an.pack_rule(rule))
    assert parsed is not None
    assert parsed[0] == rule and parsed[1] == an.pack_rule(rule)
