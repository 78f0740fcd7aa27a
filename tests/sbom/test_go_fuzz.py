"""Fuzzing the Go binary path: truncated and mutated ELF files, mutated build info, random
module info text. Nothing may escape but a warning, and memory must stay bounded."""

from __future__ import annotations

import io
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.sbom.cataloger import CatalogContext
from mamori.sbom.catalogers._elf import ElfError, ElfFile
from mamori.sbom.catalogers.golang.binary import GoBinaryCataloger
from mamori.sbom.catalogers.golang.modinfo import parse_modinfo
from mamori.sources.directory import DirectoryTree
from tests.sbom.test_go_formats import OLD_MODINFO, build_go_elf

SEEDS = [
    build_go_elf("go1.16.15", OLD_MODINFO),
    build_go_elf("go1.16.15", OLD_MODINFO, is64=False, big=True),
    build_go_elf("go1.22.1", OLD_MODINFO, inline=True),
]
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _catalog(data: bytes) -> CatalogContext:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "bin").write_bytes(data)
        ctx = CatalogContext(tree=DirectoryTree(Path(d)))
        for pkg in GoBinaryCataloger().catalog(ctx, ["/bin"]):
            assert pkg.purl.startswith("pkg:golang/")
        return ctx


@FUZZ
@given(seed=st.sampled_from(SEEDS), cut=st.integers(min_value=0, max_value=5000))
def test_truncated_elf(seed: bytes, cut: int) -> None:
    _catalog(seed[: min(cut, len(seed))])


@FUZZ
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=8000), st.integers(0, 255)), max_size=12
    ),
)
def test_mutated_headers_and_buildinfo(seed: bytes, edits: list[tuple[int, int]]) -> None:
    """Byte edits land in the ELF header, segment/section tables and the build-info blob."""
    data = bytearray(seed)
    for at, value in edits:
        if at < len(data):
            data[at] = value
    _catalog(bytes(data))


@FUZZ
@given(blob=st.binary(max_size=2000))
def test_random_bytes_after_elf_magic(blob: bytes) -> None:
    ctx = _catalog(b"\x7fELF\x02\x01\x01" + blob)
    assert all(n.source == "sbom.go-binary" for n in ctx.notices)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list('pathmodep=>buil\t\n"\\x0aZ ')), max_size=400))
def test_random_modinfo_text(text: str) -> None:
    info = parse_modinfo("go1.22.0", text)
    assert all(d.path for d in info.deps)


def test_huge_claimed_sizes_are_refused_without_allocating() -> None:
    """Section sizes and string lengths near 2**63 must not be allocated or read."""
    seed = bytearray(SEEDS[2])
    elf = ElfFile(io.BytesIO(bytes(seed)))
    sec = elf.section(".go.buildinfo")
    assert sec is not None
    # A varint length of 2**62 right after the 32-byte header.
    seed[sec.offset + 32 : sec.offset + 41] = b"\x80" * 8 + b"\x40"
    tracemalloc.start()
    ctx = _catalog(bytes(seed))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 32 * 1024 * 1024
    assert any("too long" in n.message for n in ctx.notices)
    # A section table claiming 2**40 bytes of headers.
    bad = bytearray(SEEDS[0])
    bad[0x3C:0x3E] = (0xFFFF).to_bytes(2, "little")
    with pytest.raises(ElfError, match="outside the file"):
        ElfFile(io.BytesIO(bytes(bad)))
