"""Hostile images: random manifests, random layer members, truncated real layers.

Whatever the input, open_image raises nothing but ImageError, writes nothing outside
its work directory (the parent is listed before and after) and cleans up after itself.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import tracemalloc
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mamori.model import Notice
from mamori.sources.image import open_image
from mamori.sources.image_types import ImageError, Limits
from mamori.sources.tree import EntryKind, TreeError
from tests.sources.imagefix import E, Img, layer_tar, listing, sha, write_layout
from tests.support import need_shared

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@contextmanager
def sandbox() -> Iterator[tuple[Path, Path]]:
    """(input dir, work dir) under one parent with an `outside` sentinel directory."""
    parent = Path(
        tempfile.mkdtemp(
            prefix="mamori-fuzz-", dir="/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        )
    )
    (parent / "outside").mkdir()
    (parent / "in").mkdir()
    (parent / "work").mkdir()
    try:
        yield parent / "in", parent / "work"
    finally:
        shutil.rmtree(parent)


def open_and_read(path: Path, work: Path, **kw: object) -> list[Notice]:
    """Open, read every file through the Tree API, close; then prove nothing leaked."""
    parent = work.parent
    before = listing(parent) - listing(work).union()
    notices: list[Notice] = []
    try:
        tree = open_image(path, workdir=work, notices=notices, **kw)  # type: ignore[arg-type]
    except ImageError:
        pass
    else:
        with tree:
            for entry in tree.walk():
                if entry.kind is EntryKind.FILE:
                    with suppress(TreeError):
                        tree.read_bytes(entry.path)
                tree.layer_of(entry.path)
    assert not any((parent / "outside").iterdir())
    assert not any(work.iterdir()), "the work directory was not cleaned"
    assert {p for p in listing(parent) if not p.startswith(("in/", "work/"))} == {
        p for p in before if not p.startswith(("in/", "work/"))
    }
    return notices


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
HOSTILE_STRINGS = st.sampled_from(
    [
        "../../outside/x",
        "/etc/passwd",
        "sha256:../../outside/x",
        "sha256:" + "0" * 64,
        "blobs/sha256/../../../outside",
        "layer.tar",
        "config.json",
        "",
        "a" * 5000,
    ]
)
field_values = json_values | HOSTILE_STRINGS | st.lists(HOSTILE_STRINGS, max_size=3)


def _tar(path: Path, files: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


LAYER = layer_tar([E("etc", "dir"), E("etc/os-release", data=b"ID=test\n")])
CONFIG = json.dumps({"rootfs": {"type": "layers", "diff_ids": [sha(LAYER)]}}).encode()


@FUZZ
@given(
    manifest=json_values
    | st.fixed_dictionaries(
        {"Config": field_values, "Layers": field_values, "RepoTags": field_values}
    ).map(lambda d: [d]),
    config=st.one_of(st.just(CONFIG), json_values.map(lambda v: json.dumps(v).encode())),
)
def test_random_docker_manifests(manifest: object, config: bytes) -> None:
    with sandbox() as (inp, work):
        _tar(
            inp / "img.tar",
            {
                "manifest.json": json.dumps(manifest).encode(),
                "config.json": config,
                "layer.tar": LAYER,
            },
        )
        open_and_read(inp / "img.tar", work)


@FUZZ
@given(
    index=json_values
    | st.fixed_dictionaries(
        {
            "schemaVersion": st.just(2),
            "manifests": st.lists(
                st.fixed_dictionaries(
                    {"mediaType": field_values, "digest": field_values, "size": field_values}
                ),
                max_size=3,
            ),
        }
    ),
    manifest=json_values,
)
def test_random_oci_indexes_and_manifests(index: object, manifest: object) -> None:
    with sandbox() as (inp, work):
        layout = inp / "oci"
        write_layout(layout, [Img([LAYER])], tag="t")
        data = json.dumps(manifest).encode()
        blob = layout / "blobs" / "sha256" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        if isinstance(index, dict) and index.get("manifests"):
            index["manifests"].append({"digest": "sha256:" + blob.name, "size": len(data)})
        (layout / "index.json").write_text(json.dumps(index))
        open_and_read(layout, work)


PARTS = st.sampled_from(
    ["a", "b", "etc", "..", ".", "", ".wh.a", ".wh.b", ".wh..wh..opq", ".wh..", "x" * 300]
)
member_names = st.lists(PARTS, min_size=1, max_size=5).map("/".join) | st.sampled_from(
    ["/abs", "/etc/passwd", "../escape", "./a/../../b"]
)
link_targets = member_names | st.sampled_from(["/", "..", "../../../../..", "a/../..", "OUTSIDE"])
members = st.lists(
    st.tuples(
        member_names,
        st.sampled_from(["file", "dir", "symlink", "hardlink", "fifo", "char"]),
        link_targets,
        st.integers(0, 0o7777),
    ),
    max_size=14,
)


@FUZZ
@given(layers=st.lists(members, min_size=1, max_size=3))
def test_random_layer_members(layers: list[list[tuple[str, str, str, int]]]) -> None:
    with sandbox() as (inp, work):
        outside = str(work.parent / "outside")
        tars = []
        for entries in layers:
            built = [
                E(name, kind, data=b"data", link=link.replace("OUTSIDE", outside), mode=mode)
                for name, kind, link, mode in entries
            ]
            tars.append(layer_tar(built, fmt=tarfile.GNU_FORMAT))
        write_layout(inp / "oci", [Img(tars)], tag="t")
        open_and_read(inp / "oci", work)


def _alpine() -> Path:
    return need_shared("data/targets/alpine-minirootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.floats(0.0, 1.0), compressed=st.booleans())
def test_truncated_real_layer_keeps_a_prefix(cut: float, compressed: bool) -> None:
    source = _alpine().read_bytes()
    reference: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(source)) as tf:
        for info in tf:
            f = tf.extractfile(info) if info.isreg() else None
            if f is not None:
                reference["/" + info.name.lstrip("./")] = f.read()
    data = source if compressed else gzip.decompress(source)
    with sandbox() as (inp, work):
        path = inp / ("rootfs.tar.gz" if compressed else "rootfs.tar")
        path.write_bytes(data[: int(len(data) * cut)])
        notices: list[Notice] = []
        try:
            tree = open_image(path, workdir=work, notices=notices)
        except ImageError:
            return
        with tree:
            partial = 0
            for entry in tree.walk():
                if entry.kind is EntryKind.FILE:
                    got = tree.read_bytes(entry.path)
                    assert reference[entry.path].startswith(got)
                    partial += got != reference[entry.path]
            assert partial <= 1
            if cut < 0.99:
                assert not tree.complete
                assert any("truncated" in n.message or "corrupt" in n.message for n in notices)
        assert not any(work.iterdir())


def test_bomb_layer_is_stopped_in_bounded_memory() -> None:
    """A layer holding a 256 MiB file of zeros, gzip-compressed to 250 KiB."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        info = tarfile.TarInfo("zeros")
        info.size = 256 << 20
        tf.addfile(info, io.BytesIO(bytes(256 << 20)))
        tf.addfile(tarfile.TarInfo("after"))
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    blob = comp.compress(buf.getvalue()) + comp.flush()
    del buf
    with sandbox() as (inp, work):
        layout = inp / "oci"
        write_layout(layout, [Img([b"placeholder"], compression=None)], tag="t")
        # swap the layer for the bomb, keeping the manifest's digest: a notice, not a stop
        (next((layout / "blobs" / "sha256").glob("*"))).parent.joinpath(
            sha(b"placeholder").split(":")[1]
        ).write_bytes(blob)
        notices: list[Notice] = []
        limits = Limits(ratio_floor=16 << 20, max_ratio=250)
        tracemalloc.start()
        with open_image(layout, workdir=work, notices=notices, limits=limits) as tree:
            peak = tracemalloc.get_traced_memory()[1]
            assert not tree.complete
            zeros = tree.lstat("/zeros")
            assert zeros is None or zeros.size < 64 << 20
        tracemalloc.stop()
        assert peak < 16 << 20
        assert any("decompression bomb" in n.message for n in notices)


def test_traversing_blob_digest_is_refused() -> None:
    with sandbox() as (inp, work):
        layout = inp / "oci"
        write_layout(layout, [Img([LAYER])], tag="t")
        index = json.loads((layout / "index.json").read_text())
        index["manifests"][0]["digest"] = "sha256:../../../outside/x"
        (layout / "index.json").write_text(json.dumps(index))
        with pytest.raises(ImageError, match="not a valid digest"):
            open_image(layout, workdir=work, notices=[])
        assert not any(work.iterdir())
