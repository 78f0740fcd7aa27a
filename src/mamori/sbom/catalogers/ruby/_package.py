"""Package records for Ruby gems (shared by the gemspec and Gemfile.lock catalogers)."""

from __future__ import annotations

from mamori.model import Location, Package, PackageType
from mamori.sbom.catalogers._purl import make_purl

MAX_FIELD = 200


def gem_package(
    name: str,
    version: str,
    *,
    cataloger: str,
    location: Location,
    platform: str = "",
    licenses: tuple[str, ...] = (),
    metadata: dict[str, str] | None = None,
) -> Package | None:
    """pkg:gem/<name>@<version>[?platform=...], or None for unusable fields."""
    if not name or not version or len(name) > MAX_FIELD or len(version) > MAX_FIELD:
        return None
    qualifiers = {"platform": platform} if platform and platform != "ruby" else None
    try:
        purl = make_purl("gem", name, version, qualifiers=qualifiers)
    except ValueError:
        return None
    meta = {"platform": platform, **(metadata or {})}
    return Package(
        name=name,
        version=version,
        type=PackageType.GEM,
        purl=purl,
        cataloger=cataloger,
        locations=(location,),
        licenses=tuple(lic[:MAX_FIELD] for lic in licenses[:20]),
        metadata={k: v[:MAX_FIELD] for k, v in meta.items() if v},
    )
