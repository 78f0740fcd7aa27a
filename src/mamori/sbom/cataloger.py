"""The cataloger plug-in contract: one cataloger per ecosystem/format, in catalogers/.

A cataloger declares which files it wants (glob patterns over in-tree paths, and/or
executables); the driver walks the tree once and hands each cataloger its paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from mamori.model import Distro, Notice, NoticeLevel, Package
from mamori.registry import Registry
from mamori.sources.tree import Tree


@dataclass
class CatalogContext:
    """What a cataloger may use besides the tree, and where it reports."""

    tree: Tree
    distro: Distro | None = None
    notices: list[Notice] = field(default_factory=list)
    # package id -> in-tree paths the package owns (dpkg .list, rpm file lists, RECORD...)
    owned_files: dict[str, list[str]] = field(default_factory=dict)

    def warn(self, source: str, message: str, path: str | None = None) -> None:
        self.notices.append(
            Notice(level=NoticeLevel.WARNING, source=source, message=message, path=path)
        )

    def own(self, package: Package, paths: Iterable[str]) -> None:
        self.owned_files.setdefault(package.id, []).extend(paths)


class Cataloger(Protocol):
    """Finds packages of one ecosystem. Must not raise on bad input: warn and skip."""

    name: ClassVar[str]
    # Globs over absolute in-tree paths: "*" within a segment, "**/" any directories.
    patterns: ClassVar[tuple[str, ...]]
    # True to also receive every regular file with an execute bit (binary catalogers).
    wants_executables: ClassVar[bool]

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]: ...


catalogers: Registry[type[Cataloger]] = Registry("cataloger", "mamori.sbom.catalogers")


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


def compile_patterns(patterns: Sequence[str]) -> re.Pattern[str]:
    """One anchored regex matching any of the globs (patterns start with "/" or "**/")."""
    if not patterns:
        return re.compile(r"(?!)")
    return re.compile("|".join(f"(?:{glob_to_regex(p)})" for p in patterns) + r"\Z")
