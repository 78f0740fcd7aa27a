"""Where a path is mounted and with which options: live, or as the root would boot.

Live: the mount table (`LiveFacts.mount_at`). On a directory: the last /etc/fstab entry
for the mount point, else an enabled, unmasked systemd `.mount` unit (tmp.mount's
Options=), else, for /dev/shm, what systemd itself mounts there at boot (tmpfs with
nosuid,nodev: src/shared/mount-setup.c), else nothing: the path lives on its parent.
"""

from __future__ import annotations

from dataclasses import dataclass

from mamori.workload.host.live import unescape
from mamori.workload.host.view import HostView

FSTAB = "/etc/fstab"
DEFAULTS = ("rw", "suid", "dev", "exec", "auto", "nouser", "async")
SYSTEMD_BUILTIN = {"/dev/shm": ("tmpfs", ("rw", "nosuid", "nodev", "mode=1777"))}


@dataclass(frozen=True, slots=True)
class MountPoint:
    target: str
    fstype: str
    options: frozenset[str]
    source: str  # "live:/proc/self/mountinfo", "/etc/fstab", a unit file, "systemd default"
    line: int = 0


def _options(text: str) -> frozenset[str]:
    options: set[str] = set()
    for option in text.split(","):
        options.update(DEFAULTS if option == "defaults" else (option,))
    return frozenset(o for o in options if o)


def fstab_entry(view: HostView, target: str) -> MountPoint | None:
    found = None
    for number, line in view.lines(FSTAB):
        fields = line.split("#", 1)[0].split()
        if len(fields) < 4:
            continue
        where = unescape(fields[1]).rstrip("/") or "/"
        if where == target:
            found = MountPoint(target, fields[2], _options(fields[3]), FSTAB, number)
    return found


def unit_name(target: str) -> str:
    """systemd's unit name for a mount point: /dev/shm -> dev-shm.mount."""
    return target.strip("/").replace("-", "\\x2d").replace("/", "-") + ".mount"


def unit_entry(view: HostView, target: str) -> MountPoint | None:
    unit = unit_name(target)
    if unit not in view.enabled_units() or view.unit_masked(unit):
        return None
    path = view.unit_file(unit)
    if path is None:
        return None
    fstype, options, line_no = "", frozenset[str](), 0
    for number, line in view.lines(path):
        key, _, value = line.strip().partition("=")
        if key == "Type":
            fstype = value.strip()
        elif key == "Options":
            options, line_no = _options(value.strip()), number
    return MountPoint(target, fstype, options, path, line_no)


def mount_point(view: HostView, target: str) -> MountPoint | None:
    """How `target` is (live) or would be (directory) mounted; None: not a mount point."""
    if view.live is not None:
        mount = view.live.mount_at(target)
        if mount is None:
            return None
        return MountPoint(target, mount.fstype, mount.options, "live:/proc/self/mountinfo")
    entry = fstab_entry(view, target) or unit_entry(view, target)
    if entry is not None:
        return entry
    builtin = SYSTEMD_BUILTIN.get(target)
    systemd = any(view.exists(p) for p in ("/usr/lib/systemd/systemd", "/lib/systemd/systemd"))
    if builtin is not None and systemd:
        return MountPoint(target, builtin[0], frozenset(builtin[1]), "systemd default")
    return None
