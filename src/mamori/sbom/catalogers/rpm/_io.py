"""Random access to a database file read through the tree, for the page-based readers."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from typing import BinaryIO

Warn = Callable[[str], None]


class RpmDbError(Exception):
    """The file is not a database of the expected kind, or is damaged beyond reading."""


class RandomAccess:
    """pread() over a tree file; a stream that cannot seek is read whole, up to `limit`."""

    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self._fh: BinaryIO = fh
        if fh.seekable():
            self.size = fh.seek(0, os.SEEK_END)
        else:
            data = fh.read(limit + 1)
            if len(data) > limit:
                raise RpmDbError(f"larger than the {limit}-byte read limit")
            self._fh = io.BytesIO(data)
            self.size = len(data)

    def read_at(self, offset: int, size: int) -> bytes:
        """Exactly `size` bytes at `offset`, or RpmDbError when the file ends first."""
        if offset < 0 or size < 0 or offset + size > self.size:
            raise RpmDbError(f"read of {size} bytes at {offset} beyond the file's {self.size}")
        self._fh.seek(offset)
        data = self._fh.read(size)
        if len(data) != size:
            raise RpmDbError(f"short read at {offset}")
        return data
