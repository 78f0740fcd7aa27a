"""FallbackSensor: the eBPF sensor's API over the proc connector, fanotify and audit.

Each source runs when the requested event types need it and it can start here; one that
cannot (no permission, auditd owns audit) is listed in ``skipped`` with the reason and
the others run. Execs come from audit when it runs (its argv is exact) and from the proc
connector plus /proc otherwise; a proc-connector exec whose executable /proc no longer
showed takes it from fanotify's exec open of that pid.

The sources deliver on separate sockets with their own delays (audit records leave the
kernel from a thread, later than the proc connector's), so events wait ``reorder``
seconds in a buffer and leave it in timestamp order.
"""

from __future__ import annotations

import dataclasses
import heapq
import logging
import os
import select
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Protocol

from mamori.model.events import SyscallEvent
from mamori.sensor.fallback import audit, fanotify, proc_connector
from mamori.sensor.fallback.procinfo import ContextCache
from mamori.sensor.sensor import SensorError, SensorStats
from mamori.sensor.table import DEFAULT_EVENT_TYPES

# The events are frozen; their number is known only when they leave in order (the
# slot's own setter, as the eBPF decoder sets its fields).
_SET_NUM = getattr(SyscallEvent, "num").__set__  # noqa: B009 (mypy: slot vs class attr)
log = logging.getLogger(__name__)

EVENT_TYPES = proc_connector.EVENT_TYPES | fanotify.EVENT_TYPES | audit.EVENT_TYPES


class _Source(Protocol):
    name: str

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def fileno(self) -> int: ...
    def read(self, limit: int) -> list[SyscallEvent]: ...


def _at(event: SyscallEvent, ts: int) -> SyscallEvent:
    return dataclasses.replace(event, ts=ts)


