"""File descriptor events: what each fd-creating, -changing or -closing syscall does to
its process's fd table, following libsinsp's parsers.

Paths are resolved against the working directory or the directory fd; sockets get
Falco's names (``sip:sport->dip:dport`` for connections, ``ip:port`` for servers,
``src->dst path`` for unix sockets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamori.model.events import (
    AF_INET,
    AF_INET6,
    AF_UNIX,
    Param,
    SockAddr,
    SockTuple,
    SyscallEvent,
)
from mamori.runtime.state.model import FdState, ThreadState
from mamori.runtime.state.paths import AT_FDCWD
from mamori.runtime.state.semantics import (
    FCNTL_F_DUPFD,
    FCNTL_F_DUPFD_CLOEXEC,
    O_DIRECTORY,
    SIMPLE_FD_CREATORS,
    SOCK_TYPES,
    SOCKET_TYPECHAR,
    as_int,
    as_str,
)

if TYPE_CHECKING:
    from mamori.runtime.state.engine import StateEngine


def tuple_name(tup: SockTuple) -> str:
    """Falco's fd.name for a connection."""
    if tup.family == AF_UNIX:
        return f"{tup.src}->{tup.dst} {tup.path}"
    return f"{tup.src}:{tup.sport}->{tup.dst}:{tup.dport}"


def _enter(thread: ThreadState, event: SyscallEvent) -> SyscallEvent | None:
    enter = thread.last_enter
    return enter if enter is not None and enter.name == event.name else None


def _param(event: SyscallEvent, enter: SyscallEvent | None, name: str) -> Param:
    if name in event.params:
        return event.params[name]
    return enter.params.get(name) if enter is not None else None


def on_open_exit(
    engine: StateEngine, thread: ThreadState, event: SyscallEvent
) -> int | FdState | None:
    enter = _enter(thread, event)
    fd = as_int(event.params.get("fd", event.params.get("res")))
    name = as_str(_param(event, enter, "name")) or as_str(_param(event, enter, "path"))
    flags = as_int(_param(event, enter, "flags"), 0)
    dirfd = as_int(_param(event, enter, "dirfd"), AT_FDCWD)
    path = engine.resolve(thread, dirfd if event.name != "open" else AT_FDCWD, name)
    kind = "d" if flags & O_DIRECTORY else "f"
    if fd < 0:
        # A failed open: Falco still reports the path it tried, with fd -1.
        return FdState(-1, kind, path, flags=flags, nameraw=name)
    dev = as_int(event.params.get("dev"), 0)
    ino = as_int(event.params.get("ino"), 0)
    engine.add_fd(thread, FdState(fd, kind, path, flags=flags, dev=dev, ino=ino, nameraw=name))
    return fd


def on_socket_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> int | None:
    fd = as_int(event.params.get("fd"))
    if fd < 0:
        return None
    enter = _enter(thread, event)
    domain = as_int(_param(event, enter, "domain"), 0)
    stype = as_int(_param(event, enter, "type"), 0) & 0xF
    entry = FdState(fd, SOCKET_TYPECHAR.get(domain, "o"), l4proto=SOCK_TYPES.get(stype, ""))
    engine.add_fd(thread, entry)
    return fd


