"""Find and decode the Go build-info blob in an ELF binary.

Since Go 1.13 the linker writes a 32-byte header starting with the magic
"\\xff Go buildinf:" (16-byte aligned) at the start of the `.go.buildinfo` section, or, when
section headers are stripped, near the start of the first writable PT_LOAD segment:

    [0:14]  magic
    [14]    pointer size (4 or 8)
    [15]    flags: bit 0 big-endian, bit 1 "inline strings" (Go >= 1.18)
    [16:]   old format: two pointers to Go string headers {data pointer, length} holding
            the toolchain version and the module info
    [32:]   inline format: two uvarint-length-prefixed strings, version then module info

The module info string is wrapped in 16-byte sentinels; what lies between is the text
`runtime/debug.BuildInfo` prints (see modinfo.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mamori.sbom.catalogers._elf import SHT_NOBITS, ElfError, ElfFile

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
ALIGN = 16
SEARCH_SIZE = 64 * 1024  # how far from the data start Go itself looks for the header
MAX_STRING = 16 * 1024 * 1024  # a module info string larger than this is refused
FLAG_BIG_ENDIAN = 0x1
FLAG_INLINE = 0x2


class BuildInfoError(ValueError):
    """A build-info header was found but its contents cannot be decoded."""


@dataclass(frozen=True, slots=True)
class RawBuildInfo:
    go_version: str  # e.g. "go1.23.4"; "" never happens (not a Go binary then)
    modinfo: str  # the text between the sentinels; "" when built outside module mode
    inline: bool  # True for the Go >= 1.18 format


def read_raw_buildinfo(elf: ElfFile) -> RawBuildInfo | None:
    """The version and module info of a Go binary; None if it carries no build info."""
    found = _locate(elf)
    if found is None:
        return None
    addr, header = found
    ptr_size, flags = header[14], header[15]
    if flags & FLAG_INLINE:
        version, nxt = _varint_string(elf, addr + HEADER_SIZE)
        mod, _ = _varint_string(elf, nxt)
        inline = True
    else:
        if ptr_size not in (4, 8):
            raise BuildInfoError(f"bad pointer size {ptr_size}")
        order: Literal["big", "little"] = "big" if flags & FLAG_BIG_ENDIAN else "little"

        def ptr(data: bytes, at: int) -> int:
            return int.from_bytes(data[at : at + ptr_size], order)

        version = _pointer_string(elf, ptr(header, 16), ptr_size, ptr)
        mod = _pointer_string(elf, ptr(header, 16 + ptr_size), ptr_size, ptr)
        inline = False
    if not version:
        return None
    return RawBuildInfo(_text(version), _text(_strip_sentinels(mod)), inline)


def _locate(elf: ElfFile) -> tuple[int, bytes] | None:
    """(virtual address, 32-byte header) of the build-info header, if any."""
    section = elf.section(".go.buildinfo")
    if section is not None:
        if section.type == SHT_NOBITS:
            return None
        start = section.addr
        data = elf.read(section.offset, min(section.size, SEARCH_SIZE))
    elif not elf.sections or elf.section(".gopclntab") or elf.section(".note.go.buildid"):
        # No build-info section: stripped section headers, or a very old linker. Only
        # these files are searched, so ordinary C binaries cost no more than a header read.
        segment = elf.first_writable_load()
        if segment is None:
            return None
        start = segment.vaddr
        data = elf.read_vaddr(start, SEARCH_SIZE)
    else:
        return None
    pos = 0
    while True:
        i = data.find(MAGIC, pos)
        if i < 0 or len(data) - i < HEADER_SIZE:
            return None
        if i % ALIGN == 0:
            return start + i, data[i : i + HEADER_SIZE]
        pos = i + 1


def _uvarint(data: bytes) -> tuple[int, int]:
    value = shift = 0
    for i, byte in enumerate(data[:10]):
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i + 1
        shift += 7
    raise BuildInfoError("bad varint length")


def _varint_string(elf: ElfFile, addr: int) -> tuple[bytes, int]:
    length, n = _uvarint(elf.read_vaddr(addr, 10))
    if length > MAX_STRING:
        raise BuildInfoError(f"string of {length} bytes is too long")
    data = elf.read_vaddr(addr + n, length)
    if len(data) != length:
        raise BuildInfoError("string runs past the mapped data")
    return data, addr + n + length


def _pointer_string(
    elf: ElfFile, addr: int, ptr_size: int, ptr: Callable[[bytes, int], int]
) -> bytes:
    """A Go string through its {data, len} header (the pre-1.18 format)."""
    header = elf.read_vaddr(addr, 2 * ptr_size)
    if len(header) != 2 * ptr_size:
        return b""
    data_addr, length = ptr(header, 0), ptr(header, ptr_size)
    if length > MAX_STRING:
        raise BuildInfoError(f"string of {length} bytes is too long")
    data = elf.read_vaddr(data_addr, length)
    return data if len(data) == length else b""


def _strip_sentinels(mod: bytes) -> bytes:
    # Go checks the same shape: 16 bytes, text, "\n", 16 bytes.
    if len(mod) >= 33 and mod[-17] == 0x0A:
        return mod[16:-16]
    return b""


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


__all__ = ["BuildInfoError", "ElfError", "RawBuildInfo", "read_raw_buildinfo"]
