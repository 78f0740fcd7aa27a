"""Realistic reports for the output tests: every package type, distro, layers, matches.

Purls are built with packageurl-python, the same library real catalogers use, in the
shapes syft and mamori's catalogers emit (distro/upstream/epoch qualifiers, scoped npm
names, Go module paths, Maven coordinates).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from packageurl import PackageURL

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

DEBIAN = Distro(
    id="debian",
    version_id="12",
    version_codename="bookworm",
    name="Debian GNU/Linux",
    pretty_name="Debian GNU/Linux 12 (bookworm)",
    id_like=(),
)
LICENSES = (
    ("GPL-2.0-only", "GPL-2.0-or-later"),
    ("MIT",),
    ("MIT OR Apache-2.0",),
    ("Apache-2.0 WITH LLVM-exception",),
    ("GPL", "public-domain"),
    ("BSD-3-Clause", "Expat"),
    (),
)
STARTED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
FINISHED = datetime(2024, 5, 1, 12, 0, 42, 123456, tzinfo=UTC)


def _purl(type_: str, name: str, version: str, namespace: str | None = None, **q: str) -> str:
    return PackageURL(
        type=type_, namespace=namespace, name=name, version=version, qualifiers=q or None
    ).to_string()


def _layer(rng: random.Random) -> str:
    return "sha256:" + "".join(rng.choice("0123456789abcdef") for _ in range(64))


def _pkg(rng: random.Random, kind: str, i: int, layers: list[str]) -> Package:
    layer = rng.choice(layers)
    licenses = LICENSES[i % len(LICENSES)]
    v = f"{1 + i % 7}.{i % 13}.{i}"
    src: tuple[str | None, str | None] = (None, None)
    arch: str | None = None
    meta: dict[str, str] = {}
    if kind == "deb":
        name, version = f"lib{rng.choice(['ssl', 'xml', 'z', 'curl'])}{i}", f"1:{v}-4+deb12u1"
        src = (f"src{i}", f"{v}-4") if i % 2 else (name, version)
        upstream = f"{src[0]}@{src[1]}" if i % 2 else None
        q = {"arch": "amd64", "distro": "debian-12"} | ({"upstream": upstream} if upstream else {})
        purl = _purl("deb", name, version, "debian", **q)
        paths = ["/var/lib/dpkg/status", f"/usr/share/doc/{name}/copyright"]
        ptype, arch, meta = PackageType.DEB, "amd64", {"maintainer": "Debian <d@debian.org>"}
    elif kind == "rpm":
        name, version = f"openssl-libs{i}", f"1:3.0.{i}-27.el9"
        src = (f"openssl{i}", f"3.0.{i}-27.el9")
        purl = _purl(
            "rpm", name, f"3.0.{i}-27.el9", "almalinux", arch="x86_64", epoch="1",
            distro="almalinux-9", upstream=f"openssl{i}-3.0.{i}-27.el9.src.rpm",
        )  # fmt: skip
        paths, ptype, arch = ["/var/lib/rpm/rpmdb.sqlite"], PackageType.RPM, "x86_64"
    elif kind == "apk":
        name, version = f"busybox-extras{i}", f"1.36.{i}-r29"
        src = (f"busybox{i}", version)
        purl = _purl("apk", name, version, "alpine", arch="x86_64", upstream=f"busybox{i}")
        paths, ptype, arch = ["/lib/apk/db/installed"], PackageType.APK, "x86_64"
    elif kind == "pypi":
        name, version = f"Django-Extras_{i}", v
        purl = _purl("pypi", f"django-extras-{i}", version)
        paths = [f"/usr/lib/python3/site-packages/Django_Extras_{i}-{v}.dist-info/METADATA"]
        ptype = PackageType.PYPI
    elif kind == "npm":
        name, version = (f"@babel/core{i}" if i % 2 else f"lodash{i}"), f"4.17.{i}"
        ns, short = (name.split("/")[0], name.split("/")[1]) if "/" in name else (None, name)
        purl = _purl("npm", short, version, ns)
        paths = [f"/app/node_modules/{name}/package.json"]
        ptype = PackageType.NPM
    elif kind == "golang":
        name, version = f"github.com/sirupsen/logrus{i}", f"v1.9.{i}"
        purl = _purl("golang", f"logrus{i}", version, "github.com/sirupsen")
        paths, ptype = ["/usr/local/bin/app"], PackageType.GOLANG
    elif kind == "maven":
        name, version = f"log4j-core{i}", f"2.14.{i}"
        purl = _purl("maven", name, version, "org.apache.logging.log4j")
        paths = [f"/opt/app/lib/log4j-core-{version}.jar"]
        ptype, meta = PackageType.MAVEN, {"group_id": "org.apache.logging.log4j"}
    elif kind == "gem":
        name, version = f"rails{i}", f"6.1.{i}"
        purl = _purl("gem", name, version)
        paths, ptype = (
            [f"/usr/lib/ruby/gems/3.1.0/specifications/{name}-{version}.gemspec"],
            PackageType.GEM,
        )
    elif kind == "cargo":
        name, version = f"serde{i}", f"1.0.{i}"
        purl = _purl("cargo", name, version)
        paths, ptype = ["/usr/local/bin/app"], PackageType.CARGO
    elif kind == "composer":
        name, version = f"symfony/console{i}", f"5.4.{i}"
        purl = _purl("composer", f"console{i}", version, "symfony")
        paths, ptype = ["/var/www/composer.lock"], PackageType.COMPOSER
    else:
        name, version = f"openssl-binary {i}", f"3.0.{i}"
        purl = _purl("generic", f"openssl-binary-{i}", version)
        paths, ptype = [f"/opt/with space/ünïcode #{i}/bin?x"], PackageType.GENERIC
    locations = tuple(
        Location(path=p, layer=layer if j == 0 else None) for j, p in enumerate(paths)
    )
    return Package(
        name=name,
        version=version,
        type=ptype,
        purl=purl,
        cataloger=f"{kind}-test",
        locations=locations,
        source_name=src[0],
        source_version=src[1],
        arch=arch,
        licenses=licenses,
        metadata=meta,
    )


KINDS = (
    "deb",
    "rpm",
    "apk",
    "pypi",
    "npm",
    "golang",
    "maven",
    "gem",
    "cargo",
    "composer",
    "generic",
)


def realistic_sbom(count: int = 330, seed: int = 7, distro: Distro | None = DEBIAN) -> Sbom:
    rng = random.Random(seed)
    layers = [_layer(rng) for _ in range(3)]
    packages = tuple(_pkg(rng, KINDS[i % len(KINDS)], i, layers) for i in range(count))
    return Sbom(distro=distro, packages=packages, layers=tuple(layers))


def _matches(sbom: Sbom, every: int) -> tuple[VulnerabilityMatch, ...]:
    severities = list(Severity)
    out = []
    for i, pkg in enumerate(sbom.packages[::every]):
        sev = severities[i % len(severities)]
        cvss: tuple[CvssScore, ...] = ()
        if i % 3:
            score = {Severity.CRITICAL: 9.8, Severity.HIGH: 7.5, Severity.MEDIUM: 5.3}.get(sev, 3.1)
            cvss = (
                CvssScore(
                    version="3.1",
                    vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                    base_score=score,
                    severity=Severity.from_cvss_score(score),
                ),
            )
        vid = f"CVE-2024-{1000 + i}" if i % 4 else f"GHSA-abcd-{i:04d}-wxyz"
        out.append(
            VulnerabilityMatch(
                package_id=pkg.id,
                package_name=pkg.name,
                package_version=pkg.version,
                package_type=pkg.type.value,
                purl=pkg.purl,
                vulnerability_id=vid,
                aliases=(f"GHSA-{i:04d}-aaaa-bbbb",) if vid.startswith("CVE") else (),
                advisory_ids=(f"DEBIAN-{vid}",),
                severity=sev,
                cvss=cvss,
                fixed_versions=(f"{pkg.version}.1",) if i % 2 else (),
                known_exploited=i % 5 == 0,
                summary=f"Buffer overflow in {pkg.name} \x1b[31mred\x1b[0m allows code execution "
                * 2,
                matched_by="purl",
                ecosystem="Debian:12",
                layer=pkg.layer,
                locations=tuple(loc.path for loc in pkg.locations),
            )
        )
    return tuple(out)


def realistic_report(
    count: int = 330, *, with_matches: bool = True, every: int = 3, db: bool = True
) -> ScanReport:
    sbom = realistic_sbom(count)
    return ScanReport(
        scan_id="scan-0001",
        target=Asset(
            kind=AssetKind.IMAGE,
            name="localhost/app:1.0",
            identity=Identity(image="localhost/app:1.0", image_digest="sha256:" + "ab" * 32),
        ),
        started_at=STARTED,
        finished_at=FINISHED,
        sbom=sbom,
        matches=_matches(sbom, every) if with_matches else (),
        notices=(
            Notice(
                level=NoticeLevel.WARNING,
                source="sbom.dpkg",
                message="bad entry skipped",
                path="/var/lib/dpkg/status",
            ),
            Notice(level=NoticeLevel.INFO, source="vuln", message="matched 3 ecosystems"),
        ),
        database=DatabaseInfo(
            path="/tmp/db.sqlite",
            advisories=123456,
            ecosystems=("Debian:12", "PyPI"),
            updated_at=STARTED,
            available=db,
        ) if db else None,
        tool_version="0.1.0",
    )  # fmt: skip


def render(name: str, report: ScanReport) -> str:
    """The text an output writes for `report` (through the registry, as the CLI does)."""
    import io

    from mamori.outputs import outputs

    buffer = io.StringIO()
    outputs.get(name)().render(report, buffer)
    return buffer.getvalue()


def empty_report() -> ScanReport:
    return ScanReport(
        scan_id="scan-empty",
        target=Asset(kind=AssetKind.FILESYSTEM, name="/srv/empty"),
        started_at=STARTED,
        finished_at=FINISHED,
        sbom=Sbom(),
    )
