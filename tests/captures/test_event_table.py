"""The event table against sysdig's own (``sysdig -L``), and every event code it knows
round-tripped: written by our writer, read back by sysdig and by our reader, with the
parameters each prints compared."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mamori.captures.scap import ScapReader, event_info
from mamori.captures.scap.events import (
    EF_OLD_VERSION,
    EF_UNUSED,
    EVENTS,
    EventInfo,
    ParamInfo,
)
from mamori.captures.scap.writer import ScapWriter
from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, Param, SockAddr, SockTuple
from tests.captures.sysdig_oracle import split_args, sysdig_rows
from tests.captures.test_scap_sysdig import _check_flag_names, _same_param
from tests.support import need_tool

SYSDIG_TYPES = {
    "INT8": {"i8"}, "INT16": {"i16"}, "INT32": {"i32"}, "INT64": {"i64"},
    "UINT8": {"u8"}, "UINT16": {"u16"}, "UINT32": {"u32"}, "UINT64": {"u64"},
    "CHARBUF": {"s"}, "BYTEBUF": {"b", "sl"}, "ERRNO": {"e"}, "SOCKADDR": {"sa"},
    "SOCKTUPLE": {"st"}, "FD": {"fd"}, "PID": {"pid"}, "FDLIST": {"fdl"}, "FSPATH": {"p"},
    "SYSCALLID": {"sc"}, "SIGTYPE": {"sig"}, "RELTIME": {"rt"}, "ABSTIME": {"at"},
    "FLAGS8": {"f8"}, "FLAGS16": {"f16"}, "FLAGS32": {"f32"}, "UID": {"uid"}, "GID": {"gid"},
    "SIGSET": {"sset"}, "DYNAMIC": {"dyn"}, "CHARBUFARRAY": {"cba"},
    "CHARBUF_PAIR_ARRAY": {"cbpa"}, "MODE": {"mode"}, "FSRELPATH": {"rp"},
}  # fmt: skip
# sysdig 0.29's event table ends with clone3 (code 335): it stops at later codes.
SYSDIG_EVENT_MAX = 336
# Events whose parsing in sysdig needs more context than one synthetic event gives
# (process lifecycle, container/orchestrator metadata, internal bookkeeping).
STATEFUL = {
    "execve", "execveat", "clone", "clone3", "fork", "vfork", "procexit", "container",
    "k8s", "mesos", "tracer", "notification", "infra", "drop", "scapevent", "cpu_hotplug",
    "pluginevent", "procinfo", "switch", "page_fault", "signaldeliver",
}  # fmt: skip


def _sysdig_table() -> list[tuple[str, str, list[tuple[str, str]]]]:
    out = subprocess.run(
        [need_tool("sysdig"), "-L"], capture_output=True, timeout=60, check=True
    ).stdout.decode()
    table = []
    for line in out.splitlines():
        if line[:1] not in "<>" or "(" not in line:
            continue
        direction, rest = line[0], line[2:]
        name, _, params = rest.partition("(")
        pairs = []
        for item in params.rstrip(")").split(", "):
            if item.strip():
                ptype, _, pname = item.strip().partition(" ")
                pairs.append((ptype, pname))
        table.append((direction, name, pairs))
    return table


def _matches(info: EventInfo, pairs: list[tuple[str, str]]) -> bool:
    if len(info.params) < len(pairs):
        return False
    return all(
        p.name == pname and p.type in SYSDIG_TYPES.get(ptype, set())
        for p, (ptype, pname) in zip(info.params, pairs, strict=False)
    )


def test_table_agrees_with_sysdig_list() -> None:
    """Every event sysdig knows has a code in our table with the same parameters (ours
    may carry more: parameters that later libs releases appended)."""
    table = _sysdig_table()
    assert len(table) > 250
    for direction, name, pairs in table:
        candidates = [e for e in EVENTS if e.name == name and e.dir == direction]
        assert any(_matches(e, pairs) for e in candidates), (direction, name, pairs)


def _value(param: ParamInfo, seed: int) -> Param:
    ints = {
        "i8": -5, "i16": -300, "i32": -70000, "i64": -(2**40), "u8": 200, "u16": 60000,
        "u32": 3_000_000_000, "u64": 2**60 + seed, "e": -13, "fd": 7, "pid": 4242 + seed,
        "sc": 75, "sig": 9, "rt": 1_500_000_000, "at": 1_700_000_000_000_000_000,
        "f8": 3, "f16": 129, "f32": 0x1403, "uid": 33, "gid": 33, "sset": 3, "mode": 0o644,
        "ef32": 2, "port": 8080, "l4": 2, "fam": 2, "bool": 1,
    }  # fmt: skip
    if param.type in ints:
        return ints[param.type]
    if param.type in ("s", "p", "rp"):
        return f"/tmp/x{seed}/{param.name}"
    if param.type == "b":
        return b"\x00data\xffbytes" + param.name.encode()
    if param.type == "sl":
        return ("first", f"second{seed}")
    if param.type == "sa":
        return SockAddr(AF_INET6 if seed % 2 else AF_INET, "::1" if seed % 2 else "10.1.2.3", 443)
    if param.type == "st":
        if seed % 3 == 2:
            return SockTuple(AF_UNIX, "ffff0001", 0, "ffff0002", 0, path="/run/s.sock")
        if seed % 2:
            return SockTuple(AF_INET6, "fe80::1", 1234, "2001:db8::2", 80)
        return SockTuple(AF_INET, "10.0.0.1", 1234, "10.0.0.2", 80)
    if param.type == "fdl":
        return b"\x01\x00" + (5).to_bytes(8, "little") + (1).to_bytes(2, "little")
    if param.type == "dyn":
        return 11
    return None


@pytest.mark.slow
def test_every_event_code_round_trips(tmp_path: Path) -> None:
    known = {(d, n): len(p) for d, n, p in _sysdig_table()}
    written: dict[int, EventInfo] = {}
    path = tmp_path / "all.scap"
    with ScapWriter(path) as writer:
        writer.machine()
        for code, info in enumerate(EVENTS):
            if info.flags & EF_UNUSED or info.name in STATEFUL or code >= SYSDIG_EVENT_MAX:
                continue
            count = len(info.params)
            if not info.flags & EF_OLD_VERSION and (info.dir, info.name) in known:
                count = min(count, known[(info.dir, info.name)])
            values = [_value(p, code) for p in info.params[:count]]
            writer.event(1_000 + code, 4242, code, values)
            written[len(written) + 1] = info
    rows = sysdig_rows(path, ["evt.type", "evt.dir", "evt.args"])
    with ScapReader(path) as reader:
        events = list(reader.events())
    assert len(events) == len(written) > 250
    compared = flagged = 0
    for event in events:
        info = written[event.num]
        assert (event.name, event.dir) == (info.name if info.code > 1 else "mprotect", info.dir)
        row = rows[event.num]
        assert (row[0], row[1]) == (event.name, event.dir)
        types = {p.name: (p.fmt, p.type) for p in info.params}
        for name, text in split_args(row[2], list(event.params)).items():
            fmt, ptype = types[name]
            assert _same_param(event.params[name], text, fmt, ptype), (info, name, text)
            compared += 1
            flagged += _check_flag_names(event, name, text)
    assert compared > 450
    assert flagged > 20
    assert event_info(len(EVENTS)) is None
