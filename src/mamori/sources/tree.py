"""A read-only view of a target's filesystem, the only way catalogers read files.

Paths are absolute POSIX paths *inside* the target ("/var/lib/dpkg/status"). Symlinks are
resolved with chroot semantics: an absolute link target is relative to the target's
root and ".." never climbs above it, so nothing outside the scanned root is ever read.
"""

from __future__ import annotations

import enum
import posixpath
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_SYMLINK_HOPS = 40
DEFAULT_READ_LIMIT = 256 * 1024 * 1024


class TreeError(OSError):
    """A path could not be read inside the tree (missing, escaping, too many links)."""


class EntryKind(enum.StrEnum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    OTHER = "other"  # devices, fifos, sockets: listed, never read


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    kind: EntryKind
    size: int = 0
    mode: int = 0
    link: str | None = None  # symlink target as stored

    @property
    def executable(self) -> bool:
        return self.kind is EntryKind.FILE and bool(self.mode & 0o111)


def normalize(path: str) -> str:
    """Normalize an in-tree path: absolute, no "." or "..", ".." at the root stays there."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


class Tree(ABC):
    """A filesystem to catalog. Subclasses supply lstat/readlink/listing and file opening."""

    label: str = ""

    @abstractmethod
    def lstat(self, path: str) -> FileEntry | None:
        """The entry at a normalized path, not following a final symlink; None if absent."""

    @abstractmethod
    def walk(self) -> Iterator[FileEntry]:
        """Every entry in the tree, depth-first, never following symlinks."""

    @abstractmethod
    def _open_resolved(self, path: str) -> BinaryIO:
        """Open a regular file at an already resolved, symlink-free in-tree path."""

    def layer_of(self, path: str) -> str | None:
        """The image layer that last wrote `path`, for layered trees."""
        return None

    def host_path(self, path: str) -> Path | None:
        """A real on-disk path for a regular file, for readers that need one (sqlite)."""
        return None

    def resolve(self, path: str) -> str | None:
        """Follow symlinks inside the tree. None if the path or a link target is missing."""
        pending = [p for p in normalize(path).split("/") if p]
        done: list[str] = []
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            current = "/" + "/".join([*done, part])
            entry = self.lstat(current)
            if entry is None:
                return None
            if entry.kind is EntryKind.SYMLINK and entry.link is not None:
                hops += 1
                if hops > MAX_SYMLINK_HOPS:
                    return None
                target = [p for p in entry.link.split("/") if p and p != "."]
                if entry.link.startswith("/"):
                    done = []
                pending = target + pending
                continue
            done.append(part)
        return "/" + "/".join(done)

    def stat(self, path: str) -> FileEntry | None:
        resolved = self.resolve(path)
        return None if resolved is None else self.lstat(resolved)

    def exists(self, path: str) -> bool:
        return self.resolve(path) is not None

    def is_file(self, path: str) -> bool:
        entry = self.stat(path)
        return entry is not None and entry.kind is EntryKind.FILE

    def open(self, path: str) -> BinaryIO:
        resolved = self.resolve(path)
        if resolved is None:
            raise TreeError(f"{path}: not found in {self.label or 'tree'}")
        entry = self.lstat(resolved)
        if entry is None or entry.kind is not EntryKind.FILE:
            raise TreeError(f"{path}: not a regular file")
        return self._open_resolved(resolved)

    def read_bytes(self, path: str, limit: int = DEFAULT_READ_LIMIT) -> bytes:
        with self.open(path) as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise TreeError(f"{path}: larger than the {limit}-byte read limit")
        return data

    def read_text(self, path: str, limit: int = DEFAULT_READ_LIMIT) -> str:
        return self.read_bytes(path, limit).decode("utf-8", errors="replace")

    def join(self, *parts: str) -> str:
        return normalize(posixpath.join("/", *parts))
