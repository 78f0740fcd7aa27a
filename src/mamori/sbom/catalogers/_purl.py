"""Package-URL building shared by the catalogers (one place that encodes purls)."""

from __future__ import annotations

from collections.abc import Mapping

from packageurl import PackageURL


def make_purl(
    type: str,
    name: str,
    version: str | None,
    namespace: str | None = None,
    qualifiers: Mapping[str, str | None] | None = None,
    subpath: str | None = None,
) -> str:
    """The canonical purl string; qualifiers that are None or empty are left out."""
    kept = {k: v for k, v in (qualifiers or {}).items() if v}
    return PackageURL(
        type=type,
        namespace=namespace or None,
        name=name,
        version=version or None,
        qualifiers=kept or None,
        subpath=subpath or None,
    ).to_string()


def distro_qualifier(distro_id: str | None, version_id: str | None) -> str | None:
    """The `distro` qualifier syft and trivy use: "debian-12", "alpine-3.20.3"."""
    if not distro_id:
        return None
    return f"{distro_id}-{version_id}" if version_id else distro_id
