"""RPM packages from the rpmdb: sqlite, NDB or BerkeleyDB, whichever the target uses."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import ClassVar

from mamori.model import Distro, Location, Package, PackageType
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers._purl import distro_qualifier, make_purl
from mamori.sbom.catalogers.rpm import header as tags
from mamori.sbom.catalogers.rpm._io import RandomAccess, RpmDbError
from mamori.sbom.catalogers.rpm.bdb import read_bdb
from mamori.sbom.catalogers.rpm.header import HeaderError, RpmHeader, parse_header
from mamori.sbom.catalogers.rpm.ndb import read_ndb
from mamori.sbom.catalogers.rpm.sqlite import read_sqlite
from mamori.sources.tree import TreeError, normalize

DB_DIRS = ("/usr/lib/sysimage/rpm", "/var/lib/rpm")
# Backends in the order they are preferred when one directory holds several.
BACKENDS = (("rpmdb.sqlite", "sqlite"), ("Packages.db", "ndb"), ("Packages", "bdb"))
MAX_DB = 4 * 1024 * 1024 * 1024
# Imported signing keys appear as packages named gpg-pubkey: keys, not software.
SKIPPED_NAMES = frozenset({"gpg-pubkey"})
_SOURCE_NAME = "sbom.rpm"


def split_source_rpm(filename: str) -> tuple[str, str] | None:
    """("bash", "5.1.8-1.cm2") from "bash-5.1.8-1.cm2.src.rpm"; None if not that shape."""
    for suffix in (".src.rpm", ".nosrc.rpm"):
        if filename.endswith(suffix):
            parts = filename[: -len(suffix)].rsplit("-", 2)
            if len(parts) == 3 and all(parts):
                return parts[0], f"{parts[1]}-{parts[2]}"
    return None


def package_from_header(
    header: RpmHeader, distro: Distro | None, path: str, cataloger: str
) -> Package:
    """The Package a header describes; HeaderError when it lacks a name or version."""
    name, version = header.string(tags.NAME), header.string(tags.VERSION)
    if not name or not version:
        raise HeaderError("header without NAME or VERSION")
    release = header.string(tags.RELEASE)
    epoch = header.integer(tags.EPOCH)
    evr = f"{version}-{release}" if release else version
    full = f"{epoch}:{evr}" if epoch is not None else evr
    arch = header.string(tags.ARCH)
    srpm = header.string(tags.SOURCERPM)
    source = split_source_rpm(srpm) if srpm else None
    if source is None:
        source_name, source_version = name, full
    else:  # a source rpm is built from the same spec: it carries the binary's epoch
        source_name = source[0]
        source_version = f"{epoch}:{source[1]}" if epoch is not None else source[1]
    license_ = header.string(tags.LICENSE)
    size = header.integer(tags.LONGSIZE) if header.has(tags.LONGSIZE) else None
    if size is None:
        size = header.integer(tags.SIZE)
    metadata = {
        key: str(value)
        for key, value in (
            ("vendor", header.string(tags.VENDOR)),
            ("modularity_label", header.string(tags.MODULARITYLABEL)),
            ("size", size),
            ("source_rpm", srpm),
        )
        if value not in (None, "")
    }
    purl = make_purl(
        "rpm",
        name,
        evr,
        namespace=distro.id if distro else None,
        qualifiers={
            "arch": arch,
            "epoch": str(epoch) if epoch is not None else None,
            "upstream": srpm,
            "distro": distro_qualifier(distro.id, distro.version_id) if distro else None,
        },
    )
    return Package(
        name=name,
        version=full,
        type=PackageType.RPM,
        purl=purl,
        cataloger=cataloger,
        locations=(Location(path=path),),
        source_name=source_name,
        source_version=source_version,
        arch=arch or None,
        licenses=(license_,) if license_ else (),
        metadata=metadata,
    )


def choose_database(paths: Sequence[str]) -> tuple[str, str] | None:
    """(path, backend) of the database to read when a target holds several."""
    found = set(paths)
    for filename, backend in BACKENDS:
        for directory in DB_DIRS:
            if f"{directory}/{filename}" in found:
                return f"{directory}/{filename}", backend
    return None


@catalogers.register("rpm")
class RpmCataloger:
    name: ClassVar[str] = "rpm"
    patterns: ClassVar[tuple[str, ...]] = tuple(f"{d}/{f}" for d in DB_DIRS for f, _ in BACKENDS)
    # The sqlite write-ahead log is part of the database when it is not empty.
    database_paths: ClassVar[tuple[str, ...]] = (
        *patterns,
        *(f"{d}/rpmdb.sqlite-wal" for d in DB_DIRS),
    )
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterator[Package]:
        chosen = choose_database(paths)
        if chosen is None:
            return
        path, backend = chosen
        for other in sorted(set(paths) - {path}):
            ctx.warn(_SOURCE_NAME, f"another rpm database ignored in favour of {path}", other)

        def warn(message: str) -> None:
            ctx.warn(_SOURCE_NAME, message, path)

        try:
            if backend == "sqlite":
                yield from self._packages(ctx, path, read_sqlite(ctx.tree, path, warn))
            else:
                reader = read_ndb if backend == "ndb" else read_bdb
                with ctx.tree.open(path) as fh:
                    records = reader(RandomAccess(fh, MAX_DB), warn)
                    yield from self._packages(ctx, path, records)
        except (RpmDbError, TreeError, OSError) as exc:
            warn(f"cannot read {backend} rpm database: {exc}")

    def _packages(
        self, ctx: CatalogContext, path: str, records: Iterator[tuple[int, bytes]]
    ) -> Iterator[Package]:
        for number, blob in records:
            try:
                header = parse_header(blob)
                package = package_from_header(header, ctx.distro, path, self.name)
            except HeaderError as exc:
                ctx.warn(_SOURCE_NAME, f"package {number}: {exc}", path)
                continue
            if package.name in SKIPPED_NAMES:
                continue
            try:
                files = header.files()
            except HeaderError as exc:
                ctx.warn(_SOURCE_NAME, f"package {number} ({package.name}) files: {exc}", path)
                files = []
            ctx.own_resolved(package, [normalize(f) for f in files])
            yield package
