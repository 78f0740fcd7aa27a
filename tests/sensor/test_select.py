"""Sensor selection: eBPF where it loads (here), the fallbacks when forced or when the
eBPF object cannot load, and a clear error for a choice that cannot work."""

from __future__ import annotations

import pytest

from mamori.sensor import Sensor, SensorError
from mamori.sensor.fallback import FallbackSensor
from mamori.sensor.select import choose_sensor, sensor_name
from tests.sensor.conftest import need_sensor
from tests.support import kernel_audit, need_root


def test_auto_picks_ebpf_here() -> None:
    need_sensor()
    for requested in (None, "auto", "ebpf", "EBPF"):
        factory, reason = choose_sensor(requested)
        assert sensor_name(factory) == "ebpf" and reason.startswith("ebpf: ")
        assert isinstance(factory(["execve"]), Sensor)


def test_forced_fallback_runs() -> None:
    need_root()
    with kernel_audit():  # the audit probe and source need the kernel's one audit socket
        factory, reason = choose_sensor("fallback")
        assert sensor_name(factory) == "fallback"
        assert reason.startswith("fallback (requested): sources: proc, fanotify, audit")
        sensor = factory(["procexit"])
        assert isinstance(sensor, FallbackSensor)
        sensor.start()
        try:
            assert sensor.poll(0.01) is not None
        finally:
            sensor.stop()


def test_without_ebpf_auto_falls_back_and_ebpf_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    need_root()
    monkeypatch.setenv("MAMORI_SENSOR_OBJECT", f"{tmp_path}/missing.bpf.o")
    factory, reason = choose_sensor("auto")
    assert sensor_name(factory) == "fallback"
    assert "eBPF unavailable" in reason and "missing.bpf.o" in reason
    with pytest.raises(SensorError, match=r"--sensor ebpf cannot run here: .*missing\.bpf\.o"):
        choose_sensor("ebpf")


def test_unknown_choice() -> None:
    with pytest.raises(SensorError, match="unknown sensor 'kprobe'"):
        choose_sensor("kprobe")
