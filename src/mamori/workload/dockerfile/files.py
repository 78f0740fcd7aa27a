"""Dockerfiles under a path: names Docker and Podman build from by default or convention
(`Dockerfile`, `Containerfile`, `Dockerfile.<x>`, `<x>.Dockerfile`, `<x>.dockerfile`);
a path naming one file is read whatever its name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mamori.workload.dockerfile.model import Dockerfile, ParseError
from mamori.workload.dockerfile.parser import parse
from mamori.workload.secrets.walk import is_binary, read_bytes, walk

MAX_BYTES = 4 << 20


def is_dockerfile_name(name: str) -> bool:
    lower = name.lower()
    return (
        lower in ("dockerfile", "containerfile")
        or lower.startswith(("dockerfile.", "containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    )


def dockerfiles(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        yield root
        return
    for path in walk(root):
        if is_dockerfile_name(path.name):
            yield path


def load(path: Path, shown: str) -> Dockerfile:
    """Read and parse one file. Raises ParseError (also for unreadable or binary files)."""
    try:
        data = read_bytes(path, MAX_BYTES)
    except OSError as exc:
        raise ParseError(f"cannot read: {exc}") from None
    if is_binary(data):
        raise ParseError("binary file (NUL bytes), not a Dockerfile")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text (byte {exc.start})") from None
    return parse(text, shown)
