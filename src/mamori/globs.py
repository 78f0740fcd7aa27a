"""Path globs as regular expressions, shared by cataloger patterns and ignore rules.

`**/` matches any number of directories (none included), `**` anything, `*` and `?`
anything within one path segment. Written here because fnmatch lets `*` cross "/" and
pathlib's `match` has no `**` before Python 3.13.
"""

from __future__ import annotations

import re


def glob_to_regex(pattern: str) -> str:
    """Translate a path glob ("**/node_modules/*/package.json") to a regex fragment."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)
