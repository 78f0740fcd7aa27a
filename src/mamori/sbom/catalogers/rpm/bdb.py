"""rpm's BerkeleyDB "Packages" database (RHEL/CentOS <= 8, SLES < 15 SP3, Amazon Linux 2).

A read-only walk of a Berkeley DB hash file, in the order rpm's own bdb_ro backend reads
it: every bucket, then the bucket's chain of hash pages, each holding key/value item
pairs. A key is the 4-byte package number; a value is the header blob, stored on the page
or, as headers usually are, on a chain of overflow pages.

Layout (db_page.h): page 0 is the hash metadata page (magic at 12, version 16, page size
20, encryption 24, last page 32, max bucket 72, spares 96..224); every page starts with
a 26-byte header (page number 8, next page 16, item count 20, free offset 22, type 25)
followed by 2-byte item offsets.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from mamori.sbom.catalogers.rpm._io import RandomAccess, RpmDbError, Warn

HASH_MAGIC = 0x061561
P_HASH_UNSORTED, P_OVERFLOW, P_HASH = 2, 7, 13
H_KEYDATA, H_OFFPAGE = 1, 3
PAGE_HEADER = 26
MAX_VALUE = 64 * 1024 * 1024


class _Db:
    def __init__(self, src: RandomAccess) -> None:
        self.src = src
        if src.size < 512:
            raise RpmDbError("too small for a Berkeley DB file")
        meta = src.read_at(0, 512)
        if struct.unpack_from("<I", meta, 12)[0] == HASH_MAGIC:
            self.order = "<"
        elif struct.unpack_from(">I", meta, 12)[0] == HASH_MAGIC:
            self.order = ">"
        else:
            raise RpmDbError("not a Berkeley DB hash database")
        version, self.pagesize = self.u32(meta, 16), self.u32(meta, 20)
        if not 8 <= version <= 10:
            raise RpmDbError(f"unsupported hash version {version}")
        if self.pagesize not in {512 << i for i in range(8)}:
            raise RpmDbError(f"bad page size {self.pagesize}")
        if meta[24]:
            raise RpmDbError("encrypted Berkeley DB databases are not supported")
        self.last = min(self.u32(meta, 32), src.size // self.pagesize - 1)
        self.max_bucket = self.u32(meta, 72)
        self.spares = struct.unpack_from(f"{self.order}32I", meta, 96)
        if self.max_bucket > self.last:
            raise RpmDbError(f"{self.max_bucket + 1} buckets in {self.last + 1} pages")

    def u32(self, data: bytes, offset: int) -> int:
        value: int = struct.unpack_from(f"{self.order}I", data, offset)[0]
        return value

    def u16(self, data: bytes, offset: int) -> int:
        value: int = struct.unpack_from(f"{self.order}H", data, offset)[0]
        return value

    def page(self, pgno: int, kind: tuple[int, ...]) -> bytes:
        if not 0 < pgno <= self.last:
            raise RpmDbError(f"page {pgno} outside the file's {self.last} pages")
        page = self.src.read_at(pgno * self.pagesize, self.pagesize)
        if self.u32(page, 8) != pgno:
            raise RpmDbError(f"page {pgno} says it is page {self.u32(page, 8)}")
        if page[25] not in kind:
            raise RpmDbError(f"page {pgno} has type {page[25]}, expected {kind}")
        return page

    def overflow(self, pgno: int, length: int) -> bytes:
        """A value stored on a chain of overflow pages."""
        if not 0 < length <= MAX_VALUE:
            raise RpmDbError(f"overflow item of {length} bytes")
        parts: list[bytes] = []
        remaining = length
        seen: set[int] = set()
        while remaining > 0:
            if pgno in seen:
                raise RpmDbError(f"overflow chain loops at page {pgno}")
            seen.add(pgno)
            page = self.page(pgno, (P_OVERFLOW,))
            size = self.u16(page, 22)
            if size > remaining or PAGE_HEADER + size > self.pagesize:
                raise RpmDbError(f"overflow page {pgno} holds {size} bytes")
            parts.append(page[PAGE_HEADER : PAGE_HEADER + size])
            remaining -= size
            pgno = self.u32(page, 16)
        return b"".join(parts)

    def item(self, page: bytes, offset: int, length: int) -> bytes:
        if length <= 0 or offset + length > self.pagesize:
            raise RpmDbError(f"item at {offset} of {length} bytes outside its page")
        if page[offset] == H_KEYDATA:
            return page[offset + 1 : offset + length]
        if page[offset] == H_OFFPAGE and length == 12:
            pgno, total = struct.unpack_from(f"{self.order}II", page, offset + 4)
            return self.overflow(pgno, total)
        raise RpmDbError(f"unsupported item type {page[offset]}")


def read_bdb(src: RandomAccess, warn: Warn) -> Iterator[tuple[int, bytes]]:
    """(package number, header blob) for every record; damage is warned about and skipped."""
    db = _Db(src)
    visited: set[int] = set()
    for bucket in range(db.max_bucket + 1):
        pgno = bucket + db.spares[bucket.bit_length()]
        while pgno:
            if pgno in visited:
                warn(f"bucket {bucket}: page chain loops at page {pgno}")
                break
            visited.add(pgno)
            try:
                page = db.page(pgno, (P_HASH, P_HASH_UNSORTED))
            except RpmDbError as exc:
                warn(f"bucket {bucket}: {exc}")
                break
            yield from _page_records(db, page, warn)
            pgno = db.u32(page, 16)


def _page_records(db: _Db, page: bytes, warn: Warn) -> Iterator[tuple[int, bytes]]:
    count = db.u16(page, 20)
    first = PAGE_HEADER + 2 * count
    if first > db.pagesize:
        warn(f"page {db.u32(page, 8)}: {count} items cannot fit")
        return
    offsets = struct.unpack_from(f"{db.order}{count}H", page, PAGE_HEADER)
    for i in range(0, count - 1, 2):
        key_off, value_off = offsets[i], offsets[i + 1]
        key_end = db.pagesize if i == 0 else offsets[i - 1]
        if not first <= value_off < key_off < key_end <= db.pagesize:
            warn(f"page {db.u32(page, 8)}: item {i} has bad offsets")
            continue
        try:
            key = db.item(page, key_off, key_end - key_off)
            if len(key) != 4:
                raise RpmDbError(f"{len(key)}-byte key")
            number = db.u32(key, 0)
            if number == 0:
                continue  # rpm keeps its next-package-number counter under key 0
            yield number, db.item(page, value_off, key_off - value_off)
        except RpmDbError as exc:
            warn(f"page {db.u32(page, 8)}: item {i}: {exc}")
