"""Decoding one event parameter from its wire bytes into a ``Param`` value.

Numbers become ``int`` (signed where the wire type is signed: errno, fd, pid, intN),
paths and strings ``str`` (up to the first NUL, undecodable bytes replaced), raw
buffers ``bytes``, the NUL-separated argv/env/cgroups buffers ``tuple[str, ...]``,
socket addresses ``SockAddr`` and connection tuples ``SockTuple``. A parameter whose
bytes do not fit its type decodes to its raw ``bytes`` rather than failing the event:
the capture may come from a writer whose table differs from ours.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable

from mamori.captures.scap.events import FIXED_SIZES, SIGNED_TYPES, ParamInfo
from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, Param, SockAddr, SockTuple

Decoder = Callable[[bytes, str], Param]

# Dynamic parameters: one index byte, then a value whose type the index selects.
_DYN_TABLES: dict[str, tuple[str, ...]] = {
    "sockopt": ("b", "e", "u32", "u64", "rt"),
    "ptrace": ("u64", "sig"),
    "bpf": ("fd", "e"),
}


def c_string(data: bytes) -> str:
    """The text of a NUL-terminated buffer."""
    end = data.find(b"\0")
    if end >= 0:
        data = data[:end]
    return data.decode("utf-8", "replace")


def string_list(data: bytes) -> tuple[str, ...]:
    """A NUL-separated list (argv, environment, cgroups)."""
    if not data:
        return ()
    if data.endswith(b"\0"):
        data = data[:-1]
    return tuple(part.decode("utf-8", "replace") for part in data.split(b"\0"))


def _ipv4(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET, raw)


def _ipv6(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6, raw)


def _port(raw: bytes, order: str) -> int:
    return int.from_bytes(raw, order)  # type: ignore[arg-type]


def sockaddr(data: bytes, order: str) -> Param:
    if not data:
        return None
    family = data[0]
    if family == AF_INET and len(data) >= 7:
        return SockAddr(family, _ipv4(data[1:5]), _port(data[5:7], order))
    if family == AF_INET6 and len(data) >= 19:
        return SockAddr(family, _ipv6(data[1:17]), _port(data[17:19], order))
    if family == AF_UNIX:
        return SockAddr(family, c_string(data[1:]))
    return SockAddr(family, "")


def socktuple(data: bytes, order: str) -> Param:
    if not data:
        return None
    family = data[0]
    if family == AF_INET and len(data) >= 13:
        return SockTuple(
            family,
            _ipv4(data[1:5]),
            _port(data[5:7], order),
            _ipv4(data[7:11]),
            _port(data[11:13], order),
        )
    if family == AF_INET6 and len(data) >= 37:
        return SockTuple(
            family,
            _ipv6(data[1:17]),
            _port(data[17:19], order),
            _ipv6(data[19:35]),
            _port(data[35:37], order),
        )
    if family == AF_UNIX and len(data) >= 17:
        src = int.from_bytes(data[1:9], order)  # type: ignore[arg-type]
        dst = int.from_bytes(data[9:17], order)  # type: ignore[arg-type]
        return SockTuple(family, f"{src:x}", 0, f"{dst:x}", 0, path=c_string(data[17:]))
    return SockTuple(family, "", 0, "", 0)


def fdlist(data: bytes, order: str) -> Param:
    """poll()'s fd list: a 16-bit count of (64-bit fd, 16-bit flags), as "fd:flags"."""
    if len(data) < 2:
        return bytes(data)
    count = int.from_bytes(data[:2], order)  # type: ignore[arg-type]
    if len(data) < 2 + count * 10:
        return bytes(data)
    fmt = ("<" if order == "little" else ">") + "qh"
    return tuple("{}:{}".format(*struct.unpack_from(fmt, data, 2 + i * 10)) for i in range(count))


def _fixed(type_: str) -> Decoder:
    size = FIXED_SIZES[type_]
    signed = type_ in SIGNED_TYPES
    if type_ == "dbl":

        def dbl(data: bytes, order: str) -> Param:
            if len(data) != 8:
                return bytes(data) or None
            return repr(struct.unpack("<d" if order == "little" else ">d", data)[0])

        return dbl
    if type_ in ("ip4", "ip6"):
        conv = _ipv4 if type_ == "ip4" else _ipv6

        def ip(data: bytes, order: str) -> Param:
            return conv(data) if len(data) == size else (bytes(data) or None)

        return ip

    def integer(data: bytes, order: str) -> Param:
        if not data:
            return None
        if len(data) > 8:
            return bytes(data)
        return int.from_bytes(data, order, signed=signed)  # type: ignore[arg-type]

    return integer


def _ipaddr(data: bytes, order: str) -> Param:
    if len(data) == 4:
        return _ipv4(data)
    if len(data) == 16:
        return _ipv6(data)
    return bytes(data) or None


def _dynamic(table: str) -> Decoder:
    types = _DYN_TABLES.get(table, ())
    inner = [decoder_for(ParamInfo("", t)) for t in types]

    def dyn(data: bytes, order: str) -> Param:
        if not data:
            return None
        index = data[0]
        if index < len(inner):
            return inner[index](data[1:], order)
        return bytes(data[1:])

    return dyn


def _text(data: bytes, order: str) -> Param:
    return c_string(data)


def _raw(data: bytes, order: str) -> Param:
    return bytes(data)


def _strings(data: bytes, order: str) -> Param:
    return string_list(data)


_VARIABLE: dict[str, Decoder] = {
    "s": _text,
    "p": _text,
    "rp": _text,
    "b": _raw,
    "sl": _strings,
    "sa": sockaddr,
    "st": socktuple,
    "fdl": fdlist,
    "ip": _ipaddr,
}


def decoder_for(param: ParamInfo) -> Decoder:
    """The decoding function for one parameter of the table."""
    if param.type in FIXED_SIZES:
        return _fixed(param.type)
    if param.type in ("dyn",):
        return _dynamic(param.info)
    return _VARIABLE.get(param.type, _raw)