def on_connect_enter(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    """Falco names a unix socket after its target as soon as connect() is called."""
    entry = engine.fd_table(thread).get(as_int(event.params.get("fd")))
    addr = event.params.get("addr")
    if entry is not None and isinstance(addr, SockAddr) and addr.family == AF_UNIX:
        entry.type = "u"
        if entry.tuple is None:
            entry.name = addr.addr


EINPROGRESS = -115


def on_connect_exit(
    engine: StateEngine, thread: ThreadState, event: SyscallEvent
) -> FdState | None:
    enter = _enter(thread, event)
    fd = as_int(_param(event, enter, "fd"))
    entry = engine.fd_table(thread).get(fd)
    tup = event.params.get("tuple")
    if entry is None or not isinstance(tup, SockTuple):
        return None
    res = as_int(event.params.get("res"), 0)
    if res < 0 and res != EINPROGRESS:
        # A failed connect: the event names its target, the fd stays as it was.
        attempt = entry.copy(entry.fd)
        _set_tuple(attempt, tup)
        return attempt
    engine.name_changed = entry.name != tuple_name(tup)
    _set_tuple(entry, tup)
    entry.role = "client"
    return None


def _set_tuple(entry: FdState, tup: SockTuple) -> None:
    if tup.family in (AF_INET, AF_INET6):
        entry.type = "4" if tup.family == AF_INET else "6"
    elif tup.family == AF_UNIX:
        entry.type = "u"
    else:
        return
    entry.tuple = tup
    entry.name = tuple_name(tup)
    entry.is_server = False


def on_accept_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> int | None:
    fd = as_int(event.params.get("fd"))
    if fd < 0:
        return None
    entry = FdState(fd, "o", role="server")
    tup = event.params.get("tuple")
    if isinstance(tup, SockTuple):
        _set_tuple(entry, tup)
    enter = _enter(thread, event)
    server = engine.fd_table(thread).get(as_int(_param(event, enter, "sockfd")))
    if server is not None:
        entry.l4proto = server.l4proto
    engine.add_fd(thread, entry)
    return fd


def on_bind_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    enter = _enter(thread, event)
    entry = engine.fd_table(thread).get(as_int(_param(event, enter, "fd")))
    addr = event.params.get("addr")
    if entry is None or as_int(event.params.get("res")) < 0 or not isinstance(addr, SockAddr):
        return
    entry.local = addr
    entry.is_server = True
    entry.role = "server"
    if addr.family == AF_UNIX:
        entry.type, entry.name = "u", addr.addr
    elif addr.family in (AF_INET, AF_INET6):
        entry.type = "4" if addr.family == AF_INET else "6"
        entry.name = f"{addr.addr}:{addr.port}"


def on_pair_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> int | None:
    """pipe/pipe2/socketpair: two new fds; Falco reports the second."""
    if as_int(event.params.get("res"), 0) < 0:
        return None
    kind = "u" if event.name == "socketpair" else "p"
    last = None
    for key in ("fd1", "fd2"):
        fd = as_int(event.params.get(key))
        if fd >= 0:
            ino = as_int(event.params.get("ino"), 0)
            engine.add_fd(thread, FdState(fd, kind, "", ino=ino))
            last = fd
    return last


def on_simple_create_exit(
    engine: StateEngine, thread: ThreadState, event: SyscallEvent
) -> int | None:
    fd = as_int(event.params.get("fd", event.params.get("res")))
    if fd < 0:
        return None
    name = ""
    if event.name == "memfd_create":
        name = "memfd:" + as_str(event.params.get("name"))
    engine.add_fd(thread, FdState(fd, SIMPLE_FD_CREATORS[event.name], name))
    return fd


def on_dup_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> int | None:
    newfd = as_int(event.params.get("res"))
    if newfd < 0:
        return None
    enter = _enter(thread, event)
    oldfd = as_int(event.params.get("oldfd", _param(event, enter, "fd")))
    table = engine.fd_table(thread)
    source = table.get(oldfd)
    if source is None or newfd == oldfd:
        return newfd
    table.pop(newfd, None)  # dup2/dup3 close the target first
    engine.add_fd(thread, source.copy(newfd))
    return newfd


def on_fcntl_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> int | None:
    enter = _enter(thread, event)
    if enter is None:
        return None
    cmd = as_int(enter.params.get("cmd"), 0)
    res = as_int(event.params.get("res"))
    if cmd not in (FCNTL_F_DUPFD, FCNTL_F_DUPFD_CLOEXEC) or res < 0:
        return None
    source = engine.fd_table(thread).get(as_int(enter.params.get("fd")))
    if source is not None:
        engine.add_fd(thread, source.copy(res))
    return res


def on_close_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    enter = _enter(thread, event)
    if as_int(event.params.get("res")) < 0:
        return
    fd = as_int(_param(event, enter, "fd"))
    engine.fd_table(thread).pop(fd, None)


def on_sendto_recvfrom(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    """An unconnected (UDP) socket takes its peer from a successful datagram's tuple
    (at the exit, from the tuple of the call)."""
    enter = _enter(thread, event)
    tup = _param(event, enter, "tuple")
    if not isinstance(tup, SockTuple) or tup.family not in (AF_INET, AF_INET6):
        return
    if as_int(event.params.get("res"), 0) < 0:
        return
    entry = engine.fd_table(thread).get(as_int(_param(event, enter, "fd")))
    if entry is not None and entry.tuple is None and not entry.is_server:
        _set_tuple(entry, tup)
        entry.role = "client" if event.name in ("sendto", "sendmsg") else "server"
        engine.name_changed = True


def on_pidfd_getfd_exit(
    engine: StateEngine, thread: ThreadState, event: SyscallEvent
) -> int | None:
    fd = as_int(event.params.get("fd"))
    if fd < 0:
        return None
    entry = FdState(fd, "o")
    engine.add_fd(thread, entry)
    return fd
