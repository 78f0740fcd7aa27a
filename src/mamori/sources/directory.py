"""A directory on disk (a mounted root filesystem, a snapshot, an extracted image)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from mamori.sources.tree import EntryKind, FileEntry, Tree, TreeError, normalize

# Pseudo filesystems that are never part of what is installed on a host.
HOST_SKIP = ("/proc", "/sys", "/dev", "/run", "/tmp", "/var/tmp", "/var/cache", "/var/log")


def _entry(path: str, st: os.stat_result, link: str | None) -> FileEntry:
    mode = st.st_mode
    if stat.S_ISREG(mode):
        kind = EntryKind.FILE
    elif stat.S_ISDIR(mode):
        kind = EntryKind.DIR
    elif stat.S_ISLNK(mode):
        kind = EntryKind.SYMLINK
    else:
        kind = EntryKind.OTHER
    return FileEntry(path, kind, st.st_size, stat.S_IMODE(mode), link)


class DirectoryTree(Tree):
    """A tree rooted at a real directory. Never follows a symlink out of the root."""

    def __init__(
        self,
        root: Path,
        *,
        skip: tuple[str, ...] = (),
        on_error: Callable[[str, OSError], None] | None = None,
        layers: dict[str, str] | None = None,
    ) -> None:
        self.root = Path(root).absolute()
        if not self.root.is_dir():
            raise TreeError(f"{root}: not a directory")
        self.label = str(self.root)
        self._skip = frozenset(normalize(s) for s in skip)
        self._on_error = on_error
        self._layers = layers or {}
        self._dev = self.root.stat().st_dev

    def _real(self, path: str) -> str:
        return str(self.root) + normalize(path) if path != "/" else str(self.root)

    def lstat(self, path: str) -> FileEntry | None:
        path = normalize(path)
        real = self._real(path)
        try:
            st = os.lstat(real)
            link = os.readlink(real) if stat.S_ISLNK(st.st_mode) else None
        except (OSError, ValueError):  # ValueError: an embedded NUL, so no such path
            return None
        return _entry(path, st, link)

    def walk(self) -> Iterator[FileEntry]:
        stack = ["/"]
        while stack:
            path = stack.pop()
            try:
                with os.scandir(self._real(path)) as it:
                    children = sorted(it, key=lambda e: e.name, reverse=True)
            except OSError as exc:
                if self._on_error:
                    self._on_error(path, exc)
                continue
            for child in children:
                child_path = (
                    (path.rstrip("/") + "/" + child.name) if path != "/" else "/" + child.name
                )
                if child_path in self._skip:
                    continue
                try:
                    st = child.stat(follow_symlinks=False)
                    link = os.readlink(child.path) if stat.S_ISLNK(st.st_mode) else None
                except OSError as exc:
                    if self._on_error:
                        self._on_error(child_path, exc)
                    continue
                entry = _entry(child_path, st, link)
                yield entry
                if entry.kind is EntryKind.DIR and st.st_dev == self._dev:
                    stack.append(child_path)

    def _open_resolved(self, path: str) -> BinaryIO:
        # O_NOFOLLOW: the path was resolved to a non-link; refuse if it changed since.
        try:
            fd = os.open(self._real(path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except ValueError:
            raise TreeError(f"{path!r}: not a valid path") from None
        except OSError as exc:
            raise TreeError(f"{path}: {exc.strerror}") from exc
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise TreeError(f"{path}: not a regular file")
        return os.fdopen(fd, "rb")

    def host_path(self, path: str) -> Path | None:
        resolved = self.resolve(path)
        if resolved is None:
            return None
        return Path(self._real(resolved))

    def layer_of(self, path: str) -> str | None:
        return self._layers.get(normalize(path))
