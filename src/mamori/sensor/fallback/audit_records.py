"""Audit records -> Falco events: parse the text records, group them by serial, map.

A syscall the rules matched produces several records with one serial
(``audit(SECONDS.MILLIS:SERIAL):``): SYSCALL (numbers, credentials, comm, exe), then
EXECVE (argv, hex-encoded when it holds unusual bytes, split into ``aN[k]`` chunks when
long), CWD, PATH (one per file), SOCKADDR (the address argument, hex), PROCTITLE and
finally EOE. ``Assembler`` collects them until EOE (or a timeout: a lost EOE must not
keep a group forever), ``build`` turns a group into one ``SyscallEvent``.

What audit gives: execve/execveat (``res``, ``exe``, ``args``, ``tid``/``pid`` (the
thread group: audit has no tid), ``ptid``, ``cwd``, ``comm``, ``uid``/``gid`` (effective),
``loginuid``, ``trusted_exepath``); connect (``res``, ``fd``, ``addr``, ``tuple`` with
the local side unknown), bind (``res``, ``fd``, ``addr``), accept/accept4 (``fd``,
``tuple`` with the peer as source and the local side unknown, ``flags``).
"""

from __future__ import annotations

import re
import socket
import struct
from collections.abc import Iterator
from typing import NamedTuple

from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, Param, SockAddr, SockTuple

AUDIT_SYSCALL, AUDIT_PATH, AUDIT_SOCKADDR, AUDIT_CWD, AUDIT_EXECVE = 1300, 1302, 1306, 1307, 1309
AUDIT_EOE = 1320
ARCH_X86_64 = "c000003e"
SYSCALLS = {59: "execve", 322: "execveat", 42: "connect", 43: "accept", 288: "accept4", 49: "bind"}
EVENT_TYPES = frozenset(SYSCALLS.values())

_HEAD = re.compile(rb"audit\((\d{1,12})\.(\d{1,9}):(\d{1,20})\): ?")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_MAX_FIELDS = 4096
_MAX_ARGS = 8192


class Record(NamedTuple):
    type: int
    ts: int  # nanoseconds since the epoch (millisecond precision)
    serial: int
    fields: dict[str, str]  # raw values, as printed (quoted or hex)


def parse_record(mtype: int, payload: bytes) -> Record | None:
    """One record's header and key=value fields; None when it has no audit header.

    Untrusted strings are either quoted (no spaces, quotes or control bytes inside) or
    hex-encoded, so splitting on spaces is exact for the records used here."""
    match = _HEAD.match(payload)
    if match is None:
        return None
    sec, frac, serial = match.groups()
    ts = int(sec) * 1_000_000_000 + int(frac.ljust(9, b"0")[:9])
    body = payload[match.end() :].split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    fields: dict[str, str] = {}
    for word in body.split(None, _MAX_FIELDS)[:_MAX_FIELDS]:
        key, eq, value = word.partition("=")
        if eq and key not in fields:
            fields[key] = value
    return Record(mtype, ts, int(serial), fields)


def raw_bytes(raw: str | None) -> bytes | None:
    """An untrusted string field's bytes: quoted text, or hex; None for (null)."""
    if raw is None or raw in ("(null)", "(none)", "?"):
        return None
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1].encode("utf-8", "surrogateescape")
    if _HEX.fullmatch(raw):
        return bytes.fromhex(raw)
    return raw.encode("utf-8", "surrogateescape")


def text(raw: str | None) -> str | None:
    value = raw_bytes(raw)
    return None if value is None else value.decode("utf-8", "surrogateescape")


def number(raw: str | None, base: int = 10) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw, base)
    except ValueError:
        return None


def sockaddr(raw: str | None) -> SockAddr | None:
    """A SOCKADDR record's ``saddr`` (the struct in hex) as a SockAddr."""
    if raw is None or not _HEX.fullmatch(raw):
        return None
    data = bytes.fromhex(raw)
    if len(data) < 2:
        return None
    (family,) = struct.unpack_from("=H", data)
    if family == AF_INET and len(data) >= 8:
        port = struct.unpack_from(">H", data, 2)[0]
        return SockAddr(AF_INET, socket.inet_ntop(socket.AF_INET, data[4:8]), port)
    if family == AF_INET6 and len(data) >= 24:
        port = struct.unpack_from(">H", data, 2)[0]
        return SockAddr(AF_INET6, socket.inet_ntop(socket.AF_INET6, data[8:24]), port)
    if family == AF_UNIX:
        path = data[2:]
        if path[:1] == b"\0":
            return SockAddr(AF_UNIX, "@" + path[1:].rstrip(b"\0").decode("utf-8", "replace"))
        return SockAddr(AF_UNIX, path.split(b"\0", 1)[0].decode("utf-8", "surrogateescape"))
    return SockAddr(family, "")


