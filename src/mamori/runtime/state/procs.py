"""Process lifecycle: clone/fork/vfork/clone3, execve/execveat, procexit, and the
per-process attributes other syscalls change (cwd, root, credentials, capabilities).

Semantics follow libsinsp's parsers: a clone's child inherits from its parent (the
same process for a thread, a copy of the fd table and working directory for a new
process); a successful exec replaces exe, args, comm, environment and cgroups; an exit
removes the thread after its event has been seen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mamori.model.events import SyscallEvent
from mamori.runtime.state.model import UNKNOWN, ThreadState
from mamori.runtime.state.paths import join
from mamori.runtime.state.semantics import (
    CL_CLONE_THREAD,
    EXE_FROM_MEMFD,
    EXE_UPPER_LAYER,
    EXE_WRITABLE,
    as_int,
    as_str,
)

if TYPE_CHECKING:
    from mamori.runtime.state.engine import StateEngine


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return None


def on_clone_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    p = event.params
    res = as_int(p.get("res"))
    if res < 0:
        return
    flags = as_int(p.get("flags"), 0)
    if res == 0:
        # The child's side: the event's thread is the child. Create it if the
        # parent's side has not been seen yet (the child may run first).
        if thread.known and thread.clone_ts:
            return
        child_tid = event.tid
        caller = engine.threads.get(as_int(p.get("ptid"))) if not flags & CL_CLONE_THREAD else None
        pid = as_int(p.get("pid"), child_tid)
        ptid = as_int(p.get("ptid"))
        _make_child(engine, caller, child_tid, pid, ptid, flags, event, replace=thread)
        return
    if engine.threads.get(res) is not None and engine.threads.get(res).known:  # type: ignore[union-attr]
        return  # the child's side came first
    if flags & CL_CLONE_THREAD:
        pid = thread.pid if thread.known else as_int(p.get("pid"), thread.pid)
        ptid = thread.tid  # Falco: a thread's parent is the thread that cloned it
    else:
        pid, ptid = res, thread.pid if thread.known else as_int(p.get("pid"), thread.pid)
    _make_child(engine, thread, res, pid, ptid, flags, event, replace=None)


def _make_child(
    engine: StateEngine,
    parent: ThreadState | None,
    tid: int,
    pid: int,
    ptid: int,
    flags: int,
    event: SyscallEvent,
    replace: ThreadState | None,
) -> None:
    p = event.params
    child = replace if replace is not None else ThreadState(tid=tid, pid=pid)
    child.tid, child.pid, child.ptid = tid, pid, ptid
    child.known = True
    child.clone_ts = event.ts
    child.last_ts = event.ts
    child.clone_flags = flags
    if parent is not None:
        for attr in ("exepath", "env", "root", "loginuid", "sid", "vpgid", "tty", "euid", "egid",
                     "exe_ino", "exe_writable", "exe_upper_layer", "exe_from_memfd",
                     "cap_permitted", "cap_effective", "cap_inheritable"):  # fmt: skip
            setattr(child, attr, getattr(parent, attr))
        parent_proc = engine.threads.main_thread(parent)
        if not flags & CL_CLONE_THREAD:
            child.cwd = parent_proc.cwd
            child.fds = {fd: entry.copy(fd) for fd, entry in parent_proc.fds.items()}
    child.comm = as_str(p.get("comm")) or (parent.comm if parent else as_str(p.get("exe")))
    child.exe = as_str(p.get("exe"), parent.exe if parent else "")
    args = _strings(p.get("args"))
    child.args = args if args is not None else (parent.args if parent else ())
    child.fdlimit = as_int(p.get("fdlimit"), 0)
    child.uid = as_int(p.get("uid"), parent.uid if parent else UNKNOWN)
    child.gid = as_int(p.get("gid"), parent.gid if parent else UNKNOWN)
    cgroups = _strings(p.get("cgroups"))
    if cgroups is not None:
        engine.set_cgroups(child, cgroups)
    elif parent is not None:
        child.cgroups, child.container_id, child.pod_uid = (
            parent.cgroups, parent.container_id, parent.pod_uid,
        )  # fmt: skip
    if "vtid" in p:
        child.vtid = as_int(p.get("vtid"))
        child.vpid = as_int(p.get("vpid"))
    engine.threads.add(child)
    if child.tid != child.pid:
        main = engine.threads.get(child.pid)
        if main is not None:
            main.live_threads += 1


def on_exec_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    p = event.params
    if as_int(p.get("res")) != 0:
        return
    enter = (
        thread.last_enter if thread.last_enter and thread.last_enter.name == event.name else None
    )
    thread.known = True
    thread.exe = as_str(p.get("exe"), thread.exe)
    args = _strings(p.get("args"))
    if args is not None:
        thread.args = args
    comm = as_str(p.get("comm"))
    thread.comm = comm or thread.exe.rsplit("/", 1)[-1]
    env = _strings(p.get("env"))
    if env is not None:
        thread.env = env
    if "tid" in p and "pid" in p:
        thread.pid = as_int(p.get("pid"), thread.pid)
        if thread.ptid == UNKNOWN or not thread.known:
            thread.ptid = as_int(p.get("ptid"), thread.ptid)
    thread.fdlimit = as_int(p.get("fdlimit"), thread.fdlimit)
    cgroups = _strings(p.get("cgroups"))
    if cgroups is not None:
        engine.set_cgroups(thread, cgroups)
    if "tty" in p:
        thread.tty = as_int(p.get("tty"), 0)
    if "loginuid" in p:
        thread.loginuid = as_int(p.get("loginuid"))
    if "uid" in p:
        thread.uid = thread.euid = as_int(p.get("uid"), thread.uid)
    if "gid" in p:
        thread.gid = thread.egid = as_int(p.get("gid"), thread.gid)
    flags = as_int(p.get("flags"), 0)
    if "flags" in p:
        thread.exe_writable = bool(flags & EXE_WRITABLE)
        thread.exe_upper_layer = bool(flags & EXE_UPPER_LAYER)
        thread.exe_from_memfd = bool(flags & EXE_FROM_MEMFD)
    for cap in ("cap_permitted", "cap_effective", "cap_inheritable", "exe_ino"):
        if cap in p:
            setattr(thread, cap, as_int(p.get(cap), 0))
    thread.exepath = _exepath(engine, thread, event, enter)
    engine.after_exec(thread)


def _exepath(
    engine: StateEngine, thread: ThreadState, event: SyscallEvent, enter: SyscallEvent | None
) -> str:
    trusted = as_str(event.params.get("trusted_exepath"))
    if trusted:
        return trusted
    if enter is not None:
        name = as_str(enter.params.get("filename")) or as_str(enter.params.get("pathname"))
        if name:
            return join(engine.cwd_of(thread), name)
    return thread.exe if thread.exe.startswith("/") else thread.exepath


def on_procexit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    thread.dead = True
    engine.remove_after_event(thread.tid)


def on_chdir_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    if as_int(event.params.get("res")) != 0:
        return
    path = as_str(event.params.get("path"))
    if path:
        engine.set_cwd(thread, join(engine.cwd_of(thread), path))


def on_fchdir_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    if as_int(event.params.get("res")) != 0 or thread.last_enter is None:
        return
    entry = engine.fd_table(thread).get(as_int(thread.last_enter.params.get("fd")))
    if entry is not None and entry.name:
        engine.set_cwd(thread, entry.name)


def on_chroot_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    if as_int(event.params.get("res")) == 0:
        path = as_str(event.params.get("path"))
        if path:
            engine.threads.main_thread(thread).root = join(engine.cwd_of(thread), path)


def on_creds_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    """setuid/setgid/setresuid/setresgid: the new ids come from the enter event."""
    if as_int(event.params.get("res")) != 0 or thread.last_enter is None:
        return
    if thread.last_enter.name != event.name:
        return
    ep = thread.last_enter.params
    if event.name == "setuid":
        thread.uid = thread.euid = as_int(ep.get("uid"), thread.uid)
    elif event.name == "setgid":
        thread.gid = thread.egid = as_int(ep.get("gid"), thread.gid)
    elif event.name == "setresuid":
        euid = as_int(ep.get("euid"))
        if 0 <= euid < 0xFFFFFFFF:
            thread.uid = thread.euid = euid
    elif event.name == "setresgid":
        egid = as_int(ep.get("egid"))
        if 0 <= egid < 0xFFFFFFFF:
            thread.gid = thread.egid = egid


def on_capset_exit(engine: StateEngine, thread: ThreadState, event: SyscallEvent) -> None:
    if as_int(event.params.get("res")) != 0:
        return
    for cap in ("cap_permitted", "cap_effective", "cap_inheritable"):
        if cap in event.params:
            setattr(thread, cap, as_int(event.params.get(cap), 0))
