"""What the CycloneDX and SPDX readers share: the error type, purl mapping, notices.

The documents are untrusted: every field is type-checked before use, entries that do not
make sense are skipped and counted, and notices are aggregated (one per reason, with a
few examples) so a hostile file cannot flood the report with millions of them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from packageurl import PackageURL
from pydantic import ValidationError

from mamori.model import Distro, Location, Notice, NoticeLevel, Package, PackageType

NOTICE_SOURCE = "sources.sbom_file"
# Raised by a reader bug on an odd entry; the entry is skipped instead of the whole file.
ENTRY_ERRORS = (ValueError, TypeError, KeyError, AttributeError, IndexError)
UNREADABLE = "entries that could not be read"
MAX_EXAMPLES = 3
MAX_TEXT = 4096  # longest name/version/path kept from a document
# Packages kept from one document: far above real SBOMs (an image rarely holds 50,000),
# low enough that a file of millions of tiny entries cannot exhaust memory.
MAX_PACKAGES = 500_000
DISTRO_TYPES = frozenset({PackageType.DEB, PackageType.RPM, PackageType.APK})
_PURL_TYPES = {t.value: t for t in PackageType}


class SbomFormatError(ValueError):
    """The file is not a readable CycloneDX or SPDX JSON document (or is too large)."""


@dataclass
class Notes:
    """Collects per-document notices; skipped entries are grouped by reason."""

    label: str
    notices: list[Notice] = field(default_factory=list)
    _skipped: dict[str, list[str]] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def warn(self, message: str) -> None:
        if len(self.notices) < 100:
            self.notices.append(
                Notice(
                    level=NoticeLevel.WARNING,
                    source=NOTICE_SOURCE,
                    message=message,
                    path=self.label,
                )
            )

    def skip(self, reason: str, example: object) -> None:
        self._counts[reason] = self._counts.get(reason, 0) + 1
        examples = self._skipped.setdefault(reason, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(text(example, 80) or "?")

    def finish(self) -> list[Notice]:
        for reason, count in self._counts.items():
            shown = ", ".join(self._skipped[reason])
            more = ", ..." if count > len(self._skipped[reason]) else ""
            self.warn(f"skipped {count} {reason} ({shown}{more})")
        self._counts.clear()
        return self.notices


def index(value: str) -> int | None:
    """A small non-negative index written in ASCII digits ("3"), else None ("²", "x")."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def text(value: object, limit: int = MAX_TEXT) -> str:
    """A string field, or "" for anything that is not a string; capped in length."""
    return value[:limit] if isinstance(value, str) else ""


def items(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_purl(value: str) -> PackageURL | None:
    if not value or len(value) > MAX_TEXT:
        return None
    try:
        return PackageURL.from_string(value)
    except (ValueError, TypeError):
        return None


def package_type(purl: PackageURL | None) -> PackageType:
    return _PURL_TYPES.get(purl.type, PackageType.GENERIC) if purl else PackageType.GENERIC


def _qualifiers(purl: PackageURL) -> dict[str, str]:
    q = purl.qualifiers
    return {str(k): str(v) for k, v in q.items()} if isinstance(q, dict) else {}


def purl_name(purl: PackageURL) -> str:
    """The ecosystem's own spelling of a name: "@scope/pkg", "github.com/x/y", "vendor/pkg"."""
    if purl.namespace and purl.type in ("npm", "golang", "composer", "github", "swift"):
        return f"{purl.namespace}/{purl.name}"
    return str(purl.name)


def purl_version(purl: PackageURL) -> str:
    version = str(purl.version or "")
    epoch = _qualifiers(purl).get("epoch")
    if purl.type == "rpm" and epoch and epoch != "0" and version and ":" not in version:
        return f"{epoch}:{version}"
    return version


def purl_arch(purl: PackageURL) -> str | None:
    return _qualifiers(purl).get("arch") or None


def _split_srpm(value: str) -> tuple[str, str] | None:
    """ "openssl-3.0.7-27.el9.src.rpm" -> ("openssl", "3.0.7-27.el9")."""
    for suffix in (".src.rpm", ".nosrc.rpm"):
        value = value.removesuffix(suffix)
    parts = value.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], f"{parts[1]}-{parts[2]}"


def upstream_source(
    purl: PackageURL, ptype: PackageType, version: str, hint: str = ""
) -> tuple[str | None, str | None]:
    """The source package from the purl's `upstream` qualifier (syft's and mamori's form).

    deb: "openssl" or "openssl@3.0.11-1"; rpm: the source RPM file name; apk: the origin.
    `hint` is the same in another place (syft's metadata properties). A distro package
    without one is its own source, as dpkg, rpm and apk define it.
    """
    upstream = _qualifiers(purl).get("upstream", "") or hint
    if ptype not in DISTRO_TYPES:
        return None, None
    if ptype is PackageType.RPM and upstream:
        split = _split_srpm(upstream)
        if split:
            epoch = version.split(":", 1)[0] if ":" in version else ""
            return split[0], f"{epoch}:{split[1]}" if epoch else split[1]
    elif upstream:
        name, _, src_version = upstream.partition("@")
        if name:
            return name, src_version or version
    return str(purl.name), version


def distro_from_qualifier(purl: PackageURL | None) -> Distro | None:
    """The `distro` qualifier ("debian-12", "alpine-3.20.3") as a minimal Distro."""
    value = _qualifiers(purl).get("distro", "") if purl else ""
    if not value:
        return None
    distro_id, sep, version = value.rpartition("-")
    if not sep or not distro_id or not version[:1].isdigit():
        distro_id, version = value, ""
    return Distro(id=distro_id.lower(), version_id=version)


@dataclass
class Draft:
    """The fields of a package as a reader found them, before validation."""

    name: str
    version: str
    purl: str
    cataloger: str
    ptype: PackageType | None = None
    locations: list[tuple[str, str | None]] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)
    source_name: str | None = None
    source_version: str | None = None
    arch: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    upstream_hint: str = ""  # the source package in purl `upstream` syntax, from elsewhere
    own: bool = False  # written by mamori: its facts are exact, no defaults applied


def build_package(draft: Draft, notes: Notes) -> Package | None:
    """A Package from a draft, filling name/version/source from the purl where missing."""
    purl = parse_purl(draft.purl)
    if purl is None and not draft.own:
        notes.skip("components with an unparsable purl", draft.purl or draft.name)
        return None
    ptype = draft.ptype or package_type(purl)
    name = draft.name or (purl_name(purl) if purl else "")
    version = draft.version
    if not version and purl is not None and not draft.own:
        version = purl_version(purl)
    source_name, source_version, arch = draft.source_name, draft.source_version, draft.arch
    if purl is not None and not draft.own:
        if source_name is None:
            source_name, source_version = upstream_source(purl, ptype, version, draft.upstream_hint)
        arch = arch or purl_arch(purl)
    if not name:
        notes.skip("packages without a name", draft.purl)
        return None
    try:
        return Package(
            name=name,
            version=version,
            type=ptype,
            purl=draft.purl,
            cataloger=draft.cataloger,
            locations=tuple(Location(path=p, layer=layer or None) for p, layer in draft.locations),
            source_name=source_name,
            source_version=source_version,
            arch=arch,
            licenses=tuple(dict.fromkeys(lic for lic in draft.licenses if lic)),
            metadata=draft.metadata,
        )
    except ValidationError:
        notes.skip("packages with invalid fields", name)
        return None


def indexed(entries: Mapping[int, str]) -> Iterator[str]:
    for key in sorted(entries):
        yield entries[key]
