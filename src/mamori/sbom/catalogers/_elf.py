"""A small, bounds-checked ELF reader: section and program headers through a file object.

Used by the Go build-info and cargo-auditable catalogers, which receive every executable
of a filesystem and must reject non-ELF files after reading 64 bytes.

Why not pyelftools: we need only the section and program header tables, every read must
be bounded (hostile input, files of any size), and a failure must surface as one error
type the caller can turn into a warning. pyelftools parses through `construct`, raises a
variety of exception types on malformed input, and would be a dependency for what is
about 200 lines here.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from mamori.sources.tree import Tree

MAGIC = b"\x7fELF"
IDENT_SIZE = 16
HEADER_READ = 64  # enough for either ELF header
MAX_TABLE_BYTES = 4 * 1024 * 1024  # section/program header tables larger than this: refuse
MAX_SHSTRTAB = 1024 * 1024
MAX_UNSEEKABLE = 512 * 1024 * 1024  # non-seekable sources are buffered up to this size

SHT_NOBITS = 8
SHF_ALLOC = 0x2
PT_LOAD = 1
PF_X = 0x1
PF_W = 0x2
SHN_XINDEX = 0xFFFF


class ElfError(ValueError):
    """The file is not a well-formed ELF file, or a read falls outside it."""


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    type: int
    flags: int
    addr: int
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class Segment:
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int


def is_elf(header: bytes) -> bool:
    """True if `header` (the first bytes of a file) starts an ELF file we can read."""
    return (
        len(header) >= IDENT_SIZE
        and header[:4] == MAGIC
        and header[4] in (1, 2)
        and header[5] in (1, 2)
    )


class ElfFile:
    """Parsed header tables of an ELF file; data is read on demand through `fh`."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        try:
            self.file_size = fh.seek(0, 2)
            fh.seek(0)
        except (OSError, ValueError) as exc:
            raise ElfError(f"not seekable: {exc}") from exc
        ident = self.read(0, min(HEADER_READ, self.file_size))
        if not is_elf(ident):
            raise ElfError("not an ELF file")
        self.is64 = ident[4] == 2
        self.little_endian = ident[5] == 1
        self._end = "<" if self.little_endian else ">"
        self._parse_header(ident)
        self.segments = self._parse_segments()
        self.sections = self._parse_sections()

    # -- raw reads ---------------------------------------------------------------------
    def read(self, offset: int, size: int) -> bytes:
        """Exactly `size` bytes at `offset`, or ElfError if that is outside the file."""
        if offset < 0 or size < 0 or offset + size > self.file_size:
            raise ElfError(f"read of {size} bytes at {offset} is outside the file")
        try:
            self._fh.seek(offset)
            data = self._fh.read(size)
        except (OSError, ValueError) as exc:
            raise ElfError(f"read failed: {exc}") from exc
        if len(data) != size:
            raise ElfError("short read")
        return data

    def _unpack(self, fmt: str, data: bytes, offset: int = 0) -> tuple[int, ...]:
        try:
            return struct.unpack_from(self._end + fmt, data, offset)
        except struct.error as exc:
            raise ElfError(f"truncated structure: {exc}") from exc

    # -- header tables -----------------------------------------------------------------
    def _parse_header(self, ident: bytes) -> None:
        fmt = "HHIQQQIHHHHHH" if self.is64 else "HHIIIIIHHHHHH"
        fields = self._unpack(fmt, ident, IDENT_SIZE)
        (_t, self.machine, _v, _entry, self._phoff, self._shoff, _f, _eh) = fields[:8]
        self._phentsize, self._phnum, self._shentsize, self._shnum, self._shstrndx = fields[8:]

    def _table(self, offset: int, count: int, entsize: int, minsize: int) -> bytes:
        if count == 0 or offset == 0:
            return b""
        if entsize < minsize:
            raise ElfError(f"header table entry size {entsize} is too small")
        if count * entsize > MAX_TABLE_BYTES:
            raise ElfError(f"header table of {count} entries is too large")
        return self.read(offset, count * entsize)

    def _parse_segments(self) -> tuple[Segment, ...]:
        fmt, size = ("IIQQQQQQ", 56) if self.is64 else ("IIIIIIII", 32)
        raw = self._table(self._phoff, self._phnum, self._phentsize, size)
        out = []
        for i in range(len(raw) // self._phentsize if raw else 0):
            f = self._unpack(fmt, raw, i * self._phentsize)
            if self.is64:
                ptype, flags, offset, vaddr, _pa, filesz, memsz, _al = f
            else:
                ptype, offset, vaddr, _pa, filesz, memsz, flags, _al = f
            out.append(Segment(ptype, flags, offset, vaddr, filesz, memsz))
        return tuple(out)

    def _parse_sections(self) -> tuple[Section, ...]:
        fmt, size = ("IIQQQQIIQQ", 64) if self.is64 else ("IIIIIIIIII", 40)
        count, strndx = self._shnum, self._shstrndx
        if self._shoff and (count == 0 or strndx == SHN_XINDEX):
            # Extended numbering: the real values live in section header 0.
            first = self._unpack(fmt, self._table(self._shoff, 1, self._shentsize, size))
            count = count or first[5]
            strndx = first[6] if strndx == SHN_XINDEX else strndx
        raw = self._table(self._shoff, count, self._shentsize, size)
        headers = [self._unpack(fmt, raw, i * self._shentsize) for i in range(count if raw else 0)]
        names = b""
        if 0 < strndx < len(headers):
            st = headers[strndx]
            if st[1] != SHT_NOBITS and 0 < st[5] <= MAX_SHSTRTAB:
                names = self.read(st[4], st[5])
        out = []
        for h in headers:
            name_off, stype, flags, addr, offset, size_ = h[:6]
            out.append(Section(_cstring(names, name_off), stype, flags, addr, offset, size_))
        return tuple(out)

    # -- lookups -----------------------------------------------------------------------
    def section(self, name: str) -> Section | None:
        for sec in self.sections:
            if sec.name == name:
                return sec
        return None

    def read_section(self, section: Section, limit: int) -> bytes:
        """A section's bytes; ElfError if it has none in the file or exceeds `limit`."""
        if section.type == SHT_NOBITS:
            raise ElfError(f"section {section.name} has no data in the file")
        if section.size > limit:
            raise ElfError(f"section {section.name} is {section.size} bytes (limit {limit})")
        return self.read(section.offset, section.size)

    def read_vaddr(self, addr: int, size: int) -> bytes:
        """Up to `size` bytes at virtual address `addr`, from the file data that maps it.

        Looks in PT_LOAD segments, then in allocated sections (files without program
        headers). Returns fewer bytes when the mapping ends first; b"" when unmapped.
        """
        regions = [(s.vaddr, s.offset, s.filesz) for s in self.segments if s.type == PT_LOAD]
        regions += [
            (s.addr, s.offset, s.size)
            for s in self.sections
            if s.flags & SHF_ALLOC and s.type != SHT_NOBITS and s.addr
        ]
        for vaddr, offset, filesz in regions:
            if vaddr <= addr < vaddr + filesz:
                n = min(size, vaddr + filesz - addr)
                start = offset + (addr - vaddr)
                n = max(0, min(n, self.file_size - start))
                return self.read(start, n)
        return b""

    def first_writable_load(self) -> Segment | None:
        """The first PT_LOAD segment that is writable and not executable (the data)."""
        for seg in self.segments:
            if seg.type == PT_LOAD and seg.flags & (PF_X | PF_W) == PF_W:
                return seg
        return None


def _cstring(table: bytes, offset: int) -> str:
    if not 0 <= offset < len(table):
        return ""
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("latin-1")


@contextmanager
def open_elf(tree: Tree, path: str) -> Iterator[ElfFile | None]:
    """Open `path` in `tree` as an ELF file; None when its first bytes are not ELF.

    Only the 64-byte header is read before deciding, so handing every executable of a
    filesystem to a binary cataloger stays cheap. Raises TreeError/OSError for unreadable
    files and ElfError for malformed ELF.
    """
    with tree.open(path) as raw:
        head = raw.read(HEADER_READ)
        if not is_elf(head):
            yield None
            return
        fh: BinaryIO = raw
        if not raw.seekable():
            rest = raw.read(MAX_UNSEEKABLE + 1)
            if len(rest) > MAX_UNSEEKABLE:
                raise ElfError("file too large to buffer")
            fh = io.BytesIO(head + rest)
        yield ElfFile(fh)
