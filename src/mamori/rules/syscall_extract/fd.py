"""``fd.*`` extractors: the file descriptor the event is about, as the state engine
describes it (`EventView.fd`, its number `fd_num`, and the type Falco reports when
there is no table entry, `fd_typechar`, e.g. for the enter event of an ``open``).

Sockets: the connection tuple's source is the client and its destination the server
(``fd.cip``/``fd.sip``); which end is local depends on the socket's role (a connected
client or an accepted/bound server). A bound socket without a peer has only its local
address, which is the server end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mamori.rules.source import FieldInfo, FieldRef
from mamori.rules.syscall_extract.view import EventView
from mamori.runtime.state import FdState

Getter = Callable[[EventView], Any]

TYPE_NAMES = {
    "f": "file", "d": "directory", "4": "ipv4", "6": "ipv6", "u": "unix", "p": "pipe",
    "e": "event", "s": "signalfd", "l": "eventpoll", "i": "inotify", "t": "timerfd",
    "n": "netlink", "b": "bpf", "r": "io_uring", "m": "memfd", "P": "pidfd",
    "o": "<NA>",
}  # fmt: skip
_IP = frozenset("46")
_SOCKETS = frozenset("46un")


def _typechar(v: EventView) -> str | None:
    fd = v.fd
    if fd is not None:
        return fd.type
    return v.fd_typechar or None


def _type(v: EventView) -> str | None:
    fd = v.fd
    return None if fd is None or fd.type == "o" else TYPE_NAMES.get(fd.type)


def _name(v: EventView) -> str | None:
    fd = v.fd
    return None if fd is None else fd.name


def _directory(v: EventView) -> str | None:
    fd = v.fd
    if fd is None:
        return None
    if fd.type == "d":
        return fd.name
    if fd.type != "f":
        return None
    cut = fd.name.rfind("/")
    if cut < 0:
        return None
    return fd.name[:cut] or "/"


def _filename(v: EventView) -> str | None:
    fd = v.fd
    if fd is None or fd.type != "f":
        return None
    cut = fd.name.rfind("/")
    return fd.name[cut + 1 :] if cut >= 0 else None


def _ip_fd(v: EventView) -> FdState | None:
    fd = v.fd
    return fd if fd is not None and fd.type in _IP else None


def _client(v: EventView) -> tuple[str, int] | None:
    fd = _ip_fd(v)
    if fd is None or fd.tuple is None:
        return None
    return fd.tuple.src, fd.tuple.sport


def _server(v: EventView) -> tuple[str, int] | None:
    fd = _ip_fd(v)
    if fd is None:
        return None
    if fd.tuple is not None:
        return fd.tuple.dst, fd.tuple.dport
    if fd.local is not None:
        return fd.local.addr, fd.local.port
    return None


def _local(v: EventView) -> tuple[str, int] | None:
    fd = _ip_fd(v)
    if fd is None:
        return None
    if fd.tuple is None:
        return _server(v) if fd.local is not None else None
    if fd.role == "server" or fd.is_server:
        return _server(v)
    return _client(v) if fd.role == "client" else None


def _remote(v: EventView) -> tuple[str, int] | None:
    fd = _ip_fd(v)
    if fd is None or fd.tuple is None:
        return None
    if fd.role == "server" or fd.is_server:
        return _client(v)
    return _server(v) if fd.role == "client" else None


def _addr(end: Callable[[EventView], tuple[str, int] | None]) -> Getter:
    def get(v: EventView) -> str | None:
        found = end(v)
        return None if found is None else found[0]

    return get


def _port(end: Callable[[EventView], tuple[str, int] | None]) -> Getter:
    def get(v: EventView) -> int | None:
        found = end(v)
        return None if found is None else found[1]

    return get


class _Either:
    """``fd.ip``/``fd.port``/``fd.net``: client or server (a tuple: either may match).
    ``multi`` tells the compiler so (no inlined single-value check)."""

    multi = True

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, v: EventView) -> Any:
        ends = [e[self.index] for e in (_client(v), _server(v)) if e is not None]
        return tuple(ends) if ends else None


def _either(index: int) -> Getter:
    return _Either(index)


def _l4proto(v: EventView) -> str | None:
    fd = _ip_fd(v)
    return fd.l4proto or None if fd is not None else None


def _sockfamily(v: EventView) -> str | None:
    c = _typechar(v)
    if c in _IP:
        return "ip" if v.fd is not None else None
    return "unix" if c == "u" and v.fd is not None else None


def _is_server(v: EventView) -> bool | None:
    fd = v.fd
    if fd is None:
        return None
    return fd.type in _SOCKETS and (fd.is_server or fd.role == "server")


def _connected(v: EventView) -> bool | None:
    fd = v.fd
    if fd is None:
        return None
    return fd.type in _SOCKETS and fd.tuple is not None and not fd.is_server


# Exits that name their fd, which libsinsp reports as a name change too.
_NAMING_EXITS = frozenset(
    {"open", "openat", "openat2", "creat", "open_by_handle_at", "bind", "accept", "accept4"}
)


def _name_changed(v: EventView) -> bool | None:
    fd = v.fd
    if fd is None or (fd.type == "o" and not fd.name):  # an fd the state never described
        return None
    if v.fd_name_changed:
        return True
    num = v.fd_num
    return v.dir == "<" and v.name in _NAMING_EXITS and num is not None and num >= 0


def _container_prefixed(inner: Getter) -> Getter:
    def get(v: EventView) -> str | None:
        value = inner(v)
        if value is None or v.thread is None:
            return None
        return f"{v.thread.container_id}:{value}"

    return get


def _dev(fn: Callable[[int], int]) -> Getter:
    def get(v: EventView) -> int | None:
        fd = v.fd
        return None if fd is None or fd.type not in "fd" else fn(fd.dev)

    return get


SIMPLE: dict[str, Getter] = {
    "fd.num": lambda v: v.fd_num,
    "fd.type": _type,
    "fd.typechar": _typechar,
    "fd.name": _name,
    "fd.directory": _directory,
    "fd.filename": _filename,
    "fd.cip": _addr(_client),
    "fd.sip": _addr(_server),
    "fd.lip": _addr(_local),
    "fd.rip": _addr(_remote),
    "fd.cport": _port(_client),
    "fd.sport": _port(_server),
    "fd.lport": _port(_local),
    "fd.rport": _port(_remote),
    "fd.cnet": _addr(_client),
    "fd.snet": _addr(_server),
    "fd.lnet": _addr(_local),
    "fd.rnet": _addr(_remote),
    "fd.ip": _either(0),
    "fd.net": _either(0),
    "fd.port": _either(1),
    "fd.l4proto": _l4proto,
    "fd.sockfamily": _sockfamily,
    "fd.is_server": _is_server,
    "fd.connected": _connected,
    "fd.name_changed": _name_changed,
    "fd.containername": _container_prefixed(_name),
    "fd.containerdirectory": _container_prefixed(_directory),
    "fd.dev": _dev(lambda d: d),
    "fd.dev.major": _dev(lambda d: (d & 0xFFF00) >> 8),
    "fd.dev.minor": _dev(lambda d: (d & 0xFF) | ((d >> 12) & 0xFFF00)),
    "fd.ino": lambda v: None if v.fd is None or v.fd.type not in "fd" else v.fd.ino,
    "fd.nameraw": lambda v: None if v.fd is None else (v.fd.nameraw or v.fd.name),
}


def types_field(ref: FieldRef, _info: FieldInfo) -> Getter:
    """``fd.types``: the types of the process's open fds; ``fd.types[N]``: of fd N."""
    which = int(ref.arg) if ref.arg is not None else None

    def get(v: EventView) -> Any:
        t = v.thread
        if t is None:
            return None
        table = v.engine.fd_table(t)
        if which is not None:
            entry = table.get(which)
            return None if entry is None else (TYPE_NAMES.get(entry.type, "<NA>"),)
        return tuple(sorted({TYPE_NAMES.get(e.type, "<NA>") for e in table.values()}))

    return get
