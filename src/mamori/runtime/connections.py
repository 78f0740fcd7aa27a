"""The connection map: which process listens where, and which process talks to which.

Built from the same ``EventContext`` stream the rules engine sees (``observe`` after
``StateEngine.process``), it keeps three bounded tables:

- **listeners**: TCP/unix sockets that called ``listen`` and bound UDP sockets, with the
  owning process and container (those alive at start-up come from /proc: ``seed``);
- **flows**: connections aggregated by (process name + exe + container, direction, l4
  protocol, peer address, server port) with counts, failures, bytes when the data-path
  syscalls are captured, first/last seen and a few example pids;
- **links**: both ends on this host. A ``connect`` and an ``accept`` with the same socket
  tuple are the two ends of one connection (``via: tuple``); a connect whose other end
  was not seen within ``settle_after`` seconds is linked to the local listener it
  reached, if one is known (``via: listener``), as is every unix-socket connect.

Each table evicts its least recently seen entry when full and counts evictions.
``to_dict``/``from_dict`` give the JSON form that ``save`` writes atomically.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, SockAddr, SockTuple
from mamori.runtime import connections_model as m
from mamori.runtime.connections_listeners import ListenerTable
from mamori.runtime.connections_model import Flow, FlowKey, Link, LinkKey, Listener, norm
from mamori.runtime.connections_proc import (
    SocketEntry,
    listening_sockets,
    local_addresses,
    local_socket,
)
from mamori.runtime.connections_store import decode, encode
from mamori.runtime.state import EventContext, StateEngine
from mamori.runtime.state.model import FdState, ThreadState
from mamori.runtime.state.semantics import as_int

EINPROGRESS = -115
_DATA = {"sendto": True, "sendmsg": True, "recvfrom": False, "recvmsg": False}
CONNECTION_EVENTS = frozenset(
    {"socket", "bind", "listen", "connect", "accept", "accept4", "close", "procexit"}
)
"""What the map needs captured (with process life cycle events for the state engine)."""
DATA_EVENTS = frozenset(_DATA)
"""Add these for byte counts (chatty: one event per send/receive call)."""

_TupleKey = tuple[str, int, str, int]


def _proto(entry: FdState | None, family: int, default: str) -> str:
    if family == AF_UNIX:
        return "unix"
    return (entry.l4proto if entry is not None else "") or default


class ConnectionMap:
    """See the module docstring. Not thread-safe: feed and read it from one thread."""

    def __init__(
        self,
        *,
        max_flows: int = 10000,
        max_listeners: int = 4096,
        max_links: int = 10000,
        max_pending: int = 16384,
        settle_after: float = 5.0,
        local_addrs: frozenset[str] | None = None,
        resolve_socket: Callable[[int, int], SocketEntry | None] | None = local_socket,
    ) -> None:
        self.flows: m.Lru[FlowKey, Flow] = m.Lru(max_flows)
        self.local_addrs = local_addresses() if local_addrs is None else local_addrs
        self.listeners = ListenerTable(max_listeners, self.local_addrs)
        self.links: m.Lru[LinkKey, Link] = m.Lru(max_links)
        self.containers: dict[str, dict[str, str]] = {}
        self.settle_ns = int(settle_after * 1e9)
        self.resolve_socket = resolve_socket
        self.pending_evicted = 0
        self.started = 0
        self.now = 0  # timestamp of the latest event seen
        self._max_pending = max(1, max_pending)
        # tuple -> (side "c"/"s", process, event time, client netns, proto)
        self._pending: OrderedDict[_TupleKey, tuple[str, m.Proc, int, int, str]] = OrderedDict()
        self._engine: StateEngine | None = None

    # -- feeding --------------------------------------------------------------------
    def seed(self, engine: StateEngine, ts: int, proc: Path = Path("/proc")) -> int:
        """Record the listening sockets alive now (their processes must be in the
        engine, loaded from the same /proc snapshot); returns how many."""
        self._engine = engine
        count = 0
        for pid, netns, entry in listening_sockets(proc):
            thread = engine.thread(pid)
            if thread is not None:
                owner = self.proc_of(thread)
                self.listeners.add(owner, pid, netns, entry.proto, entry.addr, entry.port, ts)
                count += 1
        return count

    def observe(self, engine: StateEngine, ctx: EventContext) -> None:
        """Account one processed event (cheap for the events it does not care about)."""
        event, thread = ctx.event, ctx.thread
        if thread is None or (event.dir != "<" and event.name != "procexit"):
            return
        name = event.name
        self.now = event.ts
        if not self.started:
            self.started = event.ts
        self._engine = engine
        if name == "connect":
            self._connect(ctx, thread)
        elif name in ("accept", "accept4"):
            self._accept(ctx, thread)
        elif name == "listen" or name == "bind":
            self._listen(ctx, thread)
        elif name in _DATA:
            self._data(ctx, thread, _DATA[name])
        elif name == "close" or name == "procexit":
            self._closed(ctx, thread)
        if self._pending:
            self.settle()

    def proc_of(self, thread: ThreadState) -> m.Proc:
        engine = self._engine
        main = engine.main_thread(thread) if engine is not None else thread
        cid = main.container_id
        if cid != "host" and cid not in self.containers:
            self.containers[cid] = {}  # named from the state engine's metadata by to_dict
            while len(self.containers) > self.listeners.limit:
                self.containers.pop(next(iter(self.containers)))
        return m.Proc(main.comm or thread.comm, main.exepath or main.exe, cid)

    def _name_containers(self) -> None:
        """Container names and images, once the runtime's answer reached the engine."""
        table = self._engine.containers if self._engine is not None else None
        for cid, known in self.containers.items():
            info = table.get(cid) if table is not None and not known.get("name") else None
            if info is not None:
                known.update(name=info.name, image=info.image)

    def _flow(self, key: FlowKey, ts: int, pid: int) -> Flow:
        flow = self.flows.get(key)
        if flow is None:
            flow = Flow(key, ts, ts)
        flow.last_seen = ts
        m.add_pid(flow.pids, pid)
        return self.flows.touch(key, flow)

    def _connect(self, ctx: EventContext, thread: ThreadState) -> None:
        event = ctx.event
        tup = event.params.get("tuple")
        if not isinstance(tup, SockTuple) or tup.family not in (AF_INET, AF_INET6, AF_UNIX):
            return
        res = as_int(event.params.get("res"), 0)
        proc, proto = self.proc_of(thread), _proto(ctx.fd, tup.family, "")
        peer = tup.dst if tup.family != AF_UNIX else tup.path or tup.dst
        flow = self._flow(FlowKey(proc, "out", proto, norm(peer), tup.dport), event.ts, thread.pid)
        if res < 0 and res != EINPROGRESS:
            flow.failed += 1
            return
        flow.count += 1
        flow.local = norm(tup.src)
        netns = event.ctx.netns if event.ctx is not None else 0
        if tup.family == AF_UNIX:
            self._link_listener(proc, proto, peer, 0, netns, event.ts)
            return
        key = (norm(tup.src), tup.sport, norm(tup.dst), tup.dport)
        other = self._pending.pop(key, None)
        if other is not None and other[0] == "s":
            self._link(proc, other[1], proto or other[4], key[2], key[3], event.ts, "tuple")
        else:
            self._park(key, ("c", proc, event.ts, netns, proto))

    def _accept(self, ctx: EventContext, thread: ThreadState) -> None:
        event = ctx.event
        tup = event.params.get("tuple")
        if as_int(event.params.get("fd")) < 0 or not isinstance(tup, SockTuple):
            return
        if tup.family not in (AF_INET, AF_INET6, AF_UNIX):
            return
        proc, proto = self.proc_of(thread), _proto(ctx.fd, tup.family, "tcp")
        peer = tup.src if tup.family != AF_UNIX else tup.path or tup.dst
        flow = self._flow(FlowKey(proc, "in", proto, norm(peer), tup.dport), event.ts, thread.pid)
        flow.count += 1
        flow.local = norm(tup.dst) if tup.family != AF_UNIX else ""
        netns = event.ctx.netns if event.ctx is not None else 0
        local = tup.dst if tup.family != AF_UNIX else tup.path or tup.dst
        listener = self.listeners.find(proto, norm(local), tup.dport, netns)
        if listener is None and tup.family != AF_UNIX:
            listener = self.listeners.learn_port(proto, thread.pid, netns, norm(local), tup.dport)
        if listener is not None:
            listener.accepts += 1
            self.listeners.touch(listener, event.ts)
        if tup.family == AF_UNIX:
            return
        key = (norm(tup.src), tup.sport, norm(tup.dst), tup.dport)
        other = self._pending.pop(key, None)
        if other is not None and other[0] == "c":
            self._link(other[1], proc, other[4] or proto, key[2], key[3], event.ts, "tuple")
        else:
            self._park(key, ("s", proc, event.ts, netns, proto))

    def _listen(self, ctx: EventContext, thread: ThreadState) -> None:
        event, entry = ctx.event, ctx.fd
        if as_int(event.params.get("res")) != 0 or entry is None:
            return
        if event.name == "bind" and entry.l4proto != "udp":
            return  # TCP and unix servers count once they listen
        local = entry.local
        addr, port = (local.addr, local.port) if local is not None else ("", 0)
        proto = _proto(entry, local.family if local is not None else 0, "tcp")
        if proto != "unix" and port == 0 and self.resolve_socket is not None:
            found = self.resolve_socket(thread.pid, as_int(event.params.get("fd")))
            if found is not None:
                proto, addr, port = found.proto, found.addr, found.port
        netns = event.ctx.netns if event.ctx is not None else 0
        self.add_listener(self.proc_of(thread), thread.pid, netns, proto, addr, port, event.ts)

    def _closed(self, ctx: EventContext, thread: ThreadState) -> None:
        """The owner closed its listening socket (or exited): the listener is inactive."""
        entry, ts = ctx.fd, ctx.event.ts
        if ctx.event.name == "procexit":
            if thread.is_main_thread:
                self.listeners.close(thread.pid, ts)
        elif entry is not None and entry.is_server and entry.local is not None:
            proto = _proto(entry, entry.local.family, "tcp")
            self.listeners.close(thread.pid, ts, proto, entry.local.port)

    def _data(self, ctx: EventContext, thread: ThreadState, send: bool) -> None:
        event, entry = ctx.event, ctx.fd
        res = as_int(event.params.get("res"), 0)
        if res <= 0 or entry is None or entry.type not in ("4", "6"):
            return
        addr = event.params.get("addr")
        datagram = isinstance(addr, SockAddr) and addr.family in (AF_INET, AF_INET6)
        server = entry.is_server or entry.role == "server"
        tup = entry.tuple
        if isinstance(addr, SockAddr) and datagram:
            peer, peer_port = addr.addr, addr.port
        elif tup is not None:
            peer, peer_port = (tup.src, tup.sport) if server else (tup.dst, tup.dport)
        else:
            return
        proto = entry.l4proto or ("udp" if datagram else "tcp")
        if server:
            port = entry.local.port if entry.local is not None else 0
            etup = event.params.get("tuple")  # ours -> the peer's, for sends and receives
            if not port and isinstance(etup, SockTuple) and etup.sport:
                port = etup.sport  # a UDP server bound to port 0, gone before /proc was read
                netns = event.ctx.netns if event.ctx is not None else 0
                self.listeners.learn_port(proto, thread.pid, netns, norm(etup.src), port)
            port = port or (tup.dport if tup is not None else 0)
        else:
            port = peer_port
        key = FlowKey(self.proc_of(thread), "in" if server else "out", proto, norm(peer), port)
        flow = self._flow(key, event.ts, thread.pid)
        if datagram and send != server:
            flow.count += 1  # one datagram to a server / received by one
        if send:
            flow.bytes_out = (flow.bytes_out or 0) + res
        else:
            flow.bytes_in = (flow.bytes_in or 0) + res

    # -- listeners --------------------------------------------------------------------
    def add_listener(
        self, proc: m.Proc, pid: int, netns: int, proto: str, addr: str, port: int, ts: int
    ) -> Listener:
        return self.listeners.add(proc, pid, netns, proto, addr, port, ts)

    def find_listener(self, proto: str, addr: str, port: int, netns: int) -> Listener | None:
        return self.listeners.find(proto, addr, port, netns)

    # -- links ------------------------------------------------------------------------
    def _park(self, key: _TupleKey, value: tuple[str, m.Proc, int, int, str]) -> None:
        self._pending[key] = value
        self._pending.move_to_end(key)
        while len(self._pending) > self._max_pending:
            self._pending.popitem(last=False)
            self.pending_evicted += 1

    def _link(self, client: m.Proc, server: m.Proc, proto: str, addr: str, port: int, ts: int,
              via: str) -> None:  # fmt: skip
        key = LinkKey(client, server, proto, addr, port)
        link = self.links.get(key) or Link(key, ts, ts, via=via)
        link.count += 1
        link.last_seen = ts
        if via == "tuple":
            link.via = "tuple"
        self.links.touch(key, link)

    def _link_listener(self, client: m.Proc, proto: str, addr: str, port: int, netns: int,
                       ts: int) -> None:  # fmt: skip
        listener = self.listeners.find(proto, addr, port, netns)
        if listener is not None:
            self._link(client, listener.proc, proto, addr, port, ts, "listener")

    def settle(self, now: int | None = None, force: bool = False) -> None:
        """Give up waiting for the other end of connects older than ``settle_after``
        (all of them with ``force``): link each to the local listener it reached."""
        limit = (self.now if now is None else now) - self.settle_ns
        while self._pending:
            key, (side, proc, ts, netns, proto) = next(iter(self._pending.items()))
            if ts > limit and not force:
                return
            del self._pending[key]
            if side == "c":
                self._link_listener(proc, proto or "tcp", key[2], key[3], netns, ts)

    # -- JSON -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        self._name_containers()
        return {
            "version": 1,
            "started": self.started,
            "updated": self.now,
            "listeners": [x.to_dict() for x in self.listeners.values()],
            "connections": [x.to_dict() for x in self.flows.values()],
            "links": [x.to_dict() for x in self.links.values()],
            "containers": {cid: dict(info) for cid, info in self.containers.items()},
            "evicted": self.evictions(),
        }

    def evictions(self) -> dict[str, int]:
        return {
            "listeners": self.listeners.evicted,
            "connections": self.flows.evicted,
            "links": self.links.evicted,
            "pending": self.pending_evicted,
        }

    @classmethod
    def from_dict(cls, raw: object, **limits: Any) -> ConnectionMap:
        """A map restored from `to_dict` output; malformed entries are skipped."""
        out = cls(local_addrs=frozenset(), resolve_socket=None, **limits)
        doc = m.parse_map(raw)
        for old in doc.listeners:
            k = old.key
            new = out.add_listener(old.proc, k.pid, k.netns, k.proto, k.addr, k.port, 0)
            new.first_seen, new.last_seen, new.accepts = old.first_seen, old.last_seen, old.accepts
            new.active = old.active
        for flow in doc.flows:
            out.flows.touch(flow.key, flow)
        for link in doc.links:
            out.links.touch(link.key, link)
        out.containers = dict(list(doc.containers.items())[: out.listeners.limit])
        out.started, out.now = doc.started, doc.updated
        return out

    def save(self, path: Path) -> None:
        """Write the JSON map atomically (a reader never sees half a file)."""
        encode(self.to_dict(), path)

    @classmethod
    def load(cls, path: Path, **limits: Any) -> ConnectionMap:
        return cls.from_dict(decode(path), **limits)
