"""The eBPF sensor: load, configure, attach, drain, report, stop."""

from __future__ import annotations

import gc
import logging
import mmap
import os
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from mamori.model.events import SyscallEvent
from mamori.sensor import _libbpf
from mamori.sensor import layout as lay
from mamori.sensor.decode import Decoder, SensorEvent
from mamori.sensor.ring import RingReader
from mamori.sensor.table import BY_NAME, DEFAULT_EVENT_TYPES, SPECS

log = logging.getLogger(__name__)

_U64 = struct.Struct("<Q")
_TRICKLE_PAUSE = 0.01
OBJECT_PATH = Path(__file__).parent / "bpf" / "sensor.bpf.o"
BTF_PATH = Path("/sys/kernel/btf/vmlinux")


class SensorError(RuntimeError):
    """The sensor cannot run here; the message says why and what to do."""


@dataclass(frozen=True)
class SensorStats:
    captured: int  # records the kernel side tried to write
    delivered: int  # records handed to Python callers as events (drop reports excluded)
    drops: int  # records lost because the ring was full
    drops_per_cpu: tuple[int, ...]
    captured_per_cpu: tuple[int, ...]
    malformed: int  # records the decoder could not read (params decoded lazily: process-wide)
    queued: int = 0  # bytes copied out of the ring but not yet decoded (the copier's backlog)


def object_path() -> Path:
    return Path(os.environ.get("MAMORI_SENSOR_OBJECT", OBJECT_PATH))


def check_prerequisites(obj: Path) -> None:
    """Raise SensorError with a clear reason before libbpf gives a cryptic one."""
    if os.geteuid() != 0:
        raise SensorError("the eBPF sensor needs root (CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)")
    if not BTF_PATH.exists():
        raise SensorError(
            f"{BTF_PATH} is absent: the kernel has no BTF (CONFIG_DEBUG_INFO_BTF), so the CO-RE "
            "sensor cannot load; use a fallback sensor"
        )
    if not obj.is_file():
        raise SensorError(f"{obj} is not built: run scripts/build-bpf (needs clang and bpftool)")


