"""Encoding parameter values to their wire bytes: the inverse of ``params``.

Used by the writer (captures for tests and for saving what the live sensor saw).
"""

from __future__ import annotations

import socket

from mamori.captures.scap.events import FIXED_SIZES, SIGNED_TYPES, ParamInfo
from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, Param, SockAddr, SockTuple


def ip_bytes(family: int, text: str) -> bytes:
    """Raw network-order bytes of an IPv4/IPv6 address."""
    return socket.inet_pton(socket.AF_INET if family == AF_INET else socket.AF_INET6, text)


def _port(port: int) -> bytes:
    return port.to_bytes(2, "little")


def encode_sockaddr(addr: SockAddr) -> bytes:
    head = bytes([addr.family])
    if addr.family in (AF_INET, AF_INET6):
        return head + ip_bytes(addr.family, addr.addr) + _port(addr.port)
    if addr.family == AF_UNIX:
        return head + addr.addr.encode() + b"\0"
    return head


def encode_socktuple(tup: SockTuple) -> bytes:
    head = bytes([tup.family])
    if tup.family in (AF_INET, AF_INET6):
        return (
            head
            + ip_bytes(tup.family, tup.src)
            + _port(tup.sport)
            + ip_bytes(tup.family, tup.dst)
            + _port(tup.dport)
        )
    if tup.family == AF_UNIX:
        src = int(tup.src or "0", 16).to_bytes(8, "little")
        dst = int(tup.dst or "0", 16).to_bytes(8, "little")
        return head + src + dst + tup.path.encode() + b"\0"
    return head


def encode_param(param: ParamInfo, value: Param) -> bytes:
    """Wire bytes of one parameter value (``None``: an empty parameter)."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if param.type in FIXED_SIZES and isinstance(value, int):
        size = FIXED_SIZES[param.type]
        if param.type not in SIGNED_TYPES and value < 0:
            value %= 1 << (8 * size)
        return value.to_bytes(size, "little", signed=param.type in SIGNED_TYPES)
    if param.type == "dyn" and isinstance(value, int):
        return b"\0" + value.to_bytes(8, "little", signed=True)
    if isinstance(value, SockTuple):
        return encode_socktuple(value)
    if isinstance(value, SockAddr):
        return encode_sockaddr(value)
    if isinstance(value, tuple):
        return b"".join(part.encode() + b"\0" for part in value)
    if isinstance(value, str):
        return value.encode() + b"\0"
    raise TypeError(f"cannot encode {value!r} as {param.type}")
