"""The rpm cataloger on a real sqlite rpmdb (CBL-Mariner 2.0) against rpm itself."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from packageurl import PackageURL

from mamori.model import Package
from mamori.sbom.build import build_sbom
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.rpm.cataloger import choose_database, split_source_rpm
from mamori.sbom.osrelease import detect_distro
from mamori.sources.directory import DirectoryTree
from tests.sbom.rpm._rpmdb import FILES, QUERY, fake_root, mariner_sqlite, rpm_query

SQLITE = "/var/lib/rpm/rpmdb.sqlite"


def catalog(root: Path, path: str = SQLITE) -> tuple[list[Package], CatalogContext]:
    tree = DirectoryTree(root)
    ctx = CatalogContext(tree=tree, distro=detect_distro(tree))
    return list(catalogers.get("rpm")().catalog(ctx, [path])), ctx


def tsv_row(p: Package) -> tuple[str, ...]:
    """A package as rpm prints NAME, EPOCHNUM:VERSION-RELEASE, ARCH, SOURCERPM."""
    evr = p.version if ":" in p.version else f"0:{p.version}"
    return (p.name, evr, p.arch or "", p.metadata.get("source_rpm", "(none)"))


@pytest.fixture
def mariner(tmp_path: Path) -> Path:
    return fake_root(tmp_path, SQLITE, mariner_sqlite())


def test_packages_match_the_recorded_rpm_qa(mariner: Path) -> None:
    packages, ctx = catalog(mariner)
    recorded = (mariner_sqlite().parent / "rpm-qa.tsv").read_text().splitlines()
    assert sorted(tsv_row(p) for p in packages) == sorted(tuple(r.split("\t")) for r in recorded)
    assert len(packages) == 129
    assert not ctx.notices


def test_packages_match_live_rpm(mariner: Path) -> None:
    packages, _ = catalog(mariner)
    expected = set()
    for name, epoch, version, release, arch, srpm, license_, vendor, label in rpm_query(
        mariner / "var/lib/rpm", QUERY
    ):
        full = f"{version}-{release}" if epoch == "(none)" else f"{epoch}:{version}-{release}"
        source = split_source_rpm(srpm)
        assert source is not None
        source_version = source[1] if epoch == "(none)" else f"{epoch}:{source[1]}"
        expected.add((name, full, arch, source[0], source_version, license_, vendor, label, srpm))
    mine = {
        (
            p.name,
            p.version,
            p.arch,
            p.source_name,
            p.source_version,
            p.licenses[0] if p.licenses else "(none)",
            p.metadata.get("vendor", "(none)"),
            p.metadata.get("modularity_label", "(none)"),
            p.metadata["source_rpm"],
        )
        for p in packages
    }
    assert mine == expected
    assert len(expected) == 129


def test_file_ownership_matches_rpm_file_lists(mariner: Path) -> None:
    packages, ctx = catalog(mariner)
    expected: dict[tuple[str, str], set[str]] = {}
    for name, arch, path, perms in rpm_query(mariner / "var/lib/rpm", FILES):
        files = expected.setdefault((name, arch), set())
        if not perms.startswith("d"):
            files.add(path)
    total = 0
    for package in packages:
        owned = ctx.owned_files.get(package.id, [])
        assert len(owned) == len(set(owned))
        assert set(owned) == expected.get((package.name, package.arch or ""), set()), package.name
        total += len(owned)
    assert total > 5000


def test_purl_epoch_and_distro(mariner: Path) -> None:
    packages, _ = catalog(mariner)
    by_name = {p.name: p for p in packages}
    ca = PackageURL.from_string(by_name["ca-certificates-base"].purl)
    assert (ca.type, ca.namespace, ca.name) == ("rpm", "mariner", "ca-certificates-base")
    assert ca.version == "2.0.0-1.cm2"
    assert ca.qualifiers == {
        "arch": "noarch",
        "epoch": "1",
        "distro": "mariner-2.0",
        "upstream": "ca-certificates-2.0.0-1.cm2.src.rpm",
    }
    assert by_name["ca-certificates-base"].version == "1:2.0.0-1.cm2"
    assert by_name["ca-certificates-base"].source_version == "1:2.0.0-1.cm2"
    assert "epoch" not in PackageURL.from_string(by_name["bash"].purl).qualifiers


def test_scan_writes_nothing_beside_the_database(mariner: Path) -> None:
    db_dir = mariner / "var/lib/rpm"
    before = {p.name: p.stat().st_mtime_ns for p in db_dir.iterdir()}
    os.chmod(db_dir, 0o555)  # a read-only target directory must be fine too
    try:
        packages, _ = catalog(mariner)
    finally:
        os.chmod(db_dir, 0o755)
    assert len(packages) == 129
    assert {p.name: p.stat().st_mtime_ns for p in db_dir.iterdir()} == before


def test_uncheckpointed_write_ahead_log_is_read(tmp_path: Path) -> None:
    """A live host's rpmdb can have committed changes still in rpmdb.sqlite-wal."""
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(mariner_sqlite(), work / "rpmdb.sqlite")
    conn = sqlite3.connect(work / "rpmdb.sqlite")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("DELETE FROM Packages WHERE hnum IN (SELECT hnum FROM Packages LIMIT 3)")
    conn.commit()
    root = fake_root(tmp_path, SQLITE, work / "rpmdb.sqlite")
    shutil.copy(work / "rpmdb.sqlite-wal", root / "var/lib/rpm/rpmdb.sqlite-wal")
    conn.close()
    assert (root / "var/lib/rpm/rpmdb.sqlite-wal").stat().st_size > 0
    packages, _ = catalog(root)
    oracle = rpm_query(root / "var/lib/rpm", "%{NAME}\n")
    assert len(oracle) == 126
    assert sorted(p.name for p in packages) == sorted(row[0] for row in oracle)


