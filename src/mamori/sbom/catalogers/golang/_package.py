"""Package records for Go modules (shared by the binary and go.mod catalogers)."""

from __future__ import annotations

import re

from mamori.model import Location, Package, PackageType
from mamori.sbom.catalogers._purl import make_purl

DEVEL = "(devel)"
STDLIB = "stdlib"
_GO_VERSION = re.compile(r"go(\d+(?:\.\d+){0,2}(?:(?:rc|beta)\d+)?)\Z")


def go_purl(module_path: str, version: str) -> str:
    """pkg:golang/<module path>@<version>: the last path element is the purl name."""
    namespace, _, name = module_path.rpartition("/")
    return make_purl("golang", name, version, namespace=namespace)


def go_package(
    module_path: str,
    version: str,
    *,
    cataloger: str,
    location: Location,
    metadata: dict[str, str] | None = None,
    licenses: tuple[str, ...] = (),
) -> Package | None:
    """A Go module package, or None for a path no purl can carry."""
    if not module_path or module_path.endswith("/") or len(module_path) > 1000:
        return None
    try:
        purl = go_purl(module_path, version)
    except ValueError:
        return None
    return Package(
        name=module_path,
        version=version,
        type=PackageType.GOLANG,
        purl=purl,
        cataloger=cataloger,
        locations=(location,),
        licenses=licenses,
        metadata={k: v for k, v in (metadata or {}).items() if v},
    )


def stdlib_version(go_version: str) -> str | None:
    """The release a toolchain string names ("go1.23.4 X:boringcrypto" -> "go1.23.4").

    Development toolchains ("devel go1.24-abc...") name no release: None.
    """
    first = go_version.split(" ", 1)[0]
    return first if _GO_VERSION.match(first) else None


def stdlib_package(go_version: str, *, cataloger: str, location: Location) -> Package | None:
    """The Go standard library at the toolchain version, as syft reports it.

    Name "stdlib", version as Go prints it ("go1.23.4"), purl version without the "go"
    prefix (pkg:golang/stdlib@1.23.4), which is how the Go vulnerability database names
    the toolchain's own advisories.
    """
    version = stdlib_version(go_version)
    if version is None:
        return None
    return Package(
        name=STDLIB,
        version=version,
        type=PackageType.GOLANG,
        purl=go_purl(STDLIB, version.removeprefix("go")),
        cataloger=cataloger,
        locations=(location,),
        licenses=("BSD-3-Clause",),
        metadata={"go_version": go_version},
    )
