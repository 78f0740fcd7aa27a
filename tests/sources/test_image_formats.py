"""Every image format against an independent oracle.

bookworm: the tree from each format lists exactly the files (paths, sizes, contents),
symlinks and directories GNU tar extracts from the same rootfs. The 3-layer image built
by podman: the tree equals what `podman export` flattens. Platform selection: skopeo
picks the manifest for a platform out of the same index.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from mamori.model import Notice, NoticeLevel
from mamori.sources.image import open_image
from mamori.sources.image_types import ImageError
from tests.sources.image_targets import bookworm_tar_gz, layered_images
from tests.sources.imagefix import (
    DOCKER_LIST_TYPE,
    E,
    Img,
    files_and_sizes,
    layer_tar,
    snapshot_dir,
    snapshot_tree,
    tar_directory,
    write_layout,
)
from tests.support import need_root, need_tool
from tests.targets import bookworm_images, bookworm_rootfs, bookworm_tar

# Files podman itself puts into a container (not part of the image).
PODMAN_ADDED = {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/run/.containerenv"}


@functools.cache
def _oracle(root: str) -> tuple[dict[str, tuple[str, int, str]], frozenset[str]]:
    devices = set()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            mode = os.lstat(full).st_mode
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
                devices.add("/" + os.path.relpath(full, root))
    snapshot = snapshot_dir(Path(root))
    snapshot.pop("/.complete")  # the test cache's own marker
    return snapshot, frozenset(devices)


def _bookworm(name: str) -> Path:
    if name == "rootfs.tar":
        return bookworm_tar()
    if name == "rootfs.tar.gz":
        return bookworm_tar_gz()
    return bookworm_images() / name


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("image.docker.tar", "docker-archive"),
        ("oci", "oci-layout"),
        ("image.oci.tar", "oci-archive"),
        ("rootfs.tar", "rootfs-tar"),
        ("rootfs.tar.gz", "rootfs-tar"),
    ],
)
def test_bookworm_tree_equals_gnu_tar_extraction(name: str, fmt: str, workdir: Path) -> None:
    need_root()
    expected, devices = _oracle(str(bookworm_rootfs()))
    notices: list[Notice] = []
    with open_image(_bookworm(name), workdir=workdir, notices=notices) as tree:
        ours = snapshot_tree(tree)
        assert files_and_sizes(ours) == files_and_sizes(expected)
        assert ours == expected  # contents, symlink targets and directories too
        assert set(tree.devices) == devices
        assert tree.complete and len(tree.layer_ids) == 1
        assert tree.info.format == fmt
        assert tree.layer_of("/usr/bin/dpkg") == tree.layer_ids[0]
        if fmt != "rootfs-tar":
            assert tree.info.diff_ids == tree.layer_ids
            assert tree.info.platform == "linux/amd64"
        if fmt == "oci-layout":
            index = json.loads((bookworm_images() / "oci" / "index.json").read_text())
            assert tree.info.manifest_digest == index["manifests"][0]["digest"]
            assert tree.info.repo_tags == ("minbase",)
        if fmt in ("docker-archive", "oci-archive"):
            assert tree.info.repo_tags == ("localhost/mamori-test/bookworm:minbase",)
    assert not [n for n in notices if n.level is not NoticeLevel.INFO]
    assert not any(workdir.iterdir())  # close() removed the extracted tree


def _layer_tars_of_docker_archive(path: Path) -> list[str]:
    listed = subprocess.run(["tar", "tf", str(path)], check=True, capture_output=True, text=True)
    manifest = subprocess.run(
        ["tar", "xOf", str(path), "manifest.json"], check=True, capture_output=True, text=True
    )
    layers = json.loads(manifest.stdout)[0]["Layers"]
    assert all(name in listed.stdout for name in layers)
    return ["sha256:" + name.removesuffix(".tar") for name in layers]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["image.docker.tar", "image.oci.tar", "oci", "oci-zstd"])
def test_layered_image_equals_podman_export(name: str, workdir: Path) -> None:
    need_root()
    images = layered_images()
    expected = {k: v for k, v in snapshot_dir(images / "rootfs").items() if k not in PODMAN_ADDED}
    diff_ids = _layer_tars_of_docker_archive(images / "image.docker.tar")
    notices: list[Notice] = []
    with open_image(images / name, workdir=workdir, notices=notices) as tree:
        ours = {k: v for k, v in snapshot_tree(tree).items() if k not in PODMAN_ADDED}
        assert ours == expected
        assert list(tree.layer_ids) == diff_ids
        assert tree.layer_of("/opt/app/a") == diff_ids[2]
        assert tree.layer_of("/etc/apt/new/f") == diff_ids[2]
        assert tree.layer_of("/usr/bin/app-link") == diff_ids[2]
        assert tree.layer_of("/usr/bin/dpkg") == diff_ids[0]
        assert tree.original_modes["/opt/app/a"] & stat.S_ISUID
        assert tree.devices["/opt/app/fifo"] == "fifo"
        assert tree.devices["/dev/null"] == "char 1:3"
        assert tree.info.labels["org.opencontainers.image.title"] == "layered"
    assert not [n for n in notices if n.level is not NoticeLevel.INFO]
    if name == "oci-zstd":
        manifest_digest = json.loads((images / name / "index.json").read_text())["manifests"][0]
        blobs = images / name / "blobs" / "sha256"
        manifest = json.loads((blobs / manifest_digest["digest"].split(":")[1]).read_text())
        for layer in manifest["layers"]:
            assert layer["mediaType"].endswith("+zstd")
            head = (blobs / layer["digest"].split(":")[1]).read_bytes()[:4]
            assert head == b"\x28\xb5\x2f\xfd"


PLATFORMS = [("linux", "amd64", None), ("linux", "arm64", "v8"), ("linux", "arm", "v7")]


def test_platform_selection_agrees_with_skopeo(tmp_path: Path) -> None:
    need_tool("skopeo")
    images = [
        Img(
            [layer_tar([E("platform", data=f"{arch}{var or ''}".encode())])], arch=arch, variant=var
        )
        for _, arch, var in PLATFORMS
    ]
    layout = tmp_path / "multi"
    write_layout(layout, images, tag="multi")
    for os_name, arch, variant in [*PLATFORMS, ("linux", "arm64", None)]:
        out = tmp_path / f"out-{arch}-{variant}"
        cmd = ["skopeo", "--override-os", os_name, "--override-arch", arch]
        cmd += ["--override-variant", variant] if variant else []
        cmd += ["copy", "-q", f"oci:{layout}:multi", f"oci:{out}:x"]
        subprocess.run(cmd, check=True, capture_output=True)
        chosen = json.loads((out / "index.json").read_text())["manifests"][0]["digest"]
        platform = "/".join(p for p in (os_name, arch, variant) if p)
        with open_image(layout, workdir=tmp_path, platform=platform, notices=[]) as tree:
            assert tree.info.manifest_digest == chosen, platform
            assert tree.read_text("/platform").startswith(arch)
            assert tree.info.architecture == arch
    with pytest.raises(ImageError, match="no image for linux/s390x"):
        open_image(layout, workdir=tmp_path, platform="linux/s390x", notices=[])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("mamori-image-")] == []


def test_docker_manifest_list_is_an_index(tmp_path: Path) -> None:
    images = [
        Img([layer_tar([E("platform", data=arch.encode())])], arch=arch)
        for arch in ("arm64", "amd64")
    ]
    write_layout(tmp_path / "oci", images, tag="t", index_type=DOCKER_LIST_TYPE)
    with open_image(tmp_path / "oci", workdir=tmp_path, notices=[]) as tree:
        assert tree.read_text("/platform") == "amd64"


@pytest.mark.parametrize("gzipped", [False, True])
def test_docker25_archive_with_an_oci_layout_inside(tmp_path: Path, gzipped: bool) -> None:
    """docker 25+ saves blobs/sha256/... plus manifest.json; `docker save | gzip` too."""
    layers = [layer_tar([E("a", data=b"1")]), layer_tar([E("a", data=b"2"), E("b")])]
    layout = tmp_path / "oci"
    top = write_layout(layout, [Img(layers, compression=None)], tag="t")
    blobs = layout / "blobs" / "sha256"
    manifest = json.loads((blobs / top.split(":")[1]).read_text())
    entry = {
        "Config": "blobs/sha256/" + manifest["config"]["digest"].split(":")[1],
        "RepoTags": ["example.com/app:1"],
        "Layers": ["blobs/sha256/" + d["digest"].split(":")[1] for d in manifest["layers"]],
    }
    archive = tmp_path / "save.tar"
    tar_directory(layout, archive, {"manifest.json": json.dumps([entry]).encode()})
    if gzipped:
        archive.with_suffix(".tar.gz").write_bytes(gzip.compress(archive.read_bytes()))
        archive = archive.with_suffix(".tar.gz")
    notices: list[Notice] = []
    with open_image(archive, workdir=tmp_path, notices=notices) as tree:
        assert tree.info.format == "docker-archive"
        assert tree.info.manifest_digest == top
        assert tree.info.layer_digests == tuple(d["digest"] for d in manifest["layers"])
        assert tree.read_text("/a") == "2" and tree.layer_of("/a") == tree.layer_ids[1]
        assert tree.info.repo_tags == ("example.com/app:1",)
    assert not notices


def test_tag_selects_among_images(tmp_path: Path) -> None:
    write_layout(tmp_path / "one", [Img([layer_tar([E("which", data=b"1")])])], tag="one")
    with pytest.raises(ImageError, match="no image tagged 'two'"):
        open_image(tmp_path / "one", workdir=tmp_path, tag="two", notices=[])
    with open_image(tmp_path / "one", workdir=tmp_path, tag="one", notices=[]) as tree:
        assert tree.read_text("/which") == "1"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty|not a tar"), (b"\x00" * 1024, "empty|not a tar"), (b"hello" * 300, "not a tar")],
)
def test_not_an_image(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        open_image(path, workdir=tmp_path, notices=[])
    (tmp_path / "plain").mkdir()
    with pytest.raises(ImageError, match=r"neither oci-layout nor manifest\.json"):
        open_image(tmp_path / "plain", workdir=tmp_path, notices=[])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input", "plain"]
