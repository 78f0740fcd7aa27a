"""What each event means for the state, by Falco event name: flag bits, and which
events carry, create or use a file descriptor.

The state engine sees events from captures and from the live sensor alike, so it keys
everything on Falco's event names and parameter names, never on capture event codes.
"""

from __future__ import annotations

from mamori.model.events import AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, Param, SyscallEvent

# Clone flags (PPM_CL_*), as the drivers report them.
CL_CLONE_FILES = 1 << 0
CL_CLONE_FS = 1 << 1
CL_CLONE_THREAD = 1 << 13
CL_CLONE_VFORK = 1 << 27

# Open flags (PPM_O_*).
O_WRONLY = 1 << 1
O_RDONLY = 1 << 0
O_CREAT = 1 << 2
O_DIRECTORY = 1 << 10
O_CLOEXEC = 1 << 12

# execve flags (PPM_EXE_*).
EXE_WRITABLE = 1 << 0
EXE_UPPER_LAYER = 1 << 1
EXE_FROM_MEMFD = 1 << 2

# fcntl commands (PPM_FCNTL_*).
FCNTL_F_DUPFD = 1
FCNTL_F_DUPFD_CLOEXEC = 26

CLONE_EVENTS = frozenset({"clone", "clone3", "fork", "vfork"})
EXEC_EVENTS = frozenset({"execve", "execveat"})
OPEN_EVENTS = frozenset({"open", "openat", "openat2", "creat", "open_by_handle_at"})
ACCEPT_EVENTS = frozenset({"accept", "accept4"})
DUP_EVENTS = frozenset({"dup", "dup2", "dup3"})

# Events whose exit creates one new fd of a fixed type (the fd is the result).
SIMPLE_FD_CREATORS: dict[str, str] = {
    "eventfd": "e", "eventfd2": "e", "signalfd": "s", "signalfd4": "s",
    "timerfd_create": "t", "inotify_init": "i", "inotify_init1": "i",
    "epoll_create": "l", "epoll_create1": "l", "userfaultfd": "u",
    "io_uring_setup": "r", "memfd_create": "m", "pidfd_open": "P",
}  # fmt: skip

FD_CREATORS = (
    OPEN_EVENTS
    | ACCEPT_EVENTS
    | DUP_EVENTS
    | frozenset({"socket", "socketpair", "pipe", "pipe2", "bpf", "pidfd_getfd"})
    | frozenset(SIMPLE_FD_CREATORS)
)

# Falco's fd type for the enter event of an fd-creating syscall (no fd exists yet).
ENTER_TYPECHAR: dict[str, str] = dict.fromkeys(OPEN_EVENTS, "f") | {
    "socket": "4", "socketpair": "u", "pipe": "p", "pipe2": "p",
    "eventfd": "e", "eventfd2": "e", "signalfd": "s", "signalfd4": "s",
    "timerfd_create": "t", "inotify_init": "i", "inotify_init1": "i",
    "epoll_create": "l", "epoll_create1": "l", "accept": "4", "accept4": "4",
}  # fmt: skip

# Events the capture libraries generate themselves: they never create a thread entry.
INTERNAL_EVENTS = frozenset(
    {"procinfo", "drop", "container", "notification", "infra", "scapevent", "cpu_hotplug",
     "k8s", "mesos", "user_added", "user_deleted", "group_added", "group_deleted",
     "asyncevent", "pluginevent"}
)  # fmt: skip

# Events that do not replace a thread's pending enter event (the scheduler and the
# libraries' own events can come between a syscall's enter and its exit).
SKIP_RESET_EVENTS = INTERNAL_EVENTS | frozenset(
    {"switch", "procexit", "signaldeliver", "page_fault", "NA1", "NA2"}
)

SOCKET_TYPECHAR = {AF_INET: "4", AF_INET6: "6", AF_UNIX: "u", AF_NETLINK: "n"}
SOCK_TYPES = {1: "tcp", 2: "udp", 3: "raw"}


def as_int(value: Param, default: int = -1) -> int:
    return value if isinstance(value, int) else default


def as_str(value: Param, default: str = "") -> str:
    return value if isinstance(value, str) else default


def event_result(event: SyscallEvent) -> int | None:
    """Falco's ``evt.rawres``: the return value of an exit event, if it has one."""
    if event.dir != "<":
        return None
    for key in ("res", "fd", "res_or_fd"):
        value = event.params.get(key)
        if isinstance(value, int):
            return value
    return None
