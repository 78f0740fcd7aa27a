"""Netlink framing shared by the proc connector and audit sources.

Every reader here takes bytes the kernel (or a fuzzer) handed over and never trusts a
length field: a header that claims more than what is left ends the walk.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from typing import NamedTuple

NLMSG_HDR = struct.Struct("=IHHII")  # len, type, flags, seq, port id
NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_MULTI = 0x2
NLM_F_ACK = 0x4
SO_RCVBUFFORCE = 33  # asm-generic/socket.h; the socket module does not name it
_ERR = struct.Struct("=i")


class Message(NamedTuple):
    type: int
    flags: int
    seq: int
    payload: bytes


def messages(data: bytes) -> Iterator[Message]:
    """The netlink messages in one datagram; a malformed header ends the walk."""
    off = 0
    size = len(data)
    while off + NLMSG_HDR.size <= size:
        length, mtype, flags, seq, _ = NLMSG_HDR.unpack_from(data, off)
        if length < NLMSG_HDR.size or off + length > size:
            return
        yield Message(mtype, flags, seq, data[off + NLMSG_HDR.size : off + length])
        off += (length + 3) & ~3


def error_code(payload: bytes) -> int:
    """The (negative) errno of an NLMSG_ERROR payload; 0 is an acknowledgement."""
    return _ERR.unpack_from(payload)[0] if len(payload) >= 4 else -1


def pack(mtype: int, flags: int, seq: int, payload: bytes) -> bytes:
    return NLMSG_HDR.pack(NLMSG_HDR.size + len(payload), mtype, flags, seq, 0) + payload


def open_socket(protocol: int, groups: int, kind: int = socket.SOCK_RAW) -> socket.socket:
    """A non-blocking netlink socket bound to a kernel-chosen port id (0), so it never
    clashes with another netlink socket of this process."""
    sock = socket.socket(socket.AF_NETLINK, kind, protocol)
    try:
        sock.bind((0, groups))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
