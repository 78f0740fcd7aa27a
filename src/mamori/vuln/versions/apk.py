"""Alpine package versions, ordered as apk-tools 2.x orders them.

An Alpine version is `digits{.digits}...{letter}{_suffix{digits}}...{-rN}`. apk reads it
as a stream of typed tokens (number, number after a dot, letter, suffix, suffix number,
revision) and walks two streams in step. This module reproduces that walk exactly,
including what apk does with strings it considers invalid: it stops reading at the
first unexpected character and the comparison then depends on where each string
stopped. That is deterministic, so `compare` keeps apk's answer for every input, and
`is_valid` reports whether apk's own validator would accept the version (it is lenient:
"a" and ".1" pass, as in apk).

Details that matter and are easy to get wrong (all checked against `apk version -t`):
- after a dot, leading zeros but the last form a token of their own whose value is
  minus their count, so "1.00" < "1.0" < "1.0_p1" and "1.01" < "1.1";
- "_alpha", "_beta", "_pre", "_rc" make a version older than the bare one; "_cvs",
  "_svn", "_git", "_hg", "_p" newer; a suffix matches by prefix ("_pre1" is "pre" 1);
- a number of 18 or more digits is invalid (apk-tools 2.14 refuses it).
"""

from __future__ import annotations

from mamori.vuln.versions import schemes
from mamori.vuln.versions._cache import version_cache

NAME = "apk"

# Token types, with apk-tools' numbering: the order matters in the final tie-break.
INVALID = -1
DIGIT_OR_ZERO = 0
DIGIT = 1
LETTER = 2
SUFFIX = 3
SUFFIX_NO = 4
REVISION_NO = 5
END = 6

_PRE_SUFFIXES = ("alpha", "beta", "pre", "rc")
_POST_SUFFIXES = ("cvs", "svn", "git", "hg", "p")
_MAX_DIGITS = 18

Token = tuple[int, int]  # (value, type of the token that follows)


def _next_type(current: int, text: bytes, pos: int) -> tuple[int, int]:
    """The type of the token at `pos` given the current one, and where it starts."""
    if pos >= len(text):
        return END, pos
    c = text[pos]
    if current in (DIGIT, DIGIT_OR_ZERO) and 97 <= c <= 122:
        new = LETTER
    elif current == LETTER and 48 <= c <= 57:
        new = DIGIT
    elif current == SUFFIX and 48 <= c <= 57:
        new = SUFFIX_NO
    else:
        new = INVALID
        if c == ord("."):
            new = DIGIT_OR_ZERO
        elif c == ord("_"):
            new = SUFFIX
        elif c == ord("-") and text[pos + 1 : pos + 2] == b"r":
            new = REVISION_NO
            pos += 1
        pos += 1
    if new < current and not (
        (new == DIGIT_OR_ZERO and current == DIGIT)
        or (new == SUFFIX and current == SUFFIX_NO)
        or (new == DIGIT and current == LETTER)
    ):
        new = INVALID
    return new, pos


def _suffix_value(text: bytes, pos: int) -> tuple[int, int] | None:
    """(value, length) of the suffix at `pos`, matched by prefix as apk does."""
    for index, name in enumerate(_PRE_SUFFIXES):
        if text.startswith(name.encode(), pos):
            return index - len(_PRE_SUFFIXES), len(name)
    for index, name in enumerate(_POST_SUFFIXES):
        if text.startswith(name.encode(), pos):
            return index, len(name)
    return None


@version_cache
def tokens(version: str) -> tuple[Token, ...]:
    """The (value, next type) pairs apk's `get_token` yields, up to END or INVALID."""
    text = version.encode("utf-8", "surrogatepass").split(b"\0", 1)[0]
    out: list[Token] = []
    kind, pos = DIGIT, 0
    while kind not in (END, INVALID):
        if pos >= len(text):
            out.append((0, END))
            break
        value, start, follow = 0, pos, INVALID
        if kind == DIGIT_OR_ZERO and text[pos] == 48:
            # All the zeros but the last; that one is read again as a number.
            while pos + 1 < len(text) and text[pos + 1] == 48:
                pos += 1
            value, follow = start - pos, DIGIT
        elif kind in (DIGIT, DIGIT_OR_ZERO, SUFFIX_NO, REVISION_NO):
            while pos < len(text) and 48 <= text[pos] <= 57:
                if pos - start < _MAX_DIGITS:  # beyond that the token is invalid anyway
                    value = value * 10 + text[pos] - 48
                pos += 1
            if pos - start >= _MAX_DIGITS:
                out.append((-1, INVALID))
                break
        elif kind == LETTER:
            value = text[pos]
            pos += 1
        else:  # SUFFIX
            found = _suffix_value(text, pos)
            if found is None:
                out.append((-1, INVALID))
                break
            value, length = found
            pos += length
        if pos >= len(text):
            kind = END
        elif follow != INVALID:
            kind = follow
        else:
            kind, pos = _next_type(kind, text, pos)
        out.append((value, kind))
    return tuple(out)


def apk_compare(a: str, b: str) -> int:
    """apk-tools' `apk_version_compare`: -1, 0 or 1."""
    ta, tb = tokens(a), tokens(b)
    at = bt = DIGIT
    av = bv = 0
    i = 0
    while at == bt and at not in (END, INVALID) and av == bv:
        av, at = ta[i]
        bv, bt = tb[i]
        i += 1
    if av != bv:
        return -1 if av < bv else 1
    if at == bt:
        return 0
    # The versions agree so far; the one that goes on is newer unless what follows is a
    # pre-release suffix (or a suffix apk does not know).
    if at == SUFFIX and ta[i][0] < 0:
        return -1
    if bt == SUFFIX and tb[i][0] < 0:
        return 1
    return -1 if at > bt else 1


class ApkScheme:
    """Alpine Linux package versions."""

    name = NAME

    def compare(self, a: str, b: str) -> int:
        if a == b:
            return 0
        return apk_compare(a, b)

    def is_valid(self, version: str) -> bool:
        """apk's own validator (`apk version -c`), which also refuses nothing but ""."""
        if not version or "\0" in version:
            return False
        return tokens(version)[-1][1] == END


APK = schemes.register(NAME)(ApkScheme())
