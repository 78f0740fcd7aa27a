"""A consumer of a BPF ring buffer over its mmap, draining records in batches.

libbpf's ``ring_buffer__poll`` calls back into Python once per record (about 230k
records/s through ctypes); reading the mapped ring directly with ``struct.unpack_from``
avoids that crossing. The layout is the kernel's (kernel/bpf/ringbuf.c): a consumer page
(read-write, our position), then a producer page and the data area, mapped twice in a row
so a record that wraps around is still contiguous. Each record starts with an 8-byte
header: u32 length with BUSY (bit 31) and DISCARD (bit 30) flags, u32 page offset.
"""

from __future__ import annotations

import mmap
import select
import struct
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_BUSY = 1 << 31
_DISCARD = 1 << 30
_HDR = 8
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class RingReader:
    """Reads one ring buffer map fd; ``size`` is the map's max_entries (a power of 2)."""

    def __init__(self, fd: int, size: int) -> None:
        self.page = mmap.PAGESIZE
        self.size = size
        self.mask = size - 1
        self._cons = mmap.mmap(fd, self.page, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self._data = mmap.mmap(
            fd, self.page + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ, offset=self.page
        )
        self._epoll = select.epoll()
        self._epoll.register(fd, select.EPOLLIN)

    def wait(self, timeout: float) -> None:
        """Sleep until the kernel forces a wake-up or the timeout (the timer drain) ends."""
        if self.pending() == 0:
            self._epoll.poll(timeout)

    def pending(self) -> int:
        return int(_U64.unpack_from(self._data, 0)[0] - _U64.unpack_from(self._cons, 0)[0])

    def drain(self, handle: Callable[[mmap.mmap, int, int], T | None], limit: int) -> list[T]:
        """Hand up to ``limit`` committed records (buffer, offset, length) to ``handle``
        and release their space; stops at the first record still being written."""
        data = self._data
        unpack32 = _U32.unpack_from
        cons = _U64.unpack_from(self._cons, 0)[0]
        prod = _U64.unpack_from(data, 0)[0]
        out: list[T] = []
        base = self.page + _HDR
        mask = self.mask
        append = out.append
        while cons < prod and len(out) < limit:
            off = cons & mask
            word = unpack32(data, self.page + off)[0]
            if word & _BUSY:
                break
            length = word & ~(_BUSY | _DISCARD)
            if not word & _DISCARD:
                item = handle(data, base + off, length)
                if item is not None:
                    append(item)
            cons += (length + _HDR + 7) & ~7
        _U64.pack_into(self._cons, 0, cons)
        return out

    def close(self) -> None:
        self._epoll.close()
        self._data.close()
        self._cons.close()
