"""BerkeleyDB rpmdbs written by the real libdb, read by us and by rpm's own bdb_ro backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from mamori.model import Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.rpm._io import RandomAccess
from mamori.sbom.catalogers.rpm.bdb import read_bdb
from mamori.sbom.osrelease import detect_distro
from mamori.sources.directory import DirectoryTree
from tests.sbom.rpm._rpmdb import FILES, QUERY, fake_root, mariner_blobs, rpm_query, write_bdb

PACKAGES = "/var/lib/rpm/Packages"
# (big-endian?, page size)
LAYOUTS = {
    "little-endian-4k": (False, 4096),
    "big-endian-4k": (True, 4096),
    "little-endian-512": (False, 512),  # long overflow chains
    "big-endian-64k": (True, 65536),  # most headers stored on the page itself
}


def catalog(root: Path) -> tuple[list[Package], CatalogContext]:
    tree = DirectoryTree(root)
    ctx = CatalogContext(tree=tree, distro=detect_distro(tree))
    return list(catalogers.get("rpm")().catalog(ctx, [PACKAGES])), ctx


@pytest.fixture(scope="module", params=sorted(LAYOUTS))
def bdb_root(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = fake_root(tmp_path_factory.mktemp("bdb"), PACKAGES)
    big_endian, page = LAYOUTS[request.param]
    write_bdb(root / PACKAGES.lstrip("/"), mariner_blobs(), big_endian=big_endian, page=page)
    return root


def test_packages_match_rpm_bdb_ro(bdb_root: Path) -> None:
    packages, ctx = catalog(bdb_root)
    expected = set()
    for name, epoch, version, release, arch, *_ in rpm_query(
        bdb_root / "var/lib/rpm", QUERY, backend="bdb_ro"
    ):
        evr = f"{version}-{release}"
        expected.add((name, evr if epoch == "(none)" else f"{epoch}:{evr}", arch))
    assert len(expected) == 129
    assert {(p.name, p.version, p.arch) for p in packages} == expected
    assert not ctx.notices


def test_file_ownership_matches_rpm_bdb_ro(bdb_root: Path) -> None:
    packages, ctx = catalog(bdb_root)
    expected: dict[tuple[str, str], set[str]] = {}
    for name, arch, path, perms in rpm_query(bdb_root / "var/lib/rpm", FILES, backend="bdb_ro"):
        files = expected.setdefault((name, arch), set())
        if not perms.startswith("d"):
            files.add(path)
    for package in packages:
        owned = set(ctx.owned_files.get(package.id, []))
        assert owned == expected.get((package.name, package.arch or ""), set()), package.name


def test_records_are_the_blobs_that_were_stored(bdb_root: Path) -> None:
    warnings: list[str] = []
    with (bdb_root / PACKAGES.lstrip("/")).open("rb") as fh:
        records = dict(read_bdb(RandomAccess(fh, 1 << 30), warnings.append))
    assert records == dict(mariner_blobs())
    assert not warnings


def test_not_a_hash_database_is_warned_about(tmp_path: Path) -> None:
    root = fake_root(tmp_path, PACKAGES)
    (root / PACKAGES.lstrip("/")).write_bytes(bytes(8192))
    packages, ctx = catalog(root)
    assert packages == []
    assert [n.message for n in ctx.notices] == [
        "cannot read bdb rpm database: not a Berkeley DB hash database"
    ]
