"""A main-module version the linker placed beside the Go version string.

Distributions often build Go programs without module-aware `go install`, so the build
info says "(devel)" and records no -ldflags; the version is still set with
`-X pkg.Version=2.8.2+ds1`. The linker materialises such -X string values in the same
pass as runtime.buildVersion ("go1.19.8"), so they land next to each other in the
read-only data, separated only by NUL padding. Reading exactly that spot, and nothing
else in the binary, gives the version without guessing from arbitrary strings.
"""

from __future__ import annotations

import re

from mamori.sources.tree import Tree

CHUNK = 4 * 1024 * 1024
MAX_SCAN = 1024 * 1024 * 1024
WINDOW = 96
# NUL padding, then one semantic version and a NUL, right after "go1.x.y\0".
_AFTER = re.compile(rb"\x00*v?(\d{1,6}\.\d{1,6}\.\d{1,6}(?:[-+~][0-9A-Za-z.+~-]{0,60})?)\x00")


def linker_version(tree: Tree, path: str, go_version: str) -> str | None:
    """The version string following `go_version` in the binary, or None."""
    if not go_version.startswith("go1"):
        return None
    needle = go_version.split(" ", 1)[0].encode() + b"\x00"
    overlap = len(needle) + WINDOW
    with tree.open(path) as fh:
        tail = b""
        read = 0
        while read < MAX_SCAN:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            read += len(chunk)
            data = tail + chunk
            start = 0
            while (at := data.find(needle, start)) >= 0:
                window = data[at + len(needle) : at + len(needle) + WINDOW]
                if len(window) < WINDOW and chunk:
                    break  # the window continues in the next chunk
                match = _AFTER.match(window)
                if match:
                    return "v" + match.group(1).decode("ascii")
                start = at + 1
            tail = data[-overlap:]
    return None
