"""Parse Go module info text (what `go version -m` prints) into typed build info.

Lines are tab-separated:

    path    <main package path>
    mod     <main module path> <version> [<sum>]
    dep     <module path> <version> [<sum>]
    =>      <replacement path> <version> <sum>       (replaces the line above)
    build   <key>=<value>                             (key/value Go-quoted if needed)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

MAX_LINES = 200_000


@dataclass(frozen=True, slots=True)
class GoModule:
    path: str
    version: str
    sum: str = ""
    replace: GoModule | None = None


@dataclass(frozen=True, slots=True)
class GoBuildInfo:
    go_version: str
    path: str = ""
    main: GoModule | None = None
    deps: tuple[GoModule, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()
    problems: tuple[str, ...] = field(default=(), compare=False)

    def setting(self, key: str) -> str | None:
        for k, v in self.settings:
            if k == key:
                return v
        return None


_ESCAPE = re.compile(r"""\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)""", re.S)
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unescape(match: re.Match[str]) -> str:
    esc = match.group(1)
    if esc[0] in "xuU" and len(esc) > 1:
        return chr(min(int(esc[1:], 16), 0x10FFFF))
    if len(esc) == 3 and esc.isdigit():
        return chr(int(esc, 8) & 0xFF)
    return _SIMPLE.get(esc, esc)


def go_unquote(text: str) -> tuple[str, str]:
    """Unquote a leading Go double-quoted string; returns (value, rest after it)."""
    if not text.startswith('"'):
        raise ValueError("not a quoted string")
    i = 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return _ESCAPE.sub(_unescape, text[1:i]), text[i + 1 :]
        i += 1
    raise ValueError("unterminated quoted string")


def _setting(text: str) -> tuple[str, str]:
    if text.startswith('"'):
        key, rest = go_unquote(text)
        if not rest.startswith("="):
            raise ValueError("missing '=' after key")
        rest = rest[1:]
    else:
        key, sep, rest = text.partition("=")
        if not sep:
            raise ValueError("missing '='")
    if rest.startswith('"'):
        value, tail = go_unquote(rest)
        if tail:
            raise ValueError("text after quoted value")
    else:
        value = rest
    return key, value


def parse_modinfo(go_version: str, text: str) -> GoBuildInfo:
    """Parse module info; malformed lines are skipped and listed in `problems`."""
    path = ""
    main: GoModule | None = None
    deps: list[GoModule] = []
    settings: list[tuple[str, str]] = []
    problems: list[str] = []
    last: str | None = None  # "mod" or "dep": what a "=>" line replaces
    for n, line in enumerate(text.split("\n")[:MAX_LINES], 1):
        if not line:
            continue
        verb, _, rest = line.partition("\t")
        cols = rest.split("\t")
        if verb == "path":
            path = rest
        elif verb in ("mod", "dep") and len(cols) in (2, 3) and cols[0]:
            module = GoModule(cols[0], cols[1], cols[2] if len(cols) == 3 else "")
            if verb == "mod":
                main = module
            else:
                deps.append(module)
            last = verb
            continue
        elif verb == "=>" and len(cols) in (2, 3) and cols[0] and last is not None:
            repl = GoModule(cols[0], cols[1], cols[2] if len(cols) == 3 else "")
            if last == "mod" and main is not None:
                main = replace(main, replace=repl)
            elif deps:
                deps[-1] = replace(deps[-1], replace=repl)
        elif verb == "build":
            try:
                settings.append(_setting(rest))
            except ValueError as exc:
                problems.append(f"line {n}: bad build setting: {exc}")
        elif verb != "go":
            problems.append(f"line {n}: unexpected {verb[:40]!r}")
        last = None
    return GoBuildInfo(
        go_version=go_version,
        path=path,
        main=main,
        deps=tuple(deps),
        settings=tuple(settings),
        problems=tuple(problems),
    )
