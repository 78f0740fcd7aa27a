"""Docker's word processing: ARG/ENV substitution and `key=value` word splitting.

Substitution follows the reference: `$VAR`, `${VAR}`, `${VAR:-word}` (unset or empty ->
word), `${VAR-word}` (unset -> word), `${VAR:+word}` (set and non-empty -> word),
`${VAR+word}` (set -> word), `${VAR:?msg}` / `${VAR?msg}`; the escape character makes the
next character literal (`\\$HOME` stays `$HOME`); single quotes are literal, double quotes
group. Quotes are removed, as Docker does for the instructions it expands.

A variable that is never set (or an ARG without a default) expands to "" and is reported
in `unresolved`, so a check can say "unknown" rather than judge an empty string. Output
length and `${...}` nesting are bounded (a chain of `ENV A=$A$A` cannot grow without end).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mamori.workload.dockerfile.model import ParseError

MAX_EXPANDED = 1 << 16
MAX_NESTING = 16
_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAME_CHARS = _NAME_START + "0123456789"

Env = Mapping[str, "str | None"]


@dataclass
class Expanded:
    value: str = ""
    unresolved: set[str] = field(default_factory=set)


class _Expander:
    def __init__(self, text: str, env: Env, escape: str, depth: int) -> None:
        if depth > MAX_NESTING:
            raise ParseError(f"variables nested more than {MAX_NESTING} deep")
        self.text, self.env, self.escape, self.depth = text, env, escape, depth
        self.pos = 0
        self.out: list[str] = []
        self.size = 0
        self.unresolved: set[str] = set()

    def emit(self, piece: str) -> None:
        self.size += len(piece)
        if self.size > MAX_EXPANDED:
            raise ParseError(f"expanded value longer than {MAX_EXPANDED} characters")
        self.out.append(piece)

    def run(self) -> Expanded:
        text, quote = self.text, ""
        while self.pos < len(text):
            char = text[self.pos]
            self.pos += 1
            if char == self.escape and quote != "'":
                nxt = text[self.pos : self.pos + 1]
                if not nxt:
                    self.emit(char)
                elif quote == '"' and nxt not in ('"', "$", self.escape):
                    self.emit(char + nxt)
                    self.pos += 1
                else:
                    self.emit(nxt)
                    self.pos += 1
            elif char == "'" and quote != '"':
                quote = "" if quote == "'" else "'"
            elif char == '"' and quote != "'":
                quote = "" if quote == '"' else '"'
            elif char == "$" and quote != "'":
                self.variable()
            else:
                self.emit(char)
        return Expanded("".join(self.out), self.unresolved)

    def variable(self) -> None:
        text = self.text
        if text.startswith("{", self.pos):
            self.braced()
            return
        start = self.pos
        if self.pos < len(text) and text[self.pos] in _NAME_START:
            while self.pos < len(text) and text[self.pos] in _NAME_CHARS:
                self.pos += 1
            name = text[start : self.pos]
            value = self.env.get(name)
            if value is None:
                self.unresolved.add(name)
            self.emit(value or "")
        else:
            self.emit("$")

    def _word(self) -> str:
        """The raw text up to the `}` closing the current `${`, nested braces counted."""
        text, depth, start = self.text, 0, self.pos
        while self.pos < len(text):
            char = text[self.pos]
            if char == self.escape:
                self.pos += 2
                continue
            if char == "{":
                depth += 1
            elif char == "}":
                if depth == 0:
                    word = text[start : self.pos]
                    self.pos += 1
                    return word
                depth -= 1
            self.pos += 1
        raise ParseError("missing '}' in variable substitution")

    def braced(self) -> None:
        self.pos += 1
        text, start = self.text, self.pos
        while self.pos < len(text) and text[self.pos] in _NAME_CHARS:
            self.pos += 1
        name = text[start : self.pos]
        if not name:
            raise ParseError("bad substitution: empty variable name")
        op = ""
        if text.startswith(":", self.pos):
            op = ":"
            self.pos += 1
        if self.pos < len(text) and text[self.pos] in "-+?#%/":
            op += text[self.pos]
            self.pos += 1
        elif op:
            raise ParseError(f"bad substitution: unsupported modifier after ${{{name}:")
        word = self._word() if op else self._close()
        value = self.env.get(name)
        self.apply(name, op, value, word)

    def _close(self) -> str:
        if not self.text.startswith("}", self.pos):
            raise ParseError("missing '}' in variable substitution")
        self.pos += 1
        return ""

    def sub(self, word: str) -> str:
        inner = _Expander(word, self.env, self.escape, self.depth + 1).run()
        self.unresolved |= inner.unresolved
        return inner.value

    def apply(self, name: str, op: str, value: str | None, word: str) -> None:
        empty = not value
        if op in (":-", "-"):
            use_word = value is None or (op == ":-" and empty)
            self.emit(self.sub(word) if use_word else str(value))
        elif op in (":+", "+"):
            use_word = value is not None and not (op == ":+" and empty)
            self.emit(self.sub(word) if use_word else "")
        else:  # plain, :? / ? and the pattern operators: the value itself
            if value is None:
                self.unresolved.add(name)
            self.emit(value or "")


def expand(text: str, env: Env, escape: str = "\\") -> Expanded:
    """`text` with variables substituted and quotes removed (see the module docstring)."""
    return _Expander(text, env, escape, 0).run()


def split_words(text: str, escape: str = "\\") -> list[str]:
    """Whitespace-separated words; quotes and escaped characters do not split (kept as is)."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    pos = 0
    while pos < len(text):
        char = text[pos]
        pos += 1
        if char == escape and quote != "'" and pos < len(text):
            current.append(char + text[pos])
            pos += 1
            continue
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in " \t\r\n":
            if current:
                words.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        words.append("".join(current))
    return words


def name_values(text: str, escape: str = "\\", *, legacy: bool) -> list[tuple[str, str | None]]:
    """ENV/LABEL (`legacy`: `ENV key value` allowed) or ARG pairs, values still raw.

    Raises ParseError for a word without `=` where one is required, or a blank name.
    """
    words = split_words(text, escape)
    if not words:
        return []
    if legacy and "=" not in words[0]:
        rest = text.strip()[len(words[0]) :].strip()
        return [(words[0], rest)]
    pairs: list[tuple[str, str | None]] = []
    for word in words:
        name, sep, value = word.partition("=")
        if not name:
            raise ParseError("names can not be blank")
        if not sep and legacy:
            # the word itself is not quoted: it may be a value, and values may be secrets
            raise ParseError(f"word {len(pairs) + 1} has no '=': must be of the form name=value")
        pairs.append((name, value if sep else None))
    return pairs
