"""Pull one image from a registry into an OCI image layout directory.

Only the blobs of the chosen platform are fetched: the manifest (through a manifest list
or index if the tag names one), the config and the layers. They go through the blob cache
first, so pulling an image again downloads no blob. The manifest is written unchanged
(Docker media types included, which the layout reader accepts), so every digest stays
the registry's.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mamori.sources.image_json import Descriptor, parse_config
from mamori.sources.image_types import ImageError
from mamori.sources.platform import Platform, matches, parse_platform
from mamori.sources.registry.cache import BlobStore, blob_path, default_cache_dir, place
from mamori.sources.registry.client import Fetched, RegistryClient
from mamori.sources.registry.credentials import Credentials, resolve_credentials
from mamori.sources.registry.errors import RegistryError
from mamori.sources.registry.http import ClientOptions
from mamori.sources.registry.manifest import OCI_INDEX, ImageManifest, Index, choose, parse_manifest
from mamori.sources.registry.reference import ImageReference, parse_reference

REF_NAME = "org.opencontainers.image.ref.name"
MAX_NESTING = 4
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True, slots=True)
class PulledImage:
    layout: Path  # the OCI layout directory, ready for open_image()
    reference: ImageReference
    manifest_digest: str  # the image manifest written to the layout
    media_type: str
    config_digest: str
    layer_digests: tuple[str, ...]
    index_digest: str | None = None  # the manifest list / index it was chosen from
    platform: str | None = None  # of the chosen entry, when chosen from an index
    downloaded_bytes: int = 0  # config and layer bytes fetched (not from the cache)
    blobs_downloaded: int = 0
    blobs_cached: int = 0
    warnings: tuple[str, ...] = ()


def pull_to_layout(
    ref: str | ImageReference,
    dest_dir: Path,
    *,
    platform: str = "linux/amd64",
    auth: Credentials | None = None,
    insecure: bool = False,
    progress: Progress | None = None,
    cache_dir: Path | None = None,
    options: ClientOptions | None = None,
) -> PulledImage:
    """Pull `ref` into `dest_dir` (created; it must not exist or be empty).

    `auth` None pulls anonymously (see `resolve_credentials` for finding credentials).
    `progress(done, total)` hears the bytes of blobs downloaded so far. On failure
    RegistryError is raised and `dest_dir` is left as it was found.
    """
    reference = ref if isinstance(ref, ImageReference) else parse_reference(ref)
    try:
        wanted = parse_platform(platform)
    except ImageError as exc:
        raise RegistryError(str(exc)) from None
    store = BlobStore(cache_dir or default_cache_dir())
    created = _prepare(dest_dir)
    try:
        with RegistryClient(
            reference, credentials=auth, insecure=insecure, options=options
        ) as client:
            return _Puller(client, store, dest_dir, progress).pull(wanted)
    except OSError as exc:
        _clear(dest_dir, created)
        raise RegistryError(f"cannot store the image: {exc.strerror or exc}") from None
    except BaseException:
        _clear(dest_dir, created)
        raise


def _prepare(dest: Path) -> bool:
    """Create `dest` (True) or accept an empty directory (False)."""
    try:
        dest.mkdir(parents=True, mode=0o700)
        return True
    except FileExistsError:
        if dest.is_dir() and not any(dest.iterdir()):
            return False
        raise RegistryError(f"{dest} exists and is not an empty directory") from None
    except OSError as exc:
        raise RegistryError(f"cannot create {dest}: {exc.strerror}") from None


def _clear(dest: Path, created: bool) -> None:
    if created:
        shutil.rmtree(dest, ignore_errors=True)
        return
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


class _Puller:
    def __init__(
        self, client: RegistryClient, store: BlobStore, dest: Path, progress: Progress | None
    ) -> None:
        self.client = client
        self.ref = client.ref
        self.store = store
        self.dest = dest
        self.progress = progress
        self.options = client.options
        self.downloaded = 0
        self.fetched_blobs = 0
        self.cached_blobs = 0
        self.warnings: list[str] = []

    def manifest(self, reference: str, desc: Descriptor | None) -> Fetched:
        """By digest from the cache when there, else from the registry (then cached).
        A tag is always asked for: it may have moved."""
        digest = desc.digest if desc is not None else self.ref.digest
        if digest is not None and reference == digest:
            cached = self.store.lookup(digest, desc.size if desc else None)
            if cached is not None and cached.stat().st_size <= self.options.max_manifest_bytes:
                return Fetched(cached.read_bytes(), desc.media_type if desc else None, digest)
        fetched = self.client.get_manifest(reference, size=desc.size if desc else None)
        self.store.put(fetched.digest, fetched.data)
        return fetched

    def pull(self, wanted: Platform) -> PulledImage:
        self.client.ping()
        fetched = self.manifest(self.ref.reference, None)
        what = str(self.ref)
        doc = parse_manifest(fetched.data, fetched.content_type, f"manifest of {what}")
        index_digest: str | None = None
        entry: Descriptor | None = None
        for _depth in range(MAX_NESTING + 1):
            if not isinstance(doc, Index):
                break
            index_digest = index_digest or fetched.digest
            entry = choose(doc, wanted, what)
            fetched = self.manifest(entry.digest, entry)
            doc = parse_manifest(fetched.data, entry.media_type, f"manifest {entry.digest}")
        if not isinstance(doc, ImageManifest):
            raise RegistryError(f"{what}: image indexes nested deeper than {MAX_NESTING}")
        config_path, layer_paths = self._blobs(doc)
        self._check_config(config_path, doc.config, wanted, chosen=entry is not None)
        platform = None
        if entry is not None and entry.platform is not None:
            platform = "/".join(p for p in entry.platform if p)
        _write_layout(self.dest, self.ref, fetched, doc, entry, [config_path, *layer_paths])
        return PulledImage(
            layout=self.dest,
            reference=self.ref,
            manifest_digest=fetched.digest,
            media_type=doc.media_type,
            config_digest=doc.config.digest,
            layer_digests=tuple(d.digest for d in doc.layers),
            index_digest=index_digest,
            platform=platform,
            downloaded_bytes=self.downloaded,
            blobs_downloaded=self.fetched_blobs,
            blobs_cached=self.cached_blobs,
            warnings=tuple(self.warnings),
        )

    def _blobs(self, doc: ImageManifest) -> tuple[Path, list[Path]]:
        """The config and layer files, each from the cache or downloaded into it."""
        wanted = [(doc.config, self.options.max_config_bytes)]
        wanted += [(layer, self.options.max_layer_bytes) for layer in doc.layers]
        found: dict[str, Path] = {}
        missing: dict[str, tuple[Descriptor, int]] = {}
        for desc, limit in wanted:
            if desc.digest in found or desc.digest in missing:
                continue
            if desc.size is None or desc.size > limit:
                raise RegistryError(
                    f"blob {desc.digest} is {desc.size} bytes, over the {limit}-byte cap"
                )
            cached = self.store.lookup(desc.digest, desc.size)
            if cached is not None:
                found[desc.digest] = cached
                self.cached_blobs += 1
            else:
                missing[desc.digest] = (desc, limit)
        total = sum(d.size or 0 for d, _ in missing.values())
        done = 0
        if self.progress is not None:
            self.progress(0, total)
        for digest, (desc, limit) in missing.items():

            def on_bytes(n: int, base: int = done) -> None:
                if self.progress is not None:
                    self.progress(base + n, total)

            found[digest] = self.client.fetch_blob(desc, self.store, limit=limit, on_bytes=on_bytes)
            done += desc.size or 0
            self.fetched_blobs += 1
        self.downloaded = done
        if self.progress is not None and missing:
            self.progress(done, total)
        return found[doc.config.digest], [found[d.digest] for d in doc.layers]

    def _check_config(
        self, path: Path, desc: Descriptor, wanted: Platform, *, chosen: bool
    ) -> None:
        """The config must parse; a single-platform image for another platform is pulled
        anyway (as docker does for an image that has only one), with a warning."""
        try:
            config = parse_config(path.read_bytes(), f"config {desc.digest}")
        except ImageError as exc:
            raise RegistryError(str(exc)) from None
        if chosen or not config.os or not config.architecture:
            return
        if not matches((config.os, config.architecture, config.variant), wanted):
            have = "/".join(p for p in (config.os, config.architecture, config.variant) if p)
            self.warnings.append(
                f"{self.ref} is a single-platform image for {have}, not {wanted}; scanning it"
            )


def _write_layout(
    dest: Path,
    ref: ImageReference,
    fetched: Fetched,
    doc: ImageManifest,
    entry: Descriptor | None,
    blobs: list[Path],
) -> None:
    """blobs/ first, then index.json and oci-layout: a half-written layout is no layout."""
    root = dest / "blobs"
    manifest_path = blob_path(root, fetched.digest)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_bytes(fetched.data)
    for desc, path in zip([doc.config, *doc.layers], blobs, strict=True):
        place(path, blob_path(root, desc.digest))
    item: dict[str, object] = {
        "mediaType": doc.media_type,
        "digest": fetched.digest,
        "size": len(fetched.data),
        "annotations": {REF_NAME: str(ref)},
    }
    if entry is not None and entry.platform is not None:
        os_name, arch, variant = entry.platform
        item["platform"] = {
            "os": os_name,
            "architecture": arch,
            **({"variant": variant} if variant else {}),
        }
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [item]}
    (dest / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    (dest / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}) + "\n")


def pull_image(
    ref: str,
    *,
    workdir: Path,
    platform: str,
    insecure: bool = False,
    username: str | None = None,
    password: str | None = None,
    progress: Progress | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Pull `ref` into a new OCI layout directory under `workdir` and return it, for
    `open_image(path, ...)`. For `mamori scan image REF` when REF is not a path.

    Credentials: `username`/`password`, else `MAMORI_REGISTRY_USERNAME/PASSWORD`, else
    the podman/docker auth files, else anonymous. The blob cache is `cache_dir` or
    `platformdirs.user_cache_dir("mamori")/blobs`. Raises RegistryError with a message
    for the user; nothing is left in `workdir` then.
    """
    reference = parse_reference(ref)
    try:
        home: Path | None = Path.home()
    except RuntimeError:  # no HOME and no passwd entry
        home = None
    credentials = resolve_credentials(
        reference, username=username, password=password, env=os.environ, home=home
    )
    try:
        holder = Path(tempfile.mkdtemp(prefix="pull-", dir=workdir))
    except OSError as exc:
        raise RegistryError(f"cannot create a directory in {workdir}: {exc.strerror}") from None
    try:
        pulled = pull_to_layout(
            reference,
            holder / "layout",
            platform=platform,
            auth=credentials,
            insecure=insecure,
            progress=progress,
            cache_dir=cache_dir,
        )
    except BaseException:
        shutil.rmtree(holder, ignore_errors=True)
        raise
    return pulled.layout
