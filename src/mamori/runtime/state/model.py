"""The state the engine keeps: one ``ThreadState`` per known thread, one ``FdState`` per
open file descriptor of a process.

These are mutable (the engine updates them in place as events arrive); consumers read
them and must not keep them past the next event if they need a snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mamori.model.events import SockAddr, SockTuple, SyscallEvent

UNKNOWN = -1


@dataclass(slots=True)
class FdState:
    """An open file descriptor. ``type`` is Falco's fd type character (see FdInfo)."""

    fd: int
    type: str = "o"
    name: str = ""
    tuple: SockTuple | None = None  # connected sockets
    local: SockAddr | None = None  # bound / listening sockets
    flags: int = 0  # PPM open flags for files, l4 protocol for sockets
    ino: int = 0
    dev: int = 0
    l4proto: str = ""  # "tcp", "udp", "raw" ... for sockets, "" if unknown
    is_server: bool = False  # listening / bound server socket
    nameraw: str = ""  # the path as the syscall gave it, before resolution (fd.nameraw)
    role: str = ""  # sockets: "client" (connected out), "server" (accepted / bound)

    def copy(self, fd: int) -> FdState:
        """A duplicate of this entry under another fd number (dup, fork)."""
        return FdState(
            fd, self.type, self.name, self.tuple, self.local, self.flags, self.ino,
            self.dev, self.l4proto, self.is_server, self.nameraw, self.role,
        )  # fmt: skip


@dataclass(slots=True)
class ThreadState:
    """A thread (and, for the main thread ``tid == pid``, its process's shared state:
    the fd table and the working directory live on the main thread)."""

    tid: int
    pid: int
    ptid: int = UNKNOWN
    comm: str = ""
    exe: str = ""
    exepath: str = ""
    args: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    cwd: str = ""
    root: str = "/"
    uid: int = UNKNOWN
    gid: int = UNKNOWN
    euid: int = UNKNOWN
    egid: int = UNKNOWN
    loginuid: int = UNKNOWN
    sid: int = UNKNOWN
    vpgid: int = UNKNOWN
    vtid: int = UNKNOWN
    vpid: int = UNKNOWN
    tty: int = 0
    fdlimit: int = 0
    clone_flags: int = 0
    cgroups: tuple[str, ...] = ()
    container_id: str = "host"
    pod_uid: str = ""
    clone_ts: int = 0
    exe_ino: int = 0
    exe_writable: bool = False
    exe_upper_layer: bool = False
    exe_from_memfd: bool = False
    cap_permitted: int = 0
    cap_effective: int = 0
    cap_inheritable: int = 0
    live_threads: int = 0  # on a main thread: its process's other threads in the table
    known: bool = True  # False: created on the fly for an event of an unseen thread
    dead: bool = False
    last_ts: int = 0
    fds: dict[int, FdState] = field(default_factory=dict)
    last_enter: SyscallEvent | None = None  # the pending enter event, for its exit

    @property
    def is_main_thread(self) -> bool:
        return self.tid == self.pid
