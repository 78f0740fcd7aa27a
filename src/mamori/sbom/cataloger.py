"""The cataloger plug-in contract: one cataloger per ecosystem/format, in catalogers/.

A cataloger declares which files it wants (glob patterns over in-tree paths, and/or
executables); the driver walks the tree once and hands each cataloger its paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from mamori.globs import glob_to_regex
from mamori.model import Distro, Notice, NoticeLevel, Package
from mamori.registry import Registry
from mamori.sources.tree import EntryKind, Tree


@dataclass
class CatalogContext:
    """What a cataloger may use besides the tree, and where it reports."""

    tree: Tree
    distro: Distro | None = None
    notices: list[Notice] = field(default_factory=list)
    # package id -> in-tree paths the package owns (dpkg .list, rpm file lists, RECORD...)
    owned_files: dict[str, list[str]] = field(default_factory=dict)
    # own_resolved()'s cache: in-tree directory -> its symlink-free path (None: missing)
    _resolved_dirs: dict[str, str | None] = field(default_factory=dict, repr=False)

    def warn(self, source: str, message: str, path: str | None = None) -> None:
        self.notices.append(
            Notice(level=NoticeLevel.WARNING, source=source, message=message, path=path)
        )

    def own(self, package: Package, paths: Iterable[str]) -> None:
        self.owned_files.setdefault(package.id, []).extend(paths)

    def own_resolved(self, package: Package, paths: Iterable[str]) -> None:
        """Like own(), for a package database's file list: directories resolved, dirs left out.

        Package databases list the paths a package shipped ("/bin/ls"); on a merged-/usr
        system the walker meets that file as "/usr/bin/ls". Resolving the parent (not the
        file itself, so an owned symlink stays owned) makes owners match walked paths. A
        path whose directory does not resolve is kept as listed. Entries that are
        directories in the tree are skipped: many packages share them.
        """
        listed = list(paths)
        # A listed path that is the directory of another listed path is a directory.
        parents = {path.rpartition("/")[0] for path in listed}
        resolved: list[str] = []
        for path in listed:
            parent, _, base = path.rpartition("/")
            if not base or path in parents or "\0" in path:  # NUL: no such path exists
                continue
            parent = parent or "/"
            if parent not in self._resolved_dirs:
                self._resolved_dirs[parent] = self.tree.resolve(parent)
            real = self._resolved_dirs[parent]
            if real is None:
                resolved.append(path)
                continue
            full = real.rstrip("/") + "/" + base
            entry = self.tree.lstat(full)
            if entry is None or entry.kind is not EntryKind.DIR:
                resolved.append(full)
        self.own(package, resolved)


class Cataloger(Protocol):
    """Finds packages of one ecosystem. Must not raise on bad input: warn and skip.

    Optional: `database_paths: ClassVar[tuple[str, ...]]`, globs of the package database
    files its packages come from (read it with `database_paths()`). See sbom/layers.py.
    """

    name: ClassVar[str]
    # Globs over absolute in-tree paths: "*" within a segment, "**/" any directories.
    patterns: ClassVar[tuple[str, ...]]
    # True to also receive every regular file with an execute bit (binary catalogers).
    wants_executables: ClassVar[bool]

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]: ...


catalogers: Registry[type[Cataloger]] = Registry("cataloger", "mamori.sbom.catalogers")


def database_paths(cataloger: Cataloger | type[Cataloger]) -> tuple[str, ...]:
    """The globs of a cataloger's optional `database_paths` ClassVar; () without it.

    A package database (dpkg status, apk installed, the rpmdb) is rewritten by every image
    layer that installs anything: its packages are attributed to layers by re-reading
    each layer's version of these files, not by the layer that last wrote them.
    """
    paths = getattr(cataloger, "database_paths", ())
    return tuple(p for p in paths if isinstance(p, str)) if isinstance(paths, tuple) else ()


def compile_patterns(patterns: Sequence[str]) -> re.Pattern[str]:
    """One anchored regex matching any of the globs (patterns start with "/" or "**/")."""
    if not patterns:
        return re.compile(r"(?!)")
    # The group makes "\Z" anchor every alternative, not only the last one.
    return re.compile("(?:" + "|".join(f"(?:{glob_to_regex(p)})" for p in patterns) + r")\Z")
