"""The connection map's listening sockets: a bounded table indexed by (proto, port) and
by owner pid, and the rule that says which listener a local connection reached."""

from __future__ import annotations

from mamori.runtime.connections_model import Listener, ListenerKey, Lru, Proc, norm

WILDCARDS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 (a listener's any-address)


def loopback(addr: str) -> bool:
    return addr.startswith("127.") or addr == "::1"


class ListenerTable:
    def __init__(self, limit: int, local_addrs: frozenset[str]) -> None:
        self.lru: Lru[ListenerKey, Listener] = Lru(limit)
        self.local_addrs = local_addrs
        self._by_port: dict[tuple[str, int], list[ListenerKey]] = {}
        self._by_pid: dict[int, list[ListenerKey]] = {}
        self._unported: dict[int, list[ListenerKey]] = {}  # pid -> its port-0 listeners
        self._indexed = 0

    def __len__(self) -> int:
        return len(self.lru)

    @property
    def limit(self) -> int:
        return self.lru.limit

    @property
    def evicted(self) -> int:
        return self.lru.evicted

    def values(self) -> list[Listener]:
        return self.lru.values()

    def add(
        self, proc: Proc, pid: int, netns: int, proto: str, addr: str, port: int, ts: int
    ) -> Listener:
        """Record (or refresh, active again) a listener."""
        key = ListenerKey(proto, norm(addr), port, netns, pid)
        listener = self.lru.get(key)
        if listener is None:
            listener = Listener(key, proc, ts, ts)
            index = self._by_port.setdefault((proto, port), [])
            index[:] = [k for k in index if k in self.lru]
            index.append(key)
            self._by_pid.setdefault(pid, []).append(key)
            if port == 0 and proto != "unix":
                self._unported.setdefault(pid, []).append(key)
            self._indexed += 1
            if self._indexed > 2 * self.lru.limit:
                self._reindex()
        elif not listener.active:
            self._by_pid.setdefault(pid, []).append(key)
        listener.proc, listener.active, listener.last_seen = proc, True, max(ts, listener.last_seen)
        return self.lru.touch(key, listener)

    def _reindex(self) -> None:
        """Drop index entries of evicted listeners (the indexes stay bounded)."""
        self._by_port, self._by_pid, self._unported = {}, {}, {}
        for listener in self.lru.values():
            k = listener.key
            self._by_port.setdefault((k.proto, k.port), []).append(k)
            if listener.active:
                self._by_pid.setdefault(k.pid, []).append(k)
            if k.port == 0 and k.proto != "unix":
                self._unported.setdefault(k.pid, []).append(k)
        self._indexed = len(self.lru)

    def touch(self, listener: Listener, ts: int) -> None:
        listener.last_seen = max(ts, listener.last_seen)
        self.lru.touch(listener.key, listener)

    def find(self, proto: str, addr: str, port: int, netns: int) -> Listener | None:
        """The local listener a connection to addr:port from network namespace `netns`
        (0: unknown) reaches: an exact address before a wildcard, an active one before
        a closed one. Loopback stays inside one namespace; another local address reaches
        the host's listeners."""
        best: tuple[int, Listener] | None = None
        for key in self._by_port.get((proto, port), ()):
            listener = self.lru.get(key)
            if listener is None:
                continue
            if key.addr == addr:
                rank = 2
            elif key.addr in WILDCARDS and (addr in self.local_addrs or loopback(addr)):
                rank = 1
            else:
                continue
            if (loopback(addr) or proto == "unix") and netns and key.netns and key.netns != netns:
                continue
            rank += 4 if listener.active else 0
            if best is None or rank > best[0]:
                best = (rank, listener)
        return best[1] if best is not None else None

    def learn_port(self, proto: str, pid: int, netns: int, addr: str, port: int) -> Listener | None:
        """A server bound to port 0 whose real port /proc could not tell (it exited before
        its ``listen`` was processed) learns it from its first accepted connection."""
        keys = self._unported.get(pid)
        for key in keys or ():
            old = self.lru.get(key)
            if old is None or key.proto != proto or key.netns != netns:
                continue
            if key.addr not in WILDCARDS and key.addr != addr:
                continue
            self.lru.pop(key)
            assert keys is not None
            keys.remove(key)
            if not keys:
                del self._unported[pid]
            new = self.add(old.proc, pid, netns, proto, key.addr, port, old.first_seen)
            new.first_seen, new.last_seen, new.accepts = old.first_seen, old.last_seen, old.accepts
            return new
        return None

    def close(self, pid: int, ts: int, proto: str | None = None, port: int = 0) -> None:
        """Mark inactive pid's listeners: all of them (it exited) or the one it closed."""
        if proto is None:
            keys = self._by_pid.pop(pid, [])
        else:
            keys = [k for k in self._by_port.get((proto, port), ()) if k.pid == pid]
        for key in keys:
            listener = self.lru.get(key)
            if listener is not None and listener.active:
                listener.active, listener.last_seen = False, ts
