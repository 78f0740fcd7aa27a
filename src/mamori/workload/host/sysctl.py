"""Kernel parameters as configured on disk, in the order systemd-sysctl applies them.

sysctl.d(5): every `*.conf` in /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d,
/usr/lib/sysctl.d and /lib/sysctl.d, a file name in an earlier directory hiding the same
name in a later one, read in file-name order; a later assignment overrides an earlier
one. /etc/sysctl.conf is read last (procps' `sysctl --system`; Debian also links it as
/etc/sysctl.d/99-sysctl.conf, read once). Keys may use "/" as the separator; a leading
"-" only silences errors; a key may be a glob (`net.ipv4.conf.*.rp_filter`).
"""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass
from typing import Protocol

SYSCTL_DIRS = (
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
)
SYSCTL_CONF = "/etc/sysctl.conf"


class Reader(Protocol):
    def lines(self, path: str) -> list[tuple[int, str]]: ...

    def glob(self, directory: str, pattern: str) -> list[str]: ...

    def exists(self, path: str) -> bool: ...

    def resolve(self, path: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Assignment:
    key: str  # dotted form, may be a glob
    value: str
    file: str
    line: int


def normalize_key(key: str) -> str:
    """The dotted form: when "/" comes before any "." it is the separator (sysctl.d(5))."""
    key = key.strip()
    slash, dot = key.find("/"), key.find(".")
    if slash != -1 and (dot == -1 or slash < dot):
        key = key.replace(".", "\0").replace("/", ".").replace("\0", "/")
    return key.strip(".")


def config_files(reader: Reader) -> list[str]:
    """The files systemd-sysctl would read, in order, then /etc/sysctl.conf."""
    chosen: dict[str, str] = {}
    for directory in SYSCTL_DIRS:
        for path in reader.glob(directory, "*.conf"):
            chosen.setdefault(posixpath.basename(path), path)
    files = [chosen[name] for name in sorted(chosen)]
    resolved = {reader.resolve(f) for f in files}
    if reader.exists(SYSCTL_CONF) and reader.resolve(SYSCTL_CONF) not in resolved:
        files.append(SYSCTL_CONF)
    return files


def parse_line(text: str) -> tuple[str, str] | None:
    line = text.strip()
    if not line or line[0] in "#;" or "=" not in line:
        return None
    key, _, value = line.partition("=")
    key = key.strip().lstrip("-")
    if not key:
        return None
    return normalize_key(key), " ".join(value.split())


def assignments(reader: Reader) -> list[Assignment]:
    found = []
    for path in config_files(reader):
        for number, text in reader.lines(path):
            parsed = parse_line(text)
            if parsed is not None:
                found.append(Assignment(parsed[0], parsed[1], path, number))
    return found


def configured(found: list[Assignment], name: str) -> Assignment | None:
    """The assignment that wins for `name` (the last exact or glob match), if any."""
    winner = None
    for item in found:
        if item.key == name or (
            any(c in item.key for c in "*?[") and fnmatch.fnmatchcase(name, item.key)
        ):
            winner = item
    return winner
