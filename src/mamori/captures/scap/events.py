"""The event table: for each event code, its Falco name, direction, flags and parameters.

The data lives in ``_events_a.py`` / ``_events_b.py`` as one line per event code::

    <code> <name> <flags> <param>:<type>[x|o][@info] ...

``flags`` is ``-`` or letters: C creates an fd, D destroys an fd, U uses an fd,
R reads from it, W writes to it, M modifies state, N unused, O old version (kept for
old captures), S skipped by the parser's last-event tracking, L large payload (32-bit
parameter lengths). A type suffix ``x``/``o`` means Falco prints it in hex/octal.
``@n`` on an ``rp`` (relative path) names the index of its dirfd parameter; ``@name``
on a ``dyn`` parameter names its dynamic type table. Even codes are enter events,
odd codes exit events.
"""

from __future__ import annotations

from dataclasses import dataclass

from mamori.captures.scap._events_a import LINES_A
from mamori.captures.scap._events_b import LINES_B

EF_CREATES_FD = 1 << 0
EF_DESTROYS_FD = 1 << 1
EF_USES_FD = 1 << 2
EF_READS_FROM_FD = 1 << 3
EF_WRITES_TO_FD = 1 << 4
EF_MODIFIES_STATE = 1 << 5
EF_UNUSED = 1 << 6
EF_SKIPPARSERESET = 1 << 8
EF_OLD_VERSION = 1 << 9
EF_LARGE_PAYLOAD = 1 << 11

_FLAG_LETTERS = {
    "C": EF_CREATES_FD,
    "D": EF_DESTROYS_FD,
    "U": EF_USES_FD,
    "R": EF_READS_FROM_FD,
    "W": EF_WRITES_TO_FD,
    "M": EF_MODIFIES_STATE,
    "N": EF_UNUSED,
    "S": EF_SKIPPARSERESET,
    "O": EF_OLD_VERSION,
    "L": EF_LARGE_PAYLOAD,
}

# Wire types (short names used in the data lines) and their fixed sizes (0: variable).
FIXED_SIZES: dict[str, int] = {
    "i8": 1, "i16": 2, "i32": 4, "i64": 8,
    "u8": 1, "u16": 2, "u32": 4, "u64": 8,
    "e": 8, "fd": 8, "pid": 8, "sc": 2, "sig": 1, "rt": 8, "at": 8,
    "port": 2, "l4": 1, "fam": 1, "bool": 4, "ip4": 4, "ip6": 16,
    "f8": 1, "f16": 2, "f32": 4, "ef8": 1, "ef16": 2, "ef32": 4,
    "uid": 4, "gid": 4, "dbl": 8, "sset": 4, "mode": 4,
}  # fmt: skip
VARIABLE_TYPES = frozenset(
    {
        "s",
        "p",
        "rp",
        "b",
        "sl",
        "sa",
        "st",
        "fdl",
        "dyn",
        "cba",
        "cbpa",
        "ip4n",
        "ip6n",
        "ip",
        "ipn",
    }
)
SIGNED_TYPES = frozenset({"i8", "i16", "i32", "i64", "e", "fd", "pid"})
_RENAMES = {"plugin_ID": "plugin ID"}  # Falco's only parameter name with a space


@dataclass(frozen=True, slots=True)
class ParamInfo:
    """One parameter of an event, in wire order."""

    name: str
    type: str  # short wire type, see FIXED_SIZES / VARIABLE_TYPES
    fmt: str = ""  # "x" hex, "o" octal, "" decimal / not numeric
    info: str = ""  # dirfd index for "rp", dynamic table for "dyn"


@dataclass(frozen=True, slots=True)
class EventInfo:
    """One event code of the table."""

    code: int
    name: str
    flags: int
    params: tuple[ParamInfo, ...]

    @property
    def dir(self) -> str:
        return "<" if self.code & 1 else ">"

    @property
    def large_payload(self) -> bool:
        return bool(self.flags & EF_LARGE_PAYLOAD)


def _parse_param(token: str) -> ParamInfo:
    name, _, spec = token.partition(":")
    spec, _, info = spec.partition("@")
    fmt = ""
    if spec not in FIXED_SIZES and spec not in VARIABLE_TYPES and spec[-1:] in ("x", "o"):
        spec, fmt = spec[:-1], spec[-1]
    if spec not in FIXED_SIZES and spec not in VARIABLE_TYPES:
        raise ValueError(f"unknown parameter type in event table: {token}")
    return ParamInfo(_RENAMES.get(name, name), spec, fmt, info)


def _parse_lines(text: str) -> dict[int, EventInfo]:
    out: dict[int, EventInfo] = {}
    for line in text.strip().splitlines():
        code_s, name, flags_s, *params = line.split()
        flags = 0
        if flags_s != "-":
            for letter in flags_s:
                flags |= _FLAG_LETTERS[letter]
        code = int(code_s)
        out[code] = EventInfo(code, name, flags, tuple(_parse_param(p) for p in params))
    return out


def _build() -> tuple[EventInfo, ...]:
    by_code = _parse_lines(LINES_A) | _parse_lines(LINES_B)
    size = max(by_code) + 1
    missing = [c for c in range(size) if c not in by_code]
    if missing:
        raise ValueError(f"event table has gaps: {missing[:5]}")
    return tuple(by_code[c] for c in range(size))


EVENTS: tuple[EventInfo, ...] = _build()
"""``EVENTS[code]``: every event code known to this reader (codes past the end are
skipped, as libscap does for captures from newer writers)."""

EVENT_MAX = len(EVENTS)

GENERIC_E = 0
GENERIC_X = 1


def event_info(code: int) -> EventInfo | None:
    """The table entry for an event code, or None for an unknown (newer) code."""
    if 0 <= code < EVENT_MAX:
        return EVENTS[code]
    return None


def codes_for(name: str) -> list[int]:
    """Every event code carrying a Falco event name (all versions, both directions)."""
    return [e.code for e in EVENTS if e.name == name]
