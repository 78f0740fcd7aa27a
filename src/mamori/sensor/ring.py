"""A consumer of a BPF ring buffer over its mmap, draining records in batches.

libbpf's ``ring_buffer__poll`` calls back into Python once per record (about 230k
records/s through ctypes); reading the mapped ring directly with ``struct.unpack_from``
avoids that crossing. The layout is the kernel's (kernel/bpf/ringbuf.c): a consumer page
(read-write, our position), then a producer page and the data area, mapped twice in a row
so a record that wraps around is still contiguous. Each record starts with an 8-byte
header: u32 length with BUSY (bit 31) and DISCARD (bit 30) flags, u32 page offset.

``read`` walks the committed records' header words, copies their span out in one slice
and releases it at once: the kernel can reuse the space while Python decodes the copy,
so the ring's headroom is not eaten by decoding time.
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
_LEN = ~(_BUSY | _DISCARD) & 0xFFFFFFFF
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

    def read(self, limit: int) -> tuple[bytes, int]:
        """Copy out up to ``limit`` committed records, release their space at once, and
        return (the records back to back with their 8-byte headers, how many).

        The walk reads each record's header word in the shared mapping (stopping at the
        first record still being written); the committed span is then one C-level copy,
        so the kernel can reuse the space before any decoding starts. The data area is
        mapped twice in a row, so a span that wraps around is still one slice (a span is
        capped below the ring's size)."""
        data = self._data
        unpack32 = _U32.unpack_from
        cons = _U64.unpack_from(self._cons, 0)[0]
        prod = _U64.unpack_from(data, 0)[0]
        page, mask = self.page, self.mask
        start = cons
        count = 0
        cap = cons + self.size // 2  # at most half the ring per copy: bounded memory
        while cons < prod and count < limit and cons < cap:
            word = unpack32(data, page + (cons & mask))[0]
            if word & _BUSY:
                break
            cons += ((word & _LEN) + _HDR + 7) & ~7
            count += 1
        if count == 0:
            return b"", 0
        off = page + (start & mask)
        chunk = data[off : off + (cons - start)]
        _U64.pack_into(self._cons, 0, cons)
        return chunk, count

    def drain(self, handle: Callable[[bytes, int, int], T | None], limit: int) -> list[T]:
        """Hand up to ``limit`` committed records (buffer, offset, length) to ``handle``;
        their space is released before ``handle`` runs. Discarded records are skipped."""
        chunk, _ = self.read(limit)
        out: list[T] = []
        pos = 0
        while pos < len(chunk):
            word = _U32.unpack_from(chunk, pos)[0]
            length = word & _LEN
            if not word & _DISCARD:
                item = handle(chunk, pos + _HDR, length)
                if item is not None:
                    out.append(item)
            pos += (length + _HDR + 7) & ~7
        return out

    def close(self) -> None:
        self._epoll.close()
        self._data.close()
        self._cons.close()
