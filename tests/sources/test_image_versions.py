"""ImageTree.versions: every layer's version of the files open_image was asked to keep.

The layers are made by hand, so what each layer left at a path is known exactly: the
bytes it wrote, or nothing after a whiteout, an opaque directory or a replacement.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.model import Notice
from mamori.sources.image import ImageTree, open_image
from mamori.sources.image_types import Limits
from tests.sources.imagefix import E, Img, layer_tar, sha, write_docker_archive, write_layout

STATUS = "/var/lib/dpkg/status"


def _keep(path: str) -> bool:
    return path == STATUS or path.startswith("/var/lib/dpkg/status.d/")


def _dirs(*names: str) -> list[E]:
    return [E(name, "dir") for name in names]


BASE = _dirs("var", "var/lib", "var/lib/dpkg")
L1 = layer_tar([*BASE, E("var/lib/dpkg/status", data=b"one"), E("etc", "dir")])
L2 = layer_tar([E("etc", "dir"), E("etc/hostname", data=b"no database change")])
L3 = layer_tar([*BASE, E("var/lib/dpkg/status", data=b"three")])
L4 = layer_tar([*BASE, E("var/lib/dpkg/.wh.status")])
L5 = layer_tar([*BASE, E("var/lib/dpkg/status", data=b"five")])
L6 = layer_tar([*BASE, E("var/lib/dpkg/.wh..wh..opq"), E("var/lib/dpkg/other", data=b"x")])
L7 = layer_tar([*BASE, E("var/lib/dpkg/status", data=b"seven")])


def _open(tmp: Path, layers: list[bytes], notices: list[Notice], **kw: object) -> ImageTree:
    write_layout(tmp / "oci", [Img(layers)], tag="t")
    return open_image(tmp / "oci", workdir=tmp, notices=notices, keep_versions=_keep, **kw)  # type: ignore[arg-type]


def _contents(tree: ImageTree, path: str) -> list[tuple[int, bytes | None]]:
    return [
        (v.position, None if v.host is None else v.host.read_bytes()) for v in tree.versions(path)
    ]


def test_each_layer_version_whiteouts_and_opaque_dirs(tmp_path: Path) -> None:
    layers = [L1, L2, L3, L4, L5, L6, L7]
    with _open(tmp_path, layers, []) as tree:
        assert _contents(tree, STATUS) == [
            (0, b"one"),
            (2, b"three"),
            (3, None),  # whiteout
            (4, b"five"),
            (5, None),  # opaque directory
            (6, b"seven"),
        ]
        assert [v.layer for v in tree.versions(STATUS)] == [
            sha(layers[i]) for i in (0, 2, 3, 4, 5, 6)
        ]
        assert tree.versioned_paths() == [STATUS]
        assert tree.versions("/var/lib/dpkg/other") == []  # not asked for
        assert tree.read_bytes(STATUS) == b"seven"
        hosts = [v.host for v in tree.versions(STATUS) if v.host is not None]
        work = Path(tree.root).parent
        assert all(h.is_relative_to(work) and not h.is_relative_to(tree.root) for h in hosts)
    assert not any(h.exists() for h in hosts)  # removed with the tree


def test_without_a_predicate_nothing_is_kept(tmp_path: Path) -> None:
    write_layout(tmp_path / "oci", [Img([L1, L3])], tag="t")
    with open_image(tmp_path / "oci", workdir=tmp_path, notices=[]) as tree:
        assert tree.versioned_paths() == []
        assert tree.versions(STATUS) == []
        assert not (Path(tree.root).parent / "versions").exists()


def test_docker_archive_keeps_the_same_versions(tmp_path: Path) -> None:
    write_docker_archive(tmp_path / "img.tar", Img([L1, L3, L4, L5]), ["t:1"])
    with open_image(tmp_path / "img.tar", workdir=tmp_path, notices=[], keep_versions=_keep) as t:
        assert _contents(t, STATUS) == [(0, b"one"), (1, b"three"), (2, None), (3, b"five")]


def test_a_version_is_frozen_when_a_later_layer_rewrites_the_file(tmp_path: Path) -> None:
    """A kept version is a hard link: the applier must never write into it in place."""
    hard = layer_tar([*BASE, E("var/lib/dpkg/alias", "hardlink", link="var/lib/dpkg/status")])
    with _open(tmp_path, [L1, hard, L3], []) as tree:
        assert _contents(tree, STATUS) == [(0, b"one"), (2, b"three")]
        assert tree.read_bytes("/var/lib/dpkg/alias") == b"one"


def test_writes_through_a_symlinked_directory_are_resolved(tmp_path: Path) -> None:
    """/var/lib/dpkg is a link to /db: the layers' writes land in /db, and both names
    find their versions."""
    base = layer_tar([*_dirs("var", "var/lib", "db"), E("var/lib/dpkg", "symlink", link="/db")])
    # No directory entries above the file: a "var/lib/dpkg/" entry would replace the link.
    up1 = layer_tar([E("var/lib/dpkg/status", data=b"one")])
    up2 = layer_tar([E("var/lib/dpkg/status", data=b"two")])
    gone = layer_tar([E("db", "dir"), E("db/.wh.status")])
    with _open(tmp_path, [base, up1, up2, gone, up1], []) as tree:
        expected = [(1, b"one"), (2, b"two"), (3, None), (4, b"one")]
        assert _contents(tree, STATUS) == expected
        assert _contents(tree, "/db/status") == expected
        assert tree.versioned_paths() == ["/db/status"]
        assert tree.lstat("/var/lib/dpkg") is not None
        assert tree.lstat("/var/lib/dpkg").link == "/db"  # type: ignore[union-attr]


def test_replaced_by_a_directory_or_symlink_is_a_deletion(tmp_path: Path) -> None:
    as_dir = layer_tar([*BASE, E("var/lib/dpkg/status", "dir")])
    as_link = layer_tar([*BASE, E("var/lib/dpkg/status", "symlink", link="/etc/hostname")])
    parent_gone = layer_tar([E("var", "dir"), E("var/lib", "dir"), E("var/lib/.wh.dpkg")])
    with _open(tmp_path, [L1, as_dir, L3, as_link, L5, parent_gone, L7], []) as tree:
        assert _contents(tree, STATUS) == [
            (0, b"one"),
            (1, None),
            (2, b"three"),
            (3, None),
            (4, b"five"),
            (5, None),
            (6, b"seven"),
        ]


def test_status_d_files_are_kept_each(tmp_path: Path) -> None:
    d = [*BASE, E("var/lib/dpkg/status.d", "dir")]
    one = layer_tar([*d, E("var/lib/dpkg/status.d/base", data=b"b")])
    two = layer_tar([*d, E("var/lib/dpkg/status.d/extra", data=b"e")])
    with _open(tmp_path, [one, two], []) as tree:
        assert _contents(tree, "/var/lib/dpkg/status.d/base") == [(0, b"b")]
        assert _contents(tree, "/var/lib/dpkg/status.d/extra") == [(1, b"e")]


def test_over_the_byte_budget_a_path_loses_its_history(tmp_path: Path) -> None:
    notices: list[Notice] = []
    big = layer_tar([*BASE, E("var/lib/dpkg/status", data=b"x" * 5000)])
    limits = Limits(max_version_bytes=4096)
    with _open(tmp_path, [L1, L3, big, L5], notices, limits=limits) as tree:
        assert tree.versions(STATUS) == []  # a history with a hole would mislead
        assert tree.versioned_paths() == []
        assert tree.read_bytes(STATUS) == b"five"  # the tree itself is whole
        kept = Path(tree.root).parent / "versions"
        assert not kept.exists() or os.listdir(kept) == []
    assert any("byte budget" in n.message and n.path == STATUS for n in notices)


def test_over_the_count_budget_later_paths_are_not_followed(tmp_path: Path) -> None:
    notices: list[Notice] = []
    d = [*BASE, E("var/lib/dpkg/status.d", "dir")]
    files = [E(f"var/lib/dpkg/status.d/p{i}", data=b"p") for i in range(5)]
    with _open(tmp_path, [layer_tar(d + files)], notices, limits=Limits(max_versions=3)) as t:
        assert len(t.versioned_paths()) == 3
    assert sum("no longer followed" in n.message for n in notices) == 2


# One layer's operation on STATUS: its members, and what STATUS holds afterwards
# (UNCHANGED when the layer leaves it alone).
UNCHANGED = b"<unchanged>"


def _op(kind: str, data: bytes) -> tuple[list[E], bytes | None]:
    at = "var/lib/dpkg/status"
    opaque = E("var/lib/dpkg/.wh..wh..opq")
    link = E(at, "hardlink", link="var/lib/dpkg/src")
    ops: dict[str, tuple[list[E], bytes | None]] = {
        "write": ([*BASE, E(at, data=data)], data),
        "whiteout": ([*BASE, E("var/lib/dpkg/.wh.status")], None),
        "opaque": ([*BASE, opaque], None),
        "opaque+write": ([*BASE, opaque, E(at, data=data)], data),
        "dir": ([*BASE, E(at, "dir")], None),
        "parent-gone": ([*_dirs("var", "var/lib"), E("var/lib/.wh.dpkg")], None),
        "hardlink": ([*BASE, E("var/lib/dpkg/src", data=data), link], data),
        "other": ([E("etc", "dir"), E("etc/other", data=data)], UNCHANGED),
    }
    return ops[kind]


OPS = st.tuples(
    st.sampled_from(
        ["write", "whiteout", "opaque", "opaque+write", "dir", "parent-gone", "hardlink", "other"]
    ),
    st.binary(min_size=1, max_size=8),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(OPS, min_size=1, max_size=6))
def test_versions_replay_every_layer_state(ops: list[tuple[str, bytes]]) -> None:
    """Replaying the versions gives what STATUS held after each layer (the property
    layer attribution relies on), whatever the layers did to it."""
    layers, states = [], []
    state: bytes | None = None
    for i, (kind, data) in enumerate(ops):
        members, after = _op(kind, data)
        # A unique member per layer: equal layers would share a diff_id.
        layers.append(layer_tar([*members, E(f"layer-{i}", data=b"")]))
        state = state if after is UNCHANGED else after
        states.append(state)
    tmp = Path(tempfile.mkdtemp(prefix="mamori-test-"))
    try:
        with _open(tmp, layers, []) as tree:
            versions = tree.versions(STATUS)
            for i, expected in enumerate(states):
                kept = [v for v in versions if v.position <= i]
                got = kept[-1].host.read_bytes() if kept and kept[-1].host else None
                assert got == expected, (i, ops)
            final = tree.read_bytes(STATUS) if tree.is_file(STATUS) else None
            assert final == states[-1]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
