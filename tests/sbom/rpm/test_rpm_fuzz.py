"""Mutated real rpm data never crashes the parser or the cataloger: it warns and skips."""

from __future__ import annotations

import sqlite3
import struct
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.rpm.cataloger import package_from_header
from mamori.sbom.catalogers.rpm.header import HeaderError, parse_header
from mamori.sources.directory import DirectoryTree
from tests.sbom.rpm._rpmdb import fake_root, mariner_blobs, write_bdb, write_ndb

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))


@cache
def small_blobs() -> list[tuple[int, bytes]]:
    """The five smallest real headers (with files, epochs, i18n strings)."""
    return sorted(mariner_blobs(), key=lambda r: len(r[1]))[:5]


@cache
def database(kind: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "db"
        if kind == "bdb":
            write_bdb(path, small_blobs(), page=512)
        else:
            write_ndb(path, small_blobs())
        return path.read_bytes()


def mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    out = bytearray(data)
    for position, value in edits:
        out[position % len(out)] = value
    return bytes(out[:cut] if cut is not None else out)


EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8)
CUTS = st.none() | st.integers(0, 1 << 16)


def index_edits(blob: bytes) -> st.SearchStrategy[list[tuple[int, int]]]:
    """Edits aimed at the index: offsets, counts and types are where parsers go wrong."""
    il = struct.unpack_from(">I", blob)[0]
    return st.lists(st.tuples(st.integers(0, 8 + 16 * il), st.integers(0, 255)), max_size=6)


def run_cataloger(root: Path, path: str) -> tuple[int, int]:
    ctx = CatalogContext(tree=DirectoryTree(root))
    packages = list(catalogers.get("rpm")().catalog(ctx, [path]))
    for package in packages:
        assert package.name and package.version
        assert all(p.startswith("/") for p in ctx.owned_files.get(package.id, []))
    return len(packages), len(ctx.notices)


@FUZZ
@given(st.data(), st.integers(0, 4), CUTS)
def test_mutated_headers_parse_or_raise_header_error(
    data: st.DataObject, which: int, cut: int | None
) -> None:
    blob = small_blobs()[which][1]
    edits = data.draw(index_edits(blob) | EDITS)
    try:
        header = parse_header(mutate(blob, edits, cut))
        package_from_header(header, None, "/var/lib/rpm/rpmdb.sqlite", "rpm")
        header.files()
    except HeaderError:
        pass


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), st.integers(0, 4))
def test_mutated_header_in_sqlite_is_a_package_or_a_warning(
    data: st.DataObject, which: int
) -> None:
    blob = small_blobs()[which][1]
    edits = data.draw(index_edits(blob) | EDITS)
    cut = data.draw(CUTS)
    with tempfile.TemporaryDirectory() as tmp:
        root = fake_root(Path(tmp), "/var/lib/rpm/rpmdb.sqlite")
        with sqlite3.connect(root / "var/lib/rpm/rpmdb.sqlite") as conn:
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
            conn.execute("INSERT INTO Packages VALUES (1, ?)", (mutate(blob, edits, cut),))
        conn.close()
        packages, warnings = run_cataloger(root, "/var/lib/rpm/rpmdb.sqlite")
    assert packages + warnings >= 1


@FUZZ
@given(st.sampled_from(["bdb", "ndb"]), EDITS, CUTS)
def test_mutated_database_files_never_crash(
    kind: str, edits: list[tuple[int, int]], cut: int | None
) -> None:
    path = "/var/lib/rpm/Packages" if kind == "bdb" else "/var/lib/rpm/Packages.db"
    with tempfile.TemporaryDirectory() as tmp:
        root = fake_root(Path(tmp), path)
        (root / path.lstrip("/")).write_bytes(mutate(database(kind), edits, cut))
        packages, _warnings = run_cataloger(root, path)
    # A flipped "next page" pointer or a zeroed slot hides records from rpm too, so a loss
    # is not always noticed; damage that is noticed is reported (test_rpm_bdb/ndb).
    assert packages <= 5


def test_unmutated_databases_give_every_package() -> None:
    for kind, path in (("bdb", "/var/lib/rpm/Packages"), ("ndb", "/var/lib/rpm/Packages.db")):
        with tempfile.TemporaryDirectory() as tmp:
            root = fake_root(Path(tmp), path)
            (root / path.lstrip("/")).write_bytes(database(kind))
            assert run_cataloger(root, path) == (5, 0)
