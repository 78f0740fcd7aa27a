"""Which runtime sensor to run: eBPF when its object loads here, the fallbacks otherwise.

``choose_sensor(None | "auto")`` prefers eBPF and falls back; ``"ebpf"`` and
``"fallback"`` are explicit choices that raise ``SensorError`` with the reason when they
cannot work here, instead of silently running something else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from mamori.model.events import SyscallEvent
from mamori.sensor.fallback import FallbackSensor, probe_all
from mamori.sensor.probe import ebpf_available
from mamori.sensor.sensor import Sensor, SensorError, SensorStats

CHOICES = ("auto", "ebpf", "fallback")


class RuntimeSensor(Protocol):
    """What ``Sensor`` and ``FallbackSensor`` both offer."""

    event_types: frozenset[str]
    unsupported: frozenset[str]

    def start(self) -> RuntimeSensor: ...
    def stop(self) -> None: ...
    def poll(self, timeout: float | None = None) -> list[SyscallEvent]: ...
    def __iter__(self) -> Iterator[list[SyscallEvent]]: ...
    def stats(self) -> SensorStats: ...


SensorFactory = Callable[[Iterable[str] | None], RuntimeSensor]


def _ebpf(event_types: Iterable[str] | None) -> RuntimeSensor:
    return Sensor(event_types)


def _fallback(event_types: Iterable[str] | None) -> RuntimeSensor:
    return FallbackSensor(event_types)


def sensor_name(factory: SensorFactory) -> str:
    """ "ebpf" or "fallback" for a factory ``choose_sensor`` returned."""
    return "ebpf" if factory is _ebpf else "fallback"


def fallback_status() -> tuple[bool, str]:
    """(usable, which sources can start and why the others cannot)."""
    probes = probe_all()
    usable = [name for name, (ok, _) in probes.items() if ok]
    missing = [detail for ok, detail in probes.values() if not ok]
    detail = f"sources: {', '.join(usable) or 'none'}"
    if missing:
        detail += f" (unavailable: {'; '.join(missing)})"
    return bool(usable), detail


def choose_sensor(requested: str | None) -> tuple[SensorFactory, str]:
    """(factory taking the event types, reason) for ``--sensor auto|ebpf|fallback``."""
    choice = (requested or "auto").lower()
    if choice not in CHOICES:
        raise SensorError(f"unknown sensor {requested!r}: choose one of {', '.join(CHOICES)}")
    if choice in ("auto", "ebpf"):
        ok, detail = ebpf_available()
        if ok:
            return _ebpf, f"ebpf: {detail}"
        if choice == "ebpf":
            raise SensorError(f"--sensor ebpf cannot run here: {detail}")
        ebpf_reason = detail
    usable, detail = fallback_status()
    if not usable:
        prefix = "no sensor can run here" if choice == "auto" else "--sensor fallback cannot run"
        raise SensorError(f"{prefix}: {detail}")
    if choice == "fallback":
        return _fallback, f"fallback (requested): {detail}"
    return _fallback, f"fallback: eBPF unavailable ({ebpf_reason}); {detail}"
