"""Parameter values from a record's blobs: sockaddrs, socket tuples, paths, process info.

Every function takes the blob dict of one record and returns a decoded ``Param`` or None
(unknown) when the blob is absent or malformed; they are what the generated per-event
decoders of ``decode.py`` call.
"""

from __future__ import annotations

import mmap
import os
import posixpath
import socket
import struct

from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, SockAddr, SockTuple
from mamori.sensor import layout as lay

Buf = bytes | mmap.mmap
Blobs = dict[int, bytes]

_U16 = struct.Struct("<H")
_U64 = struct.Struct("<Q")
_FDS = struct.Struct("<ii")
_BE16 = struct.Struct(">H")


def parse_blobs(buf: Buf, off: int, end: int) -> Blobs:
    """Tagged blobs between off and end; a truncated one ends the parse."""
    blobs: Blobs = {}
    unpack = _U16.unpack_from
    while off + 3 <= end:
        tag = buf[off]
        n = unpack(buf, off + 1)[0]
        off += 3
        if off + n > end:
            break
        while tag in blobs:
            tag += lay.REPEAT
        blobs[tag] = buf[off : off + n]
        off += n
    return blobs


def text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


_DEVS: dict[int, int] = {}


def kernel_dev(dev: int) -> int:
    """Kernel dev_t (major << 20 | minor) -> the st_dev encoding Falco and stat() use."""
    out = _DEVS.get(dev)
    if out is None:
        if len(_DEVS) > 1024:
            _DEVS.clear()
        out = _DEVS[dev] = os.makedev(dev >> 20, dev & 0xFFFFF)
    return out


def parse_sockaddr(raw: bytes | None) -> SockAddr | None:
    if not raw or len(raw) < 2:
        return None
    (family,) = _U16.unpack_from(raw)
    if family == AF_INET and len(raw) >= 8:
        return SockAddr(
            AF_INET, socket.inet_ntop(socket.AF_INET, raw[4:8]), _BE16.unpack_from(raw, 2)[0]
        )
    if family == AF_INET6 and len(raw) >= 24:
        return SockAddr(
            AF_INET6, socket.inet_ntop(socket.AF_INET6, raw[8:24]), _BE16.unpack_from(raw, 2)[0]
        )
    if family == AF_UNIX:
        return SockAddr(AF_UNIX, unix_name(raw[2:]))
    return SockAddr(family, "")


def unix_name(raw: bytes) -> str:
    if raw[:1] == b"\0":  # abstract socket, shown as Falco and ss do
        return "@" + text(raw[1:].rstrip(b"\0"))
    return text(raw.split(b"\0", 1)[0])


def parse_tuple(blobs: Blobs) -> SockTuple | None:
    raw = blobs.get(lay.T_TUPLE)
    if raw is None:
        return None
    if len(raw) >= lay.TUPLE_INET.size:
        family, sport, dport, _, saddr, daddr = lay.TUPLE_INET.unpack_from(raw)
        if family == AF_INET:
            src = socket.inet_ntop(socket.AF_INET, saddr[:4])
            dst = socket.inet_ntop(socket.AF_INET, daddr[:4])
        else:
            src = socket.inet_ntop(socket.AF_INET6, saddr)
            dst = socket.inet_ntop(socket.AF_INET6, daddr)
        return SockTuple(family, src, sport, dst, dport)
    if len(raw) in (2, _UNIX_PTRS.size) and _U16.unpack_from(raw)[0] == AF_UNIX:
        # As Falco: src/dst are the socket's and its peer's kernel addresses in hex, path
        # the peer's path (or the socket's own, for a bound one); see tuple_with_addr
        sk, peer_sk = _UNIX_PTRS.unpack_from(raw)[1:] if len(raw) > 2 else (0, 0)
        local = blobs.get(lay.T_TUPLE + lay.REPEAT, b"")
        peer = blobs.get(lay.T_TUPLE + 2 * lay.REPEAT, b"")
        path = unix_name(peer) if peer else unix_name(local) if local else ""
        return SockTuple(AF_UNIX, f"{sk:x}", 0, f"{peer_sk:x}", 0, path=path)
    return None


