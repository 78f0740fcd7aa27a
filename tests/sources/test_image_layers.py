"""Layer application: whiteouts, opaque directories, attribution, hostile members.

The oracle for layer semantics is umoci, which unpacks the same hand-made OCI layout
with its own implementation; skopeo checks that the hand-made layout is valid.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from mamori.model import Notice
from mamori.sources.image import ImageTree, open_image
from mamori.sources.image_types import Limits
from mamori.sources.tree import EntryKind
from tests.sources.imagefix import (
    E,
    Img,
    layer_tar,
    listing,
    sha,
    snapshot_dir,
    snapshot_tree,
    write_docker_archive,
    write_layout,
)
from tests.support import need_root, need_tool

L1 = layer_tar(
    [
        E("etc", "dir"),
        E("etc/a", data=b"1"),
        E("etc/b", data=b"b"),
        E("etc/sub", "dir"),
        E("etc/sub/x", data=b"x"),
        E("etc/sub/y", data=b"y"),
        E("opq", "dir"),
        E("opq/k1", data=b"k1"),
        E("opq/d", "dir"),
        E("opq/d/deep", data=b"deep"),
        E("keep", "dir"),
        E("keep/f", data=b"f"),
        E("link", "symlink", link="etc/a"),
        E("h", "dir"),
        E("h/target", data=b"shared"),
        E("h/alias", "hardlink", link="h/target"),
        E("setuid", data=b"#!", mode=0o4755),
        E("usr", "dir"),
        E("usr/bin", "dir"),
        E("usr/bin/tool", data=b"tool", mode=0o755),
        E("bin", "symlink", link="usr/bin"),
    ]
)
# Same-layer entries come before their whiteouts: a whiteout only hides lower layers.
L2 = layer_tar(
    [
        E("etc", "dir"),
        E("etc/.wh.b"),
        E("etc/sub", "dir"),
        E("etc/sub/new", data=b"new"),
        E("etc/.wh.sub"),
        E("opq", "dir"),
        E("opq/k3", data=b"k3"),
        E("opq/.wh..wh..opq"),
        E("etc/a", data=b"22"),
        E("h/.wh.target"),
    ]
)
L3 = layer_tar(
    [
        E(".wh.keep"),
        E(".wh.link"),
        E("link", "dir"),
        E("link/inside", data=b"in"),
        E("etc/a", data=b"333", mode=0o600),
    ]
)


def open_layers(
    tmp_path: Path, layers: list[bytes], notices: list[Notice], **kw: object
) -> ImageTree:
    write_layout(tmp_path / "oci", [Img(layers)], tag="t")
    return open_image(tmp_path / "oci", workdir=tmp_path, notices=notices, **kw)  # type: ignore[arg-type]


def test_whiteouts_and_opaque_dirs_match_umoci(tmp_path: Path) -> None:
    need_root()
    need_tool("umoci")
    need_tool("skopeo")
    layout = tmp_path / "oci"
    write_layout(layout, [Img([L1, L2, L3])], tag="t")
    subprocess.run(["skopeo", "inspect", f"oci:{layout}:t"], check=True, capture_output=True)
    subprocess.run(
        ["umoci", "unpack", "--image", f"{layout}:t", str(tmp_path / "bundle")],
        check=True,
        capture_output=True,
    )
    theirs = snapshot_dir(tmp_path / "bundle" / "rootfs")
    notices: list[Notice] = []
    with open_image(layout, workdir=tmp_path, notices=notices) as tree:
        ours = snapshot_tree(tree)
    assert ours == theirs
    assert "/etc/b" not in ours and "/etc/sub/x" not in ours and "/opq/d" not in ours
    assert ours["/etc/sub/new"][0] == "file" and ours["/opq/k3"][0] == "file"


def test_each_path_records_the_layer_that_last_wrote_it(tmp_path: Path) -> None:
    notices: list[Notice] = []
    with open_layers(tmp_path, [L1, L2, L3], notices) as tree:
        ids = [sha(layer) for layer in (L1, L2, L3)]
        assert list(tree.layer_ids) == ids
        assert tree.layer_of("/etc/a") == ids[2]
        assert tree.layer_of("/opq/k3") == ids[1]
        assert tree.layer_of("/etc/sub/new") == ids[1]
        assert tree.layer_of("/h/alias") == ids[0]
        assert tree.layer_of("/bin/tool") == ids[0]  # through the bin -> usr/bin link
        assert tree.layer_of("/etc/b") is None
        assert tree.read_text("/h/alias") == "shared"
        assert tree.info.diff_ids == tuple(ids)
        assert tree.info.history[2].created_by == "step 2"
        # setuid is stripped on disk and kept in original_modes
        assert tree.lstat("/setuid").mode == 0o755  # type: ignore[union-attr]
        assert tree.original_modes["/setuid"] == 0o4755
    assert any("setuid" in n.message for n in notices)


def test_docker_archive_layers_apply_the_same(tmp_path: Path) -> None:
    write_docker_archive(tmp_path / "img.tar", Img([L1, L2, L3], compression=None), ["x:1"])
    write_layout(tmp_path / "oci", [Img([L1, L2, L3])], tag="t")
    with (
        open_image(tmp_path / "img.tar", workdir=tmp_path, notices=[]) as docker,
        open_image(tmp_path / "oci", workdir=tmp_path, notices=[]) as oci,
    ):
        assert snapshot_tree(docker) == snapshot_tree(oci)
        assert docker.info.repo_tags == ("x:1",)
        assert docker.layer_ids == oci.layer_ids


def test_symlinked_parent_never_writes_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    first = layer_tar(
        [
            E("etc", "symlink", link=str(outside)),
            E("up", "symlink", link="../../../../../../../../.."),
            E("loop", "symlink", link="loop"),
            E("same", "symlink", link="/tmp"),
            E("same/passwd", data=b"same layer"),
        ]
    )
    second = layer_tar(
        [
            E("etc/passwd", data=b"evil"),
            E("up/escaped", data=b"evil"),
            E("loop/x", data=b"x"),
        ]
    )
    before = listing(tmp_path)
    notices: list[Notice] = []
    with open_layers(tmp_path, [first, second], notices) as tree:
        assert not any(outside.iterdir())
        # chroot semantics, as containerd applies layers: the link target is in-tree
        assert tree.read_text(f"{outside}/passwd") == "evil"
        assert tree.read_text("/escaped") == "evil"
        assert tree.read_text("/tmp/passwd") == "same layer"
        assert tree.lstat("/etc") is not None and tree.lstat("/etc").kind is EntryKind.SYMLINK  # type: ignore[union-attr]
    assert any("too many symlinks" in n.message for n in notices)
    assert listing(tmp_path) - before <= {"oci"} | {
        p for p in listing(tmp_path) if p.startswith("oci/")
    }
    assert not any(outside.iterdir())


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (E("../escape", data=b"x"), "'..'"),
        (E("a/../../escape", data=b"x"), "'..'"),
        (E("/abs-escape", data=b"x"), "absolute"),
        (E("hl", "hardlink", link="../../etc/passwd"), "hard link target"),
        (E("hl", "hardlink", link="/etc/passwd"), "hard link target"),
        (E("hl", "hardlink", link="not/yet/seen"), "not in the tree"),
        (E("hl", "hardlink", link="adir"), "directory"),
        (E("sym", "symlink", link=""), "symlink"),
        (E(".wh.."), "whiteout"),
    ],
)
def test_hostile_members_are_skipped_with_a_notice(tmp_path: Path, member: E, reason: str) -> None:
    layer = layer_tar([E("adir", "dir"), member, E("after", data=b"still read")])
    before = listing(tmp_path.parent)
    notices: list[Notice] = []
    with open_layers(tmp_path, [layer], notices) as tree:
        assert tree.read_text("/after") == "still read"
        names = {e.path for e in tree.walk()}
        assert names == {"/adir", "/after"}
    assert any(reason in n.message for n in notices), notices
    assert {
        p for p in listing(tmp_path.parent) - before if not p.startswith(tmp_path.name)
    } == set()


def test_devices_and_fifos_are_recorded_not_created(tmp_path: Path) -> None:
    layer = layer_tar(
        [E("dev", "dir"), E("dev/null", "char"), E("dev/fifo", "fifo"), E("dev/gone", "fifo")]
    )
    layer2 = layer_tar([E("dev/.wh.gone")])
    with open_layers(tmp_path, [layer, layer2], []) as tree:
        assert tree.devices == {"/dev/null": "char 1:3", "/dev/fifo": "fifo"}
        assert {e.path for e in tree.walk()} == {"/dev"}


def test_file_and_entry_caps(tmp_path: Path) -> None:
    big = layer_tar([E("big", data=b"x" * 5000), E("small", data=b"ok")])
    notices: list[Notice] = []
    limits = Limits(max_file_bytes=4096)
    with open_layers(tmp_path / "a", [big], notices, limits=limits) as tree:
        assert tree.lstat("/big") is None and tree.read_text("/small") == "ok"
    assert any("max_file_bytes" in n.message for n in notices)

    many = layer_tar([E(f"f{i}", data=b"") for i in range(50)])
    notices = []
    with open_layers(tmp_path / "b", [many, many], notices, limits=Limits(max_entries=60)) as tree:
        assert len(list(tree.walk())) == 50
        assert not tree.complete
    assert any("max_entries" in n.message for n in notices)


def test_repeated_whiteouts_stay_cheap(tmp_path: Path, workdir: Path) -> None:
    """A hostile layer repeating whiteouts over a big directory must not go quadratic."""
    base = layer_tar([E("d", "dir")] + [E(f"d/f{i}", data=b"") for i in range(2000)])
    attack = layer_tar(
        [E("d", "dir")]
        + [E(f"d/n{i}", data=b"") for i in range(2000)]
        + [E("d/.wh..wh..opq")] * 2000
        + [E(".wh.d")] * 2000
    )
    write_layout(tmp_path / "oci", [Img([base, attack])], tag="t")
    started = time.perf_counter()
    with open_image(tmp_path / "oci", workdir=workdir, notices=[]) as tree:
        assert time.perf_counter() - started < 20  # quadratic would be 4e6 removals + scans
        names = {e.path for e in tree.walk()}
        assert "/d/f0" not in names and "/d/n1999" in names


def test_digest_mismatch_is_a_notice(tmp_path: Path) -> None:
    layout = tmp_path / "oci"
    write_layout(layout, [Img([L1], compression=None)], tag="t")
    blob = layout / "blobs" / "sha256" / sha(L1).split(":")[1]
    data = bytearray(blob.read_bytes())
    data[1024] ^= 1  # the data of etc/a: the tar still parses
    blob.write_bytes(bytes(data))
    notices: list[Notice] = []
    with open_image(layout, workdir=tmp_path, notices=notices) as tree:
        assert tree.read_text("/etc/a") == "0"
    assert sum("digest" in n.message for n in notices) == 2  # blob and diff_id
