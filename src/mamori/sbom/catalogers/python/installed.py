"""Installed Python distributions: .dist-info and .egg-info metadata in any directory.

The METADATA/PKG-INFO header gives name, version and licences; RECORD (dist-info) or
installed-files.txt (egg-info) gives the files the distribution owns. Listed files are
owned whether or not they still exist: checking each one would cost a stat per file and
an owner for a missing path harms nobody.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence
from typing import ClassVar

from mamori.model import Location, Package, PackageType
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.python._common import READ_LIMIT, LockfileError, pypi_purl
from mamori.sbom.catalogers.python._files import installed_files_paths, record_paths
from mamori.sbom.catalogers.python._metadata import parse_core_metadata

# Headers come first; a long description after them is never needed.
_HEADER_READ = 4 * 1024 * 1024


def _file_list(path: str) -> tuple[str, str, bool] | None:
    """(file-list path, base directory, is RECORD) for a metadata file, if it has one."""
    meta_dir = posixpath.dirname(path)
    if path.endswith("/METADATA") and meta_dir.endswith(".dist-info"):
        return meta_dir + "/RECORD", posixpath.dirname(meta_dir), True
    if path.endswith("/PKG-INFO") and meta_dir.endswith(".egg-info"):
        return meta_dir + "/installed-files.txt", meta_dir, False
    return None  # an .egg-info file or an .egg's EGG-INFO: no file list


@catalogers.register("python-installed")
class PythonInstalledCataloger:
    """Every installed distribution with core metadata, wherever its site directory is."""

    name: ClassVar[str] = "python-installed"
    patterns: ClassVar[tuple[str, ...]] = (
        "**/*.dist-info/METADATA",
        "**/*.egg-info/PKG-INFO",
        "**/*.egg-info",
        "**/EGG-INFO/PKG-INFO",
    )
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterator[Package]:
        for path in paths:
            pkg = self._one(ctx, path)
            if pkg is not None:
                yield pkg

    def _one(self, ctx: CatalogContext, path: str) -> Package | None:
        source = f"sbom.{self.name}"
        try:
            with ctx.tree.open(path) as fh:
                meta = parse_core_metadata(fh.read(_HEADER_READ))
        except (OSError, LockfileError) as exc:
            ctx.warn(source, f"skipped distribution metadata: {exc}", path)
            return None
        locations = [Location(path=path)]
        owned: list[str] = []
        listing = _file_list(path)
        if listing is not None:
            list_path, base, is_record = listing
            if ctx.tree.is_file(list_path):
                try:
                    text = ctx.tree.read_text(list_path, READ_LIMIT)
                except OSError as exc:
                    ctx.warn(source, f"unreadable file list: {exc}", list_path)
                else:
                    locations.append(Location(path=list_path))
                    if is_record:
                        owned = record_paths(text, base)
                    else:
                        owned = installed_files_paths(text, base)
        pkg = Package(
            name=meta.name,
            version=meta.version,
            type=PackageType.PYPI,
            purl=pypi_purl(meta.name, meta.version),
            cataloger=self.name,
            locations=tuple(locations),
            licenses=meta.licenses,
        )
        if owned:
            ctx.own(pkg, owned)
        return pkg
