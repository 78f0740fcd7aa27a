"""What suppression produces: a match that is not reported, and why."""

from __future__ import annotations

import enum
from datetime import datetime

from mamori.model import Frozen, VulnerabilityMatch


class SuppressionKind(enum.StrEnum):
    IGNORE = "ignore"  # a rule of the user's ignore file
    VEX = "vex"  # a VEX statement (not_affected or fixed)


class Suppressed(Frozen):
    """A match taken out of the report, with the statement that justifies it.

    `source` names where the statement is (`file:line` for an ignore rule, the VEX
    document and statement for VEX) so a reviewer can find and challenge it.
    """

    match: VulnerabilityMatch
    kind: SuppressionKind
    reason: str
    source: str
    expires: datetime | None = None
    vex_status: str | None = None
    justification: str | None = None


class SuppressionError(ValueError):
    """A malformed ignore file or VEX document. `problems` lists every issue found,
    each already prefixed with where it is (file:line and field path)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


def describe_loc(loc: tuple[str | int, ...]) -> str:
    """A validation error's location as a field path: `vulnerabilities[2].package.type`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"
