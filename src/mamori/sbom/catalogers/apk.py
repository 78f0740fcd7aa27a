"""Alpine (and other apk-tools) packages from /lib/apk/db/installed.

The database is one block of "X:value" lines per package, blocks separated by blank
lines: P name, V version, A arch, o origin (the source package advisories name), L
licence, F a directory and R a file inside the last F directory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from mamori.model import Location, Package, PackageType
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers._purl import distro_qualifier, make_purl
from mamori.sources.tree import TreeError, normalize

INSTALLED = "/lib/apk/db/installed"
MAX_INSTALLED = 256 * 1024 * 1024
_SOURCE_NAME = "sbom.apk"
# single-letter keys kept as metadata
_METADATA = {"t": "build_time", "c": "commit", "m": "maintainer", "I": "installed_size", "U": "url"}


@dataclass
class ApkEntry:
    """One package block of the installed database."""

    line: int
    fields: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def parse_installed(text: str) -> Iterator[ApkEntry]:
    """The package blocks of an apk installed database, with their files."""
    entry: ApkEntry | None = None
    directory = ""
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line:
            if entry is not None:
                yield entry
            entry, directory = None, ""
            continue
        if len(line) < 2 or line[1] != ":":
            continue  # not a "X:value" line: ignored, as apk-tools does
        key, value = line[0], line[2:]
        if entry is None:
            entry = ApkEntry(line=number)
        if key == "F":
            directory = value.strip("/")
        elif key == "R":
            entry.files.append(normalize(f"{directory}/{value}"))
        else:
            entry.fields.setdefault(key, value)
    if entry is not None:
        yield entry


@catalogers.register("apk")
class ApkCataloger:
    name: ClassVar[str] = "apk"
    patterns: ClassVar[tuple[str, ...]] = (INSTALLED,)
    database_paths: ClassVar[tuple[str, ...]] = patterns
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterator[Package]:
        for path in paths:
            if path != INSTALLED:
                continue
            try:
                text = ctx.tree.read_text(path, limit=MAX_INSTALLED)
            except (TreeError, OSError) as exc:
                ctx.warn(_SOURCE_NAME, f"cannot read apk database: {exc}", path)
                continue
            for entry in parse_installed(text):
                package = self._package(ctx, entry, path)
                if package is not None:
                    ctx.own_resolved(package, entry.files)
                    yield package

    def _package(self, ctx: CatalogContext, entry: ApkEntry, path: str) -> Package | None:
        fields = entry.fields
        name, version = fields.get("P", ""), fields.get("V", "")
        if not name or not version or any(c.isspace() or c in "\0/" for c in name + version):
            ctx.warn(
                _SOURCE_NAME,
                f"line {entry.line}: package without a valid P/V: {name!r} {version!r}",
                path,
            )
            return None
        origin = fields.get("o", "") or name
        arch = fields.get("A", "")
        distro = ctx.distro
        purl = make_purl(
            "apk",
            name,
            version,
            namespace=distro.id if distro else "alpine",
            qualifiers={
                "arch": arch,
                "upstream": origin if origin != name else None,
                "distro": distro_qualifier(distro.id, distro.version_id) if distro else None,
            },
        )
        license_ = fields.get("L", "").strip()
        return Package(
            name=name,
            version=version,
            type=PackageType.APK,
            purl=purl,
            cataloger=self.name,
            locations=(Location(path=path),),
            source_name=origin,
            source_version=version,
            arch=arch or None,
            licenses=(license_,) if license_ else (),
            metadata={meta: fields[key] for key, meta in _METADATA.items() if fields.get(key)},
        )
