"""Hostile Java archives: zip bombs, nesting bombs, huge directories, garbage. Each is a
warning, never an exception, and memory stays bounded."""

from __future__ import annotations

import io
import struct
import tempfile
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import Notice
from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers.java import archive as archive_module
from mamori.sbom.catalogers.java._zip import Budget
from mamori.sbom.catalogers.java.archive import JavaArchiveCataloger
from mamori.sources.directory import DirectoryTree

MiB = 1024 * 1024


def _pom(artifact: str, version: str = "1.0") -> tuple[str, bytes]:
    path = f"META-INF/maven/org.example/{artifact}/pom.properties"
    return path, f"groupId=org.example\nartifactId={artifact}\nversion={version}\n".encode()


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _catalog(root: Path, *names: str) -> tuple[list[str], list[Notice]]:
    ctx = CatalogContext(tree=DirectoryTree(root))
    purls = [p.purl for p in JavaArchiveCataloger().catalog(ctx, [f"/{n}" for n in names])]
    return purls, ctx.notices


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bombs")
    # 100 MiB of zeros as a nested jar: past the nested-size limit.
    with zipfile.ZipFile(root / "huge.war", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(*_pom("huge-outer"))
        zeros = zipfile.ZipInfo("WEB-INF/lib/zeros.jar")
        zeros.compress_type = zipfile.ZIP_DEFLATED
        _zeros_member_info(zf, zeros, 100 * MiB)
    # 20 MiB of zeros: under the size limit, far past the compression-ratio limit.
    with zipfile.ZipFile(root / "ratio.ear", "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo("lib/ratio.jar")
        info.compress_type = zipfile.ZIP_DEFLATED
        _zeros_member_info(zf, info, 20 * MiB)
        zf.writestr("lib/ok-2.0.jar", _zip(dict([_pom("ok", "2.0")])))
    # A 5 MiB manifest: skipped, the pom.properties still read.
    (root / "manifest.jar").write_bytes(
        _zip({"META-INF/MANIFEST.MF": b"A: " + b"x" * (5 * MiB), **dict([_pom("withpom")])})
    )
    # Jars nested eight deep, each naming itself.
    inner = _zip(dict([_pom("level8")]))
    for level in range(7, -1, -1):
        inner = _zip({**dict([_pom(f"level{level}")]), f"lib/level{level + 1}.jar": inner})
    (root / "deep.jar").write_bytes(inner)
    # 2100 nested jars: past the nested-archive count limit.
    (root / "many.war").write_bytes(
        _zip({f"WEB-INF/lib/l{i}.jar": _zip(dict([_pom(f"l{i}")])) for i in range(2100)})
    )
    # 120,000 entries: refused from the end-of-central-directory record alone.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for i in range(120_000):
            zf.writestr(f"c{i}", b"")
    (root / "wide.jar").write_bytes(buf.getvalue())
    # A forged zip64 end record claiming 10**9 entries.
    (root / "forged.jar").write_bytes(_forged_zip64(10**9))
    # A bzip2 member (never used by jar tools, and not bounded per read by zipfile).
    (root / "bzip.jar").write_bytes(_zip(dict([_pom("bz")]), zipfile.ZIP_BZIP2))
    (root / "garbage.jar").write_bytes(b"PK\x03\x04" + b"\xff" * 5000)
    (root / "empty.jar").write_bytes(b"")
    return root


def _zeros_member_info(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> None:
    with zf.open(info, "w", force_zip64=True) as out:
        chunk = bytes(MiB)
        for _ in range(size // MiB):
            out.write(chunk)


def _forged_zip64(entries: int) -> bytes:
    body = _zip({"a": b"1"})
    eocd_at = body.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", body, eocd_at + 12)
    rec64 = b"PK\x06\x06" + struct.pack(
        "<QHHIIQQQQ", 44, 45, 45, 0, 0, entries, entries, cd_size, cd_offset
    )
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, eocd_at, 1)
    eocd = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xFFFF, 0xFFFF, cd_size, cd_offset, 0)
    return body[:eocd_at] + rec64 + locator + eocd


def _messages(notices: list[Notice]) -> str:
    return "\n".join(f"{n.path}: {n.message}" for n in notices)


def test_bombs_are_warnings_with_bounded_memory(bombs: Path) -> None:
    names = [p.name for p in sorted(bombs.iterdir())]
    tracemalloc.start()
    purls, notices = _catalog(bombs, *names)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 96 * MiB, peak
    text = _messages(notices)
    assert "/huge.war:WEB-INF/lib/zeros.jar: nested archive skipped" in text
    assert "compression ratio above" in text
    assert "pkg:maven/org.example/huge-outer@1.0" in purls
    assert "pkg:maven/org.example/ok@2.0" in purls
    assert "pkg:maven/org.example/withpom@1.0" in purls  # despite the skipped manifest
    assert "nested deeper than 3 levels" in text
    assert {f"pkg:maven/org.example/level{i}@1.0" for i in range(4)} <= set(purls)
    assert "pkg:maven/org.example/level4@1.0" not in purls
    assert "more than 2000 nested archives" in text
    assert sum("pkg:maven/org.example/l" in p and "level" not in p for p in purls) == 2000
    assert "/wide.jar: unreadable archive: 120000 entries" in text
    assert "/forged.jar: unreadable archive: 1000000000 entries" in text
    assert "compression method 12" in text
    assert "/garbage.jar: unreadable archive" in text
    assert "/empty.jar: unreadable archive" in text


def test_read_budget_is_shared_by_nested_archives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    blobs = {
        f"lib/r{i}.jar": _zip({"pad": os.urandom(MiB), **dict([_pom(f"r{i}")])}) for i in range(5)
    }
    (tmp_path / "app.ear").write_bytes(_zip(blobs, zipfile.ZIP_STORED))
    monkeypatch.setattr(archive_module, "Budget", lambda: Budget(bytes_left=int(2.5 * MiB)))
    purls, notices = _catalog(tmp_path, "app.ear")
    assert len(purls) == 2
    assert "read budget" in _messages(notices)


# -- fuzzing ---------------------------------------------------------------------------------
def _seeds() -> Iterator[bytes]:
    inner = _zip({**dict([_pom("inner")]), "META-INF/MANIFEST.MF": b"Implementation-Version: 1\n"})
    yield _zip({**dict([_pom("outer")]), "WEB-INF/lib/inner-1.0.jar": inner})
    yield _zip({"WEB-INF/lib/inner.jar": inner}, zipfile.ZIP_STORED)


SEEDS = list(_seeds())
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 255)), max_size=10),
    cut=st.integers(0, 2000),
)
def test_fuzz_mutated_archives(seed: bytes, edits: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(seed)
    for at, value in edits:
        if at < len(data):
            data[at] = value
    if cut % 3 == 0:
        data = data[: len(data) - cut]
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "x.war").write_bytes(bytes(data))
        purls, _ = _catalog(Path(d), "x.war")
        assert all(p.startswith("pkg:maven/") for p in purls)


@FUZZ
@given(
    members=st.dictionaries(
        st.text(min_size=1, max_size=40).map(lambda s: s.replace("\0", "")).filter(bool),
        st.binary(max_size=200),
        max_size=6,
    ),
    props=st.text(max_size=300),
    manifest=st.text(max_size=300),
)
def test_fuzz_member_names_and_metadata(
    members: dict[str, bytes], props: str, manifest: str
) -> None:
    content = {
        **members,
        "META-INF/maven/g/a/pom.properties": props.encode("utf-8", "replace"),
        "META-INF/MANIFEST.MF": manifest.encode("utf-8", "replace"),
        "lib/nested.jar": _zip(
            {"META-INF/maven/g/b/pom.properties": props.encode("utf-8", "replace")}
        ),
    }
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "f-1.0.jar").write_bytes(_zip(content))
        purls, _ = _catalog(Path(d), "f-1.0.jar")
        assert all(p.startswith("pkg:maven/") for p in purls)
