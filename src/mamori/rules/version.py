"""The rules-engine version that ``required_engine_version`` is checked against.

Falco compares semantic versions: a bare number ``N`` (older rules files) means
``0.N.0``; rules load when the major versions match and the engine is not older. We
declare the Falco engine version whose rules language we implement.
"""

from __future__ import annotations

import re

ENGINE_VERSION: tuple[int, int, int] = (0, 57, 0)

_SEMVER = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:[-+].*)?")


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``"0.57.0"`` -> (0, 57, 0); ``"15"`` -> (0, 15, 0); anything else -> None."""
    text = text.strip()
    if text.isdigit():
        return (0, int(text), 0)
    m = _SEMVER.fullmatch(text)
    if m is None:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)))
