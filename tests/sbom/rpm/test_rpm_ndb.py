"""NDB rpmdbs (Packages.db). This machine's rpm is built without NDB, so no tool can write
or read one here: the databases are laid out by a writer that follows rpm's rpmpkg.c, and
what we read back is compared with the same headers read from the sqlite database that
rpm itself checks in test_rpm_sqlite."""

from __future__ import annotations

import struct
from pathlib import Path

from mamori.model import Package
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.rpm._io import RandomAccess
from mamori.sbom.catalogers.rpm.ndb import read_ndb
from mamori.sbom.osrelease import detect_distro
from mamori.sources.directory import DirectoryTree
from tests.sbom.rpm._rpmdb import fake_root, mariner_blobs, mariner_sqlite, write_ndb

NDB = "/usr/lib/sysimage/rpm/Packages.db"


def catalog(root: Path, path: str) -> tuple[list[Package], CatalogContext]:
    tree = DirectoryTree(root)
    ctx = CatalogContext(tree=tree, distro=detect_distro(tree))
    return list(catalogers.get("rpm")().catalog(ctx, [path])), ctx


def test_ndb_reads_the_same_packages_and_files_as_sqlite(tmp_path: Path) -> None:
    ndb_root = fake_root(tmp_path / "ndb", NDB)
    write_ndb(ndb_root / NDB.lstrip("/"), mariner_blobs())
    sqlite_root = fake_root(tmp_path / "sqlite", "/var/lib/rpm/rpmdb.sqlite", mariner_sqlite())
    from_ndb, ndb_ctx = catalog(ndb_root, NDB)
    from_sqlite, sqlite_ctx = catalog(sqlite_root, "/var/lib/rpm/rpmdb.sqlite")
    assert len(from_ndb) == 129
    assert not ndb_ctx.notices
    assert sorted(p.purl for p in from_ndb) == sorted(p.purl for p in from_sqlite)
    ndb_files = {p.purl: sorted(ndb_ctx.owned_files.get(p.id, [])) for p in from_ndb}
    sqlite_files = {p.purl: sorted(sqlite_ctx.owned_files.get(p.id, [])) for p in from_sqlite}
    assert ndb_files == sqlite_files


def test_records_come_back_by_package_index(tmp_path: Path) -> None:
    path = tmp_path / "Packages.db"
    blobs = mariner_blobs()
    write_ndb(path, blobs, seed=5)
    warnings: list[str] = []
    with path.open("rb") as fh:
        records = list(read_ndb(RandomAccess(fh, 1 << 30), warnings.append))
    assert records == sorted(blobs)
    assert not warnings


def test_damaged_blob_is_skipped_with_a_warning(tmp_path: Path) -> None:
    root = fake_root(tmp_path, NDB)
    path = root / NDB.lstrip("/")
    write_ndb(path, mariner_blobs())
    data = bytearray(path.read_bytes())
    # the first used slot: corrupt one byte inside its blob (the adler32 no longer matches)
    for offset in range(32, 8192, 16):
        _magic, pkgidx, blkoff, _count = struct.unpack_from("<4I", data, offset)
        if blkoff:
            data[blkoff * 16 + 40] ^= 0xFF
            break
    path.write_bytes(bytes(data))
    packages, ctx = catalog(root, NDB)
    assert len(packages) == 128
    assert [n.message for n in ctx.notices] == [f"package {pkgidx}: blob checksum mismatch"]


def test_not_an_ndb_file_is_warned_about(tmp_path: Path) -> None:
    root = fake_root(tmp_path, NDB)
    (root / NDB.lstrip("/")).write_bytes(b"RpmX" + bytes(8188))
    packages, ctx = catalog(root, NDB)
    assert packages == []
    message = "cannot read ndb rpm database: not an NDB Packages.db"
    assert [n.message for n in ctx.notices] == [message]
