"""Open a container image as one read-only directory tree for the catalogers.

    with open_image(path, workdir=tmp, notices=notices) as tree:
        tree.read_text("/etc/os-release"); tree.layer_of("/usr/bin/ls"); tree.info.repo_tags

With `keep_versions`, a predicate over in-tree paths, every layer's version of each
matching file is kept too (`tree.versions(path)`): package databases are rewritten by
every layer that installs something, and only their history tells which layer introduced
a package.

`path` may be a docker-archive tarball, an OCI layout directory, an oci-archive tarball
(any of them possibly compressed), or a plain root-filesystem tarball (one layer, no
config). The layers are applied in order under a fresh directory inside `workdir`,
removed again by `close()`.
"""

from __future__ import annotations

import os
import re
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from mamori.model import Notice, NoticeLevel
from mamori.sources.blobs import AppliedLayer, LayerBlob, apply_blobs
from mamori.sources.bundle import MAX_INDEX_ENTRIES, Bundle, DirBundle, TarBundle
from mamori.sources.directory import DirectoryTree
from mamori.sources.docker_archive import read_docker_archive
from mamori.sources.image_types import ImageError, ImageInfo, LimitError, Limits, NoticeSink
from mamori.sources.layers import LayerApplier
from mamori.sources.oci_layout import read_oci
from mamori.sources.platform import parse_platform
from mamori.sources.rootwriter import remove_tree
from mamori.sources.safe_tar import TarError, TarReader
from mamori.sources.streams import (
    CHUNK,
    Budget,
    Compression,
    CorruptDataError,
    DecodedStream,
    FileWindow,
    sniff,
)
from mamori.sources.tree import normalize
from mamori.sources.versions import FileVersion, VersionKeeper

SOURCE = "sources.image"
_IMAGE_TOP = {"manifest.json", "repositories", "index.json", "oci-layout", "blobs"}
_HEX_NAME = re.compile(r"[a-f0-9]{64}(?:\.json|\.tar)?")


class ImageTree(DirectoryTree):
    """The flattened image filesystem, plus what the image says about itself.

    `layer_ids` are the layers' diff_ids in order; `layer_of(path)` the one that last
    wrote a path. Device nodes and fifos are not created: `devices` lists them.
    `original_modes` keeps the mode of entries stored with other bits (setuid, setgid
    and sticky bits are stripped; owner read access is added so the tree can be read).
    `versions(path)` is each layer's version of a path `open_image`'s `keep_versions`
    accepted.
    """

    def __init__(
        self,
        root: Path,
        *,
        work: Path,
        info: ImageInfo,
        layers: list[AppliedLayer],
        applier: LayerApplier,
    ) -> None:
        self.layer_ids = tuple(layer.diff_id for layer in layers)
        owners = {path: self.layer_ids[i] for path, i in applier.owner.items()}
        super().__init__(root, layers=owners)
        self.info = info
        self.layers = tuple(layers)
        self.devices = dict(applier.devices)
        self.original_modes = dict(applier.modes)
        self.complete = all(layer.complete for layer in layers)
        history = applier.keeper.history if applier.keeper is not None else {}
        self._versions = {
            path: tuple(FileVersion(self.layer_ids[i], kept, i) for i, kept in kept_list)
            for path, kept_list in history.items()
        }
        self._finalizer = weakref.finalize(self, remove_tree, work)

    def layer_of(self, path: str) -> str | None:
        found = super().layer_of(path)
        if found is None:
            resolved = self.resolve(path)
            if resolved is not None and resolved != normalize(path):
                found = super().layer_of(resolved)
        return found

    def versioned_paths(self) -> list[str]:
        """The in-tree paths (real, normalized) whose layer versions were kept."""
        return sorted(self._versions)

    def versions(self, path: str) -> list[FileVersion]:
        """What each layer that touched `path` left there, in layer order: a private copy
        of the file, or None where that layer deleted it. Empty when it was not kept (not
        asked for, or over the versions budget). Paths through symlinks are resolved in
        the final tree, as the layers' writes were resolved when they were applied."""
        found = self._versions.get(normalize(path))
        if found is None:
            resolved = self.resolve(path)
            if resolved is not None:
                found = self._versions.get(resolved)
        return list(found or ())

    def close(self) -> None:
        """Delete the extracted tree (also done when the object is garbage collected)."""
        self._finalizer()

    def __enter__(self) -> ImageTree:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_image(
    path: Path | str,
    *,
    workdir: Path | str,
    notices: list[Notice],
    platform: str = "linux/amd64",
    tag: str | None = None,
    limits: Limits | None = None,
    keep_versions: Callable[[str], bool] | None = None,
) -> ImageTree:
    """Read an image and apply its layers under a new directory in `workdir`.

    `keep_versions(path)` (an in-tree path, absolute and normalized) chooses the files
    whose every layer version is kept for `ImageTree.versions`, within the limits'
    `max_version_bytes` and `max_versions`.

    Raises ImageError when the input is not a readable image (the message says why);
    problems inside layers are skipped and reported in `notices`.
    """
    limits = limits or Limits()
    wanted = parse_platform(platform)
    path = Path(path)
    work = Path(tempfile.mkdtemp(prefix="mamori-image-", dir=workdir))
    sink = NoticeSink(notices, SOURCE)
    bundle: Bundle | None = None
    try:
        bundle, fmt = _open_container(path, work, limits)
        if bundle is None:
            info = ImageInfo(format=fmt)
            blobs = [_rootfs_blob(path)]
        elif fmt == "docker-archive":
            info, blobs = read_docker_archive(
                bundle, tag=tag, platform=wanted, limits=limits, sink=sink
            )
        else:
            info, blobs = read_oci(
                bundle, fmt=fmt, tag=tag, platform=wanted, limits=limits, sink=sink
            )
        rootfs = work / "rootfs"
        rootfs.mkdir()
        keeper = None
        if keep_versions is not None:
            keeper = VersionKeeper(
                keep_versions,
                work / "versions",
                sink,
                max_bytes=limits.max_version_bytes,
                max_versions=limits.max_versions,
            )
        applier = LayerApplier(rootfs, limits, sink, keeper)
        try:
            layers = apply_blobs(blobs, applier, limits, sink)
        finally:
            applier.close()
        _summarize(applier, sink)
        tree = ImageTree(rootfs, work=work, info=info, layers=layers, applier=applier)
    except BaseException:
        remove_tree(work)
        raise
    finally:
        if bundle is not None:
            bundle.close()
            (work / "outer.tar").unlink(missing_ok=True)  # a decompressed archive's spool
        sink.flush()
    return tree


