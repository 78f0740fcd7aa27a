"""RPM versions ([epoch:]version[-release]), ordered as rpm >= 4.15 orders them.

The string is split as rpm's own EVR parser splits it: the epoch is a leading run of
digits followed by ":", the release is what follows the last "-" after that run. A
missing epoch is 0. A missing release sorts before every release (as
`rpm.labelCompare` does with None); write "1.0-" for an explicitly empty one.

Each part is compared with `rpmvercmp`, expressed here as a key: after dropping the
separators (anything but ASCII letters, digits, "~" and "^"), a part is a sequence of
tokens compared left to right, in the order

    "~"  <  end of string  <  "^"  <  letters (strcmp)  <  digits (numerically)

so "1.0~rc1" < "1.0" < "1.0^git1" < "1.0a" < "1.0.1". Every string parses, so `compare`
never fails; `is_valid` checks the characters rpm allows in a version and release.
"""

from __future__ import annotations

import re

from mamori.vuln.versions import schemes
from mamori.vuln.versions._cache import version_cache
from mamori.vuln.versions.generic import compare_keys, number_key

NAME = "rpm"

_TOKEN = re.compile(r"~|\^|[0-9]+|[A-Za-z]+")
Token = tuple[int, str] | tuple[int, int, str]
_TILDE: Token = (0, "")
_END: Token = (1, "")
_CARET: Token = (2, "")
_VALID = re.compile(r"(?:[0-9]+:)?[A-Za-z0-9._+~^]+(?:-[A-Za-z0-9._+~^]+)?")


@version_cache
def part_key(part: str) -> tuple[Token, ...]:
    """The `rpmvercmp` ordering key of one version or release string."""
    tokens: list[Token] = []
    for token in _TOKEN.findall(part):
        if token == "~":
            tokens.append(_TILDE)
        elif token == "^":
            tokens.append(_CARET)
        elif token[0].isdigit():
            tokens.append((4, *number_key(token)))
        else:
            tokens.append((3, token))
    tokens.append(_END)
    return tuple(tokens)


def split_evr(evr: str) -> tuple[str | None, str, str | None]:
    """(epoch, version, release) as rpm splits "[epoch:]version[-release]"."""
    evr = evr.split("\0", 1)[0]
    digits = len(evr) - len(evr.lstrip("0123456789"))
    dash = evr.rfind("-", digits)
    release = evr[dash + 1 :] if dash >= 0 else None
    rest = evr[:dash] if dash >= 0 else evr
    if rest[digits : digits + 1] == ":":
        return rest[:digits] or "0", rest[digits + 1 :], release
    return None, rest, release


Key = tuple[tuple[int, str], tuple[object, ...], tuple[object, ...]]


@version_cache
def _key(evr: str) -> Key:
    epoch, version, release = split_evr(evr)
    release_key: tuple[object, ...] = (0,) if release is None else (1, part_key(release))
    return number_key(epoch or "0"), part_key(version), release_key


class RpmScheme:
    """Red Hat, AlmaLinux, Rocky, SUSE, Mageia and Azure Linux package versions."""

    name = NAME

    def compare(self, a: str, b: str) -> int:
        if a == b:
            return 0
        return compare_keys(_key(a), _key(b))

    def is_valid(self, version: str) -> bool:
        return bool(_VALID.fullmatch(version))


RPM = schemes.register(NAME)(RpmScheme())
