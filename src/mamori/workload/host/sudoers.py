"""sudoers as sudo reads it (sudoers(5)): /etc/sudoers and what it includes, in order.

Logical lines join physical lines ending in a backslash. `#` starts a comment except in
`#include`/`#includedir` (the pre-1.9.1 spelling of `@include`/`@includedir`) and in
`#<digits>` (a uid). An include names a file (relative: to the including file's
directory); an includedir reads every file of a directory in lexical order except names
that end in `~` or contain a dot, exactly as sudo skips editor and package backups.
Includes are expanded in place, so for one setting the last `Defaults` read wins.

`Defaults` entries keep their binding (`Defaults:user`, `@host`, `>runas`, `!cmnd`):
scoped defaults apply to some users or commands only; a check that wants a setting for
everyone needs it global, and no scoped entry undoing it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from mamori.workload.host.view import HostView

SUDOERS = "/etc/sudoers"
MAX_DEPTH = 8  # nesting of includes (sudo allows 128; real systems use 1 or 2)
MAX_FILES = 256
MAX_LINES = 200_000  # logical lines kept over every file
_INCLUDE = re.compile(r"^[#@](include|includedir)\s+(.+)$")
_DEFAULTS = re.compile(r"^Defaults([@:!>]\S*)?(?:\s+(.*))?$")
_PARAM = re.compile(r"^(!*)\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:([+-]?=)\s*(.*))?$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Default:
    """One parameter of a `Defaults` line."""

    name: str
    value: str | None  # None for a flag
    negated: bool
    binding: str  # "" (global) or the binding as written: ":alice", "@host", "!CMDS"
    file: str
    line: int
    text: str  # the whole logical line, for evidence

    @property
    def enabled(self) -> bool:
        """A flag's state after this entry (`name` on, `!name` off)."""
        return not self.negated


@dataclass(frozen=True, slots=True)
class Entry:
    """A logical line that is neither a Defaults line nor an include: user specs, aliases."""

    text: str
    file: str
    line: int


@dataclass
class Sudoers:
    files: list[str] = field(default_factory=list)
    defaults: list[Default] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)

    def global_value(self, name: str) -> Default | None:
        """The last global Defaults entry for `name` (the one sudo applies), or None."""
        found = None
        for default in self.defaults:
            if default.name == name and not default.binding:
                found = default
        return found

    def named(self, name: str) -> list[Default]:
        return [d for d in self.defaults if d.name == name]


def strip_comment(line: str) -> str:
    """The line without its comment: `#` outside quotes, unless followed by a digit."""
    quoted = False
    for i, char in enumerate(line):
        if char == '"' and (i == 0 or line[i - 1] != "\\"):
            quoted = not quoted
        elif char == "#" and not quoted and not line[i + 1 : i + 2].isdigit():
            return line[:i]
    return line


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line, logical line) with backslash continuations joined."""
    out: list[tuple[int, str]] = []
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), 1):
        if not parts:
            start = number
        if raw.endswith("\\"):
            parts.append(raw[:-1])
            continue
        parts.append(raw)
        out.append((start, " ".join(parts)))
        parts = []
    if parts:
        out.append((start, " ".join(parts)))
    return out


def split_params(text: str) -> list[str]:
    """Comma-separated parameters; commas inside double quotes or escaped do not split."""
    params, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            quoted = not quoted
            current.append(char)
        elif char == "," and not quoted:
            params.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    params.append("".join(current).strip())
    return [p for p in params if p]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value.replace('\\"', '"').replace("\\,", ",")


def parse_defaults(text: str, file: str, line: int) -> list[Default] | None:
    """The parameters of a Defaults line; None when `text` is not one."""
    match = _DEFAULTS.match(text)
    if match is None:
        return None
    binding, body = match.group(1) or "", match.group(2) or ""
    found = []
    for param in split_params(body):
        parsed = _PARAM.match(param)
        if parsed is None:
            continue
        bangs, name, op, value = parsed.groups()
        found.append(
            Default(
                name=name,
                value=None if op is None else _unquote(value or ""),
                negated=len(bangs) % 2 == 1,
                binding=binding,
                file=file,
                line=line,
                text=text[:300],
            )
        )
    return found


def _include_target(argument: str, current: str) -> str:
    target = _unquote(argument.strip())
    if not target.startswith("/"):
        target = posixpath.join(posixpath.dirname(current), target)
    return posixpath.normpath(target)


def _include_dir(view: HostView, directory: str) -> list[str]:
    return [
        f"{directory.rstrip('/')}/{name}"
        for name in view.listdir(directory)
        if not name.endswith("~") and "." not in name
    ]


def _read(view: HostView, path: str, found: Sudoers, depth: int, seen: set[str]) -> None:
    resolved = view.resolve(path)
    if resolved is None or not view.tree.is_file(path):
        return
    if resolved in seen or len(found.files) >= MAX_FILES:
        view.warn(f"{path}: sudoers include loop or too many files, skipped", path)
        return
    seen.add(resolved)
    found.files.append(path)
    text = view.read_text(path) or ""
    for number, raw in logical_lines(text):
        if len(found.defaults) + len(found.entries) >= MAX_LINES:
            view.warn(f"{path}: more than {MAX_LINES} sudoers lines, the rest skipped", path)
            return
        stripped = raw.strip()
        include = _INCLUDE.match(stripped)
        if include is not None:
            if depth >= MAX_DEPTH:
                view.warn(f"{path}:{number}: sudoers includes nested too deeply", path)
                continue
            target = _include_target(strip_comment(include.group(2)) or include.group(2), path)
            targets = [target] if include.group(1) == "include" else _include_dir(view, target)
            for child in targets:
                _read(view, child, found, depth + 1, seen)
            continue
        body = " ".join(strip_comment(stripped).split())
        if not body:
            continue
        defaults = parse_defaults(body, path, number)
        if defaults is None:
            found.entries.append(Entry(body[:300], path, number))
        else:
            found.defaults.extend(defaults)


def sudoers(view: HostView) -> Sudoers:
    """/etc/sudoers with its includes expanded in place (cached per scan)."""
    if "sudoers" not in view.cache:
        found = Sudoers()
        _read(view, SUDOERS, found, 0, set())
        view.cache["sudoers"] = found
    result: Sudoers = view.cache["sudoers"]
    return result
