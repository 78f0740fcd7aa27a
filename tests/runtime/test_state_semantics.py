"""State semantics for events newer than sysdig 0.29's table (dup2/dup3, pipe2,
memfd_create, accept4, openat2, execveat), for live-sensor events (``ctx``), and for the
engine's bounds. The expected values follow libsinsp's parsers."""

from __future__ import annotations

from itertools import count

from mamori.model.events import (
    AF_INET,
    AF_INET6,
    FdInfo,
    Param,
    SockTuple,
    SyscallEvent,
    TaskContext,
    ThreadInfo,
)
from mamori.runtime.state import EventContext, StateEngine, event_result

_ts = count(1)


def ev(engine: StateEngine, tid: int, name: str, d: str, params: dict[str, Param]) -> EventContext:
    return engine.process(SyscallEvent(next(_ts), tid, name, d, params))


def call(engine: StateEngine, tid: int, name: str, enter: dict[str, Param],
         exit_: dict[str, Param]) -> EventContext:  # fmt: skip
    ev(engine, tid, name, ">", enter)
    return ev(engine, tid, name, "<", exit_)


def _engine() -> StateEngine:
    engine = StateEngine()
    engine.load_threads([
        ThreadInfo(tid=1, pid=1, ptid=0, comm="init", exe="/sbin/init", cwd="/"),
        ThreadInfo(tid=50, pid=50, ptid=1, comm="sshd", exe="/usr/sbin/sshd", cwd="/"),
        ThreadInfo(tid=100, pid=100, ptid=50, comm="bash", exe="bash", cwd="/home/u",
                   uid=1000, gid=1000, args=("-i",)),
    ])  # fmt: skip
    engine.load_fds([FdInfo(100, 0, "f", "/dev/pts/0")])
    return engine


def test_dup2_dup3_pipe2_memfd() -> None:
    e = _engine()
    call(
        e,
        100,
        "openat",
        {"dirfd": -100, "name": "log", "flags": 2},
        {"fd": 3, "dirfd": -100, "name": "log", "flags": 2},
    )
    ctx = call(e, 100, "dup2", {"fd": 3}, {"res": 1, "oldfd": 3, "newfd": 1})
    assert (ctx.fd_num, ctx.fd and ctx.fd.name) == (1, "/home/u/log")
    ctx = call(e, 100, "dup3", {"fd": 0}, {"res": 1, "oldfd": 0, "newfd": 1, "flags": 0})
    assert ctx.fd is not None and ctx.fd.name == "/dev/pts/0"
    ctx = call(e, 100, "pipe2", {}, {"res": 0, "fd1": 5, "fd2": 6, "ino": 9, "flags": 0})
    assert (ctx.fd_num, ctx.fd and ctx.fd.type) == (6, "p")
    ctx = call(e, 100, "memfd_create", {}, {"fd": 7, "name": "x", "flags": 0})
    assert ctx.fd is not None and (ctx.fd.type, ctx.fd.name) == ("m", "memfd:x")
    ctx = call(e, 100, "close", {"fd": 7}, {"res": 0})
    assert ctx.fd is not None and ctx.fd.name == "memfd:x"  # close reports the closed fd
    assert 7 not in e.fd_table(e.thread(100))  # type: ignore[arg-type]


def test_accept4_and_bind() -> None:
    e = _engine()
    call(e, 100, "socket", {"domain": AF_INET6, "type": 1, "proto": 0}, {"fd": 3})
    tup = SockTuple(AF_INET6, "2001:db8::9", 5000, "2001:db8::1", 443)
    ctx = call(e, 100, "accept4", {"flags": 0}, {"fd": 4, "tuple": tup, "queuepct": 0})
    assert ctx.fd is not None and ctx.fd.type == "6"
    assert ctx.fd.name == "2001:db8::9:5000->2001:db8::1:443"


def test_exec_replaces_image_and_closes_cloexec_files() -> None:
    e = _engine()
    call(e, 100, "openat", {"dirfd": -100, "name": "/etc/a", "flags": 1 | 1 << 12},
         {"fd": 3, "dirfd": -100, "name": "/etc/a", "flags": 1 | 1 << 12})  # fmt: skip
    call(e, 100, "openat", {"dirfd": -100, "name": "/etc/b", "flags": 1},
         {"fd": 4, "dirfd": -100, "name": "/etc/b", "flags": 1})  # fmt: skip
    ctx = call(e, 100, "execveat", {"dirfd": -100, "pathname": "/usr/bin/id", "flags": 0},
               {"res": 0, "exe": "id", "args": ("-u",), "tid": 100, "pid": 100, "ptid": 50,
                "cwd": "", "comm": "id", "cgroups": ("0::/system.slice/x.scope",),
                "flags": 4, "trusted_exepath": "/usr/bin/id"})  # fmt: skip
    t = ctx.thread
    assert t is not None
    assert (t.comm, t.exe, t.args, t.exepath, t.exe_from_memfd) == (
        "id",
        "id",
        ("-u",),
        "/usr/bin/id",
        True,
    )
    assert sorted(e.fd_table(t)) == [0, 4]
    assert e.ancestor(t, 2) is e.thread(1)


