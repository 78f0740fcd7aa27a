"""rpm's NDB "Packages.db" (openSUSE / SLES 15 SP3 and later), read-only.

Layout (rpm lib/backend/ndb/rpmpkg.c), all integers little-endian:
- a 32-byte header: "RpmP", version 0, generation, number of slot pages;
- slot pages of 4096 bytes, 16-byte slots ("Slot", package index, block offset, block
  count), the first two slots of page 0 taken by the header; a zero offset is free;
- blobs at block offset x 16 bytes: head ("BlbS", package index, timestamp, length),
  the header blob, zero padding, tail (adler32 of head+blob+padding, length, "BlbE").
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from mamori.sbom.catalogers.rpm._io import RandomAccess, RpmDbError, Warn

HEADER_MAGIC = int.from_bytes(b"RpmP", "little")
SLOT_MAGIC = int.from_bytes(b"Slot", "little")
BLOB_HEAD = int.from_bytes(b"BlbS", "little")
BLOB_TAIL = int.from_bytes(b"BlbE", "little")
PAGE_SIZE, SLOT_SIZE, BLOCK = 4096, 16, 16
HEAD_SIZE, TAIL_SIZE = 16, 12
SLOT_START = 2  # the 32-byte file header occupies the first two slots
MAX_BLOB = 64 * 1024 * 1024


def _slots(src: RandomAccess) -> list[tuple[int, int, int]]:
    """(package index, block offset, block count) of every used slot."""
    if src.size < 32:
        raise RpmDbError("too small for an NDB Packages.db")
    magic, version, _generation, npages = struct.unpack("<4I", src.read_at(0, 16))
    if magic != HEADER_MAGIC:
        raise RpmDbError("not an NDB Packages.db")
    if version != 0:
        raise RpmDbError(f"unsupported NDB version {version}")
    if npages == 0 or npages * PAGE_SIZE > src.size:
        raise RpmDbError(f"{npages} slot pages do not fit in {src.size} bytes")
    first_block = npages * (PAGE_SIZE // BLOCK)
    file_blocks = src.size // BLOCK
    slots: list[tuple[int, int, int]] = []
    for page in range(npages):
        data = src.read_at(page * PAGE_SIZE, PAGE_SIZE)
        for start in range(SLOT_START if page == 0 else 0, PAGE_SIZE // SLOT_SIZE):
            smagic, pkgidx, blkoff, blkcnt = struct.unpack_from("<4I", data, start * SLOT_SIZE)
            if smagic != SLOT_MAGIC:
                raise RpmDbError(f"slot {page}:{start} has a bad magic")
            if blkoff == 0:
                continue
            if not pkgidx or not blkcnt or blkoff < first_block or blkoff + blkcnt > file_blocks:
                raise RpmDbError(f"slot {page}:{start} points outside the blob area")
            slots.append((pkgidx, blkoff, blkcnt))
    return slots


def _blob(src: RandomAccess, pkgidx: int, blkoff: int, blkcnt: int) -> bytes:
    if blkcnt * BLOCK > MAX_BLOB + HEAD_SIZE + TAIL_SIZE + BLOCK:
        raise RpmDbError(f"{blkcnt} blocks: too large")
    raw = src.read_at(blkoff * BLOCK, blkcnt * BLOCK)
    magic, index, _stamp, length = struct.unpack_from("<4I", raw, 0)
    if magic != BLOB_HEAD or index != pkgidx:
        raise RpmDbError("bad blob head")
    if blkcnt != (HEAD_SIZE + length + TAIL_SIZE + BLOCK - 1) // BLOCK:
        raise RpmDbError(f"blob length {length} does not match {blkcnt} blocks")
    adler, tail_length, tail_magic = struct.unpack_from("<3I", raw, len(raw) - TAIL_SIZE)
    if tail_magic != BLOB_TAIL or tail_length != length:
        raise RpmDbError("bad blob tail")
    if zlib.adler32(raw[: len(raw) - TAIL_SIZE]) != adler:
        raise RpmDbError("blob checksum mismatch")
    return raw[HEAD_SIZE : HEAD_SIZE + length]


def read_ndb(src: RandomAccess, warn: Warn) -> Iterator[tuple[int, bytes]]:
    """(package index, header blob) for every used slot, in package-index order."""
    for pkgidx, blkoff, blkcnt in sorted(_slots(src)):
        try:
            yield pkgidx, _blob(src, pkgidx, blkoff, blkcnt)
        except RpmDbError as exc:
            warn(f"package {pkgidx}: {exc}")
