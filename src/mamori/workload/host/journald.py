"""systemd-journald's effective [Journal] settings, read the way systemd reads them.

systemd.syntax(7) and journald.conf(5): the main file is the first of
/etc/systemd/journald.conf, /run/..., /usr/local/lib/..., /usr/lib/...; drop-ins are the
*.conf files of journald.conf.d in /etc, /run, /usr/local/lib and /usr/lib, a name in an
earlier directory hiding the same name in a later one (a symlink to /dev/null masks it),
all applied after the main file in lexical order of their names. Within the [Journal]
section the last assignment wins; an empty assignment (`Storage=`) resets to the
default. Lines starting with `#` or `;` are comments; a trailing backslash continues a
line. Keys are case-sensitive.
"""

from __future__ import annotations

from dataclasses import dataclass

from mamori.workload.host.view import HostView

MAIN_FILES = (
    "/etc/systemd/journald.conf",
    "/run/systemd/journald.conf",
    "/usr/local/lib/systemd/journald.conf",
    "/usr/lib/systemd/journald.conf",
)
DROPIN_DIRS = (
    "/etc/systemd/journald.conf.d",
    "/run/systemd/journald.conf.d",
    "/usr/local/lib/systemd/journald.conf.d",
    "/usr/lib/systemd/journald.conf.d",
)
SECTION = "Journal"
MAX_DROPINS = 1000


@dataclass(frozen=True, slots=True)
class Setting:
    value: str
    file: str
    line: int


def parse_unit_text(text: str, section: str = SECTION) -> list[tuple[int, str, str]]:
    """(line, key, value) of each assignment inside `section`, in file order."""
    out: list[tuple[int, str, str]] = []
    current = ""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
            stripped = raw.strip()
            if not stripped or stripped[0] in "#;":
                continue
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        line = (" ".join([*pending, raw])).strip()
        pending = []
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            continue
        key, sep, value = line.partition("=")
        if sep and current == section and key.strip():
            out.append((start, key.strip(), value.strip()))
    return out


def _dropins(view: HostView) -> list[str]:
    chosen: dict[str, str | None] = {}
    for directory in DROPIN_DIRS:
        for name in view.listdir(directory):
            if not name.endswith(".conf") or name in chosen:
                continue
            path = f"{directory}/{name}"
            entry = view.tree.lstat(path)
            masked = entry is not None and entry.link in ("/dev/null", "../../../dev/null")
            chosen[name] = None if masked else path
    found = [path for _, path in sorted(chosen.items()) if path is not None]
    if len(found) > MAX_DROPINS:
        view.warn(f"more than {MAX_DROPINS} journald drop-ins, the last ones skipped")
    return found[:MAX_DROPINS]


def journald_files(view: HostView) -> list[str]:
    """The files journald reads, in the order it applies them."""
    main = next((p for p in MAIN_FILES if view.tree.is_file(p)), None)
    return ([main] if main else []) + _dropins(view)


def journald_conf(view: HostView) -> dict[str, Setting]:
    """Key -> the winning assignment (absent: the compiled-in default applies)."""
    if "journald" not in view.cache:
        settings: dict[str, Setting] = {}
        for path in journald_files(view):
            for line, key, value in parse_unit_text(view.read_text(path) or ""):
                if value:
                    settings[key] = Setting(value, path, line)
                else:
                    settings.pop(key, None)
        view.cache["journald"] = settings
    found: dict[str, Setting] = view.cache["journald"]
    return found


def parse_boolean(value: str) -> bool | None:
    """systemd's parse_boolean: 1/yes/y/true/t/on and 0/no/n/false/f/off, any case."""
    lowered = value.strip().lower()
    if lowered in ("1", "yes", "y", "true", "t", "on"):
        return True
    if lowered in ("0", "no", "n", "false", "f", "off"):
        return False
    return None
