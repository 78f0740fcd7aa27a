"""What every IaC reader produces: resources as written, with where they were written.

A reader (Terraform HCL, Terraform plan JSON, CloudFormation) turns files into
`IacResource`s: the resource type as the tool names it (`aws_s3_bucket`,
`AWS::S3::Bucket`), its address, its arguments with every expression the reader could
evaluate already evaluated, and its file and line. What could not be evaluated is an
`Unknown`; a reference to another resource whose value is only known after apply is a
`Ref`, kept so `mapping` can link a public-access block to its bucket.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 4 * 1024 * 1024  # a larger IaC file is reported, not read
MAX_FILES = 20_000
MAX_NODES = 200_000  # values an evaluation may build per file or module (alias/local bombs)
SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".terraform", "__pycache__", ".venv"}


@dataclass(frozen=True)
class Unknown:
    """A value the reader could not evaluate (a variable without default, a function...)."""

    expr: str

    def __str__(self) -> str:
        return f"<unknown: {self.expr[:80]}>"


@dataclass(frozen=True)
class Failed(Unknown):
    """An expression Terraform rejects on known values (a missing key, a bad function
    argument): unknown to every reader, but `try` and `can` in HCL catch it."""


@dataclass(frozen=True)
class Ref:
    """A reference to another resource's attribute: `aws_s3_bucket.logs` + `id`."""

    address: str
    attr: str

    def __str__(self) -> str:
        return f"<ref {self.address}.{self.attr}>"


@dataclass
class IacResource:
    """One resource as an IaC file declares it."""

    source: str  # "terraform", "terraform_plan", "cloudformation"
    type: str  # aws_s3_bucket / AWS::S3::Bucket
    address: str  # aws_s3_bucket.logs, module.x.aws_s3_bucket.logs, or a CFN logical id
    attrs: dict[str, Any]
    file: str  # relative to the scan root
    line: int
    notes: list[str] = field(default_factory=list)  # e.g. "count not expanded"
    suppressions: dict[str, str] = field(default_factory=dict)  # check id -> reason
    root: str = ""  # Terraform: the root module directory this instance was evaluated from

    @property
    def key(self) -> str:
        base = f"{self.file}#{self.address}"
        return f"{base}@{self.root}" if self.root else base


@dataclass(frozen=True)
class IacError:
    """A file (or a part of one) that could not be read; the scan goes on without it."""

    path: str
    message: str
    line: int | None = None


@dataclass
class IacSet:
    """Everything read from one scan root."""

    resources: list[IacResource] = field(default_factory=list)
    errors: list[IacError] = field(default_factory=list)
    files: int = 0
    notes: list[str] = field(default_factory=list)


class Budget:
    """Counts the values an evaluation builds; past `limit`, evaluation gives Unknown."""

    def __init__(self, limit: int = MAX_NODES) -> None:
        self.left = limit

    def spend(self, count: int = 1) -> bool:
        self.left -= count
        return self.left >= 0


def relative(path: Path, root: Path) -> str:
    base = root if root.is_dir() else root.parent
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """A regular file's text, not through a symlink, at most `limit` bytes (else OSError)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise OSError(f"larger than {limit} bytes")
    return b"".join(chunks).decode("utf-8-sig")


def walk_files(root: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files under `root` (or `root` itself) ending in `suffixes`, sorted, no symlinked dirs."""
    if not root.is_dir():
        return [root] if root.name.endswith(suffixes) else []
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(suffixes):
                found.append(Path(dirpath) / name)
                if len(found) >= MAX_FILES:
                    return found
    return found


def is_known(value: Any) -> bool:
    return not isinstance(value, Unknown | Ref)