_UNIX_PTRS = struct.Struct("<H6xQQ")  # struct unix_ptrs


def tuple_with_addr(blobs: Blobs, addr_arg: int) -> SockTuple | None:
    """The kernel's socket tuple; when the socket has no peer yet (a failed or pending
    connect, an unconnected sendto), the destination comes from the user's address."""
    tup = parse_tuple(blobs)
    addr = parse_sockaddr(blobs.get(addr_arg)) if addr_arg >= 0 else None
    if addr is not None and addr.family in (AF_INET, AF_INET6, AF_UNIX):
        if tup is None:
            return SockTuple(addr.family, "", 0, addr.addr, addr.port)
        if tup.family != AF_UNIX and tup.dport == 0:
            return SockTuple(tup.family, tup.src, tup.sport, addr.addr, addr.port)
        if tup.family == AF_UNIX and addr.family == AF_UNIX and addr.addr:
            # Falco's drivers name a connect's unix socket after the path the caller gave
            # (the peer's own bound path may be another mount namespace's view of it)
            return SockTuple(AF_UNIX, tup.src, 0, tup.dst, 0, path=addr.addr)
    return tup


def reversed_tuple(blobs: Blobs) -> SockTuple | None:
    """accept: the kernel's view is server->client, Falco's is client->server."""
    tup = parse_tuple(blobs)
    if tup is None:
        return None
    return SockTuple(tup.family, tup.dst, tup.dport, tup.src, tup.sport, tup.path)


def path(blobs: Blobs, i: int) -> str | None:
    raw = blobs.get(i)
    if raw is None:
        return None
    base = blobs.get(lay.T_BASE0 + i)
    if base is None or raw[:1] == b"/":
        return text(raw)
    return posixpath.normpath(text(base) + "/" + text(raw))


def string(blobs: Blobs, i: int) -> str | None:
    raw = blobs.get(i)
    return None if raw is None else text(raw)


def fd_of_pair(blobs: Blobs, i: int, item: int) -> int | None:
    raw = blobs.get(i)
    return int(_FDS.unpack_from(raw)[item]) if raw and len(raw) >= 8 else None


def u64_of(blobs: Blobs, i: int, item: int) -> int | None:
    raw = blobs.get(i)
    return int(_U64.unpack_from(raw, 8 * item)[0]) if raw and len(raw) >= 8 * item + 8 else None


def argv(blobs: Blobs, tag: int = lay.T_ARGV) -> tuple[str, ...] | None:
    """NUL-separated strings (argv, or the environment with tag T_ENV)."""
    raw = blobs.get(tag)
    if raw is None:
        return None
    return tuple(text(a) for a in raw.rstrip(b"\0").split(b"\0")) if raw else ()


def proc(blobs: Blobs) -> tuple[int, ...] | None:
    raw = blobs.get(lay.T_PROC)
    if raw is None or len(raw) < lay.PROC.size:
        return None
    return tuple(lay.PROC.unpack_from(raw))


def file_info(blobs: Blobs) -> tuple[int, int, int] | None:
    raw = blobs.get(lay.T_FILE)
    if raw is None or len(raw) < lay.FILE.size:
        return None
    ino, dev, flags = lay.FILE.unpack_from(raw)
    return ino, kernel_dev(dev), flags


_CREATING = 0o100 | 0o20000000  # O_CREAT | __O_TMPFILE (x86_64, generic)


def open_mode(flags: int | None, mode: int | None) -> int | None:
    """An open's ``mode`` as Falco reports it: the permission bits only when the call
    can create a file (O_CREAT or O_TMPFILE), else 0 (the kernel ignores it then, and so
    do Falco's drivers: ``open_modes_to_scap``)."""
    if flags is None or not flags & _CREATING:
        return 0
    return None if mode is None else mode & 0o7777
