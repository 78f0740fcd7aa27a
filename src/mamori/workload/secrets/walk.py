"""Files under a scan root, read safely: never through a symlink, never a device or FIFO,
never more than a size cap, VCS metadata skipped.

`os.walk(followlinks=False)` does not descend into symlinked directories, symlinked files
are skipped outright (a link may point outside the root), and every file is opened with
O_NOFOLLOW | O_NONBLOCK and checked to be a regular file on the open descriptor, so a
file swapped for a link or a FIFO between listing and reading is refused too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

MAX_FILES = 200_000
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__"}
BINARY_SNIFF = 8192


class TooLargeError(OSError):
    """The file is over the size cap."""


def walk(root: Path, max_files: int = MAX_FILES) -> Iterator[Path]:
    """Regular files under `root` (or `root` itself), sorted, symlinks skipped."""
    if not root.is_dir():
        yield root
        return
    count = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            try:
                if not stat.S_ISREG(path.lstat().st_mode):
                    continue
            except OSError:
                continue
            count += 1
            if count > max_files:
                return
            yield path


def read_bytes(path: Path, cap: int) -> bytes:
    """The file's bytes: a regular file, not through a symlink, at most `cap` bytes.

    Raises TooLargeError above the cap, OSError when it cannot be read as a regular file.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_size > cap:
            raise TooLargeError(f"larger than {cap} bytes")
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > cap:
        raise TooLargeError(f"larger than {cap} bytes")
    return b"".join(chunks)


def is_binary(data: bytes) -> bool:
    """Binary by the usual heuristic: a NUL byte in the first 8 KiB."""
    return b"\x00" in data[:BINARY_SNIFF]


def relative(path: Path, root: Path) -> str:
    base = root if root.is_dir() else root.parent
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.name
