"""Periodic runs on an injected clock: no real sleeping, exact slot times."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.app.monitor import MonitorResult, parse_interval, run_every

MINUTE = timedelta(minutes=1)


class FakeTime:
    """A clock that only moves when the job works or the loop sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0  # monotonic clocks do not start at 0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(
    fake: FakeTime,
    durations: Sequence[float],
    stop: threading.Event,
    *,
    fail_on: frozenset[int] = frozenset(),
    status: int = 0,
) -> tuple[Callable[[], int], list[float]]:
    """A job that takes durations[i] seconds on run i, raises on runs in `fail_on`, and
    sets `stop` after the last duration."""
    started: list[float] = []

    def job() -> int:
        run = len(started)
        started.append(fake.now - 1000.0)
        fake.now += durations[run]
        if run == len(durations) - 1:
            stop.set()
        if run in fail_on:
            raise RuntimeError(f"boom in run {run}")
        return status

    return job, started


def run(
    fake: FakeTime, interval: timedelta, job: Callable[[], int], stop: threading.Event
) -> MonitorResult:
    return run_every(
        interval, job, stop=stop, clock=fake.clock, sleep=fake.sleep, handle_signals=False
    )


def test_runs_stay_on_the_grid_whatever_each_run_takes() -> None:
    fake, stop = FakeTime(), threading.Event()
    job, started = scripted(fake, [7, 59, 0.5, 30, 12], stop)
    result = run(fake, MINUTE, job, stop)
    assert started == [0, 60, 120, 180, 240]  # no drift from the time runs take
    assert fake.sleeps == [53, 1, 59.5, 30]
    assert (result.runs, result.skipped, result.failures, result.last_status) == (5, 0, 0, 0)


def test_a_slow_run_skips_the_slots_it_overran(caplog: pytest.LogCaptureFixture) -> None:
    fake, stop = FakeTime(), threading.Event()
    job, started = scripted(fake, [150, 10, 10], stop)
    with caplog.at_level(logging.WARNING, logger="mamori.app.monitor"):
        result = run(fake, MINUTE, job, stop)
    # Run 0 ends at 150 s: the 60 s and 120 s slots are gone; the next is at 180 s.
    assert started == [0, 180, 240]
    assert result.skipped == 2
    assert "took 150s" in caplog.text and "skipping 2 missed run(s)" in caplog.text


def test_a_run_ending_on_a_slot_starts_the_next_at_once() -> None:
    fake, stop = FakeTime(), threading.Event()
    job, started = scripted(fake, [60, 60.5, 61.5, 1], stop)
    result = run(fake, MINUTE, job, stop)
    # 60 and 120.5 are within the grace of their slots (run late); 182 is not.
    assert started == [0, 60, 120.5, 240]
    assert result.skipped == 1


def test_a_failing_run_does_not_stop_the_schedule(caplog: pytest.LogCaptureFixture) -> None:
    fake, stop = FakeTime(), threading.Event()
    job, started = scripted(fake, [1, 2, 3], stop, fail_on=frozenset({0, 1}))
    with caplog.at_level(logging.ERROR, logger="mamori.app.monitor"):
        result = run(fake, MINUTE, job, stop)
    assert started == [0, 60, 120]
    assert result.failures == 2 and result.runs == 3 and result.last_status == 0
    assert "RuntimeError: boom in run 1" in caplog.text  # the traceback is logged


def test_exit_status_is_kept_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    fake, stop = FakeTime(), threading.Event()
    job, _ = scripted(fake, [1, 1], stop, status=3)
    with caplog.at_level(logging.WARNING, logger="mamori.app.monitor"):
        result = run(fake, MINUTE, job, stop)
    assert result.last_status == 3 and "exited with status 3" in caplog.text


def test_stop_during_the_wait_prevents_the_next_run() -> None:
    fake, stop = FakeTime(), threading.Event()
    started: list[float] = []

    def job() -> int:
        started.append(fake.now)
        return 0

    def sleep_then_stop(seconds: float) -> None:
        fake.sleep(seconds / 2)
        stop.set()

    result = run_every(
        MINUTE, job, stop=stop, clock=fake.clock, sleep=sleep_then_stop, handle_signals=False
    )
    assert result.runs == 1 and fake.sleeps == [30]


def test_a_set_event_means_no_run_at_all() -> None:
    stop = threading.Event()
    stop.set()
    result = run_every(MINUTE, lambda: 0, stop=stop, handle_signals=False)
    assert result.runs == 0


def test_the_default_wait_wakes_as_soon_as_stop_is_set() -> None:
    """The real wait: an hour-long interval ends the moment another thread sets stop."""
    stop, ran = threading.Event(), threading.Event()

    def job() -> int:
        ran.set()
        return 0

    def stopper() -> None:
        ran.wait(10)
        stop.set()

    threading.Thread(target=stopper, daemon=True).start()
    began = time.monotonic()
    result = run_every(timedelta(hours=1), job, stop=stop, handle_signals=False)
    assert result.runs == 1 and time.monotonic() - began < 5


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_lets_the_run_finish_then_stops(signum: signal.Signals) -> None:
    fake = FakeTime()
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    finished: list[int] = []

    def job() -> int:
        os.kill(os.getpid(), signum)  # delivered to this (main) thread right away
        fake.now += 5
        finished.append(len(finished))
        return 0

    result = run_every(MINUTE, job, clock=fake.clock, sleep=fake.sleep)
    assert result.runs == 1 and finished == [0] and fake.sleeps == []
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_second_signal_interrupts_the_run() -> None:
    before = signal.getsignal(signal.SIGTERM)

    def job() -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGTERM)
        return 0

    with pytest.raises(KeyboardInterrupt):
        run_every(MINUTE, job, sleep=lambda s: None)
    assert signal.getsignal(signal.SIGTERM) == before


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("1h", 3600),
        ("1d", 86400),
        ("1h30m", 5400),
        (" 2H ", 7200),
        ("1d12h", 129600),
        ("366d", 366 * 86400),
    ],
)
def test_parse_interval(text: str, seconds: int) -> None:
    assert parse_interval(text) == timedelta(seconds=seconds)


REFUSED = ["", " ", "0s", "0h0m", "1", "h", "1x", "-1h", "1.5h", "1h 30m", "367d", "1hh"]


@pytest.mark.parametrize("text", [*REFUSED, "\u0661h"])  # an Arabic-Indic digit one
def test_parse_interval_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="invalid interval"):
        parse_interval(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_parse_interval_never_fails_otherwise(text: str) -> None:
    try:
        interval = parse_interval(text)
    except ValueError:
        return
    assert timedelta(0) < interval <= timedelta(days=366)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.sampled_from("smhd")), min_size=1, max_size=4))
def test_parse_interval_sums_its_parts(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{unit}" for n, unit in parts)
    total = sum(n * {"s": 1, "m": 60, "h": 3600, "d": 86400}[u] for n, u in parts)
    if 0 < total <= 366 * 86400:
        assert parse_interval(text) == timedelta(seconds=total)
    else:
        with pytest.raises(ValueError):
            parse_interval(text)
