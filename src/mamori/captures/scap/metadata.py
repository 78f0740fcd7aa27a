"""The metadata blocks of a capture: machine info, process list, fd lists, users, interfaces.

Each parser takes one block body (already bounded by the block layer) and returns
model objects. Fields were added over the format's history in two ways, both handled
here: new block type numbers (process list v1..v9) and, from v9 / "V2" blocks on, a
per-entry length so that readers skip fields they do not know.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from mamori.captures.scap.blocks import FDL_BLOCK_TYPE_V2, UL_BLOCK_TYPE_V2, CaptureError
from mamori.captures.scap.params import c_string, string_list
from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, FdInfo, SockAddr, SockTuple, ThreadInfo

# scap fd types and Falco's type characters for them.
FD_TYPECHARS = {
    0: "o", 1: "f", 2: "d", 3: "4", 4: "6", 5: "4", 6: "6", 7: "p", 8: "u", 9: "e",
    10: "o", 11: "s", 12: "l", 13: "i", 14: "t", 15: "n", 16: "f", 17: "b", 18: "u",
    19: "r", 20: "m", 21: "P",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class MachineInfo:
    num_cpus: int
    memory_bytes: int
    max_pid: int
    hostname: str


@dataclass(frozen=True, slots=True)
class UserInfo:
    uid: int
    gid: int
    name: str
    homedir: str
    shell: str


@dataclass(frozen=True, slots=True)
class GroupInfo:
    gid: int
    name: str


@dataclass(frozen=True, slots=True)
class Interface:
    name: str
    family: int
    addr: str
    netmask: str


class _Cursor:
    """Bounds-checked little/big-endian reads over one block body."""

    __slots__ = ("data", "end", "order", "pos", "prefix")

    def __init__(self, data: bytes, order: str, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else min(end, len(data))
        self.order = order
        self.prefix = "<" if order == "little" else ">"

    def remaining(self) -> int:
        return self.end - self.pos

    def take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > self.end:
            raise CaptureError(f"{what}: entry runs past its block")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str, what: str) -> tuple[int, ...]:
        size = struct.calcsize(self.prefix + fmt)
        return struct.unpack(self.prefix + fmt, self.take(size, what))

    def u(self, size: int, what: str, signed: bool = False) -> int:
        return int.from_bytes(self.take(size, what), self.order, signed=signed)  # type: ignore[arg-type]

    def text(self, what: str, limit: int) -> bytes:
        length = self.u(2, what)
        if length > limit:
            raise CaptureError(f"{what}: invalid length {length}")
        return self.take(length, what)


def parse_machine_info(body: bytes, order: str) -> MachineInfo:
    cur = _Cursor(body, order)
    num_cpus, memory, max_pid = cur.unpack("IQQ", "machine info")
    hostname = c_string(cur.take(min(128, cur.remaining()), "machine info"))
    return MachineInfo(num_cpus, memory, max_pid, hostname)


_MAX_PATH = 1024
_MAX_ARGS = 4096 * 4  # generous: libscap's limits grew over time


def parse_proclist(body: bytes, version: int, order: str) -> Iterator[ThreadInfo]:
    """Threads of a process list block of the given version (1..9)."""
    cur = _Cursor(body, order)
    while cur.remaining() >= 4:
        start = cur.pos
        sub_len = cur.u(4, "proclist") if version >= 9 else 0
        tid, pid, ptid = cur.unpack("qqq", "proclist")
        sid = cur.u(8, "proclist", True) if version >= 6 else -1
        vpgid = cur.u(8, "proclist", True) if version >= 8 else -1
        comm = c_string(cur.text("proclist comm", _MAX_PATH))
        exe = c_string(cur.text("proclist exe", _MAX_PATH))
        exepath = c_string(cur.text("proclist exepath", _MAX_PATH)) if version >= 7 else ""
        args = string_list(cur.text("proclist args", _MAX_ARGS))
        cwd = c_string(cur.text("proclist cwd", _MAX_PATH))
        fdlimit, flags, uid, gid = cur.unpack("qIII", "proclist")
        env: tuple[str, ...] = ()
        cgroups: tuple[str, ...] = ()
        root = "/"
        vtid = vpid = -1
        if version >= 2:
            cur.unpack("IIIQQ", "proclist")  # vmsize, vmrss, vmswap, pfmajor, pfminor
            if version >= 3:
                env = string_list(cur.text("proclist env", _MAX_ARGS))
            if version >= 4:
                vtid, vpid = cur.unpack("qq", "proclist")
                cgroups = string_list(cur.text("proclist cgroups", _MAX_ARGS))
                if version >= 5:
                    root = c_string(cur.text("proclist root", _MAX_PATH)) or "/"
        info = ThreadInfo(
            tid=tid, pid=pid, ptid=ptid, comm=comm, exe=exe, exepath=exepath, args=args,
            env=env, cwd=cwd, uid=uid, gid=gid, sid=sid, vpgid=vpgid, vtid=vtid, vpid=vpid,
            flags=flags, fdlimit=fdlimit, cgroups=cgroups, root=root,
        )  # fmt: skip
        if sub_len:
            _proclist_tail(cur, info, start + sub_len)
            cur.pos = start + sub_len
            if cur.pos > cur.end:
                raise CaptureError("proclist: entry length runs past its block")
        yield info


def _proclist_tail(cur: _Cursor, info: ThreadInfo, entry_end: int) -> None:
    """The fields appended to v9 entries, each present only if the entry is long enough."""
    if entry_end > cur.end:
        raise CaptureError("proclist: entry length runs past its block")

    def room(n: int) -> bool:
        return cur.pos + n <= entry_end

    # Writers of libs >= 0.10 put pidns_init_start_ts and tty before loginuid; older
    # v9 writers stop after the 29 bytes of loginuid/exe_writable/capabilities.
    if entry_end - cur.pos > 29:
        if room(8):
            info.pidns_init_start_ts = cur.u(8, "proclist")
        if room(4):
            info.tty = cur.u(4, "proclist")
    if room(4):
        info.loginuid = cur.u(4, "proclist", True)
    if room(1):
        info.exe_writable = bool(cur.u(1, "proclist"))
    if room(8):
        info.cap_inheritable = cur.u(8, "proclist")
    if room(8):
        info.cap_permitted = cur.u(8, "proclist")
    if room(8):
        info.cap_effective = cur.u(8, "proclist")
    if room(1):
        info.exe_upper_layer = bool(cur.u(1, "proclist"))
    if room(8):
        info.exe_ino = cur.u(8, "proclist")
    for _ in range(2):  # exe_ino_ctime, exe_ino_mtime
        if room(8):
            cur.u(8, "proclist")
    if room(1):
        info.exe_from_memfd = bool(cur.u(1, "proclist"))


def _ip4(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET, raw)


def _ip6(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6, raw)


def parse_fdlist(body: bytes, block_type: int, order: str) -> tuple[int, list[FdInfo]]:
    """(tid, fds) of one fd list block."""
    cur = _Cursor(body, order)
    tid = cur.u(8, "fdlist", True)
    fds: list[FdInfo] = []
    v2 = block_type == FDL_BLOCK_TYPE_V2
    while cur.remaining() >= 4:
        start = cur.pos
        sub_len = cur.u(4, "fdlist") if v2 else 0
        fd = cur.u(8, "fdlist", True)
        ino = cur.u(8, "fdlist")
        kind = cur.u(1, "fdlist")
        fds.append(_fd_entry(cur, tid, fd, ino, kind, start + sub_len if sub_len else 0))
        if sub_len:
            if start + sub_len > cur.end or cur.pos > start + sub_len:
                raise CaptureError("fdlist: entry length does not match its content")
            cur.pos = start + sub_len
    return tid, fds


def _fd_entry(cur: _Cursor, tid: int, fd: int, ino: int, kind: int, entry_end: int) -> FdInfo:
    typechar = FD_TYPECHARS.get(kind, "o")
    info = FdInfo(pid=tid, fd=fd, type=typechar, ino=ino)
    if kind == 3:  # IPv4 connected socket
        sip, dip = cur.take(4, "fdlist"), cur.take(4, "fdlist")
        sport, dport, l4 = cur.unpack("HHB", "fdlist")
        info.tuple = SockTuple(AF_INET, _ip4(sip), sport, _ip4(dip), dport)
        info.flags = l4
        info.name = f"{_ip4(sip)}:{sport}->{_ip4(dip)}:{dport}"
    elif kind == 5:  # IPv4 listening socket
        ip = cur.take(4, "fdlist")
        port, l4 = cur.unpack("HB", "fdlist")
        info.local = SockAddr(AF_INET, _ip4(ip), port)
        info.flags = l4
        info.name = f"{_ip4(ip)}:{port}"
    elif kind == 4:
        sip6, dip6 = cur.take(16, "fdlist"), cur.take(16, "fdlist")
        sport, dport, l4 = cur.unpack("HHB", "fdlist")
        info.tuple = SockTuple(AF_INET6, _ip6(sip6), sport, _ip6(dip6), dport)
        info.flags = l4
        info.name = f"{_ip6(sip6)}:{sport}->{_ip6(dip6)}:{dport}"
    elif kind == 6:
        ip6 = cur.take(16, "fdlist")
        port, l4 = cur.unpack("HB", "fdlist")
        info.local = SockAddr(AF_INET6, _ip6(ip6), port)
        info.flags = l4
        info.name = f"{_ip6(ip6)}:{port}"
    elif kind == 8:  # unix socket: kernel addresses of both ends, then the path
        src, dst = cur.unpack("QQ", "fdlist")
        path = c_string(cur.text("fdlist name", _MAX_PATH))
        info.tuple = SockTuple(AF_UNIX, f"{src:x}", 0, f"{dst:x}", 0, path=path)
        info.name = path
    elif kind == 16:  # regular file with open flags (and, newer, the device)
        info.flags = cur.u(4, "fdlist")
        info.name = c_string(cur.text("fdlist name", _MAX_PATH))
        if entry_end and cur.pos + 4 <= entry_end:
            info.dev = cur.u(4, "fdlist")
    elif kind in FD_TYPECHARS and kind != 0:
        info.name = c_string(cur.text("fdlist name", _MAX_PATH))
    elif kind != 0:
        info.name = f"unknown-type:[{kind}]"
    return info


def parse_userlist(
    body: bytes, block_type: int, order: str
) -> tuple[list[UserInfo], list[GroupInfo]]:
    cur = _Cursor(body, order)
    users: list[UserInfo] = []
    groups: list[GroupInfo] = []
    v2 = block_type == UL_BLOCK_TYPE_V2
    while cur.remaining() >= 4:
        start = cur.pos
        sub_len = cur.u(4, "userlist") if v2 else 0
        kind = cur.u(1, "userlist")
        if kind == 0:
            uid, gid = cur.unpack("II", "userlist")
            name = c_string(cur.text("user name", 4096))
            home = c_string(cur.text("user home", 4096))
            shell = c_string(cur.text("user shell", 4096))
            users.append(UserInfo(uid, gid, name, home, shell))
        else:
            gid = cur.u(4, "userlist")
            groups.append(GroupInfo(gid, c_string(cur.text("group name", 4096))))
        if sub_len:
            if start + sub_len > cur.end or cur.pos > start + sub_len:
                raise CaptureError("userlist: entry length does not match its content")
            cur.pos = start + sub_len
    return users, groups


def parse_iflist(body: bytes, block_type: int, order: str) -> list[Interface]:
    """Interfaces (types 1/3: IPv4 with/without link speed, 2/4: IPv6)."""
    cur = _Cursor(body, order)
    out: list[Interface] = []
    v2 = block_type == 0x219
    while cur.remaining() >= 4:
        start = cur.pos
        entry = cur.u(4, "iflist") + 4 if v2 else 0
        kind, namelen = cur.unpack("HH", "iflist")
        if kind in (1, 3):
            addr, mask = cur.take(4, "iflist"), cur.take(4, "iflist")
            cur.take(4 + (8 if kind == 1 else 0), "iflist")
            out.append(
                Interface(c_string(cur.take(namelen, "iflist")), AF_INET, _ip4(addr), _ip4(mask))
            )
        elif kind in (2, 4):
            addr6, mask6 = cur.take(16, "iflist"), cur.take(16, "iflist")
            cur.take(16 + (8 if kind == 2 else 0), "iflist")
            name = c_string(cur.take(namelen, "iflist"))
            out.append(Interface(name, AF_INET6, _ip6(addr6), _ip6(mask6)))
        else:
            raise CaptureError(f"iflist: unknown interface type {kind}")
        if entry:
            cur.pos = start + entry
            if cur.pos > cur.end:
                raise CaptureError("iflist: entry length runs past its block")
    return out
