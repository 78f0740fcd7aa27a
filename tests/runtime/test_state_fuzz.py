"""The state engine never fails on hostile event streams, and stays within its bounds."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model.events import AF_INET, AF_UNIX, SockAddr, SockTuple, SyscallEvent
from mamori.runtime.state import StateEngine, detect

NAMES = [
    "open", "openat", "openat2", "creat", "close", "dup", "dup2", "dup3", "fcntl", "read",
    "write", "socket", "connect", "accept", "accept4", "bind", "pipe", "pipe2", "socketpair",
    "clone", "clone3", "fork", "vfork", "execve", "execveat", "procexit", "chdir", "fchdir",
    "chroot", "setuid", "setresuid", "setgid", "capset", "sendto", "recvfrom", "eventfd",
    "memfd_create", "signalfd", "procinfo", "switch", "syscall",
]  # fmt: skip
KEYS = ["fd", "res", "dirfd", "name", "path", "flags", "oldfd", "newfd", "fd1", "fd2", "tuple",
        "addr", "pid", "ptid", "tid", "exe", "args", "comm", "cgroups", "uid", "euid", "cmd",
        "filename", "domain", "type", "cwd", "env"]  # fmt: skip

values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.integers(min_value=-200, max_value=20),
    st.text(max_size=30),
    st.sampled_from(["/", "..", "a/../../b", "", "//x//", "cpu=/docker/" + "a" * 64]),
    st.binary(max_size=20),
    st.tuples(st.text(max_size=10), st.text(max_size=10)),
    st.builds(SockAddr, st.sampled_from([AF_INET, AF_UNIX, 99]), st.text(max_size=10)),
    st.builds(
        SockTuple,
        st.sampled_from([AF_INET, AF_UNIX, 7]),
        st.text(max_size=8),
        st.integers(0, 65535),
        st.text(max_size=8),
        st.integers(0, 65535),
    ),
)
events = st.builds(
    SyscallEvent,
    ts=st.integers(0, 2**40),
    tid=st.integers(-2, 12),
    name=st.sampled_from(NAMES),
    dir=st.sampled_from([">", "<"]),
    params=st.dictionaries(st.sampled_from(KEYS), values, max_size=8),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, max_size=80))
def test_hostile_event_streams(stream: list[SyscallEvent]) -> None:
    engine = StateEngine(max_threads=16, max_fds_per_process=8)
    for event in stream:
        ctx = engine.process(event)
        if ctx.thread is not None:
            assert len(engine.fd_table(ctx.thread)) <= 8
            engine.ancestor(ctx.thread, 5)
            engine.user(ctx.thread)
    assert len(engine.threads) <= 16


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=6))
def test_cgroup_parser_never_fails(cgroups: list[str]) -> None:
    identity = detect(cgroups)
    assert identity.id == "host" or len(identity.id) == 12


def test_parent_cycles_are_bounded() -> None:
    engine = StateEngine()
    for tid, ptid in ((10, 11), (11, 10)):
        engine.process(SyscallEvent(1, tid, "read", ">", {"fd": 0}))
        engine.threads.get(tid).ptid = ptid  # type: ignore[union-attr]
    thread = engine.thread(10)
    assert thread is not None
    assert [t.tid for t in engine.threads.ancestors(thread)] == [11]
    assert engine.ancestor(thread, 3) is None