def argv(records: list[dict[str, str]]) -> tuple[tuple[str, ...], bool]:
    """argv from the EXECVE record(s) of one event, and whether it is complete."""
    fields: dict[str, str] = {}
    for rec in records:
        fields.update(rec)
    argc = number(fields.get("argc"))
    if argc is None or argc < 0:
        return (), False
    out: list[str] = []
    for i in range(min(argc, _MAX_ARGS)):
        if f"a{i}" in fields:
            value = text(fields[f"a{i}"])
        elif f"a{i}_len" in fields:
            chunks = []  # split by bytes: decode once joined
            k = 0
            while f"a{i}[{k}]" in fields:
                chunks.append(raw_bytes(fields[f"a{i}[{k}]"]) or b"")
                k += 1
            joined = b"".join(chunks)
            value = joined.decode("utf-8", "surrogateescape") if chunks else None
        else:
            value = None
        if value is None:
            return tuple(out), False
        out.append(value)
    return tuple(out), argc <= _MAX_ARGS


class Group(NamedTuple):
    ts: int
    serial: int
    records: dict[int, list[dict[str, str]]]


class Assembler:
    """Records -> complete groups (at EOE, or after ``timeout_ns`` without one)."""

    def __init__(self, timeout_ns: int = 2_000_000_000, limit: int = 4096) -> None:
        self.timeout_ns = timeout_ns
        self.limit = limit
        self._open: dict[int, Group] = {}

    def feed(self, rec: Record) -> Iterator[Group]:
        if rec.type == AUDIT_EOE:
            group = self._open.pop(rec.serial, None)
            if group is not None:
                yield group
            return
        group = self._open.get(rec.serial)
        if group is None:
            if len(self._open) >= self.limit:
                yield self._open.pop(next(iter(self._open)))
            group = self._open[rec.serial] = Group(rec.ts, rec.serial, {})
        group.records.setdefault(rec.type, []).append(rec.fields)

    def expire(self, now: int, everything: bool = False) -> Iterator[Group]:
        for serial, group in list(self._open.items()):
            if everything or now - group.ts >= self.timeout_ns:
                del self._open[serial]
                yield group


class Built(NamedTuple):
    event_name: str
    ts: int
    pid: int
    params: dict[str, Param]
    who: dict[str, int | str]  # TaskContext fields audit knows: ppid, uids, comm


def build(group: Group) -> Built | None:
    """One Falco event from a complete group; None when it is not one of SYSCALLS."""
    sc = (group.records.get(AUDIT_SYSCALL) or [{}])[0]
    if not sc or sc.get("arch", "").lower() != ARCH_X86_64:
        return None
    name = SYSCALLS.get(number(sc.get("syscall")) or -1)
    pid = number(sc.get("pid"))
    res = number(sc.get("exit"))
    if name is None or pid is None or res is None:
        return None
    who: dict[str, int | str] = {}
    for key, field in (("ppid", "ppid"), ("uid", "uid"), ("gid", "gid"), ("euid", "euid")):
        value = number(sc.get(field))
        if value is not None:
            who[key] = value
    auid = number(sc.get("auid"))
    if auid is not None:
        who["loginuid"] = auid
    comm = text(sc.get("comm"))
    if comm is not None:
        who["comm"] = comm
    a0 = number(sc.get("a0"), 16)
    fd = None if a0 is None else (a0 & 0xFFFFFFFF) - ((a0 & 0x80000000) << 1)
    addr = sockaddr((group.records.get(AUDIT_SOCKADDR) or [{}])[0].get("saddr"))
    params: dict[str, Param] = {}
    if name in ("execve", "execveat"):
        params = {"res": res, "tid": pid, "pid": pid}
        if res == 0:
            args, complete = argv(group.records.get(AUDIT_EXECVE, []))
            if args:
                params["exe"], params["args"] = args[0], args[1:]
            if not complete:
                params["missed"] = ("args",)
            cwd = text((group.records.get(AUDIT_CWD) or [{}])[0].get("cwd"))
            exe = text(sc.get("exe"))
            extra = {"ptid": who.get("ppid"), "cwd": cwd, "comm": comm, "trusted_exepath": exe}
            extra |= {"uid": who.get("euid"), "gid": number(sc.get("egid")), "loginuid": auid}
            params |= {k: v for k, v in extra.items() if v is not None}
    elif name == "connect":
        params = {"res": res, "fd": fd}
        if addr is not None:
            params["addr"] = addr
            params["tuple"] = SockTuple(addr.family, "", 0, addr.addr, addr.port)
    elif name == "bind":
        params = {"res": res, "fd": fd}
        if addr is not None:
            params["addr"] = addr
    else:  # accept, accept4: the address written back is the peer's
        params = {"fd": res}
        if addr is not None:
            params["tuple"] = SockTuple(addr.family, addr.addr, addr.port, "", 0)
        flags = number(sc.get("a3"), 16)
        if name == "accept4" and flags is not None:
            params["flags"] = flags
    return Built(name, group.ts, pid, params, who)
