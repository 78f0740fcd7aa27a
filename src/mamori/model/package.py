"""Packages, distributions and software bills of materials."""

from __future__ import annotations

import enum
import hashlib

from pydantic import Field

from mamori.model.common import Frozen


class PackageType(enum.StrEnum):
    """Package ecosystems, named as their package-url types."""

    DEB = "deb"
    RPM = "rpm"
    APK = "apk"
    PYPI = "pypi"
    NPM = "npm"
    GOLANG = "golang"
    MAVEN = "maven"
    GEM = "gem"
    CARGO = "cargo"
    COMPOSER = "composer"
    GENERIC = "generic"


class Location(Frozen):
    """Where evidence of a package was found: a path in the target and its image layer."""

    path: str
    layer: str | None = None  # diff id / digest of the layer that introduced the file


class Distro(Frozen):
    """The operating system of a target, from os-release."""

    id: str  # "debian", "ubuntu", "alpine", "almalinux", "rocky", "mariner", ...
    version_id: str = ""
    version_codename: str = ""
    name: str = ""
    pretty_name: str = ""
    id_like: tuple[str, ...] = ()


class Package(Frozen):
    """One installed or declared software component."""

    name: str
    version: str
    type: PackageType
    purl: str
    cataloger: str
    locations: tuple[Location, ...] = ()
    # Distro packages: the source package the advisories are written against.
    source_name: str | None = None
    source_version: str | None = None
    arch: str | None = None
    licenses: tuple[str, ...] = ()
    # Ecosystem-specific facts (maven group id, go main module, ...). Flat strings only.
    metadata: dict[str, str] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable id within one SBOM: the purl plus the first location."""
        first = self.locations[0].path if self.locations else ""
        return hashlib.sha256(f"{self.purl}|{first}".encode()).hexdigest()[:16]

    @property
    def layer(self) -> str | None:
        return self.locations[0].layer if self.locations else None


class Sbom(Frozen):
    """What a target is made of. `file_owners` maps an absolute path to owning package ids."""

    distro: Distro | None = None
    packages: tuple[Package, ...] = ()
    file_owners: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    layers: tuple[str, ...] = ()