def _summarize(applier: LayerApplier, sink: NoticeSink) -> None:
    info = NoticeLevel.INFO
    if applier.stripped:
        sink.add("summary", f"{applier.stripped} setuid/setgid bits stripped", level=info)
    if applier.devices:
        sink.add("summary", f"{len(applier.devices)} device nodes/fifos recorded", level=info)
    if applier.through_links:
        sink.add(
            "summary",
            f"{applier.through_links} entries written through a symlinked directory "
            "(resolved inside the image)",
            level=info,
        )


def _rootfs_blob(path: Path) -> LayerBlob:
    def opener() -> FileWindow:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise ImageError(f"{path}: {exc.strerror}") from None
        return FileWindow(fd, 0, os.fstat(fd).st_size, owns_fd=True)

    return LayerBlob(opener, None, None, None, None, f"root filesystem tar {path.name}")


def _open_container(path: Path, work: Path, limits: Limits) -> tuple[Bundle | None, str]:
    """The bundle holding the image's files and its format; None for a rootfs tar."""
    if path.is_dir():
        bundle = DirBundle(path)
        if bundle.exists("manifest.json"):
            return bundle, "docker-archive"
        if bundle.exists("oci-layout") and bundle.exists("index.json"):
            return bundle, "oci-layout"
        bundle.close()
        raise ImageError(f"{path}: a directory with neither oci-layout nor manifest.json")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise ImageError(f"{path}: {exc.strerror}") from None
    try:
        window = FileWindow(fd, 0, os.fstat(fd).st_size)
        kind = sniff(window.peek(8))
        if kind is Compression.NONE:
            fmt = _classify(TarReader(window, chunk=4096, skip=window.skip), path, limits)
        else:
            stream = DecodedStream(window, kind, Budget(limits.max_total_bytes), limits)
            fmt = _classify(TarReader(stream, max_metadata=limits.max_metadata_bytes), path, limits)
            if fmt != "rootfs-tar":
                spool = work / "outer.tar"
                _spool(FileWindow(fd, 0, window.length), kind, spool, limits)
                return TarBundle(spool, max_metadata=limits.max_metadata_bytes), fmt
    finally:
        os.close(fd)
    if fmt == "rootfs-tar":
        return None, fmt
    return TarBundle(path, max_metadata=limits.max_metadata_bytes), fmt


def _classify(reader: TarReader, path: Path, limits: Limits) -> str:
    """docker-archive, oci-archive or rootfs-tar, from the tar's top-level names."""
    names: set[str] = set()
    count = 0
    try:
        for member in reader:
            count += 1
            parts = [p for p in member.name.split("/") if p not in ("", ".")]
            if not parts:
                continue
            if parts[0] not in _IMAGE_TOP and not _HEX_NAME.fullmatch(parts[0]):
                return "rootfs-tar"
            if len(parts) == 1:
                names.add(parts[0])
            if count > MAX_INDEX_ENTRIES:
                return "rootfs-tar"
    except (TarError, LimitError, CorruptDataError, OSError) as exc:
        if count == 0:
            raise ImageError(f"{path}: not a tar archive or an image ({exc})") from None
    if count == 0:
        raise ImageError(f"{path}: an empty tar archive")
    if "manifest.json" in names:
        return "docker-archive"
    if "oci-layout" in names and "index.json" in names:
        return "oci-archive"
    return "rootfs-tar"


def _spool(window: FileWindow, kind: Compression, out: Path, limits: Limits) -> None:
    """Decompress a compressed image archive once, so its blobs can be read by offset."""
    stream = DecodedStream(window, kind, Budget(limits.max_total_bytes), limits)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        while data := stream.read(CHUNK):
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
    except (LimitError, CorruptDataError) as exc:
        raise ImageError(f"cannot unpack the image archive: {exc}") from None
    finally:
        os.close(fd)
