"""HostView: the read-only view host checks judge, over a root directory.

Every file is read through a `DirectoryTree` (symlinks resolved with chroot semantics,
`O_NOFOLLOW` opens), so a hostile snapshot can never make a check read outside ROOT,
and every read is bounded. Owners are named from the root's own /etc/passwd and
/etc/group, not the scanning machine's, so a mounted image is judged by its own users.

What only a running system knows lives apart, in `live` (a `LiveFacts`, None unless the
root is "/"): checks say which of the two they used in their evidence.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import stat as st
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mamori.model import Notice, NoticeLevel
from mamori.sources.directory import DirectoryTree
from mamori.sources.tree import EntryKind, TreeError, normalize
from mamori.workload.host.live import LiveFacts

SOURCE = "workload.host"
MAX_READ = 4 * 1024 * 1024  # a config file larger than this is not a config file
MAX_DPKG_STATUS = 128 * 1024 * 1024
MAX_LIST = 100_000  # entries listed from one directory
UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")


@dataclass(frozen=True, slots=True)
class Stat:
    path: str  # the in-root path after resolving symlinks
    kind: EntryKind
    mode: int  # permission bits (S_IMODE)
    uid: int
    gid: int
    size: int


@dataclass
class HostView:
    """A root filesystem (plus live facts when it is the running system's root)."""

    root: Path
    live: LiveFacts | None = None
    notices: list[Notice] = field(default_factory=list)
    # Parsed configurations shared by the checks of one scan (sshd, sysctl, PAM...).
    cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root).absolute()
        self.tree = DirectoryTree(self.root)
        self._users: dict[int, str] | None = None
        self._groups: dict[int, str] | None = None
        self._packages: dict[str, str] | None = None
        self._units: set[str] | None = None

    @classmethod
    def open(cls, root: Path, *, live: bool | None = None) -> HostView:
        """`live=None`: live facts exactly when `root` is this machine's "/"."""
        root = Path(root)
        if live is None:
            live = root.resolve() == Path("/")
        return cls(root, LiveFacts() if live else None)

    def _real(self, resolved: str) -> str:
        """The on-disk path of an in-root path whose components are not symlinks."""
        return str(self.root) + resolved if resolved != "/" else str(self.root)

    def warn(self, message: str, path: str | None = None) -> None:
        self.notices.append(
            Notice(level=NoticeLevel.WARNING, source=SOURCE, message=message[:500], path=path)
        )

    # files ------------------------------------------------------------------------------

    def read_text(self, path: str, limit: int = MAX_READ) -> str | None:
        """The file's text, None when absent; unreadable or oversized: a notice and None."""
        if self.tree.resolve(path) is None:
            return None
        try:
            return self.tree.read_text(path, limit)
        except (TreeError, OSError) as exc:
            self.warn(f"{path}: cannot read: {exc}", path)
            return None

    def lines(self, path: str) -> list[tuple[int, str]]:
        """(line number, text) for every line of the file; [] when absent."""
        text = self.read_text(path)
        return [] if text is None else list(enumerate(text.splitlines(), 1))

    def exists(self, path: str) -> bool:
        return self.tree.exists(path)

    def resolve(self, path: str) -> str | None:
        return self.tree.resolve(path)

    def stat(self, path: str, *, follow: bool = True) -> Stat | None:
        """Owner, group and mode of an in-root path (symlinks followed inside the root)."""
        if follow:
            resolved = self.tree.resolve(path)
        else:  # the parent resolved inside ROOT, the last component itself not followed
            norm = normalize(path)
            parent = self.tree.resolve(posixpath.dirname(norm))
            resolved = None if parent is None else self.tree.join(parent, posixpath.basename(norm))
        if resolved is None:
            return None
        entry = self.tree.lstat(resolved)
        if entry is None:
            return None
        try:
            info = os.lstat(self._real(resolved))
        except (OSError, ValueError):
            return None
        return Stat(
            resolved, entry.kind, st.S_IMODE(info.st_mode), info.st_uid, info.st_gid, info.st_size
        )

    def listdir(self, path: str) -> list[str]:
        """Names in an in-root directory, sorted; [] when absent or not a directory."""
        resolved = self.tree.resolve(path)
        if resolved is None:
            return []
        entry = self.tree.lstat(resolved)
        if entry is None or entry.kind is not EntryKind.DIR:
            return []
        names: list[str] = []
        try:
            with os.scandir(self._real(resolved)) as it:
                for child in it:
                    names.append(child.name)
                    if len(names) >= MAX_LIST:
                        self.warn(f"{path}: more than {MAX_LIST} entries, rest skipped", path)
                        break
        except OSError as exc:
            self.warn(f"{path}: cannot list: {exc}", path)
        return sorted(names)

    def glob(self, directory: str, pattern: str) -> list[str]:
        """In-root paths of `directory`'s entries whose name matches `pattern`, sorted."""
        base = normalize(directory)
        return [
            self.tree.join(base, name)
            for name in self.listdir(base)
            if fnmatch.fnmatchcase(name, pattern)
        ]

    def walk(self, top: str, limit: int) -> Iterator[tuple[str, os.stat_result]]:
        """(in-root path, lstat) of everything under `top`, never following symlinks and
        never leaving top's filesystem; stops with a notice after `limit` entries."""
        start = self.tree.resolve(top)
        if start is None:
            return
        real_top = self._real(start)
        try:
            device = os.lstat(real_top).st_dev
        except OSError:
            return
        stack, seen = [start], 0
        while stack:
            path = stack.pop()
            try:
                with os.scandir(self._real(path)) as it:
                    children = list(it)
            except OSError:
                continue
            for child in children:
                try:
                    info = child.stat(follow_symlinks=False)
                except OSError:
                    continue
                seen += 1
                if seen > limit:
                    self.warn(f"{top}: walk stopped after {limit} entries", top)
                    return
                child_path = self.tree.join(path, child.name)
                yield child_path, info
                if st.S_ISDIR(info.st_mode) and info.st_dev == device:
                    stack.append(child_path)

    # names, packages, units -----------------------------------------------------------

    def _ids(self, path: str) -> dict[int, str]:
        ids: dict[int, str] = {}
        for _, line in self.lines(path):
            parts = line.split(":")
            if len(parts) >= 3 and parts[2].isdigit():
                ids.setdefault(int(parts[2]), parts[0])
        return ids

    def user(self, uid: int) -> str:
        if self._users is None:
            self._users = self._ids("/etc/passwd")
        return self._users.get(uid, str(uid))

    def group(self, gid: int) -> str:
        if self._groups is None:
            self._groups = self._ids("/etc/group")
        return self._groups.get(gid, str(gid))

    def packages(self) -> dict[str, str]:
        """Installed dpkg packages (name -> version) from the root's dpkg status file."""
        if self._packages is None:
            self._packages = {}
            text = self.read_text("/var/lib/dpkg/status", MAX_DPKG_STATUS) or ""
            for stanza in text.split("\n\n"):
                fields: dict[str, str] = {}
                for line in stanza.splitlines():
                    if line[:1] not in (" ", "\t") and ":" in line:
                        key, _, value = line.partition(":")
                        fields[key.strip().lower()] = value.strip()
                if fields.get("package") and fields.get("status", "").endswith(" installed"):
                    self._packages[fields["package"]] = fields.get("version", "")
        return self._packages

    def has_dpkg(self) -> bool:
        return self.exists("/var/lib/dpkg/status")

    def enabled_units(self) -> set[str]:
        """Unit names some target wants or requires (symlinks in *.wants / *.requires)."""
        if self._units is None:
            self._units = set()
            for base in UNIT_DIRS:
                for name in self.listdir(base):
                    if name.endswith((".wants", ".requires")):
                        self._units.update(self.listdir(f"{base}/{name}"))
        return self._units

    def unit_masked(self, unit: str) -> bool:
        entry = self.tree.lstat(f"/etc/systemd/system/{unit}")
        return entry is not None and entry.link in ("/dev/null", "../../../dev/null")

    def unit_file(self, unit: str) -> str | None:
        """The in-root path of a unit file, the /etc override first."""
        for base in UNIT_DIRS:
            path = f"{base}/{unit}"
            if self.tree.is_file(path):
                return path
        return None
