"""Periodic runs: `mamori scan aws --every 1h` runs a scan now and then on a fixed grid.

Runs start at `start + n * interval` (a monotonic clock, so neither drift from the time a
scan takes nor a wall-clock jump moves them). A run that outlasts the interval makes the
slots that began meanwhile "missed": they are skipped with one log line and the next run
waits for the next slot, so runs never pile up. A slot less than `LATE_GRACE_S` past when
the previous run ends still runs (late), rather than costing a whole interval.

A job that raises is logged with its traceback and the schedule goes on. SIGINT or
SIGTERM asks the loop to stop: the current run finishes (a scan is never cut off half
stored), then `run_every` returns; a second signal interrupts the run itself
(KeyboardInterrupt).
"""

from __future__ import annotations

import logging
import math
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType

log = logging.getLogger(__name__)

LATE_GRACE_S = 1.0
MAX_INTERVAL = timedelta(days=366)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"([0-9]{1,9})([smhd])")


def parse_interval(text: str) -> timedelta:
    """Parse "90s", "30m", "1h", "1d" or a sum like "1h30m" (any case) into a timedelta.

    Raises ValueError for anything else, for zero and for more than a year."""
    raw = text.strip().lower()
    seconds = 0
    position = 0
    for part in _PART.finditer(raw):
        if part.start() != position:
            break
        seconds += int(part.group(1)) * _UNITS[part.group(2)]
        position = part.end()
    if not raw or position != len(raw):
        raise ValueError(
            f"invalid interval {text!r}: use a number and a unit, e.g. 90s, 30m, 1h, 1d"
        )
    if not 0 < seconds <= MAX_INTERVAL.total_seconds():
        raise ValueError(f"invalid interval {text!r}: must be more than 0s and at most 366d")
    return timedelta(seconds=seconds)


@dataclass
class MonitorResult:
    runs: int = 0
    failures: int = 0  # runs whose job raised
    skipped: int = 0  # slots missed because a run outlasted the interval
    last_status: int | None = None  # exit status of the last run that returned one


class _Stop:
    """The stop request: an Event to wake a waiting loop, plus a flag a signal handler
    can set without taking the Event's lock (which the interrupted code may hold)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event
        self.signalled = False

    def requested(self) -> bool:
        return self.signalled or self.event.is_set()


@contextmanager
def _stop_on_signals(stop: _Stop) -> Iterator[None]:
    """SIGINT/SIGTERM request a stop; a second one interrupts. Main thread only (Python
    delivers signals there); elsewhere the caller's event is the only way to stop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.signalled:
            raise KeyboardInterrupt
        stop.signalled = True
        log.warning("%s: stopping after the current run", signal.Signals(signum).name)
        # Event.set takes a lock this thread may hold right now: set it from another.
        threading.Thread(target=stop.event.set, daemon=True).start()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _next_slot(done_slot: int, start: float, now: float, period: float) -> int:
    """The first slot after `done_slot` that has not begun (give or take LATE_GRACE_S)."""
    begun = math.floor((now - LATE_GRACE_S - start) / period)
    return max(done_slot + 1, begun + 1)


def run_every(
    interval: timedelta,
    job: Callable[[], int],
    *,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] | None = None,
    handle_signals: bool = True,
) -> MonitorResult:
    """Run `job` now and at every `interval` after, until `stop` is set or a signal
    arrives. `sleep` defaults to waiting on the stop event, so a stop wakes it at once;
    `clock` and `sleep` are injectable for tests."""
    period = interval.total_seconds()
    if period <= 0:
        raise ValueError("the interval must be positive")
    state = _Stop(stop if stop is not None else threading.Event())
    wait = sleep if sleep is not None else state.event.wait
    result = MonitorResult()
    start = clock()
    slot = 0
    guard = _stop_on_signals(state) if handle_signals else nullcontext()
    with guard:
        while not state.requested():
            result.runs += 1
            began = clock()
            _run_once(job, result)
            if state.requested():
                break
            now = clock()
            following = _next_slot(slot, start, now, period)
            if following > slot + 1:
                missed = following - slot - 1
                result.skipped += missed
                log.warning(
                    "run %d took %.0fs, longer than the interval (%s): skipping %d missed run(s)",
                    result.runs,
                    now - began,
                    interval,
                    missed,
                )
            slot = following
            target = start + slot * period
            log.info("next run in %.0fs", max(0.0, target - now))
            while not state.requested() and (remaining := target - clock()) > 0:
                wait(remaining)
    return result


def _run_once(job: Callable[[], int], result: MonitorResult) -> None:
    try:
        status = job()
    except Exception:  # a failed run must not end the schedule
        result.failures += 1
        log.exception("run %d failed; the schedule continues", result.runs)
        return
    result.last_status = status
    if status != 0:
        log.warning("run %d exited with status %d", result.runs, status)
