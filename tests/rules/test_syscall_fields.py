"""The ``syscall`` extractors on hand-built state: the semantics sysdig 0.29 cannot show
(fields it lacks, ``proc.aname`` without index, ``fd.port``'s "either end", container
and Kubernetes metadata), compiled through real rule conditions; and a fuzz test: no
event, however malformed its parameters, makes any getter raise."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.model.events import AF_INET, SockTuple, SyscallEvent, ThreadInfo
from mamori.rules import load
from mamori.rules.sources.syscall import SYSCALL
from mamori.rules.syscall_extract import EventView, Session, extracted_fields
from mamori.runtime.state import StateEngine, User

POD_CGROUP = "/kubepods/besteffort/pod1b2c3d4e-0000-4000-8000-123456789abc/" + "cd" * 32


def _engine() -> StateEngine:
    e = StateEngine()
    e.load_threads(
        [
            ThreadInfo(1, 1, 0, "systemd", exe="/sbin/init", clone_ts=1),
            ThreadInfo(100, 100, 1, "sshd", exe="/usr/sbin/sshd", sid=100),
            ThreadInfo(200, 200, 100, "bash", exe="bash", sid=200, uid=1000, loginuid=1000),
            ThreadInfo(
                300,
                300,
                200,
                "cat",
                exe="cat",
                args=("/etc/shadow",),
                sid=200,
                uid=1000,
                loginuid=1000,
                env=("HOME=/home/u",),
                cwd="/tmp",
                clone_ts=5_000,
                cap_effective=(1 << 21) | 1,
            ),
            ThreadInfo(400, 400, 1, "nginx", exe="nginx", cgroups=(f"cpu={POD_CGROUP}",)),
        ]
    )
    e.users.add_user(User(1000, 1000, "alice", "/home/alice", "/bin/bash"))
    return e


def _view(e: StateEngine, ev: SyscallEvent, session: Session | None = None) -> EventView:
    s = session or Session(e)
    s.observe(ev)
    return s.view(e.process(ev))


def _get(view: EventView, field: str) -> Any:
    name, _, arg = field.partition("[")
    _info, ref = SYSCALL.resolve(name, arg[:-1] if arg else None)
    return SYSCALL.compile_field(ref)(view)


def _matches(view: EventView, condition: str) -> bool:
    text = json.dumps([{"rule": "r", "desc": "d", "condition": condition, "output": "o",
                        "priority": "INFO"}])  # fmt: skip
    rs = load([("t.yaml", text)])
    assert not rs.result.errors, [str(x) for x in rs.result.errors]
    return bool(rs.match(view))


def test_process_and_ancestry() -> None:
    e = _engine()
    open_exit = SyscallEvent(10_000, 300, "openat", "<",
                             {"fd": 3, "dirfd": -100, "name": "/etc/shadow", "flags": 4097,
                              "mode": 0, "dev": 0})  # fmt: skip
    v = _view(e, open_exit)
    assert _get(v, "proc.cmdline") == "cat /etc/shadow"
    assert _get(v, "proc.pname") == "bash"
    assert _get(v, "proc.aname[2]") == "sshd"
    assert _get(v, "proc.aname[0]") == "cat"
    assert _get(v, "proc.apid[3]") == 1
    assert _get(v, "proc.aname") == ("bash", "sshd", "systemd")
    assert _get(v, "proc.sname") == "bash"
    assert _get(v, "proc.duration") == 5_000
    assert _get(v, "proc.env[HOME]") == "/home/u"
    assert _get(v, "proc.loginshellid") == 200
    assert _get(v, "thread.cap_effective") == "CAP_CHOWN CAP_SYS_ADMIN"
    assert _get(v, "user.name") == "alice" and _get(v, "user.loginname") == "alice"
    assert _get(v, "fd.name") == "/etc/shadow" and _get(v, "fd.directory") == "/etc"
    assert _get(v, "evt.arg.flags") == "O_RDONLY|O_CLOEXEC"
    assert _get(v, "evt.is_open_read") is True and _get(v, "evt.is_open_write") is False
    assert _get(v, "evt.res") == "SUCCESS" and _get(v, "evt.failed") is False
    assert _matches(v, "evt.type=openat and proc.aname=sshd and not proc.aname=nginx")
    assert _matches(v, "proc.aname[2] in (sshd, dropbear) and fd.name pmatch (/etc)")
    assert not _matches(v, "evt.type=openat and proc.aname[1]=sshd")


def test_failed_call_and_rendering() -> None:
    e = _engine()
    ev = SyscallEvent(10_000, 300, "openat", "<",
                      {"fd": -2, "dirfd": -100, "name": "nope", "flags": 1, "mode": 0})  # fmt: skip
    v = _view(e, ev)
    assert _get(v, "evt.res") == "ENOENT" and _get(v, "evt.rawres") == -2
    assert _get(v, "evt.failed") is True
    assert _matches(v, "evt.type=openat and evt.res=ENOENT and evt.rawres<0")


def test_fd_port_is_either_end() -> None:
    e = _engine()
    e.process(SyscallEvent(1, 300, "socket", ">", {"domain": AF_INET, "type": 2, "proto": 0}))
    e.process(SyscallEvent(2, 300, "socket", "<", {"fd": 5}))
    e.process(SyscallEvent(3, 300, "connect", ">", {"fd": 5}))
    tup = SockTuple(AF_INET, "10.0.0.2", 40000, "8.8.8.8", 53)
    v = _view(e, SyscallEvent(4, 300, "connect", "<", {"res": 0, "tuple": tup, "fd": 5}))
    assert _get(v, "fd.sport") == 53 and _get(v, "fd.cport") == 40000
    assert _get(v, "fd.lip") == "10.0.0.2" and _get(v, "fd.rip") == "8.8.8.8"
    assert _matches(v, "fd.port in (53, 5353)")
    assert _matches(v, "fd.port=40000 and fd.sip=8.8.8.8 and fd.snet=8.8.0.0/16")
    assert not _matches(v, "fd.port in (80, 443)")


def test_container_and_kubernetes_fields() -> None:
    e = _engine()
    labels = {"io.kubernetes.pod.name": "web", "io.kubernetes.pod.namespace": "prod", "app": "web"}
    mount = {"Source": "/proc", "Destination": "/host/proc", "Mode": "", "RW": True}
    body = {"id": "cd" * 6, "name": "k8s_nginx_web", "image": "nginx:1.25", "privileged": True}
    doc = {"container": {**body, "type": 9, "Mounts": [mount], "labels": labels}}
    e.process(SyscallEvent(1, 400, "container", ">", {"json": json.dumps(doc)}))
    v = _view(e, SyscallEvent(2, 400, "execve", "<", {"res": 0}))
    assert _get(v, "container.id") == "cd" * 6
    assert _get(v, "container.image.repository") == "nginx"
    assert _get(v, "container.image.tag") == "1.25"
    assert _get(v, "container.privileged") is True
    assert _get(v, "container.mount.dest[/proc*]") == "/host/proc"
    assert _get(v, "k8s.ns.name") == "prod" and _get(v, "k8s.pod.name") == "web"
    assert _get(v, "k8s.pod.label[app]") == "web"
    assert _matches(v, 'container.mount.dest[/proc*] != "N/A" and k8s.ns.name=prod')
    host = _view(e, SyscallEvent(3, 300, "execve", "<", {"res": 0}))
    assert _get(host, "container.id") == "host" and _get(host, "container.name") == "host"
    assert _get(host, "container.image") is None and _get(host, "k8s.ns.name") is None


Raw = tuple[str, str, int, dict[str, Any]]
_PARAM = st.one_of(
    st.none(), st.integers(-(2**63), 2**64), st.text(max_size=20), st.binary(max_size=20),
    st.tuples(st.text(max_size=5)),
    st.builds(SockTuple, st.sampled_from([1, 2, 10]), st.text(max_size=8),
              st.integers(0, 65535), st.text(max_size=8), st.integers(0, 65535)),
)  # fmt: skip
_NAMES = ["open", "openat", "execve", "connect", "close", "read", "clone", "procexit",
          "container", "mmap", "ptrace", "setuid", "<unknown>", "dup2", "socket"]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(
        st.tuples(st.sampled_from(_NAMES), st.sampled_from("<>"), st.integers(1, 500),
                  st.dictionaries(st.sampled_from(["fd", "res", "flags", "name", "tuple",
                                                   "uid", "json", "dirfd", "mode", "data"]),
                                  _PARAM, max_size=5)),
        max_size=8,
    )
)  # fmt: skip
def test_no_getter_raises_on_malformed_events(
    events: list[tuple[str, str, int, dict[str, Any]]],
) -> None:
    e = _engine()
    session = Session(e)
    getters = []
    for name in sorted(extracted_fields()):
        info = SYSCALL.fields[name]
        arg = None if info.arg is None or not info.arg.required else "1"
        getters.append(SYSCALL.compile_field(SYSCALL.resolve(name, arg)[1]))
    for n, (name, direction, tid, params) in enumerate(events):
        v = _view(e, SyscallEvent(n + 1, tid, name, direction, dict(params), num=n + 1), session)
        for g in getters:
            g(v)
