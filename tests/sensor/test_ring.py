"""In-kernel filtering, drop accounting with a stalled consumer, start-up errors."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mamori.sensor import Sensor, SensorError, ebpf_available
from mamori.sensor import sensor as sensor_mod
from tests.sensor.conftest import need_sensor, run_captured

pytestmark = [pytest.mark.root]


def _drain(sensor: Sensor, rounds: int = 10) -> list[str]:
    names = []
    for _ in range(rounds):
        names.extend(e.name for e in sensor.poll(0.02))
    return names


def test_only_requested_event_types_are_captured_in_kernel() -> None:
    need_sensor()
    with Sensor(["openat", "procexit", "read"]) as sensor:
        assert sensor.unsupported == frozenset({"read"})
        cap, done = run_captured(sensor, ["/bin/sh", "-c", "cat /etc/hostname"])
        assert done.returncode == 0
        assert {e.name for e in cap.events} == {"openat", "procexit"}
        assert any(e.params.get("name") == "/etc/hostname" for e in cap.events)
        names = _drain(sensor)
        assert set(names) <= {"openat", "procexit", "drop"}
        # everything the kernel captured reaches Python: nothing was captured to be
        # filtered out later (the host keeps opening files meanwhile: catch up with it)
        deadline = time.monotonic() + 5
        while True:
            stats = sensor.stats()
            names.extend(e.name for e in sensor.poll(0.02))
            if sensor.stats().delivered >= stats.captured or time.monotonic() > deadline:
                break
        assert stats.drops == 0
        assert sensor.stats().delivered >= stats.captured
        assert set(names) <= {"openat", "procexit"}


def test_drops_are_counted_and_reported_when_the_consumer_stalls(tmp_path: Path) -> None:
    need_sensor()
    target = tmp_path / "f"
    target.write_text("x")
    script = f"import os\nfor _ in range(3000):\n    os.close(os.open({str(target)!r}, 0))\n"
    with Sensor(["openat", "close"], ring_bytes=4096, wakeup_bytes=0) as sensor:
        subprocess.run([sys.executable, "-c", script], check=True)  # nobody drains meanwhile
        events = []
        for _ in range(20):
            events.extend(sensor.poll(0.01))
        stats = sensor.stats()
        events.extend(sensor.poll(0))  # reports every drop counted up to now
        drops = [e for e in events if e.name == "drop"]
        reported = sum(int(d.params["drops"]) for d in drops)  # type: ignore[call-overload]
        assert stats.drops > 1000
        assert reported >= stats.drops  # never silent (the host adds more meanwhile)
        for cpu in {d.cpu for d in drops}:  # each report carries the CPU's running total
            on_cpu = [d for d in drops if d.cpu == cpu]
            assert sum(int(d.params["drops"]) for d in on_cpu) == on_cpu[-1].params["total"]  # type: ignore[call-overload]
        assert sum(stats.drops_per_cpu) == stats.drops
        real = len(events) - len(drops)
        assert sensor.stats().captured >= real + reported


def test_clear_error_when_the_object_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    need_sensor()
    monkeypatch.setenv("MAMORI_SENSOR_OBJECT", "/nonexistent/sensor.bpf.o")
    with pytest.raises(SensorError, match="scripts/build-bpf"):
        Sensor(["openat"]).start()
    ok, reason = ebpf_available()
    assert not ok and "build-bpf" in reason


def test_ebpf_available_loads_the_real_object() -> None:
    need_sensor()
    started = time.monotonic()
    ok, reason = ebpf_available()
    assert ok, reason
    assert "on_sys_exit" in reason
    assert time.monotonic() - started < 20


def test_clear_error_when_not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-flight check answers before libbpf's EPERM (the interpreter here lives in
    /root, so a real unprivileged child cannot run it: the euid is patched instead)."""
    monkeypatch.setattr(sensor_mod.os, "geteuid", lambda: 1000)
    ok, reason = ebpf_available()
    assert not ok and reason.startswith("the eBPF sensor needs root")
    with pytest.raises(SensorError, match="needs root"):
        Sensor(["openat"]).start()
