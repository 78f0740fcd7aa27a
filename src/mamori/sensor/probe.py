"""Can the eBPF sensor run here? Answered by loading the real object, not by guessing."""

from __future__ import annotations

from mamori.sensor import _libbpf
from mamori.sensor.sensor import SensorError, check_prerequisites, object_path


def ebpf_available() -> tuple[bool, str]:
    """(True, detail) when the sensor's object loads (verifier and CO-RE included)."""
    obj_file = object_path()
    try:
        check_prerequisites(obj_file)
        obj = _libbpf.BpfObject(obj_file)
    except (SensorError, _libbpf.BpfError) as exc:
        return False, str(exc)
    try:
        obj.load()
        names = [name for name, _ in obj.programs()]
    except _libbpf.BpfError as exc:
        return False, str(exc)
    finally:
        obj.close()
    return True, f"{obj_file.name} loads: {', '.join(names)}"
