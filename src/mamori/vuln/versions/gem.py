"""RubyGems versions, ordered as `Gem::Version#<=>` orders them (RubyGems 3.x).

A version is digits, then dot-separated runs of letters and digits, then optionally a
"-" part ("1.0.0-rc1" reads as "1.0.0.pre.rc1"). Its segments are its digit runs
(numbers) and letter runs (words); a word makes the version a pre-release. The
"canonical" segments drop trailing zeros both before the first word and at the end, so
"1.0" = "1" and "1.0.a.0" = "1.a". Two versions compare segment by segment, a missing
segment counting as 0; a word is older than any number ("1.a" < "1" < "1.0.1"), words
compare as byte strings (case matters) and numbers numerically.

Strings that Gem::Version refuses sort below every valid version, by the generic runs.
"""

from __future__ import annotations

import re

from mamori.vuln.versions import schemes
from mamori.vuln.versions._cache import version_cache
from mamori.vuln.versions.generic import compare_keys, natural_key, number_key

NAME = "gem"

# Gem::Version::ANCHORED_VERSION_PATTERN is this between optional white space (Ruby's
# \s: [ \t\r\n\f\v]), which is stripped first rather than matched, to stay linear.
_WHITESPACE = " \t\r\n\f\v"
_CORRECT = re.compile(
    r"(?:[0-9]++(?:\.[0-9a-zA-Z]++)*+(?:-[0-9A-Za-z-]++(?:\.[0-9A-Za-z-]++)*+)?)?"
)
_SEGMENT = re.compile(r"[0-9]+|[a-zA-Z]+")

# A word, or a number as its `number_key` (no int(): gems may carry 5000-digit runs).
Segment = str | tuple[int, str]
_ZERO: Segment = (0, "")


def _drop_trailing_zeros(segments: list[Segment]) -> list[Segment]:
    while segments and segments[-1] == _ZERO:
        segments.pop()
    return segments


@version_cache
def canonical_segments(version: str) -> tuple[Segment, ...] | None:
    """Gem::Version#canonical_segments, or None if Gem::Version.new would refuse it."""
    text = version.strip(_WHITESPACE)
    if not _CORRECT.fullmatch(text):
        return None
    text = text.replace("-", ".pre.")
    segments: list[Segment] = [
        number_key(s) if s.isdigit() else s for s in _SEGMENT.findall(text or "0")
    ]
    first_word = next((i for i, s in enumerate(segments) if isinstance(s, str)), len(segments))
    numbers = _drop_trailing_zeros(segments[:first_word])
    words = _drop_trailing_zeros(segments[first_word:])
    return tuple(numbers + words)


def gem_compare(left: tuple[Segment, ...], right: tuple[Segment, ...]) -> int:
    """Gem::Version#<=> on canonical segments: a missing segment is 0, words < numbers."""
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else _ZERO
        b = right[i] if i < len(right) else _ZERO
        if a == b:
            continue
        if isinstance(a, str) != isinstance(b, str):
            return -1 if isinstance(a, str) else 1
        return compare_keys((a,), (b,))  # words are ASCII: str order is byte order
    return 0


class GemScheme:
    """RubyGems package versions."""

    name = NAME

    def compare(self, a: str, b: str) -> int:
        if a == b:
            return 0
        left, right = canonical_segments(a), canonical_segments(b)
        if left is not None and right is not None:
            return gem_compare(left, right)
        if left is None and right is None:
            return compare_keys(natural_key(a), natural_key(b))
        return -1 if left is None else 1

    def is_valid(self, version: str) -> bool:
        return canonical_segments(version) is not None


GEM = schemes.register(NAME)(GemScheme())
