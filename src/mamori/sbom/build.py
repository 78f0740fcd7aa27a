"""Build an SBOM: detect the distro, walk the tree once, run every cataloger."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mamori.model import Location, Notice, NoticeLevel, Package, Sbom
from mamori.sbom.cataloger import CatalogContext, Cataloger, catalogers, compile_patterns
from mamori.sbom.layers import attribute_layers
from mamori.sbom.osrelease import detect_distro
from mamori.sources.tree import EntryKind, Tree

Progress = Callable[[str, int], None]  # (phase description, items done)


def _with_layer(pkg: Package, tree: Tree) -> Package:
    if not pkg.locations or all(loc.layer for loc in pkg.locations):
        return pkg
    locations = tuple(
        loc if loc.layer else Location(path=loc.path, layer=tree.layer_of(loc.path))
        for loc in pkg.locations
    )
    return pkg.model_copy(update={"locations": locations})


def build_sbom(
    tree: Tree,
    *,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
    layers: Sequence[str] = (),
) -> tuple[Sbom, list[Notice]]:
    """Catalog `tree` with every registered cataloger (or those named in `only`)."""
    selected: list[Cataloger] = [
        cls() for name, cls in catalogers.items() if only is None or name in only
    ]
    ctx = CatalogContext(tree=tree, distro=detect_distro(tree))
    matchers = [compile_patterns(c.patterns) for c in selected]
    wanted: list[list[str]] = [[] for _ in selected]
    want_exec = [c.wants_executables for c in selected]
    any_exec = any(want_exec)
    seen = 0
    for entry in tree.walk():
        seen += 1
        if progress and seen % 5000 == 0:
            progress("walking", seen)
        if entry.kind is not EntryKind.FILE and entry.kind is not EntryKind.SYMLINK:
            continue
        path = entry.path
        for i, rx in enumerate(matchers):
            if rx.match(path) or (any_exec and want_exec[i] and entry.executable):
                wanted[i].append(path)
    packages: list[Package] = []
    for cataloger, paths in zip(selected, wanted, strict=True):
        if not paths:
            continue
        if progress:
            progress(f"cataloging {cataloger.name}", len(paths))
        try:
            found = list(cataloger.catalog(ctx, paths))
        except Exception as exc:  # a cataloger bug must not lose the other ecosystems
            ctx.notices.append(
                Notice(
                    level=NoticeLevel.ERROR,
                    source=f"sbom.{cataloger.name}",
                    message=f"cataloger failed: {exc!r}",
                )
            )
            continue
        found = [_with_layer(p, tree) for p in found]
        packages.extend(attribute_layers(cataloger, found, ctx))
    owners: dict[str, list[str]] = {}
    for pkg_id, paths in ctx.owned_files.items():
        for path in paths:
            owners.setdefault(path, []).append(pkg_id)
    sbom = Sbom(
        distro=ctx.distro,
        packages=tuple(packages),
        file_owners={k: tuple(v) for k, v in owners.items()},
        layers=tuple(layers),
    )
    return sbom, ctx.notices
