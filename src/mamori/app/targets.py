"""Turn what the user named (a path, an image, an SBOM, this host) into a Tree or an Sbom."""

from __future__ import annotations

import enum
import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs
import psutil

from mamori.model import Asset, AssetKind, Identity, Notice, Sbom
from mamori.sbom.layers import database_predicate
from mamori.sources.directory import HOST_SKIP, DirectoryTree
from mamori.sources.image import ImageTree, open_image
from mamori.sources.image_types import ImageError
from mamori.sources.registry import pull_image
from mamori.sources.sbom_file import read_sbom
from mamori.sources.tree import Tree


class TargetKind(enum.StrEnum):
    FS = "fs"
    HOST = "host"
    IMAGE = "image"
    SBOM = "sbom"


class TargetError(RuntimeError):
    """The target cannot be read; the message says why, for the user."""


@dataclass
class OpenedTarget:
    asset: Asset
    tree: Tree | None = None  # None when the input already is an SBOM
    sbom: Sbom | None = None
    layers: tuple[str, ...] = ()
    notices: list[Notice] = field(default_factory=list)


SHM = Path("/dev/shm")
# Unpacked size is estimated as this multiple of the image's size on disk (gzip ratio).
UNPACK_FACTOR = 4


def _input_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def work_dir(image: Path | None = None) -> Path:
    """Where an image is unpacked (each scan makes its own 0700 temp dir inside).

    `MAMORI_WORKDIR` decides when set. Otherwise a tmpfs (/dev/shm) when the unpacked
    image fits comfortably in free memory: creating thousands of small files is the
    cost of unpacking, and on some disks it is 10-40x slower than on tmpfs. Otherwise
    the user's cache dir.
    """
    chosen = os.environ.get("MAMORI_WORKDIR")
    if chosen:
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path
    if image is not None and SHM.is_dir() and os.access(SHM, os.W_OK | os.X_OK):
        needed = _input_size(image) * UNPACK_FACTOR
        stat = os.statvfs(SHM)
        free_shm = stat.f_bavail * stat.f_frsize
        if needed < free_shm // 2 and needed < psutil.virtual_memory().available // 4:
            return SHM
    path = Path(platformdirs.user_cache_dir("mamori")) / "work"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _image_asset(tree: ImageTree, name: str) -> Asset:
    info = tree.info
    tag = info.repo_tags[0] if info.repo_tags else name
    attributes = {"format": info.format}
    if info.platform:
        attributes["platform"] = info.platform
    if info.config_digest:
        attributes["image_id"] = info.config_digest
    return Asset(
        kind=AssetKind.IMAGE,
        name=tag,
        identity=Identity(image=tag, image_digest=info.manifest_digest or info.config_digest),
        attributes=attributes,
    )


@dataclass(frozen=True)
class RegistryOptions:
    """How to reach a remote registry when an image target is not a local path."""

    insecure: bool = False
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never show the password
        return f"RegistryOptions(insecure={self.insecure}, username={self.username!r})"


@contextmanager
def open_target(
    kind: TargetKind,
    target: str,
    *,
    platform: str = "linux/amd64",
    registry: RegistryOptions | None = None,
) -> Iterator[OpenedTarget]:
    """Open a target for cataloging; cleans up unpacked images on exit."""
    if kind is TargetKind.HOST:
        host = socket.gethostname()
        notices: list[Notice] = []
        tree = DirectoryTree(Path(target or "/"), skip=HOST_SKIP)
        asset = Asset(kind=AssetKind.HOST, name=host, identity=Identity(host=host))
        yield OpenedTarget(asset=asset, tree=tree, notices=notices)
        return
    if kind is TargetKind.FS:
        path = Path(target)
        if not path.is_dir():
            raise TargetError(f"{target}: not a directory (for image files use `scan image`)")
        asset = Asset(kind=AssetKind.FILESYSTEM, name=str(path.resolve()))
        yield OpenedTarget(asset=asset, tree=DirectoryTree(path))
        return
    if kind is TargetKind.SBOM:
        doc = read_sbom(Path(target))
        asset = Asset(kind=AssetKind.SBOM, name=doc.target or Path(target).name)
        yield OpenedTarget(asset=asset, sbom=doc.sbom, notices=list(doc.notices))
        return
    notices = []
    path = Path(target)
    local = path.exists()
    with tempfile.TemporaryDirectory(
        prefix="mamori-scan-", dir=work_dir(path if local else None)
    ) as tmp:
        try:
            if not local:  # not a file or directory: an image reference in a registry
                reg = registry or RegistryOptions()
                path = pull_image(
                    target,
                    workdir=Path(tmp),
                    platform=platform,
                    insecure=reg.insecure,
                    username=reg.username,
                    password=reg.password,
                )
            image = open_image(
                path,
                workdir=Path(tmp),
                notices=notices,
                platform=platform,
                keep_versions=database_predicate(),  # layer attribution of distro packages
            )
        except ImageError as exc:  # RegistryError is an ImageError
            raise TargetError(str(exc)) from None
        with image:
            yield OpenedTarget(
                asset=_image_asset(image, target),
                tree=image,
                layers=image.layer_ids,
                notices=notices,
            )