def test_fork_thread_and_exit() -> None:
    e = _engine()
    base = {"exe": "bash", "args": (), "cwd": "", "uid": 1000, "gid": 1000}
    call(e, 100, "clone", {}, {**base, "res": 200, "tid": 100, "pid": 100, "ptid": 50, "flags": 0})
    child = e.thread(200)
    assert child is not None and (child.pid, child.ptid, child.comm) == (200, 100, "bash")
    assert e.fd_table(child)[0].name == "/dev/pts/0"  # a copy of the parent's table
    thread_flags = {"flags": 1 << 13, "ptid": 100}
    call(e, 200, "clone", {}, {**base, "res": 201, "tid": 200, "pid": 200, **thread_flags})
    thread = e.thread(201)
    assert thread is not None and thread.pid == 200
    assert e.fd_table(thread) is e.fd_table(child)  # threads share the table
    ctx = ev(e, 201, "procexit", ">", {"status": 0})
    assert ctx.thread is thread  # the exiting thread is still described by its event
    ev(e, 200, "read", ">", {"fd": 0})
    assert e.thread(201) is None


def test_live_events_fill_unknown_threads_from_ctx() -> None:
    e = StateEngine()
    task = TaskContext(pid=700, ppid=1, uid=33, gid=33, euid=33, loginuid=-1, comm="nginx",
                       cgroup_id=0, pidns=0, mntns=0, netns=0)  # fmt: skip
    ctx = e.process(SyscallEvent(1, 701, "connect", ">", {"fd": 3}, ctx=task))
    assert ctx.thread is not None and (ctx.thread.pid, ctx.thread.comm, ctx.thread.uid) == (
        700,
        "nginx",
        33,
    )


def test_failed_calls_and_results() -> None:
    e = _engine()
    ctx = call(e, 100, "open", {"name": "nope", "flags": 1, "mode": 0}, {"fd": -2, "name": "nope"})
    assert (ctx.fd_num, ctx.fd and ctx.fd.name) == (-1, "/home/u/nope")
    assert event_result(ctx.event) == -2
    ctx = call(
        e,
        100,
        "connect",
        {"fd": 0},
        {"res": -111, "tuple": SockTuple(AF_INET, "1.1.1.1", 1, "2.2.2.2", 2)},
    )
    assert e.fd_table(e.thread(100))[0].name == "/dev/pts/0"  # type: ignore[arg-type]


def test_tables_are_bounded() -> None:
    e = StateEngine(max_threads=32, max_fds_per_process=8)
    for tid in range(1000, 1200):
        ev(e, tid, "read", ">", {"fd": 0})
    assert len(e.threads) <= 32 and e.threads.evicted > 0
    for fd in range(20):
        call(e, 1199, "eventfd", {"initval": 0, "flags": 0}, {"res": fd})
    assert len(e.fd_table(e.thread(1199))) == 8 and e.dropped_fds == 12  # type: ignore[arg-type]


def test_process_exit_keeps_main_thread_until_its_threads_exit() -> None:
    e = _engine()
    base = {"exe": "bash", "args": (), "cwd": "", "uid": 1000, "gid": 1000, "ptid": 100}
    call(e, 100, "clone", {}, {**base, "res": 101, "tid": 100, "pid": 100, "flags": 1 << 13})
    ev(e, 100, "procexit", ">", {"status": 0})
    ev(e, 101, "read", ">", {"fd": 0})
    main = e.thread(100)
    assert main is not None and main.dead  # still there: thread 101 shares its fd table
    ctx = ev(e, 101, "read", "<", {"res": 1})
    assert ctx.fd is not None and ctx.fd.name == "/dev/pts/0"
    ev(e, 101, "procexit", ">", {"status": 0})
    ev(e, 1, "read", ">", {"fd": 0})
    assert e.thread(100) is None and e.thread(101) is None


def test_user_events_update_names() -> None:
    e = _engine()
    ev(e, 0, "user_added", ">", {"uid": 1000, "gid": 1000, "name": "alice", "home": "/h",
                                 "shell": "/bin/sh", "container_id": ""})  # fmt: skip
    thread = e.thread(100)
    assert thread is not None
    user = e.user(thread)
    assert user is not None and user.name == "alice"
    ev(e, 0, "user_deleted", ">", {"uid": 1000, "gid": 1000, "name": "alice", "container_id": ""})
    assert e.user(thread) is None


def test_udp_peer_from_sendto_marks_name_changed() -> None:
    e = _engine()
    call(e, 100, "socket", {"domain": AF_INET, "type": 2, "proto": 0}, {"fd": 3})
    dns = SockTuple(AF_INET, "0.0.0.0", 0, "8.8.8.8", 53)
    ctx = call(e, 100, "sendto", {"fd": 3, "size": 10, "tuple": dns}, {"res": 10})
    assert ctx.fd_name_changed and ctx.fd is not None and ctx.fd.name == "0.0.0.0:0->8.8.8.8:53"
    assert ctx.fd.l4proto == "udp"
    ctx = call(e, 100, "openat", {"dirfd": -100, "name": "../etc/x", "flags": 1},
               {"fd": 4, "dirfd": -100, "name": "../etc/x", "flags": 1})  # fmt: skip
    assert ctx.fd is not None and (ctx.fd.name, ctx.fd.nameraw) == ("/home/etc/x", "../etc/x")
    assert not ctx.fd_name_changed
