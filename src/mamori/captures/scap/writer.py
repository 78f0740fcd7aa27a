"""``ScapWriter``: writes captures in the libscap savefile format (little endian,
format 1.2: process list v9, fd list v2, user list v2, event blocks v2).

sysdig and Falco read what it writes; tests use it to build captures of exactly the
syscalls they need, and the sensor can use it to save what it saw.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from mamori.captures.scap.encode import encode_param, ip_bytes
from mamori.captures.scap.events import EF_OLD_VERSION, EVENTS, EventInfo
from mamori.model.events import AF_INET, FdInfo, Param, ThreadInfo

_FD_KINDS = {"f": 16, "d": 2, "p": 7, "e": 9, "s": 11, "l": 12, "i": 13, "t": 14, "n": 15,
             "b": 17, "r": 19, "m": 20, "o": 10}  # fmt: skip


# libscap refuses a process-list string longer than these (SCAP_MAX_PATH_SIZE,
# SCAP_MAX_ARGS_SIZE / _ENV_ / _CGROUPS_SIZE), so a writer must cut, as its /proc
# scanner does: a host can hold a process whose command line runs to megabytes.
MAX_PATH = 1024
MAX_LIST = 4096
_CRED = 255  # MAX_CREDENTIALS_STR_LEN - 1: user and group names, homes, shells


def _s(text: str | bytes, limit: int = MAX_PATH) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    raw = raw[:limit]
    return struct.pack("<H", len(raw)) + raw


def _list(items: Iterable[str]) -> bytes:
    """NUL-terminated strings, whole items only while they fit in ``MAX_LIST`` bytes;
    a first item longer than that is cut and keeps its terminator."""
    out = b""
    for item in items:
        raw = item.encode() + b"\0"
        if len(out) + len(raw) > MAX_LIST:
            if not out:
                out = raw[: MAX_LIST - 1] + b"\0"
            break
        out += raw
    return _s(out, MAX_LIST)


def newest_code(name: str, direction: str) -> int:
    """The current event code for a Falco event name and direction."""
    candidates = [e for e in EVENTS if e.name == name and e.dir == direction]
    current = [e for e in candidates if not e.flags & EF_OLD_VERSION] or candidates
    if not current:
        raise KeyError(f"no event {direction} {name}")
    return max(current, key=lambda e: len(e.params)).code


class ScapWriter:
    def __init__(self, target: str | Path | BinaryIO) -> None:
        self._owns = not hasattr(target, "write")
        self._out: BinaryIO = open(target, "wb") if self._owns else target  # type: ignore[arg-type,assignment]  # noqa: SIM115
        self._block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 2, -1))

    def close(self) -> None:
        if self._owns:
            self._out.close()

    def __enter__(self) -> ScapWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _block(self, block_type: int, body: bytes) -> None:
        body += b"\0" * (-len(body) % 4)
        total = len(body) + 12
        self._out.write(struct.pack("<II", block_type, total) + body + struct.pack("<I", total))

    def machine(self, hostname: str = "mamori", num_cpus: int = 1) -> None:
        name = hostname.encode()[:127].ljust(128, b"\0")
        self._block(0x201, struct.pack("<IQQ", num_cpus, 1 << 30, 4 << 20) + name + bytes(32))

    def threads(self, threads: Sequence[ThreadInfo]) -> None:
        body = b""
        for t in threads:
            entry = struct.pack("<qqqqq", t.tid, t.pid, t.ptid, t.sid, t.vpgid)
            entry += _s(t.comm) + _s(t.exe) + _s(t.exepath) + _list(t.args) + _s(t.cwd)
            entry += struct.pack("<qIII", t.fdlimit, t.flags, t.uid % 2**32, t.gid % 2**32)
            entry += struct.pack("<IIIQQ", 0, 0, 0, 0, 0) + _list(t.env)
            entry += struct.pack("<qq", t.vtid, t.vpid) + _list(t.cgroups) + _s(t.root)
            entry += struct.pack("<I", t.loginuid % 2**32)
            body += struct.pack("<I", len(entry) + 4) + entry
        self._block(0x215, body)

    def fds(self, tid: int, fds: Sequence[FdInfo]) -> None:
        body = struct.pack("<q", tid)
        for f in fds:
            entry = struct.pack("<qQ", f.fd, f.ino)
            if f.type in "46" and f.tuple is not None:
                fam = f.tuple.family
                entry += bytes([3 if fam == AF_INET else 4])
                entry += ip_bytes(fam, f.tuple.src) + ip_bytes(fam, f.tuple.dst)
                entry += struct.pack("<HHB", f.tuple.sport, f.tuple.dport, f.flags or 2)
            elif f.type == "u":
                src = int(f.tuple.src, 16) if f.tuple else 0
                dst = int(f.tuple.dst, 16) if f.tuple else 0
                entry += bytes([8]) + struct.pack("<QQ", src, dst) + _s(f.name)
            elif f.type == "f":
                entry += bytes([16]) + struct.pack("<I", f.flags) + _s(f.name)
            else:
                entry += bytes([_FD_KINDS.get(f.type, 10)]) + _s(f.name)
            body += struct.pack("<I", len(entry) + 4) + entry
        self._block(0x218, body)

    def users(
        self, users: Iterable[tuple[int, int, str, str, str]], groups: Iterable[tuple[int, str]]
    ) -> None:
        body = b""
        for uid, gid, name, home, shell in users:
            texts = _s(name, _CRED) + _s(home, _CRED) + _s(shell, _CRED)
            entry = b"\0" + struct.pack("<II", uid, gid) + texts
            body += struct.pack("<I", len(entry) + 4) + entry
        for gid, name in groups:
            entry = b"\1" + struct.pack("<I", gid) + _s(name, _CRED)
            body += struct.pack("<I", len(entry) + 4) + entry
        self._block(0x220, body)

    def event(self, ts: int, tid: int, code: int, values: Sequence[Param], cpu: int = 0) -> None:
        """One event: ``values`` in the table's parameter order (a prefix of it)."""
        info: EventInfo = EVENTS[code]
        if len(values) > len(info.params):
            raise ValueError(f"{info.name}: {len(values)} values for {len(info.params)} params")
        raw = [encode_param(p, v) for p, v in zip(info.params, values, strict=False)]
        large = info.large_payload
        lens = struct.pack(f"<{len(raw)}{'I' if large else 'H'}", *(len(r) for r in raw))
        length = 26 + len(lens) + sum(len(r) for r in raw)
        header = struct.pack("<QqIHI", ts, tid, length, code, len(raw))
        self._block(
            0x221 if large else 0x216, struct.pack("<H", cpu) + header + lens + b"".join(raw)
        )

    def syscall(
        self, ts: int, tid: int, name: str, direction: str, values: Sequence[Param]
    ) -> None:
        self.event(ts, tid, newest_code(name, direction), values)
