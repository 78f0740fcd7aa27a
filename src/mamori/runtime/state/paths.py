"""Path resolution as Falco does it: relative paths are joined to the working directory
(or to a directory fd) and normalised lexically, without touching the filesystem."""

from __future__ import annotations

AT_FDCWD = -100


def normalize(path: str) -> str:
    """Collapse ``//``, ``.`` and ``..`` lexically; keep a leading ``/``."""
    if not path:
        return path
    if path[0] == "/" and path[-1] != "/" and "//" not in path and "/." not in path:
        return path  # already normal (no empty, "." or ".." part): the common case
    absolute = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not absolute:
                parts.append(part)
            continue
        parts.append(part)
    joined = "/".join(parts)
    return "/" + joined if absolute else joined


def join(base: str, path: str) -> str:
    """``path`` resolved against directory ``base`` (which may lack a trailing slash)."""
    if not path:
        return normalize(base) if base else path
    if path.startswith("/") or not base:
        return normalize(path)
    return normalize(base.rstrip("/") + "/" + path)


def as_dir(path: str) -> str:
    """A directory path with the trailing slash Falco prints in ``proc.cwd``."""
    if not path:
        return path
    return path if path.endswith("/") else path + "/"
