"""Java archives (jar, war, ear, Jenkins plugins, ...) and the archives nested in them.

A package found in a nested archive is located as "<file on disk>:<member>[:<member>...]"
("/srv/app.war:WEB-INF/lib/log4j-core-2.14.1.jar"). Archives are read in memory through
the bounds in _zip.py; nothing is extracted to disk.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from mamori.model import Location, Package, PackageType
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.java._identify import (
    JavaId,
    from_pom_properties,
    identify,
    parse_manifest,
    parse_properties,
)
from mamori.sbom.catalogers.java._zip import (
    MAX_DEPTH,
    MAX_META_SIZE,
    MAX_NESTED_SIZE,
    Budget,
    ZipLimitError,
    open_zip,
    read_member,
    seekable,
)
from mamori.sources.tree import TreeError

NAME = "java-archive"
EXTENSIONS = (".jar", ".war", ".ear", ".jpi", ".hpi", ".par", ".sar", ".nar")
MAX_POM_PROPERTIES = 2000
SOURCE = f"sbom.{NAME}"


@dataclass
class _Scan:
    ctx: CatalogContext
    budget: Budget
    layer: str | None
    warned: set[str] = field(default_factory=set)

    def warn(self, message: str, where: str) -> None:
        """Warn once per message per file on disk: a limit hit 10,000 times is one notice."""
        if message not in self.warned:
            self.warned.add(message)
            self.ctx.warn(SOURCE, message, where)


def _is_archive(name: str) -> bool:
    return name.lower().endswith(EXTENSIONS)


def _package(ident: JavaId, where: str, layer: str | None) -> Package | None:
    try:
        purl = ident.purl
    except ValueError:
        return None
    return Package(
        name=ident.artifact,
        version=ident.version,
        type=PackageType.MAVEN,
        purl=purl,
        cataloger=NAME,
        locations=(Location(path=where, layer=layer),),
        metadata={
            k: v
            for k, v in {
                "group_id": ident.group,
                "artifact_id": ident.artifact,
                "identified_by": ident.source,
                "evidence": ident.evidence,
            }.items()
            if v
        },
    )


def _scan(
    scan: _Scan, zf: zipfile.ZipFile, where: str, filename: str, depth: int
) -> Iterator[Package]:
    poms: list[zipfile.ZipInfo] = []
    manifest_info: zipfile.ZipInfo | None = None
    nested: list[zipfile.ZipInfo] = []
    for info in zf.infolist():
        if info.is_dir():
            continue
        low = info.filename.lower()
        if low.startswith("meta-inf/maven/") and low.endswith("/pom.properties"):
            poms.append(info)
        elif low == "meta-inf/manifest.mf":
            manifest_info = info
        elif _is_archive(low):
            nested.append(info)
    if len(poms) > MAX_POM_PROPERTIES:
        scan.warn(f"{len(poms)} pom.properties files, reading {MAX_POM_PROPERTIES}", where)
    ids: list[JavaId] = []
    for info in poms[:MAX_POM_PROPERTIES]:
        text = _read_text(scan, zf, info, where)
        ident = from_pom_properties(parse_properties(text), info.filename) if text else None
        if ident is not None:
            ids.append(ident)
    manifest = None
    if manifest_info is not None:
        text = _read_text(scan, zf, manifest_info, where)
        manifest = parse_manifest(text) if text else None
    for ident in identify(posixpath.basename(filename), ids, manifest):
        pkg = _package(ident, where, scan.layer)
        if pkg is not None:
            yield pkg
    if nested and depth >= MAX_DEPTH:
        scan.warn(f"archives nested deeper than {MAX_DEPTH} levels are not read", where)
        return
    for info in nested:
        yield from _scan_nested(scan, zf, info, f"{where}:{info.filename}", depth + 1)


def _scan_nested(
    scan: _Scan, zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, depth: int
) -> Iterator[Package]:
    try:
        scan.budget.take_archive()
        data = read_member(zf, info, MAX_NESTED_SIZE, scan.budget)
        inner = open_zip(io.BytesIO(data))
    except ZipLimitError as exc:
        scan.warn(f"nested archive skipped: {exc}", where)
        return
    with inner:
        yield from _scan(scan, inner, where, info.filename, depth)


def _read_text(scan: _Scan, zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> str:
    try:
        return read_member(zf, info, MAX_META_SIZE, scan.budget).decode("utf-8", "replace")
    except ZipLimitError as exc:
        scan.warn(f"member skipped: {exc}", where)
        return ""


def catalog_archive(ctx: CatalogContext, path: str) -> list[Package]:
    """Packages in the archive at `path` and in archives nested in it."""
    scan = _Scan(ctx, Budget(), ctx.tree.layer_of(path))
    with ctx.tree.open(path) as raw, open_zip(seekable(raw)) as zf:
        return list(_scan(scan, zf, path, path, 0))


@catalogers.register(NAME)
class JavaArchiveCataloger:
    """Java archives, nested archives included."""

    name: ClassVar[str] = NAME
    patterns: ClassVar[tuple[str, ...]] = tuple(f"**/*{ext}" for ext in EXTENSIONS)
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterable[Package]:
        seen: set[str] = set()
        for path in paths:
            real = ctx.tree.resolve(path)  # symlinked jars (Debian's maven-repo) once
            if real is None or real in seen or not ctx.tree.is_file(real):
                continue
            seen.add(real)
            try:
                yield from catalog_archive(ctx, real)
            except (ZipLimitError, TreeError, OSError) as exc:
                ctx.warn(SOURCE, f"unreadable archive: {exc}", real)
