"""Package -> the OSV (ecosystem, name, version) it is looked up as.

Language packages map by type alone. Distro packages need the distro, because OSV scopes
them by release ("Debian:12", "Alpine:v3.20", "AlmaLinux:9"), and a source-package name:
Debian, Ubuntu and Alpine advisories name source packages (a deb's `source_name`, an
apk's origin). AlmaLinux's OSV data names binary rpms (e.g. "pcs-snmp"), Red Hat's names
binary or source rpms, Rocky's source rpms: rpms are looked up under both names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packageurl import PackageURL

from mamori.model import Distro, Package, PackageType
from mamori.vuln.db.names import normalize_name


@dataclass(frozen=True)
class Query:
    """One lookup: (base, name) in the index, then `accepts` on the full ecosystem."""

    base: str  # ecosystem base: "PyPI", "Debian", ...
    name: str  # normalised as in the index
    version: str  # as the scheme compares it
    accepts: re.Pattern[str]  # full ecosystem strings this package may match
    matched_by: str  # "package-name", "source-package", "purl"


class UnmappedError(ValueError):
    """The package cannot be looked up; the message is a notice for the user.

    `serious` marks a gap the user must know about (distro packages left unchecked), as
    opposed to packages that simply have nothing to check (no version, generic type).
    """

    def __init__(self, message: str, serious: bool = False) -> None:
        super().__init__(message)
        self.serious = serious


_LANGUAGE = {
    PackageType.PYPI: "PyPI",
    PackageType.NPM: "npm",
    PackageType.GOLANG: "Go",
    PackageType.CARGO: "crates.io",
    PackageType.MAVEN: "Maven",
    PackageType.GEM: "RubyGems",
    PackageType.COMPOSER: "Packagist",
}
_SRPM = re.compile(r"(.+)-([^-]+-[^-]+)\.(?:no)?src\.rpm$")
_GO_RELEASE = re.compile(r"go(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$")


def queries_for(package: Package, distro: Distro | None) -> list[Query]:
    """The lookups for one package; raises UnmappedError when there is nothing to look up."""
    if not package.version or package.version in ("(devel)", "UNKNOWN"):
        raise UnmappedError(f"{package.type} packages without a version cannot be matched")
    if package.metadata.get("relationship") == "root":
        # The scanned project itself (e.g. the package.json beside a lockfile): the
        # user's own code, which a public advisory of the same name does not describe.
        raise UnmappedError("the scanned projects themselves are not looked up")
    base = _LANGUAGE.get(package.type)
    if base is not None:
        name = _language_name(package)
        version = _go_version(package) if package.type is PackageType.GOLANG else package.version
        accepts = re.compile(re.escape(base) + r"(?::.*)?")
        return [Query(base, normalize_name(base, name), version, accepts, "package-name")]
    if package.type in (PackageType.DEB, PackageType.APK, PackageType.RPM):
        return _distro_queries(package, distro)
    raise UnmappedError(f"{package.type} packages have no OSV ecosystem")


def _language_name(package: Package) -> str:
    if package.type in (PackageType.MAVEN, PackageType.COMPOSER):
        try:
            purl = PackageURL.from_string(package.purl)
        except ValueError:
            purl = None
        if purl is not None and purl.namespace:
            sep = ":" if package.type is PackageType.MAVEN else "/"
            return f"{purl.namespace}{sep}{purl.name}"
        group = package.metadata.get("group_id") or package.metadata.get("groupId")
        if package.type is PackageType.MAVEN and group and ":" not in package.name:
            return f"{group}:{package.name}"
    return package.name


def go_semver(version: str) -> str:
    """A Go module or toolchain version as OSV's Go data writes it: no "v", and Go
    releases in SemVer form ("go1.21" -> "1.21.0", "go1.22rc1" -> "1.22.0-rc.1")."""
    version = version.strip().split(" ", 1)[0]
    release = _GO_RELEASE.match(version)
    if release:
        major, minor, patch, pre, pre_n = release.groups()
        core = f"{major}.{minor}.{patch or 0}"
        return f"{core}-{pre}.{pre_n}" if pre else core
    return version.removeprefix("v")


def _go_version(package: Package) -> str:
    return go_semver(package.version)


def _major(version_id: str) -> str:
    return version_id.split(".", 1)[0]


def _distro_accepts(package: Package, distro: Distro | None) -> tuple[str, re.Pattern[str]]:
    if distro is None or not distro.id:
        raise UnmappedError(
            f"{package.type} packages need the distro (no os-release found)", serious=True
        )
    ident, version = distro.id.lower(), distro.version_id
    if package.type is PackageType.DEB:
        if ident == "debian" and version:
            return "Debian", re.compile(re.escape(f"Debian:{_major(version)}"))
        if ident == "ubuntu" and version:
            return "Ubuntu", re.compile(re.escape(f"Ubuntu:{version}") + r"(?::LTS)?")
    elif package.type is PackageType.APK:
        parts = version.split(".")
        if ident == "alpine" and len(parts) >= 2:
            return "Alpine", re.compile(re.escape(f"Alpine:v{parts[0]}.{parts[1]}"))
    elif package.type is PackageType.RPM and version:
        major = _major(version)
        if ident == "almalinux":
            return "AlmaLinux", re.compile(re.escape(f"AlmaLinux:{major}"))
        if ident == "rocky":
            return "Rocky Linux", re.compile(re.escape(f"Rocky Linux:{major}"))
        if ident == "rhel":
            return "Red Hat", re.compile(re.escape(f"Red Hat:enterprise_linux:{major}::") + ".*")
        if ident == "mageia":
            return "Mageia", re.compile(re.escape(f"Mageia:{major}"))
    label = f"{distro.id} {version}".strip()
    raise UnmappedError(
        f"no OSV advisories are known for {package.type} packages of {label}", serious=True
    )


def _rpm_evr(version: str, epoch: str | None) -> str:
    if epoch and epoch not in ("0", "(none)") and ":" not in version:
        return f"{epoch}:{version}"
    return version


def _distro_queries(package: Package, distro: Distro | None) -> list[Query]:
    base, accepts = _distro_accepts(package, distro)
    source_name = package.source_name or package.name
    source_version = package.source_version or package.version
    srpm = _SRPM.match(source_name)
    if srpm:  # a SOURCERPM file name where a name was expected
        source_name = srpm.group(1)
        source_version = package.source_version or srpm.group(2)
    if package.type is PackageType.RPM:
        epoch = package.metadata.get("epoch")
        if epoch is None and ":" in package.version:
            epoch = package.version.split(":", 1)[0]
        found = [
            Query(base, package.name, _rpm_evr(package.version, epoch), accepts, "package-name")
        ]
        if source_name != package.name:
            evr = _rpm_evr(source_version, epoch)
            found.append(Query(base, source_name, evr, accepts, "source-package"))
        return found
    return [Query(base, source_name, source_version, accepts, "source-package")]
