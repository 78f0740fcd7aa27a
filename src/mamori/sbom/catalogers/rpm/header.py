"""The rpm header blob as the rpmdb stores it (no lead, no header magic).

    int32 il, int32 dl               big-endian counts
    il x { int32 tag, type, offset, count }   the index
    dl bytes                         the data store that offsets point into

Every offset, count and string is checked against the data store before it is read: a
blob comes from the scanned target and may be truncated or hostile.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# tag numbers (rpmtag.h)
NAME, VERSION, RELEASE, EPOCH = 1000, 1001, 1002, 1003
SUMMARY, BUILDTIME, INSTALLTIME, SIZE = 1004, 1006, 1008, 1009
VENDOR, LICENSE, ARCH = 1011, 1014, 1022
OLDFILENAMES, FILEMODES, SOURCERPM = 1027, 1030, 1044
DIRINDEXES, BASENAMES, DIRNAMES = 1116, 1117, 1118
LONGSIZE, MODULARITYLABEL = 5009, 5096

# data types (rpmtag.h rpmTagType_e)
NULL, CHAR, INT8, INT16, INT32, INT64, STRING, BIN, STRING_ARRAY, I18NSTRING = range(10)
_FIXED = {CHAR: ("B", 1), INT8: ("B", 1), INT16: ("H", 2), INT32: ("I", 4), INT64: ("Q", 8)}
_STRINGS = (STRING, STRING_ARRAY, I18NSTRING)

MAX_INDEX = 0xFFFF  # rpm's own limit on index entries
MAX_DATA = 64 * 1024 * 1024  # far above any real header (rpm allows 256 MiB)
MAX_COUNT = 1_000_000  # values decoded from one tag: bounds memory on hostile counts
S_IFMT, S_IFDIR = 0o170000, 0o040000


class HeaderError(ValueError):
    """A header blob that does not parse."""


@dataclass(frozen=True, slots=True)
class Entry:
    type: int
    offset: int
    count: int


@dataclass(frozen=True)
class RpmHeader:
    """Index entries by tag over the data store; values are decoded on demand."""

    entries: dict[int, Entry]
    data: bytes

    def has(self, tag: int) -> bool:
        return tag in self.entries

    def strings(self, tag: int) -> list[str]:
        """A string, string-array or i18n-string tag as a list (empty when absent)."""
        entry = self.entries.get(tag)
        if entry is None:
            return []
        if entry.type not in _STRINGS:
            raise HeaderError(f"tag {tag}: type {entry.type} is not a string type")
        if entry.count > MAX_COUNT:
            raise HeaderError(f"tag {tag}: {entry.count} values")
        data, end = self.data, len(self.data)
        out: list[str] = []
        start = entry.offset
        for _ in range(entry.count):
            stop = data.find(b"\0", start, end)
            if stop < 0:
                raise HeaderError(f"tag {tag}: unterminated string at {start}")
            out.append(data[start:stop].decode("utf-8", errors="replace"))
            start = stop + 1
        return out

    def string(self, tag: int) -> str | None:
        """The first string of a string tag (an i18n string's default), None if absent."""
        values = self.strings(tag)
        return values[0] if values else None

    def ints(self, tag: int, limit: int = MAX_COUNT) -> list[int]:
        """An integer tag's values (unsigned, as rpm stores them); empty when absent."""
        entry = self.entries.get(tag)
        if entry is None:
            return []
        fixed = _FIXED.get(entry.type)
        if fixed is None:
            raise HeaderError(f"tag {tag}: type {entry.type} is not an integer type")
        code, size = fixed
        if entry.offset + size * entry.count > len(self.data):
            raise HeaderError(f"tag {tag}: {entry.count} values overrun the data store")
        if entry.count > MAX_COUNT:
            raise HeaderError(f"tag {tag}: {entry.count} values")
        count = min(entry.count, limit)
        return list(struct.unpack_from(f">{count}{code}", self.data, entry.offset))

    def integer(self, tag: int) -> int | None:
        """The first value of an integer tag, None if absent."""
        values = self.ints(tag, limit=1)
        return values[0] if values else None

    def files(self) -> list[str]:
        """The package's file paths, directories left out when file modes say so."""
        basenames = self.strings(BASENAMES)
        if basenames:
            dirnames = self.strings(DIRNAMES)
            indexes = self.ints(DIRINDEXES)
            if len(indexes) != len(basenames):
                raise HeaderError("DIRINDEXES and BASENAMES differ in length")
            if any(i >= len(dirnames) for i in indexes):
                raise HeaderError("a DIRINDEXES value points past DIRNAMES")
            paths = [dirnames[i] + base for i, base in zip(indexes, basenames, strict=True)]
        else:
            paths = self.strings(OLDFILENAMES)
        modes = self.ints(FILEMODES) if self.has(FILEMODES) else []
        if len(modes) == len(paths):
            paths = [p for p, m in zip(paths, modes, strict=True) if m & S_IFMT != S_IFDIR]
        return paths


def parse_header(blob: bytes) -> RpmHeader:
    """Parse and bounds-check a header blob; raise HeaderError when it is not one."""
    if len(blob) < 8:
        raise HeaderError(f"{len(blob)} bytes: too short for a header")
    il, dl = struct.unpack_from(">II", blob, 0)
    if not 1 <= il <= MAX_INDEX:
        raise HeaderError(f"{il} index entries: out of range")
    if dl > MAX_DATA:
        raise HeaderError(f"{dl}-byte data store: too large")
    store = 8 + 16 * il
    if store + dl > len(blob):
        raise HeaderError(f"blob of {len(blob)} bytes is shorter than its {store + dl}")
    data = blob[store : store + dl]
    entries: dict[int, Entry] = {}
    for i in range(il):
        tag, type_, offset, count = struct.unpack_from(">IIII", blob, 8 + 16 * i)
        if type_ > I18NSTRING:
            raise HeaderError(f"tag {tag}: unknown type {type_}")
        if type_ != NULL and (count == 0 or offset >= dl or count > dl - offset):
            raise HeaderError(f"tag {tag}: offset {offset} count {count} outside {dl} bytes")
        if type_ == STRING and count != 1:
            raise HeaderError(f"tag {tag}: string with count {count}")
        # Entries added after install ("dribbles") follow the region: the last one wins.
        entries[tag] = Entry(type_, offset, count)
    return RpmHeader(entries=entries, data=data)