class FallbackSensor:
    """Falco-named ``SyscallEvent`` batches without eBPF; same API as ``Sensor``.

    ``paths`` and ``mark`` ("mount" or "filesystem") choose what fanotify watches.
    ``sources`` limits the sources tried (names: "proc", "fanotify", "audit").
    """

    def __init__(
        self,
        event_types: Iterable[str] | None = None,
        *,
        paths: tuple[str, ...] = ("/",),
        mark: str = "mount",
        sources: Iterable[str] = ("audit", "proc", "fanotify"),
        drain_interval: float = 0.05,
        batch_limit: int = 65536,
        reorder: float = 0.15,
    ) -> None:
        wanted = frozenset(DEFAULT_EVENT_TYPES if event_types is None else event_types)
        self.event_types = wanted & EVENT_TYPES
        self.unsupported = wanted - EVENT_TYPES
        if self.unsupported:
            log.warning(
                "the fallback sensor cannot capture: %s", ", ".join(sorted(self.unsupported))
            )
        self.paths, self.mark = paths, mark
        self.source_names = tuple(sources)
        self.drain_interval = drain_interval
        self.batch_limit = batch_limit
        self.reorder_ns = int(reorder * 1e9)
        self.cache = ContextCache()
        self.running: list[_Source] = []
        self.skipped: dict[str, str] = {}
        self._audit: audit.AuditSource | None = None
        self._fan: fanotify.FanotifySource | None = None
        self._proc: proc_connector.ProcConnectorSource | None = None
        self._heap: list[tuple[int, int, SyscallEvent]] = []
        self._exits: dict[int, int] = {}  # pid -> procexit ts
        self._clones: dict[int, int] = {}  # child tid -> clone ts
        self._seq = 0
        self._num = 0  # the last evt.num delivered
        self._captured = 0
        self._delivered = 0
        self._drops_reported = 0
        self._lost_checked = 0.0

    # life cycle -------------------------------------------------------------------------

    def start(self) -> FallbackSensor:
        if os.geteuid() != 0:
            raise SensorError("the fallback sensor needs root (netlink, fanotify and audit)")
        wanted = self.event_types
        if "audit" in self.source_names and wanted & audit.EVENT_TYPES:
            self._try(audit.AuditSource(self.cache, wanted))
        if "proc" in self.source_names and wanted & proc_connector.EVENT_TYPES:
            proc_wanted = wanted - ({"execve"} if self._audit is not None else set())
            self._try(proc_connector.ProcConnectorSource(self.cache, proc_wanted))
        if "fanotify" in self.source_names and "openat" in wanted:
            self._try(fanotify.FanotifySource(self.cache, self.paths, self.mark))
        if not self.running:
            reasons = "; ".join(f"{k}: {v}" for k, v in self.skipped.items()) or "nothing asked"
            raise SensorError(f"no fallback source could start ({reasons})")
        return self

    def _try(self, source: audit.AuditSource | fanotify.FanotifySource
             | proc_connector.ProcConnectorSource) -> None:  # fmt: skip
        try:
            source.start()
        except (OSError, audit.AuditUnavailableError) as exc:
            self.skipped[source.name] = str(exc)
            log.warning("fallback sensor: %s unavailable: %s", source.name, exc)
            return
        self.running.append(source)
        if isinstance(source, audit.AuditSource):
            self._audit = source
        elif isinstance(source, fanotify.FanotifySource):
            self._fan = source
        else:
            self._proc = source

    def stop(self) -> None:
        for source in self.running:
            try:
                source.stop()
            except OSError as exc:  # one failing stop must not keep audit rules behind
                log.warning("fallback sensor: stopping %s: %s", source.name, exc)
        self.running.clear()
        self._audit = self._fan = self._proc = None
        self._heap.clear()

    def __enter__(self) -> FallbackSensor:
        return self.start() if not self.running else self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # consumption ------------------------------------------------------------------------

    def poll(self, timeout: float | None = None) -> list[SyscallEvent]:
        """Wait up to ``timeout`` (default the drain interval) for any source, read what
        they have, and return the events whose reorder delay has passed, in time order."""
        if not self.running:
            raise SensorError("the sensor is not started")
        fds = [s.fileno() for s in self.running]
        wait = self.drain_interval if timeout is None else timeout
        if self._heap:  # wake up when the oldest buffered event is due, at the latest
            due = (self._heap[0][0] + self.reorder_ns - time.time_ns()) / 1e9
            wait = max(0.0, min(wait, due))
        select.select(fds, [], [], wait)
        now = time.time_ns()
        # fanotify first: an exec open is queued before the exec event that it enriches
        fan = self._fan.read(self.batch_limit) + self._fan.expire(now) if self._fan else []
        proc = self._proc.read(self.batch_limit) if self._proc else []
        aud = self._audit.read(self.batch_limit) + self._audit.expire(now) if self._audit else []
        fresh = self._order(fan, proc, aud)
        for event in fresh:
            self._enrich(event)
            self._seq += 1
            heapq.heappush(self._heap, (event.ts, self._seq, event))
        self._captured += len(fresh)
        out: list[SyscallEvent] = []
        limit = now - self.reorder_ns
        while self._heap and self._heap[0][0] <= limit and len(out) < self.batch_limit:
            event = heapq.heappop(self._heap)[2]
            self._num += 1
            _SET_NUM(event, self._num)  # evt.num: delivery order, from 1
            out.append(event)
        out.extend(self._drop_events(now))
        self._delivered += len(out)
        return out

    def _order(
        self, fan: list[SyscallEvent], proc: list[SyscallEvent], aud: list[SyscallEvent]
    ) -> list[SyscallEvent]:
        """Fix timestamps that would misorder a process's events: fanotify events carry
        the time they were read, so one of an exited process is moved just before its
        procexit; audit times are truncated to the millisecond, so an audit event is moved
        just after the clone that created its process."""
        for event in proc:
            res = event.params.get("res")
            if event.name == "procexit":
                self._exits[event.tid] = event.ts
            elif event.name == "clone" and isinstance(res, int):
                self._clones[res] = event.ts
                self._exits.pop(res, None)  # a reused pid
        out = list(proc)
        for event in fan:
            end = self._exits.get(event.tid)
            out.append(event if end is None or event.ts < end else _at(event, end - 1))
        for event in aud:
            born = self._clones.get(event.tid)
            out.append(event if born is None or event.ts > born else _at(event, born + 1))
        for table in (self._exits, self._clones):
            while len(table) > 65536:
                del table[next(iter(table))]
        return out

    def _enrich(self, event: SyscallEvent) -> None:
        """A proc-connector exec that missed /proc/PID/exe takes fanotify's exec open."""
        if event.name != "execve" or self._fan is None:
            return
        opens = self._fan.exec_opens.pop(event.tid, None)
        missed = event.params.get("missed")
        if opens and isinstance(missed, tuple) and "trusted_exepath" in missed:
            event.params["trusted_exepath"] = opens[0]
            event.params["missed"] = tuple(m for m in missed if m != "trusted_exepath")

    def __iter__(self) -> Iterator[list[SyscallEvent]]:
        while self.running:
            batch = self.poll()
            if batch:
                yield batch

    def run(
        self, callback: Callable[[list[SyscallEvent]], None], until: Callable[[], bool]
    ) -> None:
        while not until():
            batch = self.poll()
            if batch:
                callback(batch)

    # accounting -------------------------------------------------------------------------

    def _drops(self) -> int:
        total = 0
        if self._fan is not None:
            total += self._fan.overflows
        if self._proc is not None:
            total += self._proc.overruns
        if self._audit is not None:
            if time.monotonic() - self._lost_checked >= 1.0:  # a netlink round trip
                self._lost_checked = time.monotonic()
                self._audit.lost()
            total += self._audit.lost_seen
        return total

    def _drop_events(self, now: int) -> list[SyscallEvent]:
        total = self._drops()
        delta = total - self._drops_reported
        if delta <= 0:
            return []
        self._drops_reported = total
        log.warning("fallback sensor: %d events lost (queue or socket overflow)", delta)
        return [SyscallEvent(now, 0, "drop", ">", {"drops": delta, "total": total})]

    def stats(self) -> SensorStats:
        """Drops are lower bounds: a proc-connector overrun counts 1 however many it lost."""
        malformed = sum(getattr(s, "malformed", 0) for s in self.running)
        drops = self._drops() if self.running else self._drops_reported
        return SensorStats(self._captured, self._delivered, drops, (drops,), (self._captured,),
                           malformed)  # fmt: skip
