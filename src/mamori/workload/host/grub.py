"""GRUB configuration: /etc/default/grub (+ grub.d/*.cfg), grub.cfg and /etc/grub.d.

grub-mkconfig sources /etc/default/grub and then /etc/default/grub.d/*.cfg (lexical
order) as shell, so a later assignment wins and may extend an earlier one
(`GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX apparmor=1"`). `assignments` reads the simple
shell those files are made of: `[export] NAME=word`, with single quotes, double quotes
(`$NAME`/`${NAME}` expanded from what was assigned before, backslash escapes) and bare
words; anything else (conditionals, command substitution) is not evaluated.

The generated /boot/grub/grub.cfg is what actually boots: its `linux` lines carry the
kernel command line, and `set superusers` / `password_pbkdf2` protect the menu.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mamori.workload.host.view import HostView

DEFAULT_GRUB = "/etc/default/grub"
DEFAULT_GRUB_D = "/etc/default/grub.d"
GRUB_CFG = "/boot/grub/grub.cfg"
GRUB_D = "/etc/grub.d"
_ASSIGN = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_LINUX = ("linux", "linuxefi", "linux16")
MAX_VALUE = 64 * 1024  # `A="$A$A"` repeated would otherwise double at every line


@dataclass(frozen=True, slots=True)
class Assignment:
    value: str
    file: str
    line: int
    text: str


def _expand(text: str, env: dict[str, Assignment]) -> str:
    """`text` with $NAME / ${NAME} replaced, never longer than MAX_VALUE."""
    out: list[str] = []
    size, last = 0, 0
    for match in _VAR.finditer(text):
        found = env.get(match.group(1) or match.group(2))
        for piece in (text[last : match.start()], found.value if found else ""):
            out.append(piece[: MAX_VALUE - size])
            size += len(out[-1])
        last = match.end()
        if size >= MAX_VALUE:
            return "".join(out)
    out.append(text[last:][: MAX_VALUE - size])
    return "".join(out)


def shell_word(text: str, env: dict[str, Assignment]) -> str:
    """The first shell word of `text` (quotes removed, variables expanded)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in " \t;" or (char == "#" and not out):
            break
        if char == "'":
            end = text.find("'", i + 1)
            end = len(text) if end < 0 else end
            out.append(text[i + 1 : end])
            i = end + 1
        elif char == '"':
            j, chunk = i + 1, []
            while j < len(text) and text[j] != '"':
                if text[j] == "\\" and j + 1 < len(text) and text[j + 1] in '"\\$`':
                    j += 1
                chunk.append(text[j])
                j += 1
            out.append(_expand("".join(chunk), env))
            i = j + 1
        elif char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            j = i
            while j < len(text) and text[j] not in " \t;'\"\\":
                j += 1
            if j == i:  # a lone trailing backslash
                j += 1
            out.append(_expand(text[i:j], env))
            i = j
    return "".join(out)[:MAX_VALUE]


def default_files(view: HostView) -> list[str]:
    files = [DEFAULT_GRUB] if view.tree.is_file(DEFAULT_GRUB) else []
    return files + view.glob(DEFAULT_GRUB_D, "*.cfg")


def assignments(view: HostView) -> dict[str, Assignment]:
    """Variable -> its final assignment across /etc/default/grub and grub.d/*.cfg."""
    env: dict[str, Assignment] = {}
    for path in default_files(view):
        for number, raw in view.lines(path):
            match = _ASSIGN.match(raw.strip())
            if match is not None:
                name, rest = match.groups()
                value = shell_word(rest, env)
                env[name] = Assignment(value, path, number, raw.strip()[:300])
    return env


def linux_lines(view: HostView, path: str = GRUB_CFG) -> list[tuple[int, list[str]]]:
    """(line, arguments) of every kernel line (`linux /vmlinuz root=... ro quiet`)."""
    found = []
    for number, raw in view.lines(path):
        words = raw.split()
        if words and words[0] in _LINUX:
            found.append((number, words[1:]))
    return found


@dataclass(frozen=True, slots=True)
class Protection:
    """Where the GRUB menu is password-protected (file:line of each directive)."""

    superusers: tuple[str, int, str] | None = None
    password: tuple[str, int, str] | None = None


def protection(view: HostView, paths: list[str]) -> Protection:
    """The first `set superusers="..."` (non-empty) and `password_pbkdf2 USER HASH`."""
    superusers = password = None
    for path in paths:
        for number, raw in view.lines(path):
            text = raw.strip()
            if text.startswith("#"):
                continue
            if superusers is None and re.match(r"^set\s+superusers\s*=\s*\S", text):
                value = text.partition("=")[2].strip().strip("\"'")
                if value:
                    superusers = (path, number, text[:200])
            words = text.split()
            if (
                password is None
                and len(words) >= 3
                and words[0] == "password_pbkdf2"
                and words[2].startswith("grub.pbkdf2.")
            ):
                password = (path, number, f"password_pbkdf2 {words[1]} grub.pbkdf2.…")
    return Protection(superusers, password)


def grub_d_files(view: HostView) -> list[str]:
    return [p for p in view.glob(GRUB_D, "*") if view.tree.is_file(p)]


def has_grub(view: HostView) -> bool:
    return any(view.exists(p) for p in (GRUB_CFG, DEFAULT_GRUB, GRUB_D))
