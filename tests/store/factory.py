"""Realistic scan reports built from model objects, for the store tests and figures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from mamori.model import (
    Asset,
    AssetKind,
    CvssScore,
    DatabaseInfo,
    Distro,
    Identity,
    Location,
    Notice,
    NoticeLevel,
    Package,
    PackageType,
    Sbom,
    ScanReport,
    Severity,
    VulnerabilityMatch,
)

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456).astimezone()  # local zone on purpose
LAYER = "sha256:" + "ab" * 32


def image_asset(name: str = "registry.example.com/shop/api") -> Asset:
    return Asset(
        kind=AssetKind.IMAGE,
        name=f"{name}:1.4.2",
        identity=Identity(
            image=f"{name}:1.4.2",
            image_digest="sha256:" + "5e" * 32,
            cluster="prod-eu",
            namespace="shop",
            account="123456789012",
            region="eu-west-1",
        ),
        attributes={"os": "linux", "arch": "amd64"},
    )


def deb(name: str, version: str, source: str | None = None) -> Package:
    return Package(
        name=name,
        version=version,
        type=PackageType.DEB,
        purl=f"pkg:deb/debian/{name}@{version}?arch=amd64&distro=debian-12",
        cataloger="dpkg",
        locations=(Location(path="/var/lib/dpkg/status", layer=LAYER),),
        source_name=source or name,
        source_version=version,
        arch="amd64",
        licenses=("GPL-2.0-or-later",),
    )


def wheel(name: str, version: str) -> Package:
    site = "/usr/local/lib/python3.11/site-packages"
    return Package(
        name=name,
        version=version,
        type=PackageType.PYPI,
        purl=f"pkg:pypi/{name.lower()}@{version}",
        cataloger="python-installed",
        locations=(Location(path=f"{site}/{name}-{version}.dist-info/METADATA", layer=LAYER),),
        licenses=("BSD-3-Clause",),
        metadata={"installer": "pip"},
    )


def packages(count: int, *, version: str = "1.0-1") -> list[Package]:
    """`count` distinct Debian packages (plus a few real PyPI ones when count allows)."""
    found = [deb(f"lib{i:05d}", version, source=f"src{i // 3:05d}") for i in range(count)]
    if count >= 10:
        found[-3:] = [wheel("Django", "3.2.0"), wheel("urllib3", "1.23"), wheel("Jinja2", "2.10")]
    return found


def match_for(
    package: Package, vuln: str, severity: Severity = Severity.HIGH
) -> VulnerabilityMatch:
    return VulnerabilityMatch(
        package_id=package.id,
        package_name=package.name,
        package_version=package.version,
        package_type=str(package.type),
        purl=package.purl,
        vulnerability_id=vuln,
        aliases=(f"GHSA-{vuln[-4:]}-aaaa-bbbb",),
        advisory_ids=(f"DSA-{vuln[-4:]}-1",),
        severity=severity,
        cvss=(
            CvssScore(
                version="3.1",
                vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                base_score=9.8,
                severity=Severity.CRITICAL,
            ),
        ),
        fixed_versions=("1.0-2",),
        known_exploited=vuln.endswith("7"),
        summary=f"{vuln}: memory corruption in {package.name}",
        matched_by="source-package",
        ecosystem="Debian:12",
        layer=package.layer,
        locations=tuple(loc.path for loc in package.locations),
    )


def report(
    asset: Asset,
    pkgs: Sequence[Package],
    matches: Sequence[VulnerabilityMatch],
    *,
    at: datetime = T0,
    scan_id: str | None = None,
    notices: Sequence[Notice] = (),
) -> ScanReport:
    return ScanReport(
        scan_id=scan_id or str(uuid.uuid4()),
        target=asset,
        started_at=at,
        finished_at=at + timedelta(seconds=42, microseconds=17),
        sbom=Sbom(
            distro=Distro(id="debian", version_id="12", version_codename="bookworm"),
            packages=tuple(pkgs),
            layers=(LAYER,),
        ),
        matches=tuple(matches),
        notices=tuple(notices),
        database=DatabaseInfo(
            path="/var/lib/mamori/db",
            advisories=250_000,
            ecosystems=("Debian:12", "PyPI"),
            updated_at=at - timedelta(hours=5),
        ),
        tool_version="0.1.0",
        stats={"packages": float(len(pkgs)), "seconds": 41.5},
    )


def big_report(asset: Asset, n_packages: int, n_findings: int, *, at: datetime = T0) -> ScanReport:
    pkgs = packages(n_packages)
    matches = [
        match_for(pkgs[i % n_packages], f"CVE-2024-{10000 + i}", list(Severity)[i % 6])
        for i in range(n_findings)
    ]
    warn = Notice(level=NoticeLevel.WARNING, source="sbom.dpkg", message="skipped a stanza")
    return report(asset, pkgs, matches, at=at, notices=[warn])
