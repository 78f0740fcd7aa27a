"""Runtime events: the one shape every syscall producer delivers.

The eBPF sensor, the fallback sensors and the `.scap` capture reader all hand the
state engine and the rules engine the same three things:

- ``ThreadInfo`` rows: the processes alive when capture started (a capture's process
  list, or the sensor's start-up snapshot of /proc);
- ``FdInfo`` rows: their open file descriptors at that moment;
- a stream of ``SyscallEvent``: one per syscall enter or exit (or scheduler event).

Event and parameter names are Falco's (falcosecurity/libs ``driver/event_table.c``):
``name`` is the event name without direction (``"execve"``, ``"openat"``,
``"connect"``, ``"procexit"``), ``dir`` is ``">"`` (enter) or ``"<"`` (exit) and
``params`` maps each parameter name of that event (``"fd"``, ``"name"``, ``"flags"``,
``"res"``, ``"tuple"`` ...) to its decoded value. A producer that cannot fill a
parameter leaves it out: consumers treat a missing parameter as unknown. Keeping
Falco's names means rules written for Falco mean the same thing here.

Flag and enum parameters carry Falco's encodings, as Falco's drivers write them
(``PPM_O_*`` open flags, ``PPM_CL_*`` clone flags, ``PPM_PTRACE_*`` requests,
``PPM_FCNTL_*`` commands, ``PPM_AF_*`` families...), exactly as a ``.scap`` capture
holds them: the state engine, the field extractors and ``runtime.flags`` read those.
Producers that read kernel values (the eBPF and fallback sensors) convert them where
they build the parameters (``sensor/ppm.py``).

These are plain slotted dataclasses, not pydantic models: a sensor delivers hundreds of
thousands of them per second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

# Socket families as the kernel numbers them (AF_*).
AF_UNIX = 1
AF_INET = 2
AF_INET6 = 10
AF_NETLINK = 16


@dataclass(slots=True, frozen=True)
class SockAddr:
    """One socket address: IPv4/IPv6 text address + port, or a unix path (port 0)."""

    family: int
    addr: str
    port: int = 0


@dataclass(slots=True, frozen=True)
class SockTuple:
    """A connection: source and destination (for unix sockets, addresses are paths).

    For unix sockets read from a capture, ``src``/``dst`` are the kernel socket
    addresses in hex (as Falco prints them) and ``path`` is the socket's path.
    """

    family: int
    src: str
    sport: int
    dst: str
    dport: int
    path: str = ""


Param = int | str | bytes | SockAddr | SockTuple | tuple[str, ...] | None
"""A decoded parameter. Paths and names are ``str``; raw buffers ``bytes``; argv,
env and cgroup lists ``tuple[str, ...]``; flags and numbers ``int`` (flags keep the
raw bits, Falco's symbolic names are the consumer's job)."""


class TaskContext(NamedTuple):
    """Who caused an event, as a live sensor sees it at that moment (a capture file does
    not carry this: its readers leave ``SyscallEvent.ctx`` as None and the state engine
    keeps the process table instead). A NamedTuple because the sensor builds one per
    event and tuples are the cheapest immutable record to construct."""

    pid: int  # host process (thread group) id
    ppid: int
    uid: int
    gid: int
    euid: int
    loginuid: int  # 4294967295 (-1) when unset
    comm: str
    cgroup_id: int  # cgroup v2 id: the inode number of the cgroup directory
    pidns: int  # namespace inode numbers (as in /proc/PID/ns/*)
    mntns: int
    netns: int


@dataclass(slots=True, frozen=True)
class SyscallEvent:
    """One syscall enter/exit or scheduler event, as Falco names it."""

    ts: int  # nanoseconds since the epoch
    tid: int  # host thread id of the thread that caused the event
    name: str  # Falco event name without direction
    dir: str  # ">" enter, "<" exit
    params: dict[str, Param]
    cpu: int = 0
    num: int = 0  # sequence number in the stream (evt.num), 0 when unknown
    ctx: TaskContext | None = None  # live sensors only: the calling task's context


@dataclass(slots=True)
class ThreadInfo:
    """A thread known at capture start (or learned later by the state engine)."""

    tid: int
    pid: int
    ptid: int
    comm: str
    exe: str = ""  # argv[0] as Falco's ``proc.exe``
    exepath: str = ""  # full path of the executable file
    args: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    cwd: str = ""
    uid: int = -1
    gid: int = -1
    euid: int = -1
    loginuid: int = -1
    sid: int = 0
    vpgid: int = 0
    vtid: int = 0
    vpid: int = 0
    flags: int = 0
    fdlimit: int = 0
    tty: int = 0
    cgroups: tuple[str, ...] = ()  # "subsystem=/path" as Falco records them
    root: str = "/"
    clone_ts: int = 0
    exe_ino: int = 0
    exe_writable: bool = False
    exe_upper_layer: bool = False
    exe_from_memfd: bool = False
    cap_permitted: int = 0
    cap_effective: int = 0
    cap_inheritable: int = 0
    pidns_init_start_ts: int = 0
    extra: dict[str, Param] = field(default_factory=dict)


@dataclass(slots=True)
class FdInfo:
    """An open file descriptor of a process at capture start.

    ``type`` is Falco's fd type character: ``f`` file, ``d`` directory, ``4`` IPv4
    socket, ``6`` IPv6 socket, ``u`` unix socket, ``p`` pipe, ``e`` eventfd, ``s``
    signalfd, ``l`` eventpoll, ``i`` inotify, ``t`` timerfd, ``n`` netlink, ``b`` bpf,
    ``r`` io_uring, ``m`` memfd, ``o`` other/unknown.
    """

    pid: int
    fd: int
    type: str
    name: str = ""  # path, or Falco's "sip:sport->dip:dport" / unix name
    tuple: SockTuple | None = None  # connected sockets
    local: SockAddr | None = None  # listening / bound sockets
    flags: int = 0
    ino: int = 0
    dev: int = 0
