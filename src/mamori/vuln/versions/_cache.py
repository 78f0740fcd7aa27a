"""The parse cache every scheme uses.

Matching compares the same few thousand versions again and again, so each scheme
memoises its parse with an LRU cache. Only short strings are cached: a hostile package
could declare a megabyte-long "version", and 65,536 of those must not stay in memory;
they are parsed again on each call instead, which is correct, just slower.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

S = TypeVar("S", str, bytes)
T = TypeVar("T")

MAX_ENTRIES = 65536
MAX_CACHED_LENGTH = 256


def version_cache(function: Callable[[S], T]) -> Callable[[S], T]:
    """Memoise `function` (one str or bytes argument) for arguments of usual length."""
    memo = lru_cache(maxsize=MAX_ENTRIES)(function)

    def lookup(version: S) -> T:
        if len(version) <= MAX_CACHED_LENGTH:
            return memo(version)
        return function(version)

    lookup.__doc__ = function.__doc__
    lookup.__name__ = function.__name__
    return lookup
