"""The records of the connection map and their JSON form.

A process is identified by what survives restarts: its name, executable and container
(pids are kept as examples only). Times are nanoseconds since the epoch.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

MAX_PIDS = 8  # example pids kept per record
_MAX_TEXT = 4096


@dataclass(frozen=True, slots=True)
class Proc:
    """Who: a process by name (comm), executable path and container id ("host")."""

    name: str
    exe: str
    container: str

    def to_dict(self) -> dict[str, str]:
        return {"process": self.name, "exe": self.exe, "container": self.container}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Proc:
        return cls(_str(raw.get("process")), _str(raw.get("exe")), _str(raw.get("container")))


@dataclass(frozen=True, slots=True)
class FlowKey:
    """One aggregated connection. ``port`` is always the server's port (the peer's for
    ``out``, ours for ``in``): a client's ephemeral port is not part of the key."""

    proc: Proc
    direction: str  # "out" (we connected / sent) or "in" (we accepted / received)
    proto: str  # "tcp", "udp", "unix", "raw" or "" (unknown)
    peer: str  # peer IP address; for unix sockets the socket path
    port: int


@dataclass(slots=True)
class Flow:
    key: FlowKey
    first_seen: int
    last_seen: int
    count: int = 0  # connections (TCP, unix, connected UDP) or datagrams (unconnected UDP)
    failed: int = 0  # connects that failed (refused, unreachable...)
    bytes_out: int | None = None  # None: not known (data-path syscalls not captured)
    bytes_in: int | None = None
    local: str = ""  # our address in the last connection
    pids: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        k = self.key
        return {
            **k.proc.to_dict(),
            "direction": k.direction, "proto": k.proto, "peer": k.peer, "port": k.port,
            "count": self.count, "failed": self.failed, "bytes_out": self.bytes_out,
            "bytes_in": self.bytes_in, "local": self.local, "pids": list(self.pids),
            "first_seen": self.first_seen, "last_seen": self.last_seen,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Flow:
        key = FlowKey(
            Proc.from_dict(raw), _str(raw.get("direction")), _str(raw.get("proto")),
            _str(raw.get("peer")), _int(raw.get("port")),
        )  # fmt: skip
        return cls(
            key, _int(raw.get("first_seen")), _int(raw.get("last_seen")), _int(raw.get("count")),
            _int(raw.get("failed")), _opt_int(raw.get("bytes_out")), _opt_int(raw.get("bytes_in")),
            _str(raw.get("local")), _pids(raw.get("pids")),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ListenerKey:
    """A listening (TCP, unix) or bound (UDP) socket: where, in which network namespace
    (0 when unknown), owned by which process."""

    proto: str
    addr: str  # "0.0.0.0" / "::" for every address; a path for unix sockets
    port: int
    netns: int
    pid: int


@dataclass(slots=True)
class Listener:
    key: ListenerKey
    proc: Proc
    first_seen: int
    last_seen: int
    accepts: int = 0
    active: bool = True

    def to_dict(self) -> dict[str, Any]:
        k = self.key
        return {
            **self.proc.to_dict(), "pid": k.pid, "proto": k.proto, "addr": k.addr,
            "port": k.port, "netns": k.netns, "accepts": self.accepts, "active": self.active,
            "first_seen": self.first_seen, "last_seen": self.last_seen,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Listener:
        key = ListenerKey(
            _str(raw.get("proto")), _str(raw.get("addr")), _int(raw.get("port")),
            _int(raw.get("netns")), _int(raw.get("pid")),
        )  # fmt: skip
        return cls(
            key, Proc.from_dict(raw), _int(raw.get("first_seen")), _int(raw.get("last_seen")),
            _int(raw.get("accepts")), raw.get("active") is not False,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class LinkKey:
    """Two local processes talking: ``client`` connected to ``server`` at addr:port."""

    client: Proc
    server: Proc
    proto: str
    addr: str
    port: int


@dataclass(slots=True)
class Link:
    key: LinkKey
    first_seen: int
    last_seen: int
    count: int = 0
    via: str = "tuple"  # "tuple": both ends seen; "listener": connect to a known listener

    def to_dict(self) -> dict[str, Any]:
        k = self.key
        return {
            "client": k.client.to_dict(), "server": k.server.to_dict(), "proto": k.proto,
            "addr": k.addr, "port": k.port, "count": self.count, "via": self.via,
            "first_seen": self.first_seen, "last_seen": self.last_seen,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Link:
        client, server = raw.get("client"), raw.get("server")
        key = LinkKey(
            Proc.from_dict(client if isinstance(client, dict) else {}),
            Proc.from_dict(server if isinstance(server, dict) else {}),
            _str(raw.get("proto")), _str(raw.get("addr")), _int(raw.get("port")),
        )  # fmt: skip
        via = _str(raw.get("via")) or "tuple"
        return cls(
            key, _int(raw.get("first_seen")), _int(raw.get("last_seen")), _int(raw.get("count")),
            via,
        )  # fmt: skip


class Lru(Generic[K, V]):
    """A dict capped at ``limit`` entries that evicts the least recently touched one."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.evicted = 0
        self._items: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def touch(self, key: K, value: V) -> V:
        """Insert or refresh `key` (most recent), evicting the oldest entries if full."""
        items = self._items
        if key in items:
            items.move_to_end(key)
        items[key] = value
        while len(items) > self.limit:
            items.popitem(last=False)
            self.evicted += 1
        return value

    def pop(self, key: K) -> V | None:
        return self._items.pop(key, None)

    def oldest(self) -> tuple[K, V] | None:
        return next(iter(self._items.items()), None)

    def values(self) -> list[V]:
        return list(self._items.values())


@dataclass(slots=True)
class MapDoc:
    """A saved map's records (see `parse_map`)."""

    listeners: list[Listener] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    containers: dict[str, dict[str, str]] = field(default_factory=dict)
    started: int = 0
    updated: int = 0


def parse_map(raw: object) -> MapDoc:
    """The records of a saved map (``ConnectionMap.to_dict``); anything malformed is
    skipped, never an error."""
    doc = MapDoc()
    if not isinstance(raw, dict):
        return doc
    doc.listeners = [Listener.from_dict(x) for x in _dicts(raw.get("listeners"))]
    doc.flows = [Flow.from_dict(x) for x in _dicts(raw.get("connections"))]
    doc.links = [Link.from_dict(x) for x in _dicts(raw.get("links"))]
    containers = raw.get("containers")
    if isinstance(containers, dict):
        doc.containers = {
            cid[:_MAX_TEXT]: {str(k)[:_MAX_TEXT]: _str(v) for k, v in info.items()}
            for cid, info in containers.items()
            if isinstance(cid, str) and isinstance(info, dict)
        }
    doc.started, doc.updated = _int(raw.get("started")), _int(raw.get("updated"))
    return doc


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def norm(addr: str) -> str:
    """``::ffff:1.2.3.4`` (an IPv4 peer of a dual-stack socket) -> ``1.2.3.4``."""
    return addr[7:] if addr.startswith("::ffff:") and "." in addr else addr


def add_pid(pids: list[int], pid: int) -> None:
    if pid > 0 and pid not in pids:
        pids.append(pid)
        del pids[:-MAX_PIDS]


def _str(value: object) -> str:
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _pids(value: object) -> list[int]:
    if not isinstance(value, list):
        return []
    return [p for p in value[:MAX_PIDS] if isinstance(p, int) and not isinstance(p, bool)]
