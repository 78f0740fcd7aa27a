"""The thread table: tid -> ThreadState, bounded, with parent and ancestor lookups.

The table holds at most ``max_threads`` threads. When it is full, dead threads go
first, then the threads that have been idle longest (a long-running sensor sees far
more short-lived processes than a host holds at once; the ones it evicts are the ones
it has not seen for longest, and they are re-created on the fly if they show up
again). Ancestor walks are bounded too, so a corrupt parent chain (a cycle) cannot
hang a rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from mamori.runtime.state.model import ThreadState

MAX_ANCESTRY = 64


class ThreadTable:
    def __init__(self, max_threads: int = 131072) -> None:
        self._threads: dict[int, ThreadState] = {}
        self.max_threads = max(16, max_threads)
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._threads)

    def __iter__(self) -> Iterator[ThreadState]:
        return iter(list(self._threads.values()))

    def get(self, tid: int) -> ThreadState | None:
        return self._threads.get(tid)

    def add(self, thread: ThreadState) -> ThreadState:
        if thread.tid not in self._threads and len(self._threads) >= self.max_threads:
            self._evict()
        self._threads[thread.tid] = thread
        return thread

    def remove(self, tid: int) -> ThreadState | None:
        return self._threads.pop(tid, None)

    def _evict(self) -> None:
        """Free about 1/8 of the table: dead threads first, then the longest idle."""
        target = max(1, self.max_threads // 8)
        victims = [t.tid for t in self._threads.values() if t.dead][:target]
        if len(victims) < target:
            alive = sorted(
                (t for t in self._threads.values() if not t.dead), key=lambda t: t.last_ts
            )
            victims += [t.tid for t in alive[: target - len(victims)]]
        for tid in victims:
            del self._threads[tid]
        self.evicted += len(victims)

    # -- relations ---------------------------------------------------------------
    def main_thread(self, thread: ThreadState) -> ThreadState:
        """The process's main thread (the thread itself if it is, or if it is unknown)."""
        if thread.tid == thread.pid:
            return thread
        main = self._threads.get(thread.pid)
        return main if main is not None else thread

    def parent(self, thread: ThreadState) -> ThreadState | None:
        """The thread table entry of the thread's ptid (Falco's ``proc.pname``)."""
        if thread.ptid <= 0 or thread.ptid == thread.tid:
            return None
        return self._threads.get(thread.ptid)

    def ancestors(self, thread: ThreadState) -> Iterator[ThreadState]:
        """Parent, grandparent, ... starting from the process's main thread, as Falco
        walks them for ``proc.aname[n]`` / ``proc.apid[n]``; bounded against cycles."""
        current = self.main_thread(thread)
        seen = {current.tid}
        for _ in range(MAX_ANCESTRY):
            parent = self.parent(current)
            if parent is None or parent.tid in seen:
                return
            seen.add(parent.tid)
            yield parent
            current = parent

    def ancestor(self, thread: ThreadState, level: int) -> ThreadState | None:
        """``level`` 0 is the process itself, 1 its parent, 2 its grandparent..."""
        if level <= 0:
            return self.main_thread(thread)
        for depth, ancestor in enumerate(self.ancestors(thread), start=1):
            if depth == level:
                return ancestor
        return None

    def children(self, pid: int) -> list[ThreadState]:
        return [t for t in self._threads.values() if t.ptid == pid and t.tid == t.pid]
