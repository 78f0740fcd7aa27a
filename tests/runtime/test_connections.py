"""The connection map's bookkeeping, fed through the real state engine with the events a
live sensor delivers (Falco's parameter names; the live tests in tests/app check the same
against real sockets): aggregation, linking, listeners, caps, JSON and saving."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.model.events import (
    AF_INET,
    AF_INET6,
    AF_UNIX,
    SockAddr,
    SockTuple,
    SyscallEvent,
    TaskContext,
    ThreadInfo,
)
from mamori.runtime.connections import ConnectionMap
from mamori.runtime.connections_model import Proc
from mamori.runtime.state import ContainerInfo, StateEngine

NS, OTHER_NS = 4026531840, 4026532999
CID = "d7aa26dbc2fd"
CGROUP = f"unified=/libpod_parent/libpod-{CID}{'0' * 52}"
SERVER, CLIENT, BOXED = 100, 200, 300


class World:
    """A state engine with a server, a host client and a client in a container."""

    def __init__(self, **limits: int | float) -> None:
        self.engine = StateEngine()
        self.engine.load_threads([
            ThreadInfo(SERVER, SERVER, 1, "nginx", "nginx", "/usr/sbin/nginx"),
            ThreadInfo(CLIENT, CLIENT, 1, "curl", "curl", "/usr/bin/curl"),
            ThreadInfo(BOXED, BOXED, 1, "wget", "wget", "/bin/busybox", cgroups=(CGROUP,)),
        ])  # fmt: skip
        self.map = ConnectionMap(local_addrs=frozenset({"127.0.0.1", "::1", "10.88.0.1"}),
                                 resolve_socket=None, **limits)  # type: ignore[arg-type]  # fmt: skip
        self.ts = 1_000_000_000

    def emit(self, tid: int, name: str, netns: int = NS, d: str = "<", **params: Any) -> None:
        self.ts += 1000
        ctx = TaskContext(tid, 1, 0, 0, 0, -1, "", 0, 0, 0, netns)
        self.map.observe(self.engine, self.engine.process(
            SyscallEvent(self.ts, tid, name, d, dict(params), ctx=ctx)))  # fmt: skip

    def server(self, fd: int, addr: SockAddr, kind: int = 1) -> None:
        self.emit(SERVER, "socket", fd=fd, domain=addr.family, type=kind, proto=0)
        self.emit(SERVER, "bind", res=0, fd=fd, addr=addr)
        if kind == 1:
            self.emit(SERVER, "listen", res=0, fd=fd, backlog=8)

    def connect(self, tid: int, fd: int, tup: SockTuple, res: int = 0, netns: int = NS) -> None:
        self.emit(tid, "socket", netns, fd=fd, domain=tup.family, type=1, proto=0)
        addr = SockAddr(tup.family, tup.dst, tup.dport)
        self.emit(tid, "connect", netns, res=res, fd=fd, tuple=tup, addr=addr)

    def accept(self, fd: int, tup: SockTuple) -> None:
        self.emit(SERVER, "accept4", fd=fd, tuple=tup, flags=0)

    def doc(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.map.to_dict()))  # type: ignore[no-any-return]


def _one(items: object, **match: object) -> dict[str, Any]:
    assert isinstance(items, list)
    found = [i for i in items if all(i.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, items)
    return found[0]  # type: ignore[no-any-return]


def test_connections_aggregate_and_link_by_tuple() -> None:
    w = World()
    w.server(3, SockAddr(AF_INET, "0.0.0.0", 8080))
    for i in range(3):
        tup = SockTuple(AF_INET, "127.0.0.1", 50000 + i, "127.0.0.1", 8080)
        w.connect(CLIENT, 4, tup)
        w.accept(5 + i, tup)
    doc = w.doc()
    listener = _one(doc["listeners"], port=8080)
    assert (listener["process"], listener["pid"], listener["addr"]) == ("nginx", SERVER, "0.0.0.0")
    assert listener["accepts"] == 3 and listener["active"] is True
    out = _one(doc["connections"], direction="out")
    assert (out["process"], out["exe"], out["peer"], out["port"], out["proto"]) == (
        "curl", "/usr/bin/curl", "127.0.0.1", 8080, "tcp")  # fmt: skip
    assert out["count"] == 3 and out["pids"] == [CLIENT]
    inbound = _one(doc["connections"], direction="in")
    assert (inbound["process"], inbound["port"], inbound["count"]) == ("nginx", 8080, 3)
    link = _one(doc["links"], port=8080)
    assert link["client"] == Proc("curl", "/usr/bin/curl", "host").to_dict()
    assert link["server"] == Proc("nginx", "/usr/sbin/nginx", "host").to_dict()
    assert (link["count"], link["via"]) == (3, "tuple")


def test_accept_before_connect_links_too() -> None:
    w = World()
    w.server(3, SockAddr(AF_INET6, "::1", 443))
    tup = SockTuple(AF_INET6, "::1", 40000, "::1", 443)
    w.accept(5, tup)
    w.connect(CLIENT, 4, tup)
    link = _one(w.doc()["links"], port=443)
    assert (link["addr"], link["count"], link["via"]) == ("::1", 1, "tuple")


def test_unanswered_connect_links_to_the_listener_it_reached() -> None:
    w = World(settle_after=1.0)
    w.server(3, SockAddr(AF_INET, "0.0.0.0", 5432))
    w.connect(BOXED, 4, SockTuple(AF_INET, "10.88.0.7", 41000, "10.88.0.1", 5432), netns=OTHER_NS)
    w.connect(CLIENT, 4, SockTuple(AF_INET, "192.0.2.2", 41001, "203.0.113.9", 5432))
    assert w.doc()["links"] == []  # still waiting for the accept
    w.ts += 2_000_000_000
    w.emit(CLIENT, "close", res=0, fd=4)
    (link,) = w.doc()["links"]
    assert link["via"] == "listener" and link["server"]["process"] == "nginx"
    assert link["client"] == {"process": "wget", "exe": "/bin/busybox", "container": CID}
    assert w.doc()["containers"] == {CID: {}}  # no metadata yet
    w.engine.containers.add(ContainerInfo(CID, "podman", "web", "docker.io/library/nginx:1"))
    assert w.doc()["containers"] == {CID: {"name": "web", "image": "docker.io/library/nginx:1"}}


def test_loopback_does_not_cross_network_namespaces() -> None:
    w = World(settle_after=0.0)
    w.server(3, SockAddr(AF_INET, "127.0.0.1", 9000))
    w.connect(BOXED, 4, SockTuple(AF_INET, "127.0.0.1", 41000, "127.0.0.1", 9000), netns=OTHER_NS)
    w.map.settle(force=True)
    assert w.doc()["links"] == []
    w.connect(CLIENT, 4, SockTuple(AF_INET, "127.0.0.1", 41001, "127.0.0.1", 9000))
    w.map.settle(force=True)
    assert _one(w.doc()["links"], port=9000)["client"]["process"] == "curl"


def test_failed_connects_are_counted_apart() -> None:
    w = World()
    w.connect(CLIENT, 4, SockTuple(AF_INET, "127.0.0.1", 41000, "127.0.0.1", 1), res=-111)
    flow = _one(w.doc()["connections"], port=1)
    assert (flow["count"], flow["failed"]) == (0, 1)


def test_unix_sockets_link_by_path() -> None:
    w = World()
    path = "/run/demo.sock"
    w.server(3, SockAddr(AF_UNIX, path))
    w.connect(CLIENT, 4, SockTuple(AF_UNIX, "", 0, path, 0))
    w.accept(6, SockTuple(AF_UNIX, "", 0, path, 0))
    doc = w.doc()
    assert _one(doc["listeners"], proto="unix")["addr"] == path
    assert _one(doc["connections"], direction="out")["peer"] == path
    link = _one(doc["links"], proto="unix")
    assert (link["addr"], link["via"], link["count"]) == (path, "listener", 1)


def test_closing_or_exiting_deactivates_listeners() -> None:
    w = World()
    w.server(3, SockAddr(AF_INET, "0.0.0.0", 80))
    w.server(4, SockAddr(AF_INET, "0.0.0.0", 81))
    w.emit(SERVER, "close", res=0, fd=3)
    doc = w.doc()
    assert _one(doc["listeners"], port=80)["active"] is False
    assert _one(doc["listeners"], port=81)["active"] is True
    w.emit(SERVER, "procexit", d=">", status=0)
    assert _one(w.doc()["listeners"], port=81)["active"] is False


def test_bytes_and_datagrams() -> None:
    w = World()
    tup = SockTuple(AF_INET, "127.0.0.1", 50000, "127.0.0.1", 8080)
    w.server(3, SockAddr(AF_INET, "127.0.0.1", 8080))
    w.connect(CLIENT, 4, tup)
    w.accept(5, tup)
    w.emit(CLIENT, "sendto", res=100, fd=4, size=100)
    w.emit(SERVER, "recvfrom", res=100, fd=5, size=4096)
    w.emit(SERVER, "sendto", res=7, fd=5, size=7)
    doc = w.doc()
    out, inbound = (
        _one(doc["connections"], direction="out"),
        _one(doc["connections"], direction="in"),
    )
    assert (out["bytes_out"], out["bytes_in"], out["count"]) == (100, None, 1)
    assert (inbound["bytes_in"], inbound["bytes_out"], inbound["count"]) == (100, 7, 1)
    # UDP without connect: each datagram to a server counts, with its bytes
    w.emit(CLIENT, "socket", fd=6, domain=AF_INET, type=2, proto=0)
    for _ in range(4):
        w.emit(CLIENT, "sendto", res=30, fd=6, size=30, addr=SockAddr(AF_INET, "192.0.2.53", 53),
               tuple=SockTuple(AF_INET, "0.0.0.0", 0, "192.0.2.53", 53))  # fmt: skip
    dns = _one(w.doc()["connections"], port=53)
    assert (dns["proto"], dns["count"], dns["bytes_out"], dns["peer"]) == (
        "udp",
        4,
        120,
        "192.0.2.53",
    )


def test_caps_evict_least_recently_seen() -> None:
    w = World(max_flows=5, max_pending=3)
    for i in range(20):
        w.connect(CLIENT, 4, SockTuple(AF_INET, "192.0.2.2", 40000 + i, f"198.51.100.{i}", 443))
    doc = w.doc()
    peers = {c["peer"] for c in doc["connections"]}
    assert peers == {f"198.51.100.{i}" for i in range(15, 20)}
    assert doc["evicted"] == {"listeners": 0, "connections": 15, "links": 0, "pending": 17}


def test_json_round_trip_and_atomic_save(tmp_path: Path) -> None:
    w = World()
    w.server(3, SockAddr(AF_INET, "0.0.0.0", 8080))
    tup = SockTuple(AF_INET, "127.0.0.1", 50000, "127.0.0.1", 8080)
    w.connect(CLIENT, 4, tup)
    w.accept(5, tup)
    path = tmp_path / "data" / "connections.json"
    w.map.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(path.parent) == ["connections.json"]  # no temporary file left
    assert json.loads(path.read_text()) == w.doc()
    again = ConnectionMap.load(path)
    assert again.to_dict() == w.map.to_dict()
    assert ConnectionMap.load(tmp_path / "absent.json").to_dict()["connections"] == []


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=12,
)
SECTIONS = st.fixed_dictionaries({}, optional={
    "listeners": st.lists(st.dictionaries(st.sampled_from(
        ["proto", "addr", "port", "pid", "netns", "process", "active", "accepts"]), JSONISH,
        max_size=5), max_size=5),
    "connections": st.lists(st.dictionaries(st.sampled_from(
        ["process", "direction", "peer", "port", "count", "bytes_in", "pids"]), JSONISH,
        max_size=5), max_size=5),
    "links": st.lists(st.dictionaries(st.sampled_from(["client", "server", "port", "via"]), JSONISH,
                                      max_size=4), max_size=5),
    "containers": JSONISH, "started": JSONISH, "updated": JSONISH,
})  # fmt: skip


@given(st.one_of(JSONISH, SECTIONS))
@settings(max_examples=100, deadline=None)
def test_from_dict_never_crashes(raw: object) -> None:
    restored = ConnectionMap.from_dict(raw)
    json.dumps(restored.to_dict())


EVENTS = st.lists(
    st.tuples(
        st.sampled_from([SERVER, CLIENT, BOXED]),
        st.sampled_from(["socket", "bind", "listen", "connect", "accept4", "close", "sendto",
                         "recvfrom", "procexit"]),
        st.integers(3, 6), st.integers(-120, 200), st.integers(0, 3),
    ),
    max_size=60,
)  # fmt: skip


@given(EVENTS)
@settings(max_examples=150, deadline=None)
def test_random_event_streams_keep_the_caps(events: list[tuple[int, str, int, int, int]]) -> None:
    w = World(max_flows=4, max_listeners=3, max_links=2, max_pending=2)
    for tid, name, fd, res, port in events:
        tup = SockTuple(AF_INET, "127.0.0.1", 40000 + port, "127.0.0.1", 80 + port)
        params: dict[str, Any] = {"fd": fd, "res": res, "tuple": tup, "domain": AF_INET,
                                    "addr": SockAddr(AF_INET, "127.0.0.1", 80 + port)}  # fmt: skip
        w.emit(tid, name, d=">" if name == "procexit" else "<", **params)
    doc = w.doc()
    assert len(doc["connections"]) <= 4 and len(doc["listeners"]) <= 3
    assert len(doc["links"]) <= 2


def test_port_zero_servers_learn_their_port() -> None:
    w = World()  # resolve_socket=None: as if the server exited before /proc was read
    w.server(3, SockAddr(AF_INET, "127.0.0.1", 0))
    assert _one(w.doc()["listeners"], pid=SERVER)["port"] == 0
    tup = SockTuple(AF_INET, "127.0.0.1", 50000, "127.0.0.1", 8080)
    w.connect(CLIENT, 4, tup)
    w.accept(5, tup)
    listener = _one(w.doc()["listeners"], pid=SERVER)
    assert (listener["port"], listener["accepts"]) == (8080, 1)
    w.server(6, SockAddr(AF_INET, "127.0.0.1", 0), kind=2)  # UDP
    w.emit(SERVER, "recvfrom", res=5, fd=6, size=64, addr=SockAddr(AF_INET, "127.0.0.1", 40000),
           tuple=SockTuple(AF_INET, "127.0.0.1", 5353, "127.0.0.1", 40000))  # fmt: skip
    udp = _one(w.doc()["listeners"], proto="udp")
    assert (udp["port"], udp["addr"]) == (5353, "127.0.0.1")
    flow = _one(w.doc()["connections"], proto="udp")
    assert (flow["direction"], flow["port"], flow["peer"], flow["count"]) == (
        "in",
        5353,
        "127.0.0.1",
        1,
    )
