"""Debian packages from dpkg's database: /var/lib/dpkg/status and distroless status.d/.

A package counts as present when dpkg's status says its files are on disk (installed,
unpacked, half-configured, ...): "config-files" packages left only configuration behind,
and "not-installed" ones nothing. Files come from dpkg's info/<pkg>[:<arch>].list, or from
the .md5sums that distroless images keep beside their status.d entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from mamori.model import Location, Package, PackageType
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers._purl import distro_qualifier, make_purl
from mamori.sources.tree import TreeError, normalize

STATUS = "/var/lib/dpkg/status"
STATUS_D = "/var/lib/dpkg/status.d/"
INFO = "/var/lib/dpkg/info/"
DOC = "/usr/share/doc/"
# dpkg's package states whose files are unpacked on disk (dpkg(1) "Package states").
PRESENT = frozenset(
    {
        "installed",
        "half-installed",
        "unpacked",
        "half-configured",
        "triggers-awaited",
        "triggers-pending",
    }
)
MAX_STATUS = 256 * 1024 * 1024
MAX_LIST = 64 * 1024 * 1024
MAX_COPYRIGHT = 512 * 1024
# dpkg's own rules (pkg_name_is_illegal): alphanumeric first, then alnum or "-+._"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._-]*\Z")
_ARCH = re.compile(r"[A-Za-z0-9_-]*\Z")
_SOURCE = re.compile(r"^(?P<name>\S+)(?:\s*\((?P<version>[^()\s]+)\))?\s*$")
_LICENSE = re.compile(r"^License:[ \t]*(\S[^\n]*?)[ \t]*$", re.MULTILINE | re.IGNORECASE)
_SOURCE_NAME = "sbom.dpkg"


def parse_paragraphs(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """deb822 paragraphs as (first line number, fields keyed by lower-cased name).

    Continuation lines (starting with a space or tab) are joined to their field with
    newlines, as dpkg stores them; a line that is neither is ignored.
    """
    fields: dict[str, str] = {}
    start = 0
    last: str | None = None
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            if fields:
                yield start, fields
            fields, last = {}, None
            continue
        if line[0] in " \t":
            if last is not None:
                fields[last] += "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            last = None
            continue
        if not fields:
            start = number
        last = key.strip().lower()
        fields[last] = value.strip()
    if fields:
        yield start, fields


def parse_source(source: str, name: str, version: str) -> tuple[str, str]:
    """The source package of a binary: "Source: glibc (2.36-9)" or the package itself."""
    match = _SOURCE.match(source) if source else None
    if match is None:
        return name, version
    return match["name"], match["version"] or version


@dataclass(frozen=True, slots=True)
class DebEntry:
    """One package paragraph of dpkg's database, reduced to what the SBOM keeps."""

    name: str
    version: str
    arch: str
    source_name: str
    source_version: str
    has_source: bool
    installed_size: str = ""
    maintainer: str = ""
    multi_arch: str = ""


def read_entry(fields: dict[str, str], *, need_status: bool) -> DebEntry | str | None:
    """The entry of a present package; None if not present; a message if malformed."""
    status = fields.get("status")
    if status is None:
        if need_status:
            return None  # dpkg treats a paragraph without Status as not installed
    else:
        words = status.split()  # "<want> <flag> <state>"
        if len(words) != 3:
            return f"malformed Status {status!r}"
        if words[2] not in PRESENT:
            return None
    name = fields.get("package", "")
    version = fields.get("version", "")
    arch = fields.get("architecture", "")
    if not _NAME.match(name) or not _ARCH.match(arch):
        return f"invalid Package/Architecture: {name!r} {arch!r}"
    if not version or any(c.isspace() or c == "\0" for c in version):
        return f"invalid Version {version!r} of {name}"
    source = fields.get("source", "")
    source_name, source_version = parse_source(source, name, version)
    return DebEntry(
        name=name,
        version=version,
        arch=arch,
        source_name=source_name,
        source_version=source_version,
        has_source=bool(source),
        installed_size=fields.get("installed-size", ""),
        maintainer=fields.get("maintainer", ""),
        multi_arch=fields.get("multi-arch", ""),
    )


def copyright_licenses(text: str) -> tuple[str, ...]:
    """License short names of a machine-readable debian/copyright, in first-seen order."""
    seen: dict[str, None] = {}
    for match in _LICENSE.finditer(text):
        seen.setdefault(" ".join(match.group(1).split()), None)
    return tuple(seen)


