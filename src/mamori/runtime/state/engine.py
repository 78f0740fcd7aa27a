"""``StateEngine``: the process/fd/user state behind every syscall event.

Feed it the threads and fds alive at start (a capture's process list, or the sensor's
/proc snapshot), then every ``SyscallEvent`` in order. ``process(event)`` updates the
state and returns an ``EventContext``: the event's thread and, for events about a file
descriptor, that fd's entry as Falco reports it (before the event for ``close``, the
new entry for ``open``/``socket``/``accept``...). The context is valid until the next
``process`` call: the engine mutates its entries in place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from mamori.model.events import FdInfo, SyscallEvent, ThreadInfo
from mamori.runtime.state import fds as fdh
from mamori.runtime.state import procs
from mamori.runtime.state.container_meta import ContainerInfo, ContainerTable
from mamori.runtime.state.containers import detect
from mamori.runtime.state.meta_events import METADATA_EVENTS
from mamori.runtime.state.model import UNKNOWN, FdState, ThreadState
from mamori.runtime.state.paths import AT_FDCWD, as_dir, join
from mamori.runtime.state.semantics import (
    ACCEPT_EVENTS,
    CLONE_EVENTS,
    DUP_EVENTS,
    ENTER_TYPECHAR,
    EXEC_EVENTS,
    FD_CREATORS,
    INTERNAL_EVENTS,
    O_CLOEXEC,
    OPEN_EVENTS,
    SIMPLE_FD_CREATORS,
    SKIP_RESET_EVENTS,
    as_int,
)
from mamori.runtime.state.threads import ThreadTable
from mamori.runtime.state.users import Group, User, UserDirectory
from mamori.runtime.state.uses_fd import USES_FD

Handler = Callable[["StateEngine", ThreadState, SyscallEvent], object]


class _UserLike(Protocol):
    uid: int
    gid: int
    name: str
    homedir: str
    shell: str


class _GroupLike(Protocol):
    gid: int
    name: str


@dataclass(slots=True)
class EventContext:
    """What the state says about one event, for field extraction."""

    event: SyscallEvent
    thread: ThreadState | None  # None: an internal event of a thread never seen
    fd_num: int | None = None  # the fd the event is about (fd.num); None if none
    fd: FdState | None = None  # its table entry, if known
    fd_typechar: str = ""  # Falco's fd.typechar when there is no entry ("" = none)
    fd_name_changed: bool = False  # this event renamed the fd (fd.name_changed)


_EXIT_HANDLERS: dict[str, Handler] = {
    **dict.fromkeys(CLONE_EVENTS, procs.on_clone_exit),
    **dict.fromkeys(EXEC_EVENTS, procs.on_exec_exit),
    **dict.fromkeys(OPEN_EVENTS, fdh.on_open_exit),
    **dict.fromkeys(ACCEPT_EVENTS, fdh.on_accept_exit),
    **dict.fromkeys(DUP_EVENTS, fdh.on_dup_exit),
    **dict.fromkeys(SIMPLE_FD_CREATORS, fdh.on_simple_create_exit),
    **dict.fromkeys(("setuid", "setgid", "setresuid", "setresgid"), procs.on_creds_exit),
    **dict.fromkeys(("pipe", "pipe2", "socketpair"), fdh.on_pair_exit),
    **dict.fromkeys(("sendto", "recvfrom", "sendmsg", "recvmsg"), fdh.on_sendto_recvfrom),
    "socket": fdh.on_socket_exit,
    "connect": fdh.on_connect_exit,
    "bind": fdh.on_bind_exit,
    "fcntl": fdh.on_fcntl_exit,
    "close": fdh.on_close_exit,
    "pidfd_getfd": fdh.on_pidfd_getfd_exit,
    "chdir": procs.on_chdir_exit,
    "fchdir": procs.on_fchdir_exit,
    "chroot": procs.on_chroot_exit,
    "capset": procs.on_capset_exit,
}
_ENTER_HANDLERS: dict[str, Handler] = {
    "procexit": procs.on_procexit,
    "connect": fdh.on_connect_enter,
}


class StateEngine:
    """Thread, fd, user and container state maintained from a stream of events."""

    def __init__(
        self,
        *,
        max_threads: int = 131072,
        max_fds_per_process: int = 4096,
        users: UserDirectory | None = None,
    ) -> None:
        self.threads = ThreadTable(max_threads)
        self.users = users if users is not None else UserDirectory()
        self.max_fds = max(8, max_fds_per_process)
        self.containers = ContainerTable()
        self.dropped_fds = 0  # fds not recorded because a process's table was full
        self.events = 0
        self.name_changed = False  # set by handlers that rename the event's fd
        self._remove: list[int] = []

    # -- loading the initial state -------------------------------------------------
    def load_threads(self, threads: Iterable[ThreadInfo]) -> None:
        for info in threads:
            thread = ThreadState(
                tid=info.tid, pid=info.pid, ptid=info.ptid, comm=info.comm, exe=info.exe,
                exepath=info.exepath, args=info.args, env=info.env, cwd=as_dir(info.cwd),
                root=info.root or "/", uid=info.uid, gid=info.gid,
                euid=info.euid if info.euid != -1 else info.uid, egid=info.gid,
                loginuid=info.loginuid, sid=info.sid, vpgid=info.vpgid, vtid=info.vtid,
                vpid=info.vpid, tty=info.tty, fdlimit=info.fdlimit, clone_ts=info.clone_ts,
                exe_ino=info.exe_ino, exe_writable=info.exe_writable,
                exe_upper_layer=info.exe_upper_layer, exe_from_memfd=info.exe_from_memfd,
                cap_permitted=info.cap_permitted, cap_effective=info.cap_effective,
                cap_inheritable=info.cap_inheritable,
            )  # fmt: skip
            self.set_cgroups(thread, info.cgroups)
            self.threads.add(thread)
            self._count_thread(thread)

    def load_fds(self, fds: Iterable[FdInfo]) -> None:
        for info in fds:
            thread = self.threads.get(info.pid)
            if thread is None:
                continue
            l4 = {2: "tcp", 3: "udp", 4: "icmp", 5: "raw"}.get(info.flags, "")
            entry = FdState(
                info.fd, info.type, info.name, info.tuple, info.local, info.flags, info.ino,
                info.dev, l4 if info.type in "46" else "", info.local is not None,
            )  # fmt: skip
            if info.local is not None:
                entry.role = "server"
            self.add_fd(thread, entry)

    def load_users(self, users: Iterable[_UserLike], groups: Iterable[_GroupLike]) -> None:
        for u in users:
            self.users.add_user(User(u.uid, u.gid, u.name, u.homedir, u.shell))
        for g in groups:
            self.users.add_group(Group(g.gid, g.name))

    # -- the event loop ------------------------------------------------------------
    def process(self, event: SyscallEvent) -> EventContext:
        """Apply one event and describe it. Call for every event, in order."""
        if self._remove:
            self._flush_removals()
        self.events += 1
        thread = self.threads.get(event.tid)
        name = event.name
        if name in METADATA_EVENTS:
            METADATA_EVENTS[name](self, event)
        if thread is None:
            if name in INTERNAL_EVENTS:
                return EventContext(event, None)
            thread = self._unknown_thread(event)
        thread.last_ts = event.ts
        ctx = EventContext(event, thread)
        if event.dir == ">":
            self._enter_fd(ctx)
            handler = _ENTER_HANDLERS.get(name)
            if handler is not None:
                handler(self, thread, event)
            if name not in SKIP_RESET_EVENTS:
                thread.last_enter = event
            return ctx
        exit_handler = _EXIT_HANDLERS.get(name)
        if name in FD_CREATORS and name not in DUP_EVENTS:
            created = exit_handler(self, thread, event) if exit_handler else None
            self._created_fd(ctx, created)
        else:
            self._exit_fd(ctx)
            if exit_handler is not None:
                result = exit_handler(self, thread, event)
                if name in DUP_EVENTS or name == "fcntl":
                    self._dup_fd(ctx, result)
                elif isinstance(result, FdState):
                    ctx.fd = result  # e.g. a failed connect's target
        thread.last_enter = None
        if self.name_changed:
            ctx.fd_name_changed, self.name_changed = True, False
        return ctx

    def _enter_fd(self, ctx: EventContext) -> None:
        assert ctx.thread is not None
        name = ctx.event.name
        param = USES_FD.get(name)
        if param is not None and param in ctx.event.params:
            self._point_at(ctx, as_int(ctx.event.params[param]), create=False)
        elif name in FD_CREATORS:
            ctx.fd_num = -1
            ctx.fd_typechar = ENTER_TYPECHAR.get(name, "o")

    def _exit_fd(self, ctx: EventContext) -> None:
        assert ctx.thread is not None
        param = USES_FD.get(ctx.event.name)
        if param is None:
            return
        value = ctx.event.params.get(param)
        if value is None:
            enter = ctx.thread.last_enter
            if enter is not None and enter.name == ctx.event.name:
                value = enter.params.get(param)
        # Falco reports fd -1 when an fd event's exit cannot be paired with its fd.
        self._point_at(ctx, value if isinstance(value, int) else -1, create=True)

    def _point_at(self, ctx: EventContext, fd: int, create: bool) -> None:
        assert ctx.thread is not None
        ctx.fd_num = fd
        table = self.fd_table(ctx.thread)
        entry = table.get(fd)
        if entry is None and create:
            # Falco describes an unknown fd at an exit as an untyped, unnamed fd (without
            # recording it in the table).
            entry = FdState(fd, "o", "")
        ctx.fd = entry
        if entry is None:
            ctx.fd_typechar = "o"

    def _created_fd(self, ctx: EventContext, created: object) -> None:
        assert ctx.thread is not None
        if isinstance(created, FdState):  # a failed attempt Falco still describes
            ctx.fd_num, ctx.fd = created.fd, created
        elif isinstance(created, int) and created >= 0:
            ctx.fd_num = created
            ctx.fd = self.fd_table(ctx.thread).get(created)
        else:
            ctx.fd_num = as_int(ctx.event.params.get("fd", ctx.event.params.get("res")))
            ctx.fd_typechar = ENTER_TYPECHAR.get(ctx.event.name, "o")

    def _dup_fd(self, ctx: EventContext, result: object) -> None:
        assert ctx.thread is not None
        if isinstance(result, int) and result >= 0:
            ctx.fd_num = result
            ctx.fd = self.fd_table(ctx.thread).get(result)

    def _unknown_thread(self, event: SyscallEvent) -> ThreadState:
        thread = ThreadState(tid=event.tid, pid=event.tid, known=False)
        live = event.ctx
        if live is not None:
            thread.pid, thread.ptid, thread.comm = live.pid, live.ppid, live.comm
            thread.uid, thread.gid, thread.euid = live.uid, live.gid, live.euid
            thread.loginuid = live.loginuid
        self.threads.add(thread)
        self._count_thread(thread)
        return thread

    def _count_thread(self, thread: ThreadState) -> None:
        if thread.tid != thread.pid:
            main = self.threads.get(thread.pid)
            if main is not None:
                main.live_threads += 1

    def remove_after_event(self, tid: int) -> None:
        self._remove.append(tid)

    def _flush_removals(self) -> None:
        """Remove the threads that exited at the previous event. A main thread whose
        process still has threads stays (dead) until its last thread exits: the threads
        share its fd table and working directory."""
        for tid in self._remove:
            thread = self.threads.get(tid)
            if thread is None:
                continue
            thread.dead = True
            if thread.is_main_thread:
                if thread.live_threads <= 0:
                    self.threads.remove(tid)
                continue
            self.threads.remove(tid)
            main = self.threads.get(thread.pid)
            if main is not None:
                main.live_threads -= 1
                if main.dead and main.live_threads <= 0:
                    self.threads.remove(main.tid)
        self._remove.clear()

    # -- helpers the handlers use ------------------------------------------------------
    def fd_table(self, thread: ThreadState) -> dict[int, FdState]:
        return self.threads.main_thread(thread).fds

    def add_fd(self, thread: ThreadState, entry: FdState) -> None:
        table = self.fd_table(thread)
        if entry.fd not in table and len(table) >= self.max_fds:
            self.dropped_fds += 1
            return
        table[entry.fd] = entry

    def cwd_of(self, thread: ThreadState) -> str:
        return self.threads.main_thread(thread).cwd

    def set_cwd(self, thread: ThreadState, path: str) -> None:
        self.threads.main_thread(thread).cwd = as_dir(path)
        thread.cwd = as_dir(path)

    def resolve(self, thread: ThreadState, dirfd: int, path: str) -> str:
        """A path argument resolved as Falco does (against cwd or a directory fd)."""
        if path.startswith("/") or not path:
            return join("", path) if path else path
        if dirfd == AT_FDCWD:
            return join(self.cwd_of(thread), path)
        base = self.fd_table(thread).get(dirfd)
        return join(base.name if base is not None else "", path)

    def set_cgroups(self, thread: ThreadState, cgroups: tuple[str, ...]) -> None:
        thread.cgroups = cgroups
        identity = detect(cgroups)
        thread.container_id, thread.pod_uid = identity.id, identity.pod_uid

    def after_exec(self, thread: ThreadState) -> None:
        """A successful exec closes the process's close-on-exec files."""
        table = self.fd_table(thread)
        for fd in [fd for fd, e in table.items() if e.type in "fd" and e.flags & O_CLOEXEC]:
            del table[fd]

    # -- queries for field extraction -------------------------------------------------
    def thread(self, tid: int) -> ThreadState | None:
        return self.threads.get(tid)

    def main_thread(self, thread: ThreadState) -> ThreadState:
        return self.threads.main_thread(thread)

    def parent(self, thread: ThreadState) -> ThreadState | None:
        return self.threads.parent(thread)

    def ancestor(self, thread: ThreadState, level: int) -> ThreadState | None:
        return self.threads.ancestor(thread, level)

    def session_leader(self, thread: ThreadState) -> ThreadState | None:
        """The session leader (proc.sname), if known."""
        return self.threads.get(thread.sid) if thread.sid > 0 else None

    def user(self, thread: ThreadState) -> User | None:
        uid = thread.euid if thread.euid != UNKNOWN else thread.uid
        return self.users.user(uid, thread.container_id) or self.users.user(uid)

    def container(self, thread: ThreadState) -> ContainerInfo | None:
        """Metadata of the thread's container (None on the host or if not known)."""
        if thread.container_id == "host":
            return None
        return self.containers.get(thread.container_id)

    def group(self, thread: ThreadState) -> Group | None:
        return self.users.group(thread.gid, thread.container_id) or self.users.group(thread.gid)
