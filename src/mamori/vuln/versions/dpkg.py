"""Debian package versions, ordered as dpkg orders them ([epoch:]upstream[-revision]).

Parsing follows dpkg's `parseversion`: blanks around the version are trimmed, the epoch is
what precedes the first colon, the revision what follows the last hyphen. dpkg refuses
some strings outright (errors: empty epoch, embedded blank, empty revision...) and only
warns about others (upstream not starting with a digit, odd characters) while still
comparing them; `compare` orders the latter exactly as dpkg does, `is_valid` rejects both.
Strings dpkg refuses sort below every version dpkg accepts, by `natural_key`; the empty
string, which `dpkg --compare-versions` reads as "no version", sorts between them.

Comparison is dpkg's `verrevcmp`, turned into a byte string per version so that a pair
compares with one memcmp: a part is a sequence of (non-digit run, number) segments; in
the non-digit run, "~" sorts before the end of the run, which sorts before letters,
which sort before every other byte. The bytes are those of the UTF-8 text, as dpkg
sees them.
"""

from __future__ import annotations

import re

from mamori.vuln.versions import schemes
from mamori.vuln.versions._cache import version_cache
from mamori.vuln.versions.generic import compare_keys, natural_key

NAME = "dpkg"

_INT_MAX = 2**31 - 1
_BLANK = b" \t"
_EPOCH = re.compile(rb"[ \t\n\v\f\r]*[+-]?[0-9]+")  # what C's strtol(s, &end, 10) reads
_UPSTREAM_OK = re.compile(rb"[0-9][A-Za-z0-9.+~:-]*")
_REVISION_OK = re.compile(rb"[A-Za-z0-9.+~]*")
_DIGITS = re.compile(rb"[0-9]+")
_NON_DIGITS = re.compile(rb"[^0-9]+")


def _order(byte: int) -> int:
    """dpkg's `order()` of one byte of a non-digit run (a signed char on x86 and arm)."""
    if 65 <= byte <= 90 or 97 <= byte <= 122:
        return byte
    if byte == 126:  # "~"
        return -1
    return byte + 256 if byte < 128 else byte  # (signed char) + 256 for bytes >= 0x80


# Every byte of a non-digit run becomes two bytes whose order is dpkg's order; the end of
# the run (order 0) is _END_RUN. Numbers become a 4-byte digit count and the digits.
_CODE = [(_order(c) + 2).to_bytes(2, "big") for c in range(256)]
_END_RUN = (0 + 2).to_bytes(2, "big")
_PAD = _END_RUN + bytes(4)  # the segment a part is padded with: no run, number 0


def _part_key(part: bytes) -> bytes:
    """The key of an upstream version or revision under `verrevcmp`, as bytes.

    A part is a sequence of (non-digit run, number) segments, each encoded so that
    comparing the bytes compares the segments as dpkg does. Segment 0 may equal the
    padding (a part starting with zeros); later segments never do, because they start
    with a non-digit byte. Ending every key with the padding segment therefore makes
    plain byte order equal to dpkg's infinite zero padding.
    """
    out = bytearray()
    pos = 0
    while pos < len(part) or not out:
        run = _NON_DIGITS.match(part, pos)
        text = run.group() if run else b""
        pos += len(text)
        number = _DIGITS.match(part, pos)
        digits = number.group() if number else b""
        pos += len(digits)
        digits = digits.lstrip(b"0")
        out += b"".join(_CODE[c] for c in text) + _END_RUN
        out += len(digits).to_bytes(4, "big") + digits
    return bytes(out + _PAD)


# (class, payload): 2 and bytes for what dpkg compares, 1 for "", 0 and the generic
# key for what dpkg refuses. The class decides before payloads of different types meet.
Key = tuple[int, object]


@version_cache
def _parse(version: str) -> tuple[Key, bool]:
    """(key, valid) of a version string."""
    raw = version.encode("utf-8", "surrogatepass").split(b"\0", 1)[0]
    if not raw:
        # dpkg --compare-versions reads "" as "no version", older than any version.
        return (1, b""), False
    text = raw.strip(_BLANK)
    refused: Key = (0, natural_key(version))
    if not text or any(c in text for c in _BLANK):
        return refused, False
    epoch = 0
    colon = text.find(b":")
    if colon >= 0:
        match = _EPOCH.match(text)
        if match is None or match.end() != colon:
            return refused, False
        number = match.group().strip()
        digits = number.lstrip(b"+-").lstrip(b"0")
        if len(digits) > 10 or (digits and number.startswith(b"-")):
            return refused, False  # too big, or negative
        epoch = int(digits or b"0")
        if epoch > _INT_MAX or colon + 1 == len(text):
            return refused, False
        text = text[colon + 1 :]
    upstream, hyphen, revision = text.rpartition(b"-")
    if not hyphen:
        upstream, revision = text, b""
    elif not revision or not upstream:
        return refused, False
    valid = bool(_UPSTREAM_OK.fullmatch(upstream)) and bool(_REVISION_OK.fullmatch(revision))
    # The upstream key ends with the padding, so the revision key starts at the same
    # offset in both versions whenever their upstream parts are equal.
    return (2, epoch.to_bytes(4, "big") + _part_key(upstream) + _part_key(revision)), valid


class DpkgScheme:
    """Debian and Ubuntu package versions."""

    name = NAME

    def compare(self, a: str, b: str) -> int:
        if a == b:
            return 0
        return compare_keys(_parse(a)[0], _parse(b)[0])

    def is_valid(self, version: str) -> bool:
        return _parse(version)[1]


DPKG = schemes.register(NAME)(DpkgScheme())
