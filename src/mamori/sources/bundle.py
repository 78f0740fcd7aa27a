"""The files of an image container: a directory (OCI layout) or an uncompressed tar
(docker-archive, oci-archive). Both give bounded reads of small documents and byte
windows over blobs, without ever following a symlink out of the container."""

from __future__ import annotations

import os
import posixpath
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mamori.sources.image_types import ImageError
from mamori.sources.safe_tar import BLOCK, MemberType, TarError, TarReader
from mamori.sources.streams import FileWindow

MAX_INDEX_ENTRIES = 65_536  # an image archive has a few entries per layer
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Bundle(Protocol):
    label: str

    def exists(self, name: str) -> bool: ...

    def window(self, name: str) -> FileWindow: ...

    def close(self) -> None: ...


def clean_name(name: str) -> str:
    """A relative in-container path, or ImageError if it would leave the container."""
    if name.startswith("/") or "\0" in name:
        raise ImageError(f"path {name[:200]!r} is absolute or invalid")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts or not parts:
        raise ImageError(f"path {name[:200]!r} leaves the image")
    return "/".join(parts)


def read_small(bundle: Bundle, name: str, limit: int) -> bytes:
    """A whole (small) document from the bundle, at most `limit` bytes."""
    window = bundle.window(name)
    try:
        if window.length > limit:
            raise ImageError(f"{name} is {window.length} bytes, over the {limit}-byte limit")
        data = window.read(limit + 1)
    finally:
        window.close()
    if len(data) != window.length:
        raise ImageError(f"{name}: short read")
    return data


class DirBundle:
    """Files under a directory, opened component by component with O_NOFOLLOW."""

    def __init__(self, root: Path) -> None:
        self.label = str(root)
        try:
            self._fd = os.open(root, _DIR_FLAGS)
        except OSError as exc:
            raise ImageError(f"{root}: {exc.strerror}") from None

    def _open(self, name: str) -> int:
        parts = clean_name(name).split("/")
        here = self._fd
        try:
            for part in parts[:-1]:
                nxt = os.open(part, _DIR_FLAGS, dir_fd=here)
                if here != self._fd:
                    os.close(here)
                here = nxt
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=here)
        except OSError as exc:
            raise ImageError(f"{name}: {exc.strerror} in {self.label}") from None
        finally:
            if here != self._fd:
                os.close(here)
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise ImageError(f"{name}: not a regular file in {self.label}")
        return fd

    def exists(self, name: str) -> bool:
        try:
            os.close(self._open(name))
        except ImageError:
            return False
        return True

    def window(self, name: str) -> FileWindow:
        fd = self._open(name)
        return FileWindow(fd, 0, os.fstat(fd).st_size, owns_fd=True)

    def close(self) -> None:
        os.close(self._fd)


@dataclass(frozen=True, slots=True)
class _Entry:
    type: MemberType
    offset: int
    size: int
    link: str


class TooManyEntriesError(Exception):
    """The tar has more entries than an image archive would: it is a root filesystem."""


class TarBundle:
    """Members of an uncompressed tar, indexed once by reading headers only."""

    def __init__(self, path: Path, *, max_metadata: int) -> None:
        self.label = str(path)
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise ImageError(f"{path}: {exc.strerror}") from None
        self.entries: dict[str, _Entry] = {}
        self.error: str | None = None  # why indexing stopped early, if it did
        try:
            self._index(max_metadata)
        except BaseException:
            os.close(self._fd)
            raise

    def _index(self, max_metadata: int) -> None:
        window = FileWindow(self._fd, 0, os.fstat(self._fd).st_size)
        reader = TarReader(window, max_metadata=max_metadata, chunk=8 * BLOCK, skip=window.skip)
        try:
            for n, member in enumerate(reader):
                if n >= MAX_INDEX_ENTRIES:
                    raise TooManyEntriesError
                try:
                    name = clean_name(member.name)
                except ImageError:
                    continue  # never looked up: harmless
                self.entries[name] = _Entry(
                    member.type, member.offset, member.size, member.linkname
                )
        except TarError as exc:
            if not self.entries:
                raise ImageError(f"{self.label}: not a tar archive ({exc})") from None
            self.error = str(exc)

    def _resolve(self, name: str) -> _Entry:
        current = clean_name(name)
        for _ in range(40):
            entry = self.entries.get(current)
            if entry is None:
                raise ImageError(f"{name}: not found in {self.label}")
            if entry.type is MemberType.SYMLINK:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(current), entry.link))
                current = clean_name(target.lstrip("/"))
            elif entry.type is MemberType.HARDLINK:
                current = clean_name(entry.link)
            else:
                if entry.type is not MemberType.FILE:
                    raise ImageError(f"{name}: not a regular file in {self.label}")
                return entry
        raise ImageError(f"{name}: too many links in {self.label}")

    def exists(self, name: str) -> bool:
        try:
            self._resolve(name)
        except ImageError:
            return False
        return True

    def window(self, name: str) -> FileWindow:
        entry = self._resolve(name)
        return FileWindow(self._fd, entry.offset, entry.size)

    def close(self) -> None:
        os.close(self._fd)
