"""Bad apk databases never crash the cataloger: it warns and skips."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.model import NoticeLevel
from mamori.sbom.cataloger import CatalogContext, catalogers
from mamori.sbom.catalogers.apk import parse_installed
from mamori.sources.directory import DirectoryTree

REAL = """C:Q1qKcZ+j23xssAXmgQhkOO8dHnbWw=
P:musl
V:1.2.5-r0
A:x86_64
S:411323
I:662528
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1712227553
c:6cc1fe1a1a7b3a4a5a8e28ac5f4e4c1e6a26d4cf
p:so:libc.musl-x86_64.so.1=1
R:not-in-a-dir
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1e0eyBgIdQ3kUh+eRTBBg6Q0PKZY=
R:libc.musl-x86_64.so.1
F:usr/lib

C:Q1r2Ynbq3KZ1Q0Q3q4g6m8k=
P:busybox-binsh
V:1.36.1-r29
A:x86_64
L:GPL-2.0-only
o:busybox
F:bin
R:sh
"""

LINES = st.one_of(
    st.sampled_from(REAL.split("\n")),
    st.sampled_from(["", "P:", "V:", "P:a b", "V:1\t2", "R:", "F:", "F:/", "R:../../x", "x", ":"]),
    st.text(max_size=30),
)


def run(data: bytes) -> tuple[int, CatalogContext]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "lib/apk/db").mkdir(parents=True)
        (root / "lib/apk/db/installed").write_bytes(data)
        ctx = CatalogContext(tree=DirectoryTree(root))
        packages = list(catalogers.get("apk")().catalog(ctx, ["/lib/apk/db/installed"]))
        for package in packages:
            assert package.name and package.version
            assert not any(c.isspace() for c in package.name + package.version)
            assert all(p.startswith("/") for p in ctx.owned_files.get(package.id, []))
        assert all(n.level is NoticeLevel.WARNING for n in ctx.notices)
        return len(packages), ctx


@settings(max_examples=150, deadline=None)
@given(st.lists(LINES, max_size=60))
def test_random_database_lines_never_crash(lines: list[str]) -> None:
    run("\n".join(lines).encode("utf-8", errors="surrogatepass"))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(REAL)), st.binary(max_size=20))
def test_truncated_and_spliced_database_never_crashes(cut: int, junk: bytes) -> None:
    count, _ = run(REAL.encode()[:cut] + junk + REAL.encode()[cut:])
    assert count <= 3


def test_blocks_without_name_or_version_are_warned_about() -> None:
    count, ctx = run(b"P:a\nA:x86_64\n\nV:1.0-r0\n\nP:ok\nV:1-r0\n")
    assert count == 1
    assert [n.message.split(":")[0] for n in ctx.notices] == ["line 1", "line 4"]


def test_files_belong_to_the_directory_before_them() -> None:
    entries = list(parse_installed(REAL))
    assert entries[0].files == [
        "/not-in-a-dir",
        "/lib/ld-musl-x86_64.so.1",
        "/lib/libc.musl-x86_64.so.1",
    ]
    assert entries[1].files == ["/bin/sh"]
    assert entries[0].fields["o"] == "musl"
