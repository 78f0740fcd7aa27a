"""Operating-system detection from os-release (the distro decides the advisory namespace)."""

from __future__ import annotations

from mamori.model import Distro
from mamori.sources.tree import Tree, TreeError

OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")


def shell_word(raw: str) -> str:
    """The value of one shell word as sh reads it in an assignment: quotes removed,
    concatenated parts joined, backslash escapes applied (inside double quotes only
    before $ ` " \\ , as os-release(5) prescribes). The word ends at unquoted whitespace;
    an unterminated quote runs to the end of the line."""
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c in " \t":
            break
        if c == "'":
            end = raw.find("'", i + 1)
            end = n if end < 0 else end
            out.append(raw[i + 1 : end])
            i = end + 1
        elif c == '"':
            i += 1
            while i < n and raw[i] != '"':
                if raw[i] == "\\" and i + 1 < n and raw[i + 1] in '$`"\\':
                    i += 1
                out.append(raw[i])
                i += 1
            i += 1
        elif c == "\\" and i + 1 < n:
            out.append(raw[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_os_release(text: str) -> dict[str, str]:
    """Parse the os-release shell-variable format (quoted values, comments)."""
    values: dict[str, str] = {}
    for line in text.split("\n"):  # sh splits lines on newline alone
        line = line.strip(" \t\r")
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        key = key.strip()
        if key:
            values[key] = shell_word(raw)
    return values


def detect_distro(tree: Tree) -> Distro | None:
    """The target's distro from os-release, or from older release files when absent."""
    for path in OS_RELEASE_PATHS:
        try:
            text = tree.read_text(path, limit=64 * 1024)
        except (TreeError, OSError):
            continue
        values = parse_os_release(text)
        if "ID" not in values:
            continue
        return Distro(
            id=values["ID"].lower(),
            version_id=values.get("VERSION_ID", ""),
            version_codename=values.get("VERSION_CODENAME", ""),
            name=values.get("NAME", ""),
            pretty_name=values.get("PRETTY_NAME", ""),
            id_like=tuple(values.get("ID_LIKE", "").split()),
        )
    try:
        version = tree.read_text("/etc/alpine-release", limit=1024).strip()
        return Distro(id="alpine", version_id=version, name="Alpine Linux")
    except (TreeError, OSError):
        pass
    try:
        version = tree.read_text("/etc/debian_version", limit=1024).strip()
        return Distro(id="debian", version_id=version.split(".")[0], name="Debian GNU/Linux")
    except (TreeError, OSError):
        return None
