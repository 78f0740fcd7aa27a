"""The kernel audit netlink protocol: status, the audit daemon's pid, syscall rules.

Requests go out on a control socket and are answered there (``AuditControl``); records
go to the one socket registered with AUDIT_SET pid. Rules are ``struct audit_rule_data``
(linux/audit.h), tagged with a filter key so that ``rules_with_key`` can find exactly the
rules this module added (and a crashed run left behind) in the kernel's rule list.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time
from dataclasses import dataclass

from mamori.sensor.fallback import netlink

NETLINK_AUDIT = 9
AUDIT_GET, AUDIT_SET = 1000, 1001
AUDIT_ADD_RULE, AUDIT_DEL_RULE, AUDIT_LIST_RULES = 1011, 1012, 1013
STATUS_ENABLED, STATUS_PID, STATUS_BACKLOG_LIMIT, STATUS_WAIT_TIME = 0x1, 0x4, 0x10, 0x20
AUDIT_FILTER_EXIT, AUDIT_ALWAYS = 0x04, 2
AUDIT_PID, AUDIT_ARCH, AUDIT_FILTERKEY = 0, 11, 210
AUDIT_EQUAL, AUDIT_NOT_EQUAL = 0x40000000, 0x30000000
AUDIT_ARCH_X86_64 = 0xC000003E
MAX_FIELDS = 64
BITMASK_WORDS = 64
KEY = "mamori-fallback"

_STATUS = struct.Struct("=11I")
_RULE_HEAD = struct.Struct("=3I")
_RULE_ARRAYS = 4 * (BITMASK_WORDS + 3 * MAX_FIELDS)
_RULE_FIXED = _RULE_HEAD.size + _RULE_ARRAYS + 4
# fields whose value is a length into the rule's string buffer: LSM labels, watch, dir,
# exe, key
_STRING_FIELDS = frozenset({13, 14, 15, 16, 17, 19, 20, 21, 22, 23, 105, 107, 112, 210})


@dataclass(frozen=True)
class AuditStatus:
    enabled: int  # 0 off, 1 on, 2 locked (rules cannot change until reboot)
    failure: int
    pid: int  # the registered audit daemon, 0 for none
    rate_limit: int
    backlog_limit: int
    lost: int
    backlog: int
    backlog_wait_time: int


def parse_status(payload: bytes) -> AuditStatus | None:
    if len(payload) < 32:
        return None
    v = _STATUS.unpack(payload[: _STATUS.size].ljust(_STATUS.size, b"\0"))
    return AuditStatus(v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[9])


def pack_status(mask: int, *, enabled: int = 0, pid: int = 0, backlog_limit: int = 0,
                wait_time: int = 0) -> bytes:  # fmt: skip
    return _STATUS.pack(mask, enabled, 0, pid, 0, backlog_limit, 0, 0, 0, wait_time, 0)


@dataclass(frozen=True)
class Rule:
    """One syscall-exit rule: (field, op, value) triples plus an optional key."""

    syscalls: tuple[int, ...]
    fields: tuple[tuple[int, int, int], ...]
    key: str = ""
    flags: int = AUDIT_FILTER_EXIT
    action: int = AUDIT_ALWAYS


def pack_rule(rule: Rule) -> bytes:
    mask = [0] * BITMASK_WORDS
    for nr in rule.syscalls:
        mask[nr // 32] |= 1 << (nr % 32)
    fields = list(rule.fields)
    buf = rule.key.encode()
    if buf:
        fields.append((AUDIT_FILTERKEY, AUDIT_EQUAL, len(buf)))
    if len(fields) > MAX_FIELDS:
        raise ValueError("too many rule fields")
    pad = [0] * (MAX_FIELDS - len(fields))
    return (
        _RULE_HEAD.pack(rule.flags, rule.action, len(fields))
        + struct.pack(f"={BITMASK_WORDS}I", *mask)
        + struct.pack(f"={MAX_FIELDS}I", *([f for f, _, _ in fields] + pad))
        + struct.pack(f"={MAX_FIELDS}I", *([v for _, _, v in fields] + pad))
        + struct.pack(f"={MAX_FIELDS}I", *([o for _, o, _ in fields] + pad))
        + struct.pack("=I", len(buf))
        + buf
    )


def parse_rule(payload: bytes) -> tuple[Rule, bytes] | None:
    """A listed rule, and its raw bytes (what AUDIT_DEL_RULE needs sent back)."""
    if len(payload) < _RULE_FIXED:
        return None
    flags, action, count = _RULE_HEAD.unpack_from(payload)
    if count > MAX_FIELDS:
        return None
    off = _RULE_HEAD.size
    mask = struct.unpack_from(f"={BITMASK_WORDS}I", payload, off)
    names = struct.unpack_from(f"={MAX_FIELDS}I", payload, off + 4 * BITMASK_WORDS)
    values = struct.unpack_from(f"={MAX_FIELDS}I", payload, off + 4 * (BITMASK_WORDS + 64))
    ops = struct.unpack_from(f"={MAX_FIELDS}I", payload, off + 4 * (BITMASK_WORDS + 128))
    (buflen,) = struct.unpack_from("=I", payload, _RULE_FIXED - 4)
    buf = payload[_RULE_FIXED : _RULE_FIXED + buflen]
    if len(buf) < buflen:
        return None
    key, fields, pos = "", [], 0
    for i in range(count):
        if names[i] == AUDIT_FILTERKEY:
            key = buf[pos : pos + values[i]].decode("utf-8", "replace")
        if names[i] in _STRING_FIELDS:
            pos += values[i]
            if names[i] == AUDIT_FILTERKEY:
                continue
        fields.append((names[i], ops[i], values[i]))
    syscalls = tuple(
        w * 32 + b for w in range(BITMASK_WORDS) for b in range(32) if mask[w] >> b & 1
    )
    rule = Rule(syscalls, tuple(fields), key, flags, action)
    return rule, payload[: _RULE_FIXED + buflen]


class AuditError(OSError):
    pass


class AuditControl:
    """Requests and their answers on a private NETLINK_AUDIT socket (CAP_AUDIT_CONTROL)."""

    def __init__(self) -> None:
        self.sock = netlink.open_socket(NETLINK_AUDIT, 0)
        self._seq = int(time.time()) & 0xFFFF

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> AuditControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, mtype: int, payload: bytes = b"", timeout: float = 2.0) -> list[bytes]:
        """Send one request with NLM_F_ACK; the reply payloads, raising on an error."""
        return exchange(self.sock, self._next(), mtype, payload, timeout)

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def status(self) -> AuditStatus:
        for reply in self.request(AUDIT_GET):
            status = parse_status(reply)
            if status is not None:
                return status
        raise AuditError(0, "no audit status in the reply")

    def set_status(self, payload: bytes) -> None:
        self.request(AUDIT_SET, payload)

    def add_rule(self, rule: Rule) -> None:
        self.request(AUDIT_ADD_RULE, pack_rule(rule))

    def delete_rule(self, raw: bytes) -> None:
        self.request(AUDIT_DEL_RULE, raw)

    def list_rules(self) -> list[tuple[Rule, bytes]]:
        return [r for r in map(parse_rule, self.request(AUDIT_LIST_RULES)) if r is not None]

    def rules_with_key(self, key: str = KEY) -> list[tuple[Rule, bytes]]:
        return [(rule, raw) for rule, raw in self.list_rules() if rule.key == key]


def exchange(
    sock: socket.socket, seq: int, mtype: int, payload: bytes, timeout: float
) -> list[bytes]:
    """Send a request and collect the replies carrying its sequence number until the ack
    (or, for GET and LIST, the reply or multipart end: the kernel may ack first). Other
    messages on the socket are skipped: callers exchange before records flow."""
    flags = netlink.NLM_F_REQUEST | netlink.NLM_F_ACK
    sock.send(netlink.pack(mtype, flags, seq, payload))
    replies: list[bytes] = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            raise AuditError(0, f"audit request {mtype} timed out")
        try:
            data = sock.recv(1 << 16)
        except BlockingIOError:
            continue
        for msg in netlink.messages(data):
            if msg.seq != seq:
                continue
            if msg.type == netlink.NLMSG_ERROR:
                err = netlink.error_code(msg.payload)
                if err:
                    raise AuditError(-err, f"audit request {mtype}: {os.strerror(-err)}")
                if mtype != AUDIT_LIST_RULES and mtype != AUDIT_GET:
                    return replies
                continue
            if msg.type == netlink.NLMSG_DONE:
                return replies
            replies.append(msg.payload)
            if mtype == AUDIT_GET:
                return replies