def test_tree_without_host_paths_reads_a_private_copy(mariner: Path) -> None:
    class NoHostPaths(DirectoryTree):
        def host_path(self, path: str) -> Path | None:
            return None

    tree = NoHostPaths(mariner)
    ctx = CatalogContext(tree=tree, distro=detect_distro(tree))
    packages = list(catalogers.get("rpm")().catalog(ctx, [SQLITE]))
    assert len(packages) == 129


def test_sysimage_location_and_build_sbom(tmp_path: Path) -> None:
    root = fake_root(tmp_path, "/usr/lib/sysimage/rpm/rpmdb.sqlite", mariner_sqlite())
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/bash").write_bytes(b"\x7fELF")
    (root / "bin").symlink_to("usr/bin")  # merged /usr: rpm lists /bin/bash
    sbom, notices = build_sbom(DirectoryTree(root), only=["rpm"])
    assert len(sbom.packages) == 129
    assert sbom.distro is not None and sbom.distro.id == "mariner"
    assert not notices
    owners = sbom.file_owners["/usr/bin/bash"]
    assert [p.name for p in sbom.packages if p.id in owners] == ["bash"]
    assert "/bin/bash" not in sbom.file_owners
    assert "/usr/bin/bashbug" in sbom.file_owners  # absent from the tree, owned all the same


def test_database_choice_prefers_newest_backend() -> None:
    assert choose_database(["/var/lib/rpm/Packages", "/var/lib/rpm/rpmdb.sqlite"]) == (
        "/var/lib/rpm/rpmdb.sqlite",
        "sqlite",
    )
    assert choose_database(["/var/lib/rpm/Packages", "/usr/lib/sysimage/rpm/Packages.db"]) == (
        "/usr/lib/sysimage/rpm/Packages.db",
        "ndb",
    )
    assert choose_database([]) is None


def test_source_rpm_names() -> None:
    assert split_source_rpm("bash-5.1.8-1.cm2.src.rpm") == ("bash", "5.1.8-1.cm2")
    assert split_source_rpm("python3-pip-21.2.3-6.el9.nosrc.rpm") == ("python3-pip", "21.2.3-6.el9")
    assert split_source_rpm("nodash.src.rpm") is None
    assert split_source_rpm("bash-5.1.8-1.cm2.x86_64.rpm") is None


def test_damaged_database_is_warned_about(tmp_path: Path) -> None:
    root = fake_root(tmp_path, SQLITE)
    (root / SQLITE.lstrip("/")).write_bytes(b"SQLite format 3\0" + b"\xff" * 4000)
    packages, ctx = catalog(root)
    assert packages == []
    assert len(ctx.notices) == 1
    assert "sqlite" in ctx.notices[0].message
