"""The eBPF runtime sensor: Falco-named syscall events from a CO-RE program via libbpf.

    with Sensor(["execve", "openat", "connect", "procexit"]) as sensor:
        for batch in sensor:          # lists of mamori.model.events.SyscallEvent
            ...
        sensor.stats()                # captured / delivered / drops per CPU

The kernel side (``bpf/sensor.bpf.c``, built by ``scripts/build-bpf``) captures syscall
exits through tracepoints only (tp_btf sys_enter/sys_exit, sched_process_exit), filters
event types in the kernel, and writes fixed-header records to a ring buffer that
``ring.RingReader`` drains in batches. ``snapshot`` gives the processes and fds alive at
start-up; ``ebpf_available`` tries the real load.
"""

from mamori.sensor.probe import ebpf_available
from mamori.sensor.sensor import Sensor, SensorError, SensorStats
from mamori.sensor.snapshot import snapshot_fds, snapshot_threads
from mamori.sensor.table import DEFAULT_EVENT_TYPES, EVENT_TYPES

__all__ = [
    "DEFAULT_EVENT_TYPES",
    "EVENT_TYPES",
    "Sensor",
    "SensorError",
    "SensorStats",
    "ebpf_available",
    "snapshot_fds",
    "snapshot_threads",
]
