"""Mount judgements for /tmp and /dev/shm (live table, or fstab / units on a directory)."""

from __future__ import annotations

from mamori.workload.host.mounts import MountPoint, mount_point
from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.view import HostView


def _evidence(mount: MountPoint) -> Evidence:
    return Evidence(
        mount.source, f"{mount.target} {mount.fstype} {','.join(sorted(mount.options))}", mount.line
    )


def separate(view: HostView, target: str) -> HostResult:
    mount = mount_point(view, target)
    if mount is None:
        where = "live mount table" if view.live is not None else "fstab or an enabled unit"
        return failed(f"{target} is not a separate mount ({where})", Evidence(target, "no mount"))
    return passed(f"{target} is mounted separately ({mount.fstype})", _evidence(mount))


def option(view: HostView, target: str, wanted: str) -> HostResult:
    mount = mount_point(view, target)
    if mount is None:
        return not_applicable(f"{target} is not a separate mount, so it has no own options")
    if wanted in mount.options:
        return passed(f"{target} is mounted with {wanted}", _evidence(mount))
    return failed(f"{target} is mounted without {wanted}", _evidence(mount))
