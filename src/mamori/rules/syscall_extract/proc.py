"""``proc.*`` and ``thread.*`` extractors, read from the state engine's thread table.

``t`` is the event's thread (None for an internal event of a thread never seen:
every field is then not available). Process-wide facts (fd table, cwd, parent id,
start time) live on the process's main thread, as in libsinsp. A thread the engine
created on the fly for an event of an unseen tid (``known`` False) has a tid and a pid
but no name, command line or executable: sysdig prints ``<NA>`` for those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mamori.rules.source import FieldInfo, FieldRef
from mamori.rules.syscall_extract.view import EventView
from mamori.runtime.state import StateEngine, ThreadState

Getter = Callable[[EventView], Any]
ThreadFn = Callable[[ThreadState], Any]

# Falco's login shells (proc.loginshellid: the oldest of these among the ancestors).
_SHELLS = frozenset({"ash", "bash", "csh", "ksh", "sh", "tcsh", "zsh", "dash"})
_CAP_NAMES = (
    "CAP_CHOWN CAP_DAC_OVERRIDE CAP_DAC_READ_SEARCH CAP_FOWNER CAP_FSETID CAP_KILL "
    "CAP_SETGID CAP_SETUID CAP_SETPCAP CAP_LINUX_IMMUTABLE CAP_NET_BIND_SERVICE "
    "CAP_NET_BROADCAST CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_IPC_OWNER CAP_SYS_MODULE "
    "CAP_SYS_RAWIO CAP_SYS_CHROOT CAP_SYS_PTRACE CAP_SYS_PACCT CAP_SYS_ADMIN CAP_SYS_BOOT "
    "CAP_SYS_NICE CAP_SYS_RESOURCE CAP_SYS_TIME CAP_SYS_TTY_CONFIG CAP_MKNOD CAP_LEASE "
    "CAP_AUDIT_WRITE CAP_AUDIT_CONTROL CAP_SETFCAP CAP_MAC_OVERRIDE CAP_MAC_ADMIN "
    "CAP_SYSLOG CAP_WAKE_ALARM CAP_BLOCK_SUSPEND CAP_AUDIT_READ CAP_PERFMON CAP_BPF "
    "CAP_CHECKPOINT_RESTORE"
)
CAPABILITIES = tuple(_CAP_NAMES.split())


def capabilities(mask: int) -> str:
    """A capability set as Falco prints it: names separated by spaces."""
    return " ".join(name for bit, name in enumerate(CAPABILITIES) if mask >> bit & 1)


def _name(t: ThreadState) -> str | None:
    return t.comm if t.known and t.comm else None


def _exe(t: ThreadState) -> str | None:
    return t.exe if t.known else None


def _exepath(t: ThreadState) -> str | None:
    return t.exepath


def _cmdline(t: ThreadState) -> str | None:
    if not t.known:
        return None
    return " ".join((t.comm, *t.args)) if t.args else t.comm


def _args(t: ThreadState) -> str | None:
    return " ".join(t.args)


def _exeline(t: ThreadState) -> str | None:
    return f"{t.exe} {' '.join(t.args)}" if t.known else None


def on_thread(fn: ThreadFn) -> Getter:
    def get(v: EventView) -> Any:
        t = v.thread
        return None if t is None else fn(t)

    return get


def on_main(fn: Callable[[StateEngine, ThreadState, EventView], Any]) -> Getter:
    def get(v: EventView) -> Any:
        t = v.thread
        if t is None:
            return None
        return fn(v.engine, v.engine.main_thread(t), v)

    return get


def on_parent(fn: ThreadFn) -> Getter:
    def get(v: EventView) -> Any:
        t = v.thread
        if t is None:
            return None
        parent = v.engine.parent(t)
        return None if parent is None else fn(parent)

    return get


def ancestors(engine: StateEngine, t: ThreadState) -> Iterator[ThreadState]:
    return engine.threads.ancestors(t)


def _leader(engine: StateEngine, t: ThreadState, attr: str) -> ThreadState:
    """The session (``sid``) or process group (``vpgid``) leader as libsinsp finds it:
    the process whose pid is the id, else the eldest ancestor sharing the id."""
    main = engine.main_thread(t)
    wanted = getattr(main, attr)
    leader = main
    if main.pid == wanted:
        return main
    for a in ancestors(engine, main):
        if getattr(a, attr) != wanted:
            break
        leader = a
        if a.pid == wanted:
            break
    return leader


def _loginshell(engine: StateEngine, t: ThreadState) -> int | None:
    found = None
    for a in (engine.main_thread(t), *ancestors(engine, t)):
        if a.comm in _SHELLS:
            found = a.pid
    return found


def _env(env: tuple[str, ...], key: str) -> str | None:
    prefix = key + "="
    for item in env:
        if item.startswith(prefix):
            return item[len(prefix) :]
    return None


def _duration(engine: StateEngine, main: ThreadState, v: EventView) -> int | None:
    t = v.thread
    start = t.clone_ts if t is not None and t.clone_ts else main.clone_ts
    return v.ts - start if start else None


def _parent_duration(engine: StateEngine, main: ThreadState, v: EventView) -> int | None:
    parent = engine.parent(main)
    if parent is None or not parent.clone_ts:
        return None
    return v.ts - parent.clone_ts


def _nthreads(_e: StateEngine, main: ThreadState, _v: EventView) -> int:
    return main.live_threads + (0 if main.dead else 1)


def _fdusage(_e: StateEngine, main: ThreadState, _v: EventView) -> float | None:
    return len(main.fds) * 100.0 / main.fdlimit if main.fdlimit > 0 else None


def _cgroup(t: ThreadState, subsystem: str) -> str | None:
    prefix = subsystem + "="
    for item in t.cgroups:
        if item.startswith(prefix):
            return item[len(prefix) :]
    return None


SIMPLE: dict[str, Getter] = {
    "proc.name": on_thread(_name),
    "proc.exe": on_thread(_exe),
    "proc.exepath": on_thread(_exepath),
    "proc.args": on_thread(_args),
    "proc.cmdline": on_thread(_cmdline),
    "proc.exeline": on_thread(_exeline),
    "proc.cmdnargs": on_thread(lambda t: len(t.args) if t.known else None),
    "proc.cmdlenargs": on_thread(lambda t: sum(map(len, t.args)) if t.known else None),
    "proc.pname": on_parent(_name),
    "proc.pexe": on_parent(_exe),
    "proc.pexepath": on_parent(_exepath),
    "proc.pcmdline": on_parent(_cmdline),
    "proc.pid": on_thread(lambda t: t.pid),
    "proc.ppid": on_main(lambda _e, m, _v: m.ptid),
    "proc.vpid": on_thread(lambda t: t.vpid if t.vpid != -1 else None),
    "proc.pvpid": on_parent(lambda p: p.vpid),
    "proc.cwd": lambda v: None if v.thread is None else v.engine.cwd_of(v.thread),
    "proc.tty": on_thread(lambda t: t.tty),
    "proc.sid": on_thread(lambda t: t.sid),
    "proc.sname": on_main(lambda e, m, _v: _name(_leader(e, m, "sid"))),
    "proc.sid.exe": on_main(lambda e, m, _v: _exe(_leader(e, m, "sid"))),
    "proc.sid.exepath": on_main(lambda e, m, _v: _exepath(_leader(e, m, "sid"))),
    "proc.vpgid": on_thread(lambda t: t.vpgid),
    "proc.vpgid.name": on_main(lambda e, m, _v: _name(_leader(e, m, "vpgid"))),
    "proc.vpgid.exe": on_main(lambda e, m, _v: _exe(_leader(e, m, "vpgid"))),
    "proc.vpgid.exepath": on_main(lambda e, m, _v: _exepath(_leader(e, m, "vpgid"))),
    "proc.is_sid_leader": on_thread(lambda t: t.sid == t.vpid),
    "proc.is_vpgid_leader": on_thread(lambda t: t.vpgid == t.vpid),
    "proc.loginshellid": on_main(lambda e, m, _v: _loginshell(e, m)),
    "proc.duration": on_main(_duration),
    "proc.ppid.duration": on_main(_parent_duration),
    "proc.pid.ts": on_main(lambda _e, m, _v: m.clone_ts or None),
    "proc.ppid.ts": on_parent(lambda p: p.clone_ts or None),
    "proc.is_exe_writable": on_thread(lambda t: t.exe_writable),
    "proc.is_exe_upper_layer": on_thread(lambda t: t.exe_upper_layer),
    "proc.is_exe_from_memfd": on_thread(lambda t: t.exe_from_memfd),
    "proc.exe_ino": on_thread(lambda t: t.exe_ino or None),
    "proc.is_container_healthcheck": on_thread(lambda _t: False),
    "proc.is_container_liveness_probe": on_thread(lambda _t: False),
    "proc.is_container_readiness_probe": on_thread(lambda _t: False),
    "proc.fdopencount": on_main(lambda _e, m, _v: len(m.fds)),
    "proc.fdlimit": on_main(lambda _e, m, _v: m.fdlimit),
    "proc.fdusage": on_main(_fdusage),
    "proc.nthreads": on_main(_nthreads),
    "proc.nchilds": on_main(lambda _e, m, _v: m.live_threads),
    "thread.tid": lambda v: v.event.tid if v.thread is None else v.thread.tid,
    "thread.ismain": on_thread(lambda t: t.tid == t.pid),
    "thread.vtid": on_thread(lambda t: t.vtid if t.vtid != -1 else None),
    "thread.cap_permitted": on_thread(lambda t: capabilities(t.cap_permitted)),
    "thread.cap_effective": on_thread(lambda t: capabilities(t.cap_effective)),
    "thread.cap_inheritable": on_thread(lambda t: capabilities(t.cap_inheritable)),
    "thread.cgroups": on_thread(lambda t: " ".join(t.cgroups) if t.cgroups else None),
}


_ANCESTOR_FIELDS: dict[str, ThreadFn] = {
    "proc.aname": _name,
    "proc.apid": lambda t: t.pid,
    "proc.aexe": _exe,
    "proc.aexepath": _exepath,
    "proc.acmdline": _cmdline,
}


def ancestor_field(ref: FieldRef, _info: FieldInfo) -> Getter:
    """``proc.aname[n]`` (n=0 the process itself) or, without an index, a tuple of every
    ancestor's value (parent first): a comparison matches when any ancestor matches."""
    fn = _ANCESTOR_FIELDS[ref.name]
    if ref.arg is not None:
        level = int(ref.arg)

        def nth(v: EventView) -> Any:
            t = v.thread
            if t is None or level < 0:
                return None
            a = v.engine.ancestor(t, level)
            return None if a is None else fn(a)

        return nth

    def any_ancestor(v: EventView) -> Any:
        t = v.thread
        if t is None:
            return None
        values = tuple(x for x in map(fn, ancestors(v.engine, t)) if x is not None)
        return values or None

    return any_ancestor


def env_field(ref: FieldRef, _info: FieldInfo) -> Getter:
    """``proc.env`` (all, space separated) / ``proc.env[NAME]``; ``proc.aenv[NAME]`` looks
    in the process then its ancestors, ``proc.aenv`` alone is the parent's environment."""
    key = ref.arg
    among_ancestors = ref.name == "proc.aenv"

    def get(v: EventView) -> Any:
        t = v.thread
        if t is None:
            return None
        main = v.engine.main_thread(t)
        if key is None:
            if among_ancestors:
                parent = v.engine.parent(main)
                return None if parent is None else " ".join(parent.env)
            return " ".join(t.env or main.env)
        found = _env(t.env or main.env, key)
        if found is None and among_ancestors:
            for a in ancestors(v.engine, t):
                found = _env(a.env, key)
                if found is not None:
                    break
        return found

    return get


def cgroup_field(ref: FieldRef, _info: FieldInfo) -> Getter:
    subsystem = ref.arg or ""
    return on_thread(lambda t: _cgroup(t, subsystem))