def _boot_offset() -> int:
    """Nanoseconds to add to CLOCK_BOOTTIME (bpf_ktime_get_boot_ns) to get epoch time."""
    best = None
    for _ in range(3):
        a = time.clock_gettime_ns(time.CLOCK_REALTIME)
        b = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
        c = time.clock_gettime_ns(time.CLOCK_REALTIME)
        if best is None or c - a < best[0]:
            best = (c - a, (a + c) // 2 - b)
    assert best is not None
    return best[1]


def select_events(event_types: Iterable[str] | None) -> tuple[frozenset[str], frozenset[str]]:
    """(captured, unsupported) Falco event names; None means the default set."""
    wanted = frozenset(DEFAULT_EVENT_TYPES if event_types is None else event_types)
    return wanted & frozenset(BY_NAME), wanted - frozenset(BY_NAME)


def _decode_without_gc(decoder: Decoder, chunk: bytes) -> list[SyscallEvent]:
    """Decode a batch with the cyclic garbage collector paused: every event object is a
    tracked container, so building tens of thousands of them triggers collections that
    rescan everything alive (measured: 40% of the decoding time). They hold no cycles;
    the collector sees them once, at its next run."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return decoder.decode_batch(chunk)
    finally:
        if paused:
            gc.enable()


class Sensor:
    """Capture syscalls of the whole host as Falco-named ``SyscallEvent`` batches.

    ``event_types`` are Falco event names (``"execve"``, ``"openat"``, ``"connect"``,
    ``"procexit"`` ...); only those are captured, filtered in the kernel. Names the sensor
    does not support are listed in ``unsupported`` (and logged), not an error, so a rules
    engine can pass the union of what its rules mention.

    Every event is a syscall exit (``dir == "<"``, all of Falco's exit parameters) or
    procexit (``">"``); ``ctx`` carries the caller's pid, ppid, uids, loginuid, comm,
    cgroup id and namespaces. The agent's own process is never captured (filtered in the
    kernel by its tgid: draining would otherwise feed itself). Events are
    ``decode.SensorEvent``, a ``SyscallEvent`` whose ``params`` are decoded on first
    access (a batch of header fields is several times cheaper than the blobs).

    ``ring_bytes`` sizes the ring buffer (a power of two: kernel memory, not RSS; 32 MiB
    holds about 1.8 s of a 100k events/s storm, headroom for a consumer that the
    scheduler or a long batch holds up); the
    kernel wakes the consumer once ``wakeup_bytes`` are waiting (or every ``wakeup_every``
    records per CPU), and ``poll`` drains at least every ``drain_interval`` seconds
    anyway; ``batch_limit`` caps one batch. Lost records (a full ring) come back as a
    ``drop`` event (``params``: ``drops`` since the last report, ``total``) on that CPU.
    """

    def __init__(
        self,
        event_types: Iterable[str] | None = None,
        *,
        ring_bytes: int = 32 << 20,
        wakeup_every: int = 0,
        wakeup_bytes: int = 256 << 10,
        drain_interval: float = 0.05,
        batch_limit: int = 65536,
        copier: bool = True,
        queue_bytes: int = 256 << 20,
    ) -> None:
        if ring_bytes < 4096 or ring_bytes & (ring_bytes - 1):
            raise ValueError("ring_bytes must be a power of two of at least 4096")
        self.event_types, self.unsupported = select_events(event_types)
        if self.unsupported:
            log.warning("the eBPF sensor does not capture: %s", ", ".join(sorted(self.unsupported)))
        self.ring_bytes = ring_bytes
        self.wakeup_every = wakeup_every
        self.wakeup_bytes = wakeup_bytes
        self.drain_interval = drain_interval
        self.batch_limit = batch_limit
        self._obj: _libbpf.BpfObject | None = None
        self._ring: RingReader | None = None
        self._decoder = Decoder(_boot_offset())
        self._counters_fd = -1
        self._drop_word: mmap.mmap | None = None  # drop_total, mapped read-only
        self._drops_seen = 0
        self._delivered = 0
        self._reported_drops: list[int] = []
        self._ncpu = 1
        self.copier = copier
        self.queue_bytes = queue_bytes
        self._chunks: deque[bytes] = deque()
        self._queued = 0  # bytes in _chunks
        self._ready = threading.Condition()
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self.peak_queued = 0  # the largest backlog the copier held, in bytes

    # life cycle -------------------------------------------------------------------------

    def start(self) -> Sensor:
        obj_file = object_path()
        check_prerequisites(obj_file)
        try:
            obj = _libbpf.BpfObject(obj_file)
        except _libbpf.BpfError as exc:
            raise SensorError(str(exc)) from exc
        self._obj = obj
        try:
            obj.set_max_entries("events", self.ring_bytes)
            obj.load()
            self._configure(obj)
            self._counters_fd = obj.map_fd("counters")
            self._ncpu = _libbpf.possible_cpus()
            self._reported_drops = [0] * self._ncpu
            self._ring = RingReader(obj.map_fd("events"), self.ring_bytes)
            self._drop_word = mmap.mmap(
                obj.map_fd("drop_total"), mmap.PAGESIZE, mmap.MAP_SHARED, mmap.PROT_READ
            )
            obj.attach_all()
        except (_libbpf.BpfError, OSError) as exc:
            self.stop()
            raise SensorError(f"starting the eBPF sensor failed: {exc}") from exc
        if self.copier:
            self._halt.clear()
            self._thread = threading.Thread(
                target=self._copy_loop, name="mamori-sensor-copier", daemon=True
            )
            self._thread.start()
        return self

    def _copy_loop(self) -> None:
        """Move committed records from the ring to the chunk queue until stopped."""
        ring, ready, halt = self._ring, self._ready, self._halt
        assert ring is not None
        wait, read, limit = ring.wait, ring.read, self.batch_limit
        interval = self.drain_interval
        while not halt.is_set():
            if self._queued >= self.queue_bytes:
                halt.wait(interval)  # back-pressure: let the ring (and its drop count) take it
                continue
            wait(interval)
            chunk, _ = read(limit)
            if not chunk:
                continue
            with ready:
                self._chunks.append(chunk)
                self._queued += len(chunk)
                self.peak_queued = max(self.peak_queued, self._queued)
                ready.notify()
            if len(chunk) < self.wakeup_bytes:
                # The ring's poll is level-triggered: with a trickle pending it returns at
                # once. Pausing after a small read batches a trickle (at most ~100 reads/s)
                # without adding more than the pause to any event's latency.
                halt.wait(_TRICKLE_PAUSE)

    def _configure(self, obj: _libbpf.BpfObject) -> None:
        specs_fd = obj.map_fd("specs")
        for spec in SPECS:
            if spec.nr >= lay.NR_SYSCALLS or spec.name not in self.event_types:
                continue
            kinds = [spec.kinds.get(i, lay.K_NONE) for i in range(6)]
            dirfds = [(spec.dirfd or {}).get(i, 0) for i in range(6)]
            value = lay.SPEC.pack(1, *kinds, *dirfds, spec.extra)
            _libbpf.map_update(specs_fd, spec.nr.to_bytes(4, "little"), value)
        config = lay.CONFIG.pack(
            os.getpid(),
            self.wakeup_every,
            int("procexit" in self.event_types),
            self.wakeup_bytes,
        )
        _libbpf.map_update(obj.map_fd("settings"), b"\0\0\0\0", config)

    def stop(self) -> None:
        if self._thread is not None:
            self._halt.set()
            self._thread.join()
            self._thread = None
        if self._obj is not None:
            self._obj.close()  # detach first so nothing writes into a closing ring
            self._obj = None
        if self._ring is not None:
            self._ring.close()
            self._ring = None
        if self._drop_word is not None:
            self._drop_word.close()
            self._drop_word = None

    def __enter__(self) -> Sensor:
        return self.start() if self._obj is None else self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # consumption ------------------------------------------------------------------------

    def poll(self, timeout: float | None = None) -> list[SyscallEvent]:
        """One batch: wait for a wake-up (or ``timeout``, default the drain interval), then
        drain what is committed. A ``drop`` event is added when records were lost."""
        if self._ring is None:
            raise SensorError("the sensor is not started")
        wait = self.drain_interval if timeout is None else timeout
        if self._thread is not None:
            chunk = self._take(wait)
        else:
            self._ring.wait(wait)
            chunk, _ = self._ring.read(self.batch_limit)
        events = _decode_without_gc(self._decoder, chunk) if chunk else []
        self._delivered += len(events)
        events.extend(self._drop_events())
        return events

    def _take(self, timeout: float) -> bytes:
        """The copier's queued chunks (up to about ``batch_limit`` records' worth: a
        chunk is never split), waiting up to ``timeout`` for the first."""
        ready = self._ready
        with ready:
            if not self._chunks:
                ready.wait(timeout)
            if not self._chunks:
                return b""
            taken = [self._chunks.popleft()]
            size = len(taken[0])
            while self._chunks and size < self._take_bytes:
                taken.append(self._chunks.popleft())
                size += len(taken[-1])
            self._queued -= size
        return taken[0] if len(taken) == 1 else b"".join(taken)

    _take_bytes = 4 << 20  # one poll decodes at most about this much (plus one chunk)

    def __iter__(self) -> Iterator[list[SyscallEvent]]:
        while self._ring is not None:
            batch = self.poll()
            if batch:
                yield batch

    def run(
        self, callback: Callable[[list[SyscallEvent]], None], until: Callable[[], bool]
    ) -> None:
        """Call ``callback`` with each batch until ``until()`` is true."""
        while not until():
            batch = self.poll()
            if batch:
                callback(batch)

    def _counter(self, key: int) -> list[int]:
        """One per-CPU counter of the kernel side, a value per possible CPU."""
        if self._counters_fd < 0:
            return [0] * self._ncpu
        raw = _libbpf.map_lookup(self._counters_fd, key.to_bytes(4, "little"), 8 * self._ncpu)
        return [int.from_bytes(raw[i * 8 : i * 8 + 8], "little") for i in range(self._ncpu)]

    def _drop_events(self) -> list[SyscallEvent]:
        """Drop reports since the last call: the mapped total says whether anything was
        lost (one memory read per drain), the per-CPU counters then say where."""
        if self._drop_word is not None:
            total = _U64.unpack_from(self._drop_word, 0)[0]
            if total == self._drops_seen:
                return []
            self._drops_seen = total
        drops = self._counter(lay.C_DROPS)
        out = []
        now = time.time_ns()
        for cpu, total in enumerate(drops):
            delta = total - self._reported_drops[cpu]
            if delta > 0:
                self._reported_drops[cpu] = total
                log.warning("eBPF sensor: %d events dropped on CPU %d (ring full)", delta, cpu)
                out.append(SyscallEvent(now, 0, "drop", ">", {"drops": delta, "total": total}, cpu))
        return out

    def stats(self) -> SensorStats:
        captured, drops = self._counter(lay.C_CAPTURED), self._counter(lay.C_DROPS)
        return SensorStats(
            captured=sum(captured),
            delivered=self._delivered,
            drops=sum(drops),
            drops_per_cpu=tuple(drops),
            captured_per_cpu=tuple(captured),
            malformed=self._decoder.malformed + SensorEvent.malformed[0],
            queued=self._queued,
        )
