"""The copier thread on the real kernel: a consumer busy for seconds loses nothing while
the backlog fits its bound, drops are counted once it does not, and events are numbered.

The oracle is the storm generator's own count of the syscalls it made (bench/storm.c);
the counter-test runs the same stall without the copier and must see drops, so the
zero-drop assertion is not vacuous.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from mamori.model.events import SyscallEvent
from mamori.sensor import Sensor
from tests.sensor.conftest import need_sensor
from tests.sensor.test_throughput import _storm

pytestmark = [pytest.mark.root]

RING = 2 << 20  # ~2 s of this storm: a 4 s stall overflows it


def _busy(seconds: float) -> None:
    """Hold the interpreter like a slow rule would (pure Python, GIL held but for the
    interpreter's periodic switches)."""
    end = time.monotonic() + seconds
    x = 0
    while time.monotonic() < end:
        for i in range(1000):
            x += i


def _stalled_storm(sensor: Sensor, stall: float) -> tuple[int, list[SyscallEvent]]:
    """A 10k syscalls/s open+close storm during which the consumer stalls for `stall` s;
    returns
    the generator's syscall count and the storm's events once all captured are in."""
    proc = subprocess.Popen(
        [str(_storm()), "open", "4.5", "10000"], stdout=subprocess.PIPE, text=True
    )
    mine: list[SyscallEvent] = []
    time.sleep(0.2)
    _busy(stall)
    deadline = time.monotonic() + 20
    while True:
        batch = sensor.poll(0.02)
        mine.extend(e for e in batch if e.ctx is not None and e.ctx.pid == proc.pid)
        stats = sensor.stats()
        if proc.poll() is not None and stats.delivered + stats.drops + stats.malformed == (
            stats.captured
        ):
            break
        assert time.monotonic() < deadline, f"captured events never delivered: {stats}"
    out, _ = proc.communicate()
    return int(json.loads(out)["syscalls"]), mine


def _loop_events(events: list[SyscallEvent]) -> list[SyscallEvent]:
    for i, e in enumerate(events):
        if e.name == "openat" and e.params.get("name") == "/dev/null":
            return events[i:]
    return []


def test_a_stalled_consumer_loses_nothing_with_the_copier() -> None:
    need_sensor()
    with Sensor(["openat", "close"], ring_bytes=RING, wakeup_bytes=16 << 10) as sensor:
        syscalls, mine = _stalled_storm(sensor, 4.0)
        stats = sensor.stats()
        peak = sensor.peak_queued
    assert stats.drops == 0, stats
    assert len(_loop_events(mine)) == syscalls  # every open and close of the loop
    assert peak > RING  # the backlog outgrew the ring: the copier held it


def test_without_the_copier_the_same_stall_drops_and_says_so() -> None:
    need_sensor()
    with Sensor(
        ["openat", "close"], ring_bytes=RING, wakeup_bytes=16 << 10, copier=False
    ) as sensor:
        syscalls, mine = _stalled_storm(sensor, 4.0)
        stats = sensor.stats()
    assert stats.drops > 0
    assert len(_loop_events(mine)) + stats.drops >= syscalls - 10  # lost = counted


def test_a_backlog_past_its_bound_is_dropped_in_the_kernel_and_counted() -> None:
    need_sensor()
    bound = 256 << 10
    with Sensor(
        ["openat", "close"], ring_bytes=RING, wakeup_bytes=16 << 10, queue_bytes=bound
    ) as sensor:
        _syscalls, _mine = _stalled_storm(sensor, 4.0)
        stats = sensor.stats()
        peak = sensor.peak_queued
    assert stats.drops > 0
    # the copier stops at the bound; one read (at most half the ring) can overshoot it
    assert peak <= bound + RING // 2
    assert stats.queued == 0


def test_events_are_numbered_in_delivery_order_from_one() -> None:
    need_sensor()
    with Sensor(["openat", "close"]) as sensor:
        seen: list[SyscallEvent] = []
        for _ in range(5):
            subprocess.run(["true"], check=True)
            seen.extend(e for e in sensor.poll(0.05) if e.name != "drop")
    nums = [e.num for e in seen]
    assert nums == list(range(1, len(nums) + 1))
