"""Alias merging, KEV, severities and the package -> OSV ecosystem mapping."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mamori.model import Distro, Notice, NoticeLevel, Package, PackageType, Sbom, Severity
from mamori.vuln.db import VulnDb, import_kev, import_osv
from mamori.vuln.match import go_semver, match_sbom

CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
MEDIUM = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:N"


def adv(
    ident: str, eco: str, name: str, fixed: str, introduced: str = "0", **extra: Any
) -> dict[str, Any]:
    events = [{"introduced": introduced}, {"fixed": fixed}]
    return {
        "id": ident,
        "modified": "2024-01-01T00:00:00Z",
        "affected": [
            {
                "package": {"ecosystem": eco, "name": name},
                "ranges": [{"type": "SEMVER" if eco == "Go" else "ECOSYSTEM", "events": events}],
            }
        ],
        **extra,
    }


RECORDS = [
    # One vulnerability told three times, linked through a chain of aliases.
    adv(
        "PYSEC-2099-1",
        "PyPI",
        "Demo.Pkg",
        "1.10",
        aliases=["CVE-2099-1000"],
        severity=[{"type": "CVSS_V3", "score": MEDIUM}],
    ),
    adv(
        "GHSA-aaaa-aaaa-aaaa",
        "PyPI",
        "demo-pkg",
        "1.9",
        aliases=["CVE-2099-1000", "PYSEC-2099-1"],
        severity=[{"type": "CVSS_V3", "score": CRITICAL}],
    ),
    adv("OSV-2099-7", "PyPI", "demo_pkg", "1.9.5", aliases=["GHSA-aaaa-aaaa-aaaa"]),
    # Unrelated vulnerability of the same package, known by a GHSA id only.
    adv("GHSA-bbbb-bbbb-bbbb", "PyPI", "demo-pkg", "3.0", database_specific={"severity": "LOW"}),
    # Withdrawn: never matches.
    adv("GHSA-cccc-cccc-cccc", "PyPI", "demo-pkg", "9.0", withdrawn="2024-02-01T00:00:00Z"),
    # The same CVE for another package stays a separate match.
    adv("PYSEC-2099-2", "PyPI", "other", "2.0", aliases=["CVE-2099-1000"]),
    # Log4Shell is in CISA's KEV.
    adv(
        "GHSA-jfh8-c2jp-5v3q",
        "Maven",
        "org.apache.logging.log4j:log4j-core",
        "2.15.0",
        introduced="2.0-beta9",
        aliases=["CVE-2021-44228"],
    ),
    adv(
        "GO-2099-0001",
        "Go",
        "stdlib",
        "1.22.0",
        introduced="1.22.0-rc.1",
        aliases=["CVE-2099-2000"],
    ),
    adv("GO-2099-0002", "Go", "github.com/Some/Module", "1.2.0"),
    # An AlmaLinux advisory names the CVEs it fixes in `related`.
    adv(
        "ALSA-2099:0001",
        "AlmaLinux:9",
        "openssl-libs",
        "1:3.0.7-28.el9_4",
        related=["CVE-2021-44228"],
        summary="Important: openssl security update",
    ),
    adv("ALSA-2099:0002", "AlmaLinux:9", "openssl", "1:3.0.7-29.el9_4"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VulnDb]:
    root = tmp_path_factory.mktemp("merge")
    for record in RECORDS:
        (root / f"{record['id'].replace(':', '_')}.json").write_text(json.dumps(record))
    kev = root / "kev" / "kev.json"
    kev.parent.mkdir()
    kev.write_text(json.dumps({"vulnerabilities": [{"cveID": "CVE-2021-44228"}]}))
    with VulnDb.open(root / "db.sqlite") as writable:
        assert import_osv(root, writable).added == len(RECORDS)
        import_kev(kev, writable)
    with VulnDb.open(root / "db.sqlite", readonly=True) as readonly:
        yield readonly


def pkg(type_: PackageType, name: str, version: str, purl: str | None = None, **kw: Any) -> Package:
    return Package(
        name=name,
        version=version,
        type=type_,
        purl=purl or f"pkg:{type_}/{name}@{version}",
        cataloger="test",
        **kw,
    )


def test_aliases_merge_into_one_vulnerability(db: VulnDb) -> None:
    matches = match_sbom(Sbom(packages=(pkg(PackageType.PYPI, "Demo_Pkg", "1.5"),)), db)
    by_id = {m.vulnerability_id: m for m in matches}
    assert set(by_id) == {"CVE-2099-1000", "GHSA-bbbb-bbbb-bbbb"}
    merged = by_id["CVE-2099-1000"]
    assert merged.advisory_ids == ("GHSA-aaaa-aaaa-aaaa", "OSV-2099-7", "PYSEC-2099-1")
    assert set(merged.aliases) == {"GHSA-aaaa-aaaa-aaaa", "OSV-2099-7", "PYSEC-2099-1"}
    assert merged.severity is Severity.CRITICAL  # the highest of the merged records
    assert {c.base_score for c in merged.cvss} == {9.8, 4.6}
    assert merged.fixed_versions == ("1.9", "1.9.5", "1.10")  # PEP 440 order, not text order
    assert not merged.known_exploited
    assert by_id["GHSA-bbbb-bbbb-bbbb"].severity is Severity.LOW
    assert by_id["GHSA-bbbb-bbbb-bbbb"].aliases == ()


def test_partial_fix_and_withdrawn(db: VulnDb) -> None:
    matches = match_sbom(Sbom(packages=(pkg(PackageType.PYPI, "demo-pkg", "1.9.7"),)), db)
    by_id = {m.vulnerability_id: m for m in matches}
    # 1.9.7 is past GHSA-aaaa's and OSV-2099-7's fixes, still below PYSEC-2099-1's.
    assert by_id["CVE-2099-1000"].advisory_ids == ("PYSEC-2099-1",)
    assert by_id["CVE-2099-1000"].fixed_versions == ("1.10",)
    assert "GHSA-cccc-cccc-cccc" not in {a for m in matches for a in m.advisory_ids}
    assert match_sbom(Sbom(packages=(pkg(PackageType.PYPI, "demo-pkg", "3.0"),)), db) == []


def test_same_cve_other_package_is_a_separate_match(db: VulnDb) -> None:
    packages = (pkg(PackageType.PYPI, "demo-pkg", "1.0"), pkg(PackageType.PYPI, "other", "1.0"))
    matches = [
        m for m in match_sbom(Sbom(packages=packages), db) if m.vulnerability_id == "CVE-2099-1000"
    ]
    assert sorted(m.package_name for m in matches) == ["demo-pkg", "other"]


def test_kev_and_maven_names_from_purl(db: VulnDb) -> None:
    log4j = pkg(
        PackageType.MAVEN,
        "log4j-core",
        "2.14.1",
        purl="pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
    )
    (match,) = match_sbom(Sbom(packages=(log4j,)), db)
    assert match.vulnerability_id == "CVE-2021-44228" and match.known_exploited
    assert match.fixed_versions == ("2.15.0",)
    by_group = pkg(
        PackageType.MAVEN,
        "log4j-core",
        "2.14.1",
        purl="pkg:generic/x",
        metadata={"group_id": "org.apache.logging.log4j"},
    )
    assert len(match_sbom(Sbom(packages=(by_group,)), db)) == 1
    assert match_sbom(Sbom(packages=(log4j.model_copy(update={"version": "2.15.0"}),)), db) == []


def test_go_versions(db: VulnDb) -> None:
    assert go_semver("go1.22rc1") == "1.22.0-rc.1"
    assert go_semver("go1.21") == "1.21.0"
    assert go_semver("go1.22.3 X:boringcrypto") == "1.22.3"
    assert go_semver("v1.2.3+incompatible") == "1.2.3+incompatible"
    rc2 = pkg(PackageType.GOLANG, "stdlib", "go1.22rc2")
    (match,) = match_sbom(Sbom(packages=(rc2,)), db)
    assert match.advisory_ids == ("GO-2099-0001",) and match.package_version == "go1.22rc2"
    assert match_sbom(Sbom(packages=(pkg(PackageType.GOLANG, "stdlib", "go1.21.9"),)), db) == []
    module = pkg(PackageType.GOLANG, "github.com/Some/Module", "v1.1.0")
    assert len(match_sbom(Sbom(packages=(module,)), db)) == 1
    lower = pkg(PackageType.GOLANG, "github.com/some/module", "v1.1.0")  # Go paths: case matters
    assert match_sbom(Sbom(packages=(lower,)), db) == []


def test_rpm_epochs_sources_and_related_kev(db: VulnDb) -> None:
    alma = Distro(id="almalinux", version_id="9.4")
    libs = pkg(
        PackageType.RPM,
        "openssl-libs",
        "3.0.7-27.el9",
        metadata={"epoch": "1"},
        source_name="openssl-3.0.7-27.el9.src.rpm",
    )
    matches = {m.vulnerability_id: m for m in match_sbom(Sbom(distro=alma, packages=(libs,)), db)}
    assert set(matches) == {"ALSA-2099:0001", "ALSA-2099:0002"}
    assert matches["ALSA-2099:0001"].matched_by == "package-name"
    assert matches["ALSA-2099:0001"].known_exploited  # via its related CVE
    assert matches["ALSA-2099:0001"].severity is Severity.HIGH  # "Important:" summary
    assert matches["ALSA-2099:0002"].matched_by == "source-package"
    # Without the epoch, 3.0.7-27 would wrongly sort below epoch 1 fixes: epoch 2 > all.
    newer = libs.model_copy(update={"metadata": {"epoch": "2"}})
    assert match_sbom(Sbom(distro=alma, packages=(newer,)), db) == []


def test_unmappable_packages_become_notices(db: VulnDb) -> None:
    notices: list[Notice] = []
    packages = (
        pkg(PackageType.GENERIC, "thing", "1.0"),
        pkg(PackageType.GOLANG, "github.com/me/main", "(devel)"),
        pkg(PackageType.GOLANG, "github.com/me/other", "(devel)"),
    )
    assert match_sbom(Sbom(packages=packages), db, notices=notices) == []
    messages = sorted(n.message for n in notices)
    assert len(messages) == 2 and messages[1].endswith("(2 packages)")
    assert {n.level for n in notices} == {NoticeLevel.INFO}
