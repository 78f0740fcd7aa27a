"""Composer (Packagist) versions: Composer's normalisation, then PHP's version_compare.

Composer first normalises a version ("v1.2" -> "1.2.0.0", "1.0.0-beta.2" ->
"1.0.0.0-beta2", "2.1.x-dev" -> "2.1.9999999.9999999-dev", "dev-main" stays a branch)
and then orders normalised versions with PHP's `version_compare`, which gives the
stabilities dev < alpha < beta < RC < stable < patch. The normalisation is in
`_composer_normalize`; the comparison reimplements PHP's algorithm, odd strings
included (and is checked against php itself), so strings Composer refuses are still
ordered deterministically: by version_compare on the raw text, below every valid one.

Composer itself never orders two different branches ("dev-main", "dev-feature"); here
they are equal to each other under version_compare and are then told apart by name.
Refused strings that version_compare finds equal, or orders inconsistently (it says
"1." < "1." both ways round), are told apart by their bytes, so `compare` stays
antisymmetric; on such junk it need not be transitive, no more than PHP is.
"""

from __future__ import annotations

from mamori.vuln.versions import schemes
from mamori.vuln.versions._cache import version_cache
from mamori.vuln.versions._composer_normalize import normalize

NAME = "composer"

_LONG_MAX = 2**63 - 1
MAX_LENGTH = 1024  # longer strings are no versions; they are compared by this prefix
_SPECIAL_FORMS = (
    (b"dev", 0),
    (b"alpha", 1),
    (b"a", 1),
    (b"beta", 2),
    (b"b", 2),
    (b"RC", 3),
    (b"rc", 3),
    (b"#", 4),
    (b"pl", 5),
    (b"p", 5),
)
_NUMBER = b"#N#"


def _isdigit(c: int) -> bool:
    return 48 <= c <= 57


def _isalnum(c: int) -> bool:
    return 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122


@version_cache
def canonicalize(version: bytes) -> bytes:
    """php_canonicalize_version: "-", "_", "+" and other symbols become ".", and a "."
    goes between digits and non-digits ("1.0rc1" -> "1.0.rc.1")."""
    if not version:
        return b""
    out = bytearray(version[:1])
    last = version[0]
    for c in version[1:]:
        prev_out = out[-1]
        last_digit, digit = _isdigit(last), _isdigit(c)
        if c in b"-_+":
            if prev_out != 46:
                out.append(46)
        elif (not last_digit and last != 46 and digit) or (last_digit and not digit and c != 46):
            if prev_out != 46:
                out.append(46)
            out.append(c)
        elif not _isalnum(c):
            if prev_out != 46:
                out.append(46)
        else:
            out.append(c)
        last = c
    return bytes(out)


def _special_form(form: bytes) -> int:
    for name, order in _SPECIAL_FORMS:
        if form.startswith(name):
            return order
    return -1


def _strtol(element: bytes) -> int:
    digits = element[: len(element) - len(element.lstrip(b"0123456789"))].lstrip(b"0")
    return _LONG_MAX if len(digits) > 19 else min(int(digits or b"0"), _LONG_MAX)


def php_version_compare(ver1: bytes, ver2: bytes) -> int:
    """PHP's version_compare(ver1, ver2): -1, 0 or 1.

    PHP recurses to compare what is left of the longer version with a number; that
    recursion is a tail call, made a loop here so that long junk cannot exhaust the stack.
    """
    while True:
        if not ver1 or not ver2:
            return 0 if not ver1 and not ver2 else (1 if ver1 else -1)
        buf1 = ver1 if ver1[:1] == b"#" else canonicalize(ver1)
        buf2 = ver2 if ver2[:1] == b"#" else canonicalize(ver2)
        p1 = p2 = 0
        n1: int | None = 0
        n2: int | None = 0
        compare = 0
        while p1 < len(buf1) and p2 < len(buf2) and n1 is not None and n2 is not None:
            found1, found2 = buf1.find(b".", p1), buf2.find(b".", p2)
            n1 = found1 if found1 >= 0 else None
            n2 = found2 if found2 >= 0 else None
            e1 = buf1[p1 : n1 if n1 is not None else len(buf1)]
            e2 = buf2[p2 : n2 if n2 is not None else len(buf2)]
            compare = _compare_elements(e1, e2)
            if compare:
                break
            if n1 is not None:
                p1 = n1 + 1
            if n2 is not None:
                p2 = n2 + 1
        if compare != 0 or (n1 is None and n2 is None):
            return compare
        if n1 is not None:
            if _first_is_digit(buf1, p1):
                return 1
            ver1, ver2 = buf1[p1:], _NUMBER
        else:
            if _first_is_digit(buf2, p2):
                return -1
            ver1, ver2 = _NUMBER, buf2[p2:]


def _compare_elements(e1: bytes, e2: bytes) -> int:
    """Two dot-separated elements: numbers numerically, words by special form."""
    d1 = bool(e1) and _isdigit(e1[0])
    d2 = bool(e2) and _isdigit(e2[0])
    if d1 and d2:
        l1, l2 = _strtol(e1), _strtol(e2)
        return (l1 > l2) - (l1 < l2)
    form1 = _special_form(_NUMBER if d1 else e1)
    form2 = _special_form(_NUMBER if d2 else e2)
    return (form1 > form2) - (form1 < form2)


def _first_is_digit(buf: bytes, pos: int) -> bool:
    return pos < len(buf) and _isdigit(buf[pos])


@version_cache
def _prepared(version: str) -> tuple[bool, bytes]:
    """(valid, bytes to compare): the normalised version, or the raw text if refused."""
    normalized = normalize(version)
    if normalized is not None:
        return True, normalized.encode()
    # Cut junk short: version_compare's cost grows with the square of its length.
    raw = version.encode("utf-8", "surrogatepass").split(b"\0", 1)[0]
    return False, raw[:MAX_LENGTH]


class ComposerScheme:
    """Packagist (PHP Composer) package versions."""

    name = NAME

    def compare(self, a: str, b: str) -> int:
        if a == b:
            return 0
        valid_a, bytes_a = _prepared(a)
        valid_b, bytes_b = _prepared(b)
        if valid_a != valid_b:
            return 1 if valid_a else -1
        result = php_version_compare(bytes_a, bytes_b)
        if not valid_a and result != -php_version_compare(bytes_b, bytes_a):
            # PHP contradicts itself on some junk ("1." is below "1." both ways round);
            # keep the order antisymmetric there.
            result = 0
        if result == 0 and (not valid_a or bytes_a.startswith(b"dev-")):
            return (bytes_a > bytes_b) - (bytes_a < bytes_b)
        return result

    def is_valid(self, version: str) -> bool:
        return _prepared(version)[0]


COMPOSER = schemes.register(NAME)(ComposerScheme())
