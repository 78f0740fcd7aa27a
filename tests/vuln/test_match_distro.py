"""Distro matching with hand-made OSV records in the Debian, Ubuntu and Alpine layouts
(tests/vuln/fixtures/): release scoping, source-package lookups, epochs, binNMUs.

Every boundary the expectations rely on is confirmed with `dpkg --compare-versions`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.model import Distro, Notice, NoticeLevel, Package, PackageType, Sbom, Severity
from mamori.vuln.db import VulnDb, import_kev, import_osv
from mamori.vuln.match import match_sbom
from tests.support import need_shared, need_tool

FIXTURES = Path(__file__).parent / "fixtures"
BOOKWORM = Distro(id="debian", version_id="12", version_codename="bookworm")
BULLSEYE = Distro(id="debian", version_id="11", version_codename="bullseye")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VulnDb]:
    path = tmp_path_factory.mktemp("distro") / "db.sqlite"
    with VulnDb.open(path) as writable:
        assert import_osv(FIXTURES / "debian", writable).added == 7
        assert import_osv(FIXTURES / "distros", writable).added == 2
        kev = need_shared("data/advisories/kev/known_exploited_vulnerabilities.json")
        import_kev(kev, writable)
    with VulnDb.open(path, readonly=True) as readonly:
        yield readonly


def deb(
    name: str, version: str, source: str | None = None, source_version: str | None = None
) -> Package:
    return Package(
        name=name,
        version=version,
        type=PackageType.DEB,
        source_name=source,
        source_version=source_version,
        purl=f"pkg:deb/debian/{name}@{version}",
        cataloger="test",
    )


def found(sbom: Sbom, db: VulnDb) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for m in match_sbom(sbom, db):
        out.setdefault(m.package_name, set()).update(m.advisory_ids)
    return out


def dpkg_lt(a: str, b: str) -> bool:
    need_tool("dpkg")
    return subprocess.run(["dpkg", "--compare-versions", a, "lt", b], check=False).returncode == 0


def test_bookworm_by_source_package(db: VulnDb) -> None:
    packages = (
        deb("libc6", "2.36-9+deb12u14", "glibc"),
        deb("libc-bin", "2.36-9+deb12u14", "glibc"),
        deb("libwebp7", "1.2.4-0.2+b1", "libwebp", "1.2.4-0.2"),  # binNMU: source version
        deb("zlib1g", "1:1.2.13.dfsg-1", "zlib"),
        deb("tar", "1.34+dfsg-1.2"),  # introduced in exactly this version
        deb("systemd", "252.39-1~deb12u2"),  # newer than the fix
    )
    assert dpkg_lt("2.36-9+deb12u14", "2.36-9+deb12u15")
    assert dpkg_lt("1.2.4-0.2", "1.2.4-0.2+deb12u1")
    assert dpkg_lt("1:1.2.13.dfsg-1", "1:1.2.13.dfsg-1+deb12u1")
    assert not dpkg_lt("1.34+dfsg-1.2", "1.34+dfsg-1.2")
    assert not dpkg_lt("252.39-1~deb12u2", "252.17-1~deb12u1")
    result = found(Sbom(distro=BOOKWORM, packages=packages), db)
    assert result == {
        "libc6": {"DSA-9001-1"},  # not DEBIAN-CVE-2099-9005, which names the binary
        "libc-bin": {"DSA-9001-1"},
        "libwebp7": {"DEBIAN-CVE-2023-4863"},
        "zlib1g": {"DSA-9002-1"},
        "tar": {"DSA-9004-1"},
    }
    matches = {m.package_name: m for m in match_sbom(Sbom(distro=BOOKWORM, packages=packages), db)}
    webp = matches["libwebp7"]
    assert webp.known_exploited  # its upstream CVE-2023-4863 is in CISA's KEV
    assert webp.matched_by == "source-package" and webp.ecosystem == "Debian:12"
    assert webp.fixed_versions == ("1.2.4-0.2+deb12u1",)
    assert webp.package_version == "1.2.4-0.2+b1"
    assert matches["libc6"].fixed_versions == ("2.36-9+deb12u15",)  # not the Debian:11 fix
    assert not matches["libc6"].known_exploited


def test_tar_below_the_introducing_version_is_not_affected(db: VulnDb) -> None:
    assert dpkg_lt("1.34+dfsg-1.1", "1.34+dfsg-1.2")
    assert found(Sbom(distro=BOOKWORM, packages=(deb("tar", "1.34+dfsg-1.1"),)), db) == {}
    fixed = deb("tar", "1.34+dfsg-1.2+deb12u1")
    assert found(Sbom(distro=BOOKWORM, packages=(fixed,)), db) == {}


def test_bullseye_sees_only_its_release(db: VulnDb) -> None:
    packages = (deb("libc6", "2.31-13+deb11u5", "glibc"), deb("systemd", "247.3-7+deb11u1"))
    result = found(Sbom(distro=BULLSEYE, packages=packages), db)
    assert result == {"libc6": {"DSA-9001-1"}, "systemd": {"DLA-9003-1"}}
    (libc,) = [m for m in match_sbom(Sbom(distro=BULLSEYE, packages=packages[:1]), db)]
    assert libc.fixed_versions == ("2.31-13+deb11u99",) and libc.ecosystem == "Debian:11"


def test_distro_needed_for_distro_packages(db: VulnDb) -> None:
    notices: list[Notice] = []
    packages = (deb("libc6", "2.36-9+deb12u14", "glibc"),)
    assert match_sbom(Sbom(packages=packages), db, notices=notices) == []
    assert "need the distro" in notices[0].message
    assert notices[0].level is NoticeLevel.WARNING
    notices.clear()
    sid = Distro(id="debian", version_codename="trixie")  # testing: no VERSION_ID
    assert match_sbom(Sbom(distro=sid, packages=packages), db, notices=notices) == []
    assert "no OSV advisories are known" in notices[0].message


def test_ubuntu_lts_without_pro(db: VulnDb) -> None:
    pkg = Package(
        name="libssl3",
        version="3.0.2-0ubuntu1.9",
        type=PackageType.DEB,
        source_name="openssl",
        purl="pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.9",
        cataloger="test",
    )
    jammy = Distro(id="ubuntu", version_id="22.04")
    (match,) = match_sbom(Sbom(distro=jammy, packages=(pkg,)), db)
    assert match.advisory_ids == ("UBUNTU-CVE-2099-9101",)
    assert match.fixed_versions == ("3.0.2-0ubuntu1.10",)  # the Pro-only fix is not offered
    assert match.ecosystem == "Ubuntu:22.04:LTS"
    assert match.severity is Severity.MEDIUM  # the Ubuntu priority
    assert dpkg_lt("3.0.2-0ubuntu1.9", "3.0.2-0ubuntu1.10")
    patched = pkg.model_copy(update={"version": "3.0.2-0ubuntu1.10"})
    assert match_sbom(Sbom(distro=jammy, packages=(patched,)), db) == []


@pytest.mark.parametrize(
    ("version_id", "installed", "expected_fix"),
    [("3.20.3", "3.3.2-r0", "3.3.2-r1"), ("3.19.1", "3.1.7-r0", "3.1.7-r1")],
)
def test_alpine_by_origin_and_branch(
    db: VulnDb, version_id: str, installed: str, expected_fix: str
) -> None:
    pkg = Package(
        name="libcrypto3",
        version=installed,
        type=PackageType.APK,
        source_name="openssl",
        purl=f"pkg:apk/alpine/libcrypto3@{installed}",
        cataloger="test",
    )
    (match,) = match_sbom(
        Sbom(distro=Distro(id="alpine", version_id=version_id), packages=(pkg,)), db
    )
    assert match.fixed_versions == (expected_fix,)
    assert match.ecosystem == f"Alpine:v{version_id.rsplit('.', 1)[0]}"
    other = Distro(id="alpine", version_id="3.18.0")
    assert match_sbom(Sbom(distro=other, packages=(pkg,)), db) == []
