"""Test images made by hand: layer tars, OCI layouts and docker-archives with correct
digests (the tests check them with skopeo and umoci), and tree snapshots to compare."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import stat
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

from mamori.sources.tree import EntryKind, Tree


@dataclass
class E:
    """One member of a layer tar."""

    name: str
    kind: str = "file"  # file, dir, symlink, hardlink, fifo, char
    data: bytes = b""
    link: str = ""
    mode: int | None = None


def layer_tar(entries: list[E], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    types = {
        "file": tarfile.REGTYPE,
        "dir": tarfile.DIRTYPE,
        "symlink": tarfile.SYMTYPE,
        "hardlink": tarfile.LNKTYPE,
        "fifo": tarfile.FIFOTYPE,
        "char": tarfile.CHRTYPE,
    }
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.type = types[e.kind]
            info.mode = e.mode if e.mode is not None else (0o755 if e.kind == "dir" else 0o644)
            info.linkname = e.link
            info.mtime = 1_700_000_000
            if e.kind == "char":
                info.devmajor, info.devminor = 1, 3
            if e.kind == "file":
                info.size = len(e.data)
                tf.addfile(info, io.BytesIO(e.data))
            else:
                tf.addfile(info)
    return buf.getvalue()


def compress(data: bytes, how: str | None) -> bytes:
    if how == "gzip":
        return gzip.compress(data, compresslevel=1, mtime=0)
    if how == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


LAYER_TYPES = {
    None: "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


@dataclass
class Img:
    layers: list[bytes]  # uncompressed layer tars
    compression: str | None = "gzip"
    os: str = "linux"
    arch: str = "amd64"
    variant: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


def _blob(root: Path, data: bytes) -> dict[str, object]:
    digest = sha(data)
    path = root / "blobs" / "sha256" / digest.split(":")[1]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": digest, "size": len(data)}


def config_json(img: Img) -> bytes:
    config: dict[str, object] = {
        "architecture": img.arch,
        "os": img.os,
        "created": "2024-01-01T00:00:00Z",
        "config": {"Labels": img.labels or None, "Env": ["PATH=/usr/bin"], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [sha(layer) for layer in img.layers]},
        "history": [{"created_by": f"step {i}"} for i in range(len(img.layers))],
    }
    if img.variant:
        config["variant"] = img.variant
    return json.dumps(config).encode()


def _manifest(root: Path, img: Img) -> dict[str, object]:
    config = {"mediaType": "application/vnd.oci.image.config.v1+json"}
    config.update(_blob(root, config_json(img)))  # type: ignore[arg-type]
    layers = []
    for layer in img.layers:
        desc: dict[str, object] = {"mediaType": LAYER_TYPES[img.compression]}
        desc.update(_blob(root, compress(layer, img.compression)))
        layers.append(desc)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config,
        "layers": layers,
    }
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json"}
    desc.update(_blob(root, json.dumps(manifest).encode()))  # type: ignore[arg-type]
    return desc  # type: ignore[return-value]


INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
DOCKER_LIST_TYPE = "application/vnd.docker.distribution.manifest.list.v2+json"


def write_layout(
    root: Path, images: list[Img], tag: str = "latest", index_type: str = INDEX_TYPE
) -> str:
    """An OCI layout; several images go into a nested index with platforms. Returns the
    digest index.json points at."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    if len(images) == 1:
        top = _manifest(root, images[0])
    else:
        entries = []
        for img in images:
            desc = _manifest(root, img)
            plat = {"os": img.os, "architecture": img.arch}
            if img.variant:
                plat["variant"] = img.variant
            desc["platform"] = plat
            entries.append(desc)
        index = {"schemaVersion": 2, "mediaType": index_type, "manifests": entries}
        top = {"mediaType": index_type}
        top.update(_blob(root, json.dumps(index).encode()))  # type: ignore[arg-type]
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    return str(top["digest"])


def write_docker_archive(path: Path, img: Img, tags: list[str]) -> None:
    """A docker-archive laid out the way podman writes one (<diff_id>.tar per layer)."""
    config = config_json(img)
    files: dict[str, bytes] = {sha(config).split(":")[1] + ".json": config}
    names = []
    for layer in img.layers:
        name = sha(layer).split(":")[1] + ".tar"
        files[name] = compress(layer, img.compression)
        names.append(name)
    manifest = [{"Config": next(iter(files)), "RepoTags": tags, "Layers": names}]
    files["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(path, "w") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def tar_directory(src: Path, out: Path, extra: dict[str, bytes]) -> None:
    """Tar `src` (as docker save lays an archive out) with `extra` files at the top."""
    with tarfile.open(out, "w") as tf:
        for path in sorted(src.rglob("*")):
            tf.add(path, arcname=str(path.relative_to(src)), recursive=False)
        for name, data in extra.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def snapshot_dir(root: Path) -> dict[str, tuple[str, int, str]]:
    """path -> (kind, size, content digest or link target) for a real directory."""
    out: dict[str, tuple[str, int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = "/" + os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISREG(st.st_mode):
                with open(full, "rb") as fh:
                    out[rel] = ("file", st.st_size, hashlib.sha256(fh.read()).hexdigest())
            elif stat.S_ISLNK(st.st_mode):
                out[rel] = ("symlink", 0, os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", 0, "")
    return out


def snapshot_tree(tree: Tree) -> dict[str, tuple[str, int, str]]:
    """The same view of a mamori Tree (read through the Tree API)."""
    out: dict[str, tuple[str, int, str]] = {}
    for entry in tree.walk():
        if entry.kind is EntryKind.FILE:
            digest = hashlib.sha256(tree.read_bytes(entry.path)).hexdigest()
            out[entry.path] = ("file", entry.size, digest)
        elif entry.kind is EntryKind.SYMLINK:
            out[entry.path] = ("symlink", 0, entry.link or "")
        elif entry.kind is EntryKind.DIR:
            out[entry.path] = ("dir", 0, "")
    return out


def files_and_sizes(snapshot: dict[str, tuple[str, int, str]]) -> dict[str, int]:
    return {p: size for p, (kind, size, _) in snapshot.items() if kind == "file"}


def listing(root: Path) -> set[str]:
    """Every path under `root` (to prove nothing was written outside a work dir)."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            found.add(os.path.relpath(os.path.join(dirpath, name), root))
    return found
