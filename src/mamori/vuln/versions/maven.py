"""Maven versions, ordered as Maven 3.8's `ComparableVersion` orders them.

A version is lower-cased and cut into items at ".", at "-" (which also opens a nested
list) and where digits meet non-digits (which opens a nested list too): "1.0-beta-2"
is [1, [beta, [2]]]. Numbers compare numerically; words are qualifiers, ordered

    alpha = a < beta = b < milestone = m < rc = cr < snapshot < "" = ga = final = release < sp

with "a", "b" and "m" only standing for alpha/beta/milestone when a digit follows
("1.0a1"), and unknown words after "sp", alphabetically. Trailing zeros and release
qualifiers are dropped ("1.0.0" = "1" = "1-ga"). A number is newer than a word or a
list at the same place ("1.1" > "1-sp" and "1.1" > "1-1"). Every string is a version
to Maven, so `compare` never fails (strings nested over MAX_DEPTH lists deep, which
would only overflow the stack, sort first, by the generic runs); `is_valid` checks for
the usual characters.

The quirks of 3.8 are kept: numbers of up to 9, 18 and more digits (after stripping
leading zeros) are three kinds that compare by kind first, so 10 digits of zeros beat 0.
"""

from __future__ import annotations

import re
from typing import Any

from mamori.vuln.versions import schemes
from mamori.vuln.versions._cache import version_cache
from mamori.vuln.versions.generic import compare_keys, natural_key, number_key

NAME = "maven"

# Item kinds, numbered as in ComparableVersion.
BIG, STRING, LIST, INT, LONG = 0, 1, 2, 3, 4
_NUMBERS = (INT, LONG, BIG)
_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_RELEASE_INDEX = "5".encode("utf-16-be")  # the comparable form of "" (index 5)
MAX_DEPTH = 100
_VALID = re.compile(r"[A-Za-z0-9]++(?:[.\-_+][A-Za-z0-9]++)*+")

# (kind, value): value a `number_key` for numbers, the comparable qualifier (UTF-16
# bytes) for words, a tuple of items for lists (a list while parsing).
Item = tuple[int, Any]
_NULL_NUMBER = (0, "")
_ZERO: Item = (INT, _NULL_NUMBER)


def _java_digit(c: str) -> bool:
    """Java's Character.isDigit(char): a decimal digit of the Basic Multilingual Plane."""
    return c.isdecimal() and ord(c) < 0x10000


def _number(digits: str) -> Item:
    stripped = digits.lstrip("0") or digits  # Java strips ASCII zeros, keeps all-zeros
    kind = INT if len(stripped) <= 9 else LONG if len(stripped) <= 18 else BIG
    if not digits.isascii():  # other scripts' digits, which Integer.parseInt accepts
        digits = "".join(chr(48 + int(c)) for c in digits)
    return kind, number_key(digits)


def _word(value: str, followed_by_digit: bool) -> Item:
    if followed_by_digit and value in _SHORT:
        value = _SHORT[value]
    value = _ALIASES.get(value, value)
    index = _QUALIFIERS.index(value) if value in _QUALIFIERS else -1
    comparable = str(index) if index >= 0 else f"{len(_QUALIFIERS)}-{value}"
    # Java compares strings by UTF-16 code unit; so do big-endian UTF-16 bytes.
    return STRING, comparable.encode("utf-16-be", "surrogatepass")


def _is_null(item: Item) -> bool:
    kind, value = item
    if kind == STRING:
        return bool(value == _RELEASE_INDEX)
    if kind == LIST:
        return not value
    return bool(value == _NULL_NUMBER)


def _normalize(items: list[Item]) -> None:
    """Drop trailing null items (0, "", empty lists), looking past non-null lists."""
    for i in range(len(items) - 1, -1, -1):
        if _is_null(items[i]):
            del items[i]
        elif items[i][0] != LIST:
            break


@version_cache
def parse(version: str) -> Item | None:
    """The item tree of `version`, as ComparableVersion.parseVersion builds it.

    None for a version nested deeper than MAX_DEPTH lists (every "-" and every switch
    between digits and letters opens one): comparing trees is recursive, in Maven too,
    and such strings are not versions anyway.
    """
    text = version.lower()
    root: list[Item] = []
    current = root
    stack = [root]

    def open_list() -> None:
        nonlocal current
        child: list[Item] = []
        current.append((LIST, child))
        current = child
        stack.append(child)

    is_digit = False
    start = 0
    for i, c in enumerate(text):
        if c in ".-":
            current.append(_ZERO if i == start else _item(is_digit, text[start:i]))
            start = i + 1
            if c == "-":
                open_list()
        elif _java_digit(c):
            if not is_digit and i > start:
                if current:
                    open_list()
                current.append(_word(text[start:i], True))
                start = i
                open_list()
            is_digit = True
        else:
            if is_digit and i > start:
                current.append(_item(True, text[start:i]))
                start = i
                open_list()
            is_digit = False
    if len(text) > start:
        if not is_digit and current:
            open_list()
        current.append(_item(is_digit, text[start:]))
    if len(stack) > MAX_DEPTH:
        return None
    while stack:
        _normalize(stack.pop())
    return _freeze((LIST, root))


def _item(is_digit: bool, text: str) -> Item:
    return _number(text) if is_digit else _word(text, False)


def _freeze(item: Item) -> Item:
    kind, value = item
    if kind == LIST:
        assert isinstance(value, list)
        return LIST, tuple(_freeze(child) for child in value)
    return item


def _sign(a: Any, b: Any) -> int:
    return -1 if a < b else (1 if a > b else 0)


def compare_items(left: Item, right: Item | None) -> int:
    """ComparableVersion's Item.compareTo; `right` None stands for a missing item."""
    kind, value = left
    if kind == LIST:
        assert isinstance(value, tuple)
        if right is None:
            for child in value:
                result = compare_items(child, None)
                if result:
                    return result
            return 0
        if right[0] in _NUMBERS:
            return -1
        if right[0] == STRING:
            return 1
        other = right[1]
        assert isinstance(other, tuple)
        for i in range(max(len(value), len(other))):
            mine = value[i] if i < len(value) else None
            theirs = other[i] if i < len(other) else None
            if mine is None:
                result = 0 if theirs is None else -compare_items(theirs, None)
            else:
                result = compare_items(mine, theirs)
            if result:
                return result
        return 0
    if kind == STRING:
        if right is None:
            return _sign(value, _RELEASE_INDEX)
        return _sign(value, right[1]) if right[0] == STRING else -1
    # A number.
    if right is None:
        return 0 if value == _NULL_NUMBER else 1
    if right[0] in (STRING, LIST):
        return 1
    if right[0] == kind:
        return _sign(value, right[1])
    return _sign(_NUMBERS.index(kind), _NUMBERS.index(right[0]))


class MavenScheme:
    """Maven (Java) artifact versions."""

    name = NAME

    def compare(self, a: str, b: str) -> int:
        if a == b:
            return 0
        left, right = parse(a), parse(b)
        if left is not None and right is not None:
            return compare_items(left, right)
        if left is None and right is None:
            return compare_keys(natural_key(a), natural_key(b))
        return -1 if left is None else 1

    def is_valid(self, version: str) -> bool:
        return bool(_VALID.fullmatch(version))


MAVEN = schemes.register(NAME)(MavenScheme())
