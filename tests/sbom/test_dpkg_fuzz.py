"""Bad dpkg databases never crash the cataloger: it warns and skips."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import NoticeLevel
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.dpkg import parse_paragraphs
from mamori.sources.directory import DirectoryTree

REAL = """Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12988
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 This package includes shared versions of the standard C library.

Package: bash
Essential: yes
Status: install ok installed
Architecture: amd64
Source: bash (5.2.15-2)
Version: 5.2.15-2+b2
Description: GNU Bourne Again SHell
"""

LINES = st.one_of(
    st.sampled_from(REAL.split("\n")),
    st.sampled_from(
        [
            "",
            " ",
            "Status: install ok",
            "Status: install ok config-files",
            "Status:",
            "Package:",
            "Package: with space",
            "Version: 1 2",
            "Source: (",
            "Source: x (",
            "Source: x (1) (2)",
            "no colon here",
            ":",
            "\x00\x00",
            "\r",
        ]
    ),
    st.text(max_size=40),
)


def run(status: bytes, extra: dict[str, bytes] | None = None) -> tuple[int, CatalogContext]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        admin = root / "var/lib/dpkg"
        (admin / "info").mkdir(parents=True)
        (admin / "status").write_bytes(status)
        for name, data in (extra or {}).items():
            (admin / "info" / name).write_bytes(data)
        ctx = CatalogContext(tree=DirectoryTree(root))
        packages = list(catalogers.get("dpkg")().catalog(ctx, ["/var/lib/dpkg/status"]))
        for package in packages:
            assert package.name and package.version
            assert not any(c.isspace() for c in package.name + package.version)
        assert all(n.level is NoticeLevel.WARNING for n in ctx.notices)
        return len(packages), ctx


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, max_size=60))
def test_random_status_lines_never_crash(lines: list[str]) -> None:
    run("\n".join(lines).encode("utf-8", errors="surrogatepass"))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(REAL)), st.binary(max_size=20))
def test_truncated_and_spliced_status_never_crashes(cut: int, junk: bytes) -> None:
    count, _ = run(REAL.encode()[:cut] + junk + REAL.encode()[cut:])
    assert count <= 3


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_random_file_lists_never_crash(data: bytes) -> None:
    count, _ = run(REAL.encode(), {"libc6:amd64.list": data, "bash.md5sums": data})
    assert count == 2


def test_malformed_paragraphs_are_warned_about() -> None:
    count, ctx = run(b"Package: a\nStatus: install ok installed\n\nStatus: bogus\nPackage: b\n")
    assert count == 0
    assert len(ctx.notices) == 2
    assert "line 1" in ctx.notices[0].message
    assert "malformed Status" in ctx.notices[1].message


def test_paragraph_parser_joins_continuation_lines() -> None:
    paragraphs = list(parse_paragraphs(REAL))
    assert [line for line, _ in paragraphs] == [1, 18]
    description = paragraphs[0][1]["description"]
    assert description.splitlines()[0] == "GNU C Library: Shared libraries"
    last = "This package includes shared versions of the standard C library."
    assert description.splitlines()[-1] == last


def test_unreadable_database_is_warned_about(tmp_path: Path) -> None:
    (tmp_path / "var/lib/dpkg/status").mkdir(parents=True)  # a directory, not a file
    ctx = CatalogContext(tree=DirectoryTree(tmp_path))
    assert list(catalogers.get("dpkg")().catalog(ctx, ["/var/lib/dpkg/status"])) == []
    assert len(ctx.notices) == 1
