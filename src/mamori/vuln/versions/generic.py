"""A fallback scheme for ecosystems without a known version syntax.

The version is split into runs of digits and runs of letters; everything else only
separates runs. Runs compare pairwise: numbers numerically, words case-insensitively,
a number above a word (so "1.0.1" > "1.0.beta"), and a version that runs out first is
the smaller one ("1.0" < "1.0.1"). Every string has a key, so `compare` never fails;
other schemes use `natural_key` as their deterministic ordering for invalid input.
"""

from __future__ import annotations

import re

from mamori.vuln.versions import schemes
from mamori.vuln.versions._cache import version_cache

NAME = "generic"

_RUNS = re.compile(r"[0-9]+|[^\W\d_]+")
_VALID = re.compile(r"[A-Za-z]*[0-9][0-9A-Za-z.+_~-]*")

# A run: (0, word) or (1, digit count, digits); the kind decides before values of
# different types meet.
Run = tuple[int, str] | tuple[int, int, str]


def number_key(digits: str) -> tuple[int, str]:
    """A key ordering ASCII digit strings numerically, without int() and its size limit."""
    stripped = digits.lstrip("0")
    return len(stripped), stripped


@version_cache
def natural_key(version: str) -> tuple[Run, ...]:
    """The ordering key of any string: its digit and letter runs, separators dropped."""
    runs: list[Run] = []
    for run in _RUNS.findall(version):
        if run[0] in "0123456789":  # not str.isdigit(): "²" is a letter run here
            runs.append((1, *number_key(run)))
        else:
            runs.append((0, run.casefold()))
    return tuple(runs)


def compare_keys(a: tuple[object, ...], b: tuple[object, ...]) -> int:
    """-1, 0 or 1 for two keys of the same shape (tuples that Python can order)."""
    return -1 if a < b else (1 if a > b else 0)


class GenericScheme:
    """Digit/letter runs; the last resort of `scheme_for_ecosystem`."""

    name = NAME

    def compare(self, a: str, b: str) -> int:
        if a == b:
            return 0
        return compare_keys(natural_key(a), natural_key(b))

    def is_valid(self, version: str) -> bool:
        """Valid when it holds at least one digit run and nothing but runs and . - + _ ~."""
        return bool(_VALID.fullmatch(version))


GENERIC = schemes.register(NAME)(GenericScheme())
