"""Ownership and permission judgements, and the world-writable walk."""

from __future__ import annotations

import stat

from mamori.sources.tree import EntryKind
from mamori.workload.host.result import Evidence, HostResult, failed, not_applicable, passed
from mamori.workload.host.view import HostView, Stat

# System directories walked for world-writable entries (7.1.11); /proc, /sys, /dev, /run
# and home directories are not system state; other filesystems are not crossed.
SYSTEM_DIRS = ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib64", "/opt", "/boot", "/srv",
               "/var")  # fmt: skip
STICKY_DIRS = ("/tmp", "/var/tmp")
WALK_LIMIT = 400_000
SHOWN = 10


def describe(view: HostView, info: Stat) -> str:
    return f"{info.mode:04o} {view.user(info.uid)}:{view.group(info.gid)}"


def mode_problems(
    view: HostView,
    info: Stat,
    max_mode: int,
    owners: tuple[str, ...] = ("root",),
    groups: tuple[str, ...] = ("root",),
) -> list[str]:
    """What is wrong with a file's mode and owner; [] when it is as strict as required."""
    problems = []
    extra = info.mode & ~max_mode
    if extra:
        problems.append(f"mode {info.mode:04o} allows {extra:04o} beyond {max_mode:04o}")
    if view.user(info.uid) not in owners:
        problems.append(f"owner {view.user(info.uid)} (expected {' or '.join(owners)})")
    if view.group(info.gid) not in groups:
        problems.append(f"group {view.group(info.gid)} (expected {' or '.join(groups)})")
    return problems


def judge_mode(
    view: HostView,
    path: str,
    max_mode: int,
    owners: tuple[str, ...] = ("root",),
    groups: tuple[str, ...] = ("root",),
    *,
    missing: HostResult | None = None,
) -> HostResult:
    """One path's mode and owner; absent: `missing` (default: not applicable)."""
    info = view.stat(path)
    if info is None:
        return missing or not_applicable(f"{path} does not exist")
    evidence = Evidence(path, describe(view, info))
    problems = mode_problems(view, info, max_mode, owners, groups)
    if problems:
        return failed(f"{path}: " + "; ".join(problems), evidence)
    return passed(f"{path} is {describe(view, info)}", evidence)


def world_writable(view: HostView) -> HostResult:
    """No world-writable file, and no world-writable directory without the sticky bit."""
    files: list[str] = []
    dirs: list[str] = []
    walked = 0
    for top in SYSTEM_DIRS:
        entry = view.tree.lstat(top)
        if entry is None or entry.kind is not EntryKind.DIR:
            continue  # /bin -> usr/bin on merged-/usr systems: walked as /usr
        for path, info in view.walk(top, WALK_LIMIT - walked):
            walked += 1
            if not info.st_mode & stat.S_IWOTH or stat.S_ISLNK(info.st_mode):
                continue
            if stat.S_ISREG(info.st_mode):
                files.append(path)
            elif stat.S_ISDIR(info.st_mode) and not info.st_mode & stat.S_ISVTX:
                dirs.append(path)
    for path in STICKY_DIRS:
        found = view.stat(path)
        if found is not None and found.mode & stat.S_IWOTH and not found.mode & stat.S_ISVTX:
            dirs.append(path)
    evidence = [Evidence(p, "world-writable file") for p in files[:SHOWN]]
    evidence += [Evidence(p, "world-writable directory without sticky bit") for p in dirs[:SHOWN]]
    if files or dirs:
        return failed(
            f"{len(files)} world-writable file(s) and {len(dirs)} world-writable "
            f"director(ies) without the sticky bit in system directories",
            *evidence,
        )
    return passed(f"no world-writable files or unsticky directories ({walked} entries walked)")
