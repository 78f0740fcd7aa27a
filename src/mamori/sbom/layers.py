"""Attribute packages from a package database to the image layer that introduced them.

dpkg's status, apk's installed db and the rpmdb are rewritten by every layer that
installs anything, so the layer that last wrote the database is the last layer that ran
apt, apk or dnf, not the one that installed a given package. An image opened with
`keep_versions=database_predicate()` keeps each layer's version of those files; for each
layer that changed them, the cataloger re-reads the databases as that layer left them.
A package (name, version, arch) was introduced by the earliest layer from which every
later version lists it: an upgrade is a new version introduced by the upgrading layer,
and a package removed and reinstalled belongs to the layer that reinstalled it.
Packages those versions cannot explain keep the layer that last wrote their database.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar, runtime_checkable

from mamori.model import Distro, Location, Package
from mamori.sbom.cataloger import (
    CatalogContext,
    Cataloger,
    catalogers,
    compile_patterns,
    database_paths,
)
from mamori.sources.tree import EntryKind, FileEntry, Tree, TreeError, normalize

Key = tuple[str, str, str | None]
K = TypeVar("K", bound=Hashable)


class LayerVersion(Protocol):
    """One layer's version of a file (sources.versions.FileVersion)."""

    @property
    def layer(self) -> str: ...
    @property
    def host(self) -> Path | None: ...
    @property
    def position(self) -> int: ...


@runtime_checkable
class VersionedTree(Protocol):
    """A tree that kept every layer's version of some files (sources.image.ImageTree)."""

    def versioned_paths(self) -> list[str]: ...
    def versions(self, path: str) -> Sequence[LayerVersion]: ...


def database_predicate(names: Sequence[str] | None = None) -> Callable[[str], bool] | None:
    """`open_image`'s keep_versions: the registered catalogers' (or those named)
    database files. None when none declares any."""
    globs = [
        glob
        for name, cls in catalogers.items()
        if names is None or name in names
        for glob in database_paths(cls)
    ]
    if not globs:
        return None
    rx = compile_patterns(globs)
    return lambda path: rx.match(path) is not None


def _key(pkg: Package) -> Key:
    return (pkg.name, pkg.version, pkg.arch)


class _SnapshotTree(Tree):
    """The database files as one layer left them, at their in-tree paths; nothing else."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files
        self.dirs = {"/"}
        for path in files:
            while (path := path.rpartition("/")[0]) and path not in self.dirs:
                self.dirs.add(path)
        self.label = "layer version of " + ", ".join(sorted(files))

    def lstat(self, path: str) -> FileEntry | None:
        path = normalize(path)
        host = self.files.get(path)
        if host is not None:
            try:
                st = os.stat(host)
            except OSError:
                return None
            return FileEntry(path, EntryKind.FILE, st.st_size, stat.S_IMODE(st.st_mode))
        return FileEntry(path, EntryKind.DIR, 0, 0o755) if path in self.dirs else None

    def walk(self) -> Iterator[FileEntry]:
        for path in sorted(self.dirs | set(self.files)):
            entry = self.lstat(path)
            if entry is not None and path != "/":
                yield entry

    def _open_resolved(self, path: str) -> BinaryIO:
        host = self.files.get(path)
        if host is None:
            raise TreeError(f"{path}: not a regular file")
        try:
            return host.open("rb")
        except OSError as exc:
            raise TreeError(f"{path}: {exc.strerror}") from exc

    def host_path(self, path: str) -> Path | None:
        resolved = self.resolve(path)
        return None if resolved is None else self.files.get(resolved)


class _Throwaway(CatalogContext):
    """A context whose file ownership is dropped: only the package list matters here."""

    def own(self, package: Package, paths: Iterable[str]) -> None:
        return

    def own_resolved(self, package: Package, paths: Iterable[str]) -> None:
        return


def _snapshots(
    cataloger: Cataloger, tree: VersionedTree, distro: Distro | None
) -> list[tuple[str, set[Key]]] | None:
    """(layer, packages listed) for each layer that changed the cataloger's databases,
    in layer order; None when fewer than two layers did (nothing to tell apart)."""
    kept = compile_patterns(database_paths(cataloger))
    histories = {p: tree.versions(p) for p in tree.versioned_paths() if kept.match(p)}
    indexes = sorted({v.position for history in histories.values() for v in history})
    if len(indexes) < 2:
        return None
    wanted = compile_patterns(cataloger.patterns)
    out: list[tuple[str, set[Key]]] = []
    for index in indexes:
        files: dict[str, Path] = {}
        layer = ""
        for path, history in histories.items():
            state = [v for v in history if v.position <= index]
            if state and state[-1].host is not None:
                files[path] = state[-1].host
            layer = next((v.layer for v in history if v.position == index), layer)
        ctx = _Throwaway(tree=_SnapshotTree(files), distro=distro)
        paths = sorted(p for p in files if wanted.match(p))
        found = cataloger.catalog(ctx, paths) if paths else ()
        out.append((layer, {_key(p) for p in found}))
    return out


def introduced_layers(snapshots: Sequence[tuple[str, set[K]]]) -> dict[K, str]:
    """For each package of the last snapshot, the earliest layer from which every later
    snapshot lists it."""
    if not snapshots:
        return {}
    layer, present = snapshots[-1]
    result = dict.fromkeys(present, layer)
    alive = set(present)
    for layer, keys in reversed(snapshots[:-1]):
        alive &= keys
        if not alive:
            break
        for key in alive:
            result[key] = layer
    return result


def attribute_layers(
    cataloger: Cataloger, packages: list[Package], ctx: CatalogContext
) -> list[Package]:
    """`packages` (found by `cataloger` in `ctx.tree`, the flattened image) with the
    layer that introduced each, where the tree kept its databases' layer versions."""
    tree = ctx.tree
    if not packages or not database_paths(cataloger) or not isinstance(tree, VersionedTree):
        return packages
    try:
        snapshots = _snapshots(cataloger, tree, ctx.distro)
    except Exception as exc:  # a cataloger bug must not lose its packages
        ctx.warn(f"sbom.{cataloger.name}", f"layer attribution failed: {exc!r}")
        return packages
    if snapshots is None:
        return packages
    introduced = introduced_layers(snapshots)
    databases = compile_patterns(database_paths(cataloger))
    out = []
    for pkg in packages:
        layer = introduced.get(_key(pkg))
        if layer is not None:
            locations = tuple(
                Location(path=loc.path, layer=layer) if databases.match(loc.path) else loc
                for loc in pkg.locations
            )
            pkg = pkg.model_copy(update={"locations": locations})
        out.append(pkg)
    return out
