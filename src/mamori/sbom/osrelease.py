"""Operating-system detection from os-release (the distro decides the advisory namespace)."""

from __future__ import annotations

import shlex

from mamori.model import Distro
from mamori.sources.tree import Tree, TreeError

OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")


def parse_os_release(text: str) -> dict[str, str]:
    """Parse the os-release shell-variable format (quoted values, comments)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            parts = shlex.split(raw, posix=True)
        except ValueError:
            parts = [raw.strip("\"'")]
        values[key.strip()] = parts[0] if parts else ""
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
