"""LiveFacts: what only the running system knows, read from /proc (never from a root).

Running kernel parameters (/proc/sys), the mount table (/proc/self/mountinfo), running
programs (/proc/<pid>/comm and exe), the kernel command line, and `sshd -T` (the
daemon's own effective configuration) when openssh-server is installed. A check that
uses one of these says so in its evidence ("live:..."), because a directory scan of the
same root cannot know it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

PROC = Path("/proc")
MAX_PROC_READ = 1024 * 1024
SSHD_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Mount:
    target: str
    fstype: str
    source: str
    options: frozenset[str]  # per-mount and superblock options together


def _read(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_PROC_READ).decode("utf-8", errors="replace")
    except OSError:
        return None


def unescape(field: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as \\ooo octal."""
    out, i = [], 0
    while i < len(field):
        code = field[i + 1 : i + 4]
        if field[i] == "\\" and len(code) == 3 and all(c in "01234567" for c in code):
            out.append(chr(int(code, 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse_mountinfo(text: str) -> list[Mount]:
    """/proc/<pid>/mountinfo lines -> mounts, in mount order (later mounts hide earlier)."""
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 6 or len(tail) < 3:
            continue
        options = set(fields[5].split(",")) | set(tail[2].split(","))
        mounts.append(Mount(unescape(fields[4]), tail[0], unescape(tail[1]), frozenset(options)))
    return mounts


class LiveFacts:
    """Facts of the machine this process runs on. Every reader tolerates absence."""

    def __init__(self, proc: Path = PROC) -> None:
        self.proc = proc

    def sysctl(self, name: str) -> str | None:
        """The running value of a kernel parameter, whitespace-normalised; None if absent."""
        relative = name.replace(".", "/")
        if ".." in relative.split("/"):
            return None
        text = _read(self.proc / "sys" / relative)
        return None if text is None else " ".join(text.split())

    @cached_property
    def mounts(self) -> list[Mount]:
        return parse_mountinfo(_read(self.proc / "self" / "mountinfo") or "")

    def mount_at(self, target: str) -> Mount | None:
        """The mount visible at `target` (the last one mounted there), None if none."""
        found = None
        for mount in self.mounts:
            if mount.target == target:
                found = mount
        return found

    @cached_property
    def programs(self) -> frozenset[str]:
        """Names of running programs: each process's comm and its executable's basename."""
        names: set[str] = set()
        try:
            pids = [p for p in os.listdir(self.proc) if p.isdigit()]
        except OSError:
            return frozenset()
        for pid in pids:
            comm = _read(self.proc / pid / "comm")
            if comm:
                names.add(comm.strip())
            try:
                exe = os.readlink(self.proc / pid / "exe")
            except OSError:
                continue
            names.add(os.path.basename(exe.removesuffix(" (deleted)")))
        return frozenset(names)

    @cached_property
    def cmdline(self) -> list[str]:
        return (_read(self.proc / "cmdline") or "").split()

    @cached_property
    def sshd_t(self) -> dict[str, list[str]] | None:
        """`sshd -T` (keyword -> values, lower-case keys) when sshd is installed, else None.

        sshd itself is the oracle for its effective configuration; it needs root and
        host keys, so a failure just means "unknown" and the file parser decides.
        """
        sshd = shutil.which("sshd") or (
            "/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None
        )
        if sshd is None:
            return None
        try:
            done = subprocess.run(
                [sshd, "-T"], capture_output=True, text=True, timeout=SSHD_TIMEOUT, check=False
            )
        except (OSError, subprocess.SubprocessError):
            return None
        if done.returncode != 0:
            return None
        config: dict[str, list[str]] = {}
        for line in done.stdout.splitlines():
            key, _, value = line.partition(" ")
            if key:
                config.setdefault(key.lower(), []).append(value.strip())
        return config
