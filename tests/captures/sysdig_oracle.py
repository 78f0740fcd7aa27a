"""Debian's sysdig as the oracle for captures: one ``sysdig -r`` run per capture.

``sysdig -D -r FILE -p '*%evt.num<SEP>%field...'`` prints every event (``-D`` includes
the libraries' internal events, ``*`` prints events that lack some field) with the
fields separated by an ASCII unit separator, which no field value contains.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support import SHARED, need_shared, need_tool

SEP = "\x1f"
NA = "<NA>"

CAPTURE_DIRS = ("falco/legacy-tests/test/trace_files", "falco/libs-captures")


def capture_paths() -> list[Path]:
    """Every .scap capture of the anchors (listed without requiring them to exist)."""
    out: list[Path] = []
    for rel in CAPTURE_DIRS:
        base = SHARED / "anchors" / rel
        if base.is_dir():
            out.extend(sorted(base.glob("*.scap")))
    return out


def capture(name: str) -> Path:
    for rel in CAPTURE_DIRS:
        path = SHARED / "anchors" / rel / name
        if path.exists():
            return path
    return need_shared(f"anchors/{CAPTURE_DIRS[0]}/{name}")


def sysdig_rows(path: Path, fields: list[str]) -> dict[int, list[str]]:
    """evt.num -> the fields' values as sysdig prints them, for every event it prints."""
    sysdig = need_tool("sysdig")
    fmt = "*%evt.num" + "".join(SEP + "%" + f for f in fields)
    proc = subprocess.run(
        [sysdig, "-D", "-r", str(path), "-p", fmt], capture_output=True, timeout=120, check=False
    )
    rows: dict[int, list[str]] = {}
    for line in proc.stdout.decode("utf-8", "replace").split("\n"):
        parts = line.split(SEP)
        if len(parts) == len(fields) + 1 and parts[0].isdigit():
            rows[int(parts[0])] = parts[1:]
    return rows


def split_args(text: str, names: list[str]) -> dict[str, str]:
    """Split sysdig's ``%evt.args`` (``name=value name=value ...``) knowing the names
    and their order; values may contain spaces and '='."""
    text = text.rstrip(" ")
    out: dict[str, str] = {}
    positions: list[tuple[int, str]] = []
    cursor = 0
    for name in names:
        token = f"{name}="
        at = text.find(token, cursor) if not positions else text.find(" " + token, cursor)
        if at < 0:
            continue
        start = at if not positions else at + 1
        positions.append((start, name))
        cursor = start + len(token)
    for i, (start, name) in enumerate(positions):
        end = positions[i + 1][0] - 1 if i + 1 < len(positions) else len(text)
        out[name] = text[start + len(name) + 1 : end]
    return out
