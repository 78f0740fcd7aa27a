"""Shannon entropy and the allow-list of obvious placeholders.

Entropy is in bits per character over the value's own characters: random base64 of 20+
characters scores about 4-5, English words and repeated characters about 2-3.
"""

from __future__ import annotations

import math
import re
from collections import Counter

PLACEHOLDER_WORDS = (
    "example",
    "xxxx",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "dummy",
    "sample",
    "your_",
    "your-",
    "yourpassword",
    "redacted",
    "fake",
    "notreal",
    "replace",
    "insert",
    "****",
    "....",
    "<",
    ">",
    "${",
    "$(",
    "{{",
    "%(",
    "#{",
)
_REPEATED = re.compile(r"(.)\1{5,}")


def shannon(value: str) -> float:
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def placeholder(value: str) -> bool:
    """An obvious stand-in: EXAMPLE, xxxx, changeme, ${VAR}, <token>, a run of one char."""
    lower = value.lower()
    if any(word in lower for word in PLACEHOLDER_WORDS):
        return True
    return _REPEATED.search(value) is not None
