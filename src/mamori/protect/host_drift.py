"""Executable drift on a host: a program run from a system directory that no installed
package owns (a binary dropped into /usr/bin, a library path, /sbin...).

In a container the rule "Executable drift in a container" asks the overlay (was the file
written after the image?); a host has no image, but it has a package database: every
file a package installed is listed there. `PackageFiles` reads those lists (dpkg's
``info/*.list``, apk's ``installed``; rpm through ``rpm -qa`` when present) below a root,
with the merged-/usr aliases resolved (``/bin/ls`` listed, ``/usr/bin/ls`` executed).
`HostDriftMonitor` alerts when a host process (not a container's) executes a regular
file below `SYSTEM_DIRS` that is not in that set. ``/usr/local``, ``/opt`` and home
directories are the administrator's by convention and are not judged.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from mamori.alerts import Alert
from mamori.protect.actor import actor, identity, who
from mamori.rules import Priority

log = logging.getLogger(__name__)

SYSTEM_DIRS: tuple[str, ...] = (
    "/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", "/usr/lib/", "/lib/", "/lib64/",
    "/usr/lib64/", "/usr/libexec/", "/usr/games/",
)  # fmt: skip
RULE = "Executable drift on the host"
TAGS = ("host", "process", "drift", "mitre_persistence", "mitre_defense_evasion", "T1036")
EVENT_TYPES = frozenset({"execve", "execveat"})
_MAX_PATHS = 2_000_000


class PackageFiles:
    """The paths installed packages own, as absolute paths of the root they were read
    from (merged-/usr aliases included both ways)."""

    def __init__(self, paths: Iterable[str], aliases: dict[str, str] | None = None) -> None:
        self.paths = frozenset(paths)
        self.aliases = aliases or {}
        self.sources: list[str] = []

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        if path in self.paths:
            return True
        for link, target in self.aliases.items():  # /usr/bin/x -> /bin/x and back
            if path.startswith(target):
                if link + path[len(target) :] in self.paths:
                    return True
            elif path.startswith(link) and target + path[len(link) :] in self.paths:
                return True
        return False

    def __len__(self) -> int:
        return len(self.paths)

    @classmethod
    def from_root(cls, root: str = "/") -> PackageFiles:
        """Read the package databases below ``root`` (bounded: at most 2M paths)."""
        found: set[str] = set()
        sources: list[str] = []
        base = Path(root)
        for name, reader in (("dpkg", _dpkg), ("apk", _apk), ("rpm", _rpm)):
            try:
                before = len(found)
                for path in reader(base):
                    if len(found) >= _MAX_PATHS:
                        log.warning(
                            "host drift: over %d package paths: the rest ignored", _MAX_PATHS
                        )
                        break
                    found.add(path)
                if len(found) > before:
                    sources.append(name)
            except OSError as exc:
                log.warning("host drift: cannot read the %s database: %s", name, exc)
        files = cls(found, _merged_usr(base))
        files.sources = sources
        return files


def _dpkg(root: Path) -> Iterator[str]:
    info = root / "var/lib/dpkg/info"
    if not info.is_dir():
        return
    for lst in sorted(info.glob("*.list")):
        with lst.open(encoding="utf-8", errors="surrogateescape") as fh:
            for line in fh:
                line = line.rstrip("\n")
                if line.startswith("/") and line != "/.":
                    yield line


def _apk(root: Path) -> Iterator[str]:
    db = root / "lib/apk/db/installed"
    if not db.is_file():
        return
    folder = ""
    with db.open(encoding="utf-8", errors="surrogateescape") as fh:
        for line in fh:
            if line.startswith("F:"):
                folder = "/" + line[2:].strip()
            elif line.startswith("R:"):
                yield f"{folder.rstrip('/')}/{line[2:].strip()}"


def _rpm(root: Path) -> Iterator[str]:
    if not any((root / p).exists() for p in ("var/lib/rpm", "usr/lib/sysimage/rpm")):
        return
    try:
        out = subprocess.run(
            ["rpm", "--root", str(root), "-qa", "--qf", "[%{FILENAMES}\\n]"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OSError(f"rpm: {exc}") from exc
    yield from (line for line in out.stdout.splitlines() if line.startswith("/"))


def _merged_usr(root: Path) -> dict[str, str]:
    """``/bin/`` -> ``/usr/bin/`` where the root's top-level directory is a symlink."""
    aliases = {}
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        link = root / top
        try:
            target = os.readlink(link)
        except OSError:
            continue
        if not target.startswith("/"):
            target = "/" + target
        aliases[f"/{top}/"] = target.rstrip("/") + "/"
    return aliases


class HostDriftMonitor:
    """Alerts on host execs of unowned files in system directories (see the module)."""

    def __init__(
        self,
        files: PackageFiles,
        *,
        system_dirs: Iterable[str] = SYSTEM_DIRS,
        hostname: str = "",
    ) -> None:
        self.files = files
        self.system_dirs = tuple(system_dirs)
        self.hostname = hostname
        self.alerts: list[Alert] = []
        self._seen: set[tuple[str, int]] = set()  # (path, inode) already reported

    def observe(self, view: Any) -> None:
        try:
            self._observe(view)
        except Exception:  # protection must never stop the agent's loop
            log.exception("host drift: event not understood")

    def _observe(self, view: Any) -> None:
        if view.name not in EVENT_TYPES or view.params.get("res") != 0:
            return
        thread = view.thread
        if thread is None or (thread.container_id or "host") != "host":
            return
        path = thread.exepath or view.params.get("trusted_exepath")
        if not isinstance(path, str) or not path.startswith(self.system_dirs):
            return
        if path in self.files:
            return
        ino = view.params.get("exe_ino")
        key = (path, ino if isinstance(ino, int) else 0)
        if key in self._seen:
            return
        if len(self._seen) > 65536:
            self._seen.clear()
        self._seen.add(key)
        fields = {"proc.exepath": path, **actor(view)}
        output = f"{RULE} (exe={path} not owned by any installed package {who(fields)})"
        self.alerts.append(Alert(ts=view.ts, rule=RULE, priority=Priority.ERROR, output=output,
                                 source="syscall", tags=TAGS, fields=fields,
                                 hostname=self.hostname,
                                 identity=identity(fields, self.hostname)))  # fmt: skip

    def results(self) -> list[Alert]:
        out, self.alerts = self.alerts, []
        return out
