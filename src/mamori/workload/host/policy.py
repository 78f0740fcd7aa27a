"""Password policy sources: login.defs, PAM stacks, pwquality.conf and faillock.conf.

login.defs: `NAME value`, the last definition wins (shadow's getdef reads the whole file
into one table). PAM: `type control module [args]` lines of /etc/pam.d files, `[...]`
controls and `@include` followed. pwquality.conf then pwquality.conf.d/*.conf, and
faillock.conf: `key = value` or a bare flag; options given on the PAM module's own line
override every file.
"""

from __future__ import annotations

from dataclasses import dataclass

from mamori.workload.host.view import HostView

LOGIN_DEFS = "/etc/login.defs"
PAM_DIR = "/etc/pam.d"
PWQUALITY = "/etc/security/pwquality.conf"
PWQUALITY_D = "/etc/security/pwquality.conf.d"
FAILLOCK = "/etc/security/faillock.conf"
MAX_INCLUDES = 16


@dataclass(frozen=True, slots=True)
class Value:
    value: str
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class PamLine:
    kind: str  # auth, account, password, session
    control: str
    module: str  # basename, e.g. pam_unix.so
    args: tuple[str, ...]
    file: str
    line: int

    def option(self, name: str) -> str | None:
        """`name=value` -> value; a bare `name` -> ""; absent -> None (last one wins)."""
        found = None
        for arg in self.args:
            key, sep, value = arg.partition("=")
            if key == name:
                found = value if sep else ""
        return found


def login_defs(view: HostView) -> dict[str, Value]:
    found: dict[str, Value] = {}
    for number, line in view.lines(LOGIN_DEFS):
        fields = line.split("#", 1)[0].split(None, 1)
        if len(fields) == 2:
            found[fields[0]] = Value(fields[1].strip().strip('"'), LOGIN_DEFS, number)
    return found


def _pam_tokens(line: str) -> list[str]:
    """Split a PAM line; a `[...]` control stays one token."""
    tokens: list[str] = []
    rest = line.strip()
    while rest:
        if rest.startswith("["):
            end = rest.find("]")
            end = len(rest) if end == -1 else end + 1
            tokens.append(rest[:end])
            rest = rest[end:].lstrip()
            continue
        head, _, rest = rest.partition(" ")
        head, _, more = head.partition("\t")
        tokens.append(head)
        rest = (more + " " + rest).strip()
    return tokens


def pam_stack(view: HostView, service: str, kind: str, _depth: int = 0) -> list[PamLine]:
    """The `kind` lines of /etc/pam.d/<service>, includes expanded, in order."""
    path = f"{PAM_DIR}/{service}"
    out: list[PamLine] = []
    for number, raw in view.lines(path):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        tokens = _pam_tokens(text)
        if tokens[0] == "@include" and len(tokens) > 1:
            if _depth < MAX_INCLUDES:
                out.extend(pam_stack(view, tokens[1], kind, _depth + 1))
            continue
        line_kind = tokens[0].lstrip("-")
        if line_kind != kind or len(tokens) < 3:
            continue
        if tokens[1] in ("include", "substack") and _depth < MAX_INCLUDES:
            out.extend(pam_stack(view, tokens[2], kind, _depth + 1))
            continue
        module = tokens[2].rsplit("/", 1)[-1]
        out.append(PamLine(line_kind, tokens[1], module, tuple(tokens[3:]), path, number))
    return out


def conf_values(view: HostView, files: list[str]) -> dict[str, Value]:
    """`key = value` (or bare `key`) settings of the files in order, the last one winning."""
    found: dict[str, Value] = {}
    for path in files:
        for number, line in view.lines(path):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            key, sep, value = text.partition("=")
            found[key.strip()] = Value(value.strip() if sep else "", path, number)
    return found


def pwquality(view: HostView) -> dict[str, Value]:
    return conf_values(view, [PWQUALITY, *view.glob(PWQUALITY_D, "*.conf")])


def faillock(view: HostView) -> dict[str, Value]:
    return conf_values(view, [FAILLOCK])


def module_setting(
    view: HostView, lines: list[PamLine], module: str, name: str, files: dict[str, Value]
) -> Value | None:
    """An option of a PAM module: its own argument beats the conf files."""
    for line in reversed(lines):
        if line.module == module:
            value = line.option(name)
            if value is not None:
                return Value(value, line.file, line.line)
    return files.get(name)
