"""Create and remove entries under a root directory without ever following a symlink.

Parent directories are resolved one component at a time with `openat(O_NOFOLLOW)`.
A symlink met on the way is read and its target resolved inside the root with chroot
semantics (an absolute target starts at the root, ".." stops at the root), the way
containerd applies a layer, so a layer writing "etc/passwd" over "etc -> /tmp" lands in
ROOT/tmp/passwd: inside the work tree, never on the host.

The writer is the only process touching the tree, so removal may use plain paths made
only of directories it resolved itself.
"""

from __future__ import annotations

import os
import stat
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_CACHE_SIZE = 64
PATH_MAX = 4096


def _umask() -> int:
    """The process umask, read without changing it (os.umask would race other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o777  # unknown: always chmod


class UnsafePathError(Exception):
    """A member's path cannot be placed inside the root (not a directory, link loop...)."""


class RootWriter:
    """Writes the entries of image layers under `root`.

    `on_removed(path)` is called for each in-tree path (leading "/") that is deleted, so
    the caller can keep its per-path records (layer attribution) in step.
    """

    def __init__(self, root: Path, *, max_hops: int, on_removed: Callable[[str], None]) -> None:
        self.root = str(root)
        self.root_fd = os.open(self.root, _DIR_FLAGS)
        self.max_hops = max_hops
        # Longest in-tree path whose host path still fits in PATH_MAX.
        self.max_path = PATH_MAX - len(self.root) - 2
        self._on_removed = on_removed
        self.umask = _umask()
        self._cache: OrderedDict[str, tuple[int, str, bool]] = OrderedDict()
        self._retired: list[int] = []  # stale fds, closed when the current member is done

    # -- housekeeping ----------------------------------------------------------------

    def invalidate(self) -> None:
        """Forget resolved parents (after a directory or symlink was removed). The fds stay
        open until `end_member`, since the caller may still hold one of them."""
        self._retired.extend(fd for fd, _, _ in self._cache.values())
        self._cache.clear()

    def end_member(self) -> None:
        for fd in self._retired:
            os.close(fd)
        self._retired.clear()

    def close(self) -> None:
        self.invalidate()
        self.end_member()
        os.close(self.root_fd)

    def host(self, path: str) -> str:
        return self.root if path == "/" else self.root + path

    # -- resolution ------------------------------------------------------------------

    def parent(self, key: str, *, create: bool) -> tuple[int, str, bool]:
        """The directory at in-tree path `key` ("" is the root, no leading slash): an fd
        owned by the writer, its real in-tree path, and whether a symlink was followed.

        Missing directories are created (0755) when `create`; else FileNotFoundError.
        """
        if not key:
            return self.root_fd, "/", False
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        found = self._resolve(key, create)
        self._cache[key] = found
        if len(self._cache) > _CACHE_SIZE:
            self._retired.append(self._cache.popitem(last=False)[1][0])
        return found

    def _resolve(self, key: str, create: bool) -> tuple[int, str, bool]:
        fds: list[int] = []  # opened by us, parallel to names
        names: list[str] = []
        pending = key.split("/")
        pending.reverse()
        hops = 0
        via_link = False
        try:
            while pending:
                part = pending.pop()
                if part in ("", "."):
                    continue
                if part == "..":
                    if names:
                        names.pop()
                        os.close(fds.pop())
                    continue
                here = fds[-1] if fds else self.root_fd
                fd = self._open_dir(here, part, create)
                if fd is None:  # a symlink: splice its target into what is left
                    hops += 1
                    if hops > self.max_hops:
                        raise UnsafePathError(f"too many symlinks resolving {key!r}")
                    target = os.readlink(part, dir_fd=here)
                    via_link = True
                    if target.startswith("/"):
                        while fds:
                            os.close(fds.pop())
                        names.clear()
                    pending.extend(reversed(target.split("/")))
                    continue
                fds.append(fd)
                names.append(part)
                if sum(len(n) + 1 for n in names) > self.max_path:
                    raise UnsafePathError(f"{key!r} resolves to a path that is too long")
            real = "/" + "/".join(names)
            result = fds.pop() if fds else os.dup(self.root_fd)
            return result, real, via_link
        finally:
            for fd in fds:
                os.close(fd)

    def _open_dir(self, here: int, name: str, create: bool) -> int | None:
        """Open directory `name` in `here`; None if it is a symlink."""
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=here)
        except FileNotFoundError:
            if not create:
                raise
            os.mkdir(name, 0o755, dir_fd=here)
            return os.open(name, _DIR_FLAGS, dir_fd=here)
        except OSError:
            st = os.stat(name, dir_fd=here, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                return None
            if stat.S_ISDIR(st.st_mode):
                raise
            raise UnsafePathError(f"{name!r} is not a directory") from None

    # -- creation --------------------------------------------------------------------

    def make_file(self, dfd: int, name: str, real: str, mode: int) -> int:
        """A new, empty regular file with `mode`, open for writing (replacing what was
        there). The mode is set at creation; a chmod only when the umask got in the way."""
        try:
            fd = os.open(name, _FILE_FLAGS, mode, dir_fd=dfd)
        except FileExistsError:
            self.remove(real)
            fd = os.open(name, _FILE_FLAGS, mode, dir_fd=dfd)
        if mode & self.umask:
            os.fchmod(fd, mode)
        return fd

    def make_dir(self, dfd: int, name: str, real: str, mode: int) -> None:
        """A directory with `mode`; an existing directory is kept (layers merge)."""
        try:
            os.mkdir(name, mode, dir_fd=dfd)
            if not mode & self.umask:
                return
        except FileExistsError:
            st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode):
                self.remove(real)
                os.mkdir(name, mode, dir_fd=dfd)
        fd = os.open(name, _DIR_FLAGS, dir_fd=dfd)
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)

    def make_symlink(self, dfd: int, name: str, real: str, target: str) -> None:
        try:
            os.symlink(target, name, dir_fd=dfd)
        except FileExistsError:
            self.remove(real)
            os.symlink(target, name, dir_fd=dfd)

    def make_hardlink(self, src_dfd: int, src_name: str, dfd: int, name: str, real: str) -> None:
        def link() -> None:
            os.link(src_name, name, src_dir_fd=src_dfd, dst_dir_fd=dfd, follow_symlinks=False)

        try:
            link()
        except FileExistsError:
            self.remove(real)
            link()

    # -- removal ---------------------------------------------------------------------

    def remove(self, path: str) -> bool:
        """Delete in-tree `path` (a real path: no symlink in its parents) and all below it.

        Returns False if nothing was there.
        """
        host = self.host(path)
        try:
            st = os.lstat(host)
        except FileNotFoundError:
            return False
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(host)
            self._on_removed(path)
            if stat.S_ISLNK(st.st_mode):
                self.invalidate()
            return True
        self.invalidate()
        # Iterative post-order walk: trees may be deeper than Python's recursion limit.
        stack: list[tuple[str, bool]] = [(path, False)]
        while stack:
            current, emptied = stack.pop()
            if emptied:
                os.rmdir(self.host(current))
                self._on_removed(current)
                continue
            stack.append((current, True))
            with os.scandir(self.host(current)) as entries:
                for entry in entries:
                    child = (current if current != "/" else "") + "/" + entry.name
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((child, False))
                    else:
                        os.unlink(entry.path)
                        self._on_removed(child)
        return True

    def is_dir(self, path: str) -> bool:
        try:
            return stat.S_ISDIR(os.lstat(self.host(path)).st_mode)
        except OSError:
            return False

    def children(self, path: str) -> list[str]:
        with os.scandir(self.host(path)) as entries:
            return [entry.name for entry in entries]


def remove_tree(path: Path) -> None:
    """Delete a directory tree of any depth without following symlinks (shutil.rmtree
    recurses, and an image can nest deeper than Python's recursion limit)."""
    stack: list[tuple[str, bool]] = [(str(path), False)]
    while stack:
        current, emptied = stack.pop()
        if emptied:
            os.rmdir(current)
            continue
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(current)
            continue
        os.chmod(current, 0o700)  # a 0555 directory from an image must still be emptied
        stack.append((current, True))
        with os.scandir(current) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, False))
                else:
                    os.unlink(entry.path)