def parse_file_list(text: str) -> list[str]:
    """Paths of a dpkg .list file (one absolute path per line, "/." for the root)."""
    return [normalize(line) for line in text.split("\n") if line and line != "/."]


def parse_md5sums(text: str) -> list[str]:
    """Paths of a dpkg .md5sums file ("<md5>  <path relative to />" per line)."""
    paths = []
    for line in text.split("\n"):
        _digest, sep, path = line.partition("  ")
        if sep and path:
            paths.append(normalize(path))
    return paths


@catalogers.register("dpkg")
class DpkgCataloger:
    name: ClassVar[str] = "dpkg"
    patterns: ClassVar[tuple[str, ...]] = (STATUS, STATUS_D + "*")
    database_paths: ClassVar[tuple[str, ...]] = patterns
    wants_executables: ClassVar[bool] = False

    def catalog(self, ctx: CatalogContext, paths: Sequence[str]) -> Iterator[Package]:
        for path in sorted(paths):
            if path == STATUS:
                yield from self._database(ctx, path, need_status=True)
            elif path.startswith(STATUS_D) and not path.endswith(".md5sums"):
                yield from self._database(ctx, path, need_status=False)

    def _database(self, ctx: CatalogContext, path: str, *, need_status: bool) -> Iterator[Package]:
        try:
            text = ctx.tree.read_text(path, limit=MAX_STATUS)
        except (TreeError, OSError) as exc:
            ctx.warn(_SOURCE_NAME, f"cannot read dpkg database: {exc}", path)
            return
        for line, fields in parse_paragraphs(text):
            entry = read_entry(fields, need_status=need_status)
            if entry is None:
                continue
            if isinstance(entry, str):
                ctx.warn(_SOURCE_NAME, f"line {line}: {entry}", path)
                continue
            package = self._package(ctx, entry, path)
            ctx.own_resolved(package, self._files(ctx, entry, path, need_status))
            yield package

    def _package(self, ctx: CatalogContext, entry: DebEntry, path: str) -> Package:
        distro = ctx.distro
        upstream = None
        if entry.has_source:
            upstream = entry.source_name
            if entry.source_version != entry.version:
                upstream += f"@{entry.source_version}"
        purl = make_purl(
            "deb",
            entry.name,
            entry.version,
            namespace=distro.id if distro else "debian",
            qualifiers={
                "arch": entry.arch,
                "upstream": upstream,
                "distro": distro_qualifier(distro.id, distro.version_id) if distro else None,
            },
        )
        metadata = {
            k: v
            for k, v in (
                ("installed_size", entry.installed_size),
                ("maintainer", entry.maintainer),
                ("multi_arch", entry.multi_arch),
            )
            if v
        }
        return Package(
            name=entry.name,
            version=entry.version,
            type=PackageType.DEB,
            purl=purl,
            cataloger=self.name,
            locations=(Location(path=path),),
            source_name=entry.source_name,
            source_version=entry.source_version,
            arch=entry.arch or None,
            licenses=self._licenses(ctx, entry.name),
            metadata=metadata,
        )

    @staticmethod
    def _licenses(ctx: CatalogContext, name: str) -> tuple[str, ...]:
        try:
            text = ctx.tree.read_text(f"{DOC}{name}/copyright", limit=MAX_COPYRIGHT)
        except (TreeError, OSError):
            return ()  # absent (docs excluded) or oversized: licences stay unknown
        return copyright_licenses(text)

    @staticmethod
    def _files(ctx: CatalogContext, entry: DebEntry, path: str, need_status: bool) -> list[str]:
        candidates = [
            (f"{INFO}{entry.name}:{entry.arch}.list", parse_file_list),
            (f"{INFO}{entry.name}.list", parse_file_list),
            (f"{INFO}{entry.name}:{entry.arch}.md5sums", parse_md5sums),
            (f"{INFO}{entry.name}.md5sums", parse_md5sums),
        ]
        if not need_status:  # distroless: status.d/<file> beside status.d/<file>.md5sums
            candidates[:0] = [
                (f"{path}.md5sums", parse_md5sums),
                (f"{STATUS_D}{entry.name}.md5sums", parse_md5sums),
            ]
        for candidate, parse in candidates:
            if not ctx.tree.is_file(candidate):
                continue
            try:
                return parse(ctx.tree.read_text(candidate, limit=MAX_LIST))
            except (TreeError, OSError) as exc:
                ctx.warn(_SOURCE_NAME, f"cannot read file list: {exc}", candidate)
                return []
        return []
