"""Dockerfile text -> logical instructions, following Docker's reference:

- Parser directives (`# escape=`, `# syntax=`, `# check=`) only at the very top: the first
  comment that is not a known directive, blank line or instruction ends them; a directive
  given twice, or an escape other than backslash or backtick, is an error.
- A line whose first non-blank character is `#` is a comment (elsewhere `#` is an argument).
- The escape character at the end of a line (blanks after it allowed) continues the
  instruction; comment and empty lines inside a continuation are dropped; a continuation
  line keeps its indentation.
- RUN, COPY and ADD may carry heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`): their bodies follow
  the instruction, each up to a line holding only the delimiter.

Every bound (instruction length, lines in one chain, instruction count) is a ParseError,
so hostile input costs linear time and bounded memory.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from mamori.workload.dockerfile.model import Heredoc, Instruction, ParseError

MAX_INSTRUCTION_CHARS = 1 << 20
MAX_CHAIN_LINES = 20_000
MAX_INSTRUCTIONS = 20_000
DIRECTIVES = ("syntax", "escape", "check")
FLAG_COMMANDS = {"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"}
JSON_COMMANDS = {"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"}
HEREDOC_COMMANDS = {"RUN", "COPY", "ADD"}
_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC = re.compile(r"(?<![<\w])\d*<<(?!<)(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")


@dataclass
class Lexed:
    escape: str = "\\"
    directives: dict[str, str] = field(default_factory=dict)
    instructions: list[Instruction] = field(default_factory=list)
    comments: list[tuple[int, str]] = field(default_factory=list)


def _directive(line: str, found: dict[str, str], number: int) -> bool:
    """Record `line` as a parser directive; False when it is not one (stop looking)."""
    if len(line) > 1024 or not line.lstrip().startswith("#"):
        return False
    match = _DIRECTIVE.match(line.strip())
    if not match or match.group(1).lower() not in DIRECTIVES:
        return False
    key, value = match.group(1).lower(), match.group(2)
    if key in found:
        raise ParseError(f"only one {key} parser directive can be used", number)
    if key == "escape" and value not in ("\\", "`"):
        raise ParseError("invalid escape token: must be ` or \\", number)
    found[key] = value
    return True


def split_flags(args: str) -> tuple[tuple[str, ...], str]:
    """Leading `--name[=value]` words (quotes respected) and the text after them."""
    flags: list[str] = []
    pos = 0
    while True:
        while pos < len(args) and args[pos] in " \t\r\n":
            pos += 1
        if not args.startswith("--", pos):
            return tuple(flags), args[pos:]
        start, quote = pos, ""
        while pos < len(args) and (quote or args[pos] not in " \t\r\n"):
            char = args[pos]
            if quote and char == quote:
                quote = ""
            elif not quote and char in "\"'":
                quote = char
            pos += 1
        flags.append(args[start:pos])


def json_form(text: str) -> tuple[str, ...] | None:
    """The exec form's words when `text` is a JSON array of strings, else None."""
    text = text.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: `RUN [[[[...`
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def _heredocs(
    args: str, lines: list[str], index: int, first: int
) -> tuple[tuple[Heredoc, ...], int]:
    """Heredoc bodies announced in `args`, read from lines[index:]; returns the next index."""
    docs: list[Heredoc] = []
    for match in _HEREDOC.finditer(args):
        strip_tabs, quote, name = match.group(1) == "-", match.group(2), match.group(3)
        body: list[str] = []
        size = 0
        while True:
            if index >= len(lines):
                raise ParseError(f"unterminated heredoc {name}", first)
            text = lines[index]
            index += 1
            if strip_tabs:
                text = text.lstrip("\t")
            if text == name:
                break
            size += len(text) + 1
            if size > MAX_INSTRUCTION_CHARS:
                raise ParseError(f"heredoc {name} longer than {MAX_INSTRUCTION_CHARS}", first)
            body.append(text)
        docs.append(Heredoc(name, "".join(f"{b}\n" for b in body), not quote, strip_tabs))
    return tuple(docs), index


def _instruction(text: str, first: int, last: int) -> Instruction:
    keyword, _, args = text.strip().partition(" ")
    if "\t" in keyword:
        keyword, _, more = keyword.partition("\t")
        args = f"{more} {args}" if args else more
    cmd = keyword.upper()
    args = args.strip()
    flags: tuple[str, ...] = ()
    rest = args
    if cmd in FLAG_COMMANDS:
        flags, rest = split_flags(args)
    exec_form = json_form(rest) if cmd in JSON_COMMANDS else None
    return Instruction(cmd, args, first, last, flags, rest, exec_form)


def _lines(text: str) -> list[str]:
    if text.startswith("\ufeff"):
        text = text[1:]
    return [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]


def lex(text: str) -> Lexed:
    """Split Dockerfile text into logical instructions (see the module docstring)."""
    out = Lexed()
    lines = _lines(text)
    index = 0
    while index < len(lines) and _directive(lines[index], out.directives, index + 1):
        out.comments.append((index + 1, lines[index].strip()[1:]))
        index += 1
    out.escape = out.directives.get("escape", "\\")
    continuation = re.compile(re.escape(out.escape) + r"[ \t]*$")
    parts: list[str] = []
    size = first = chain = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        stripped = line.lstrip(" \t")
        if parts:
            chain += 1
            if chain > MAX_CHAIN_LINES:
                raise ParseError(f"more than {MAX_CHAIN_LINES} continuation lines", first)
        if not stripped or stripped.startswith("#"):
            if stripped:
                out.comments.append((index, stripped[1:]))
            continue
        if not parts:
            first, chain, line = index, 0, stripped
        size += len(line)
        if size > MAX_INSTRUCTION_CHARS:
            raise ParseError(f"instruction longer than {MAX_INSTRUCTION_CHARS} characters", first)
        cut = continuation.search(line)
        if cut:
            parts.append(line[: cut.start()])
            continue
        parts.append(line)
        index = _add(out, "".join(parts), lines, index, first)
        parts, size = [], 0
    if parts and "".join(parts).strip():
        _add(out, "".join(parts), lines, index, first)
    return out


def _add(out: Lexed, text: str, lines: list[str], index: int, first: int) -> int:
    """Append the instruction (with its heredoc bodies); returns the next line index."""
    item = _instruction(text, first, index)
    if item.cmd in HEREDOC_COMMANDS and "<<" in item.rest and item.json is None:
        docs, after = _heredocs(item.rest, lines, index, first)
        if docs:
            index = after
            item = Instruction(item.cmd, item.args, first, after, item.flags, item.rest, None, docs)
    out.instructions.append(item)
    if len(out.instructions) > MAX_INSTRUCTIONS:
        raise ParseError(f"more than {MAX_INSTRUCTIONS} instructions", first)
    return index
