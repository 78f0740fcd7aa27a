"""Package records for Rust crates (shared by the lockfile and binary catalogers)."""

from __future__ import annotations

from mamori.model import Location, Package, PackageType
from mamori.sbom.catalogers._purl import make_purl

MAX_NAME = 200


def crate_package(
    name: object,
    version: object,
    *,
    cataloger: str,
    location: Location,
    metadata: dict[str, str] | None = None,
) -> Package | None:
    """pkg:cargo/<name>@<version>, or None when name/version are not usable strings."""
    if not isinstance(name, str) or not isinstance(version, str):
        return None
    if not name or len(name) > MAX_NAME or len(version) > MAX_NAME:
        return None
    try:
        purl = make_purl("cargo", name, version)
    except ValueError:
        return None
    return Package(
        name=name,
        version=version,
        type=PackageType.CARGO,
        purl=purl,
        cataloger=cataloger,
        locations=(location,),
        metadata={k: v for k, v in (metadata or {}).items() if v},
    )
