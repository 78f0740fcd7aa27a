"""Rule outputs: ``%field`` substitution as Falco prints it.

Tokens are ``%field``, ``%field[arg]``, ``%(field)`` / ``%(field[arg])`` and the dotted
argument form ``%evt.arg.name``. The longest known field wins, so ``%proc.name.`` is the
field ``proc.name`` followed by a dot. A missing value prints ``<NA>``; booleans
``true``/``false``; lists ``(a,b)``; bytes as text with non-printables as ``.``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mamori.rules.source import EventSource, FieldError, FieldRef

NA = "<NA>"
_NAME = re.compile(r"[a-zA-Z0-9_.]+")
_ARG = re.compile(r"\[([^\]]*)\]")


class OutputError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    ref: FieldRef | None = None


def render(value: Any) -> str:
    if value is None:
        return NA
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return "".join(chr(b) if 32 <= b < 127 else "." for b in value)
    if isinstance(value, tuple | list):
        return "(" + ",".join(render(v) for v in value) + ")"
    return str(value)


class OutputFormat:
    """A parsed output format, bound to a source's getters."""

    def __init__(self, fmt: str, source: EventSource[Any]) -> None:
        self.fmt = fmt
        self.tokens: list[_Token] = _parse(fmt, source)
        self.fields: list[FieldRef] = list(
            dict.fromkeys(t.ref for t in self.tokens if t.ref is not None)
        )
        self._getters: dict[FieldRef, Callable[[Any], Any]] = {
            r: source.compile_field(r) for r in self.fields
        }

    def values(self, event: Any) -> dict[str, Any]:
        """The raw value of every field in the output (None = not available)."""
        return {str(r): g(event) for r, g in self._getters.items()}

    def format(self, event: Any, values: dict[str, Any] | None = None) -> str:
        vals = values if values is not None else self.values(event)
        return "".join(
            t.text if t.ref is None else render(vals.get(str(t.ref))) for t in self.tokens
        )


def _parse(fmt: str, source: EventSource[Any]) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    text: list[str] = []
    n = len(fmt)
    while i < n:
        ch = fmt[i]
        if ch != "%" or i + 1 >= n:
            text.append(ch)
            i += 1
            continue
        paren = fmt[i + 1] == "("
        start = i + 2 if paren else i + 1
        m = _NAME.match(fmt, start)
        if m is None:
            text.append(ch)
            i += 1
            continue
        ref, end = _field_at(fmt, start, m.group(0).rstrip("."), source)
        if paren:
            if end >= n or fmt[end] != ")":
                raise OutputError(f"missing ')' in output format after '{ref}'")
            end += 1
        if text:
            tokens.append(_Token("".join(text)))
            text = []
        tokens.append(_Token("", ref))
        i = end
    if text:
        tokens.append(_Token("".join(text)))
    return tokens


def _field_at(fmt: str, start: int, name: str, source: EventSource[Any]) -> tuple[FieldRef, int]:
    """Longest known field at `start`, its optional ``[arg]``, and where it ends."""
    candidate = name
    while candidate:
        end = start + len(candidate)
        arg_m = _ARG.match(fmt, end)
        arg = arg_m.group(1) if arg_m else None
        try:
            _info, ref = source.resolve(candidate, arg)
        except FieldError:
            if arg is not None:
                try:
                    _info, ref = source.resolve(candidate, None)
                    return ref, end
                except FieldError:
                    pass
            cut = candidate.rfind(".")
            if cut <= 0:
                break
            candidate = candidate[:cut]
            continue
        return ref, (arg_m.end() if arg_m else end)
    raise OutputError(f"invalid formatting token {name}")
