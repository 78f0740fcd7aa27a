"""Manifests as registries serve them: OCI index and manifest, Docker manifest list and
schema 2 manifest. Docker schema 1 is refused with a clear message. Every digest is
checked before it is used; every descriptor of a blob we will download needs a size,
which caps the download.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from mamori.sources.image_json import Descriptor, descriptor
from mamori.sources.image_types import ImageError, Limits
from mamori.sources.platform import Platform, matches
from mamori.sources.registry.errors import RegistryError
from mamori.sources.registry.reference import check_digest

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_V1 = "application/vnd.docker.distribution.manifest.v1+json"
DOCKER_V1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))
CONFIG_TYPES = (
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
)
LEGACY = "unsupported legacy manifest (Docker image manifest schema 1)"


@dataclass(frozen=True, slots=True)
class Index:
    media_type: str
    manifests: tuple[Descriptor, ...]


@dataclass(frozen=True, slots=True)
class ImageManifest:
    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]


def _media_type(doc: dict[str, object], content_type: str | None) -> str:
    declared = doc.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    header = (content_type or "").split(";")[0].strip().lower()
    if header in (*INDEX_TYPES, *MANIFEST_TYPES, DOCKER_V1, DOCKER_V1_SIGNED):
        return header
    if "manifests" in doc:
        return OCI_INDEX
    if "config" in doc or "layers" in doc:
        return OCI_MANIFEST
    raise RegistryError(f"unknown manifest type (Content-Type {header[:80]!r}, no mediaType)")


def parse_manifest(data: bytes, content_type: str | None, what: str) -> Index | ImageManifest:
    """An index or an image manifest; RegistryError for anything else."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        raise RegistryError(f"{what} is not valid JSON") from None
    if not isinstance(doc, dict):
        raise RegistryError(f"{what} is not a JSON object")
    if doc.get("schemaVersion") == 1:
        raise RegistryError(f"{what}: {LEGACY}; push the image again with a current client")
    media_type = _media_type(doc, content_type)
    if media_type in (DOCKER_V1, DOCKER_V1_SIGNED):
        raise RegistryError(f"{what}: {LEGACY}; push the image again with a current client")
    if doc.get("schemaVersion") != 2:
        raise RegistryError(f"{what} has schemaVersion {str(doc.get('schemaVersion'))[:20]}")
    try:
        if media_type in INDEX_TYPES:
            items = doc.get("manifests")
            if not isinstance(items, list):
                raise RegistryError(f"{what} has no list of manifests")
            if len(items) > 1000:
                raise RegistryError(f"{what} lists {len(items)} manifests (at most 1000)")
            return Index(
                media_type, tuple(_sized(d, f"{what}.manifests[{i}]") for i, d in enumerate(items))
            )
        if media_type in MANIFEST_TYPES:
            return _image_manifest(doc, media_type, what)
    except ImageError as exc:
        if isinstance(exc, RegistryError):
            raise
        raise RegistryError(str(exc)) from None
    raise RegistryError(f"{what} has an unsupported media type {media_type[:100]!r}")


def _sized(value: object, what: str) -> Descriptor:
    if isinstance(value, dict):
        check_digest(value.get("digest"), f"{what}.digest")
    desc = descriptor(value, what)
    if desc.size is None:
        raise RegistryError(f"{what} has no size")
    return desc


def _image_manifest(doc: dict[str, object], media_type: str, what: str) -> ImageManifest:
    config = _sized(doc.get("config"), f"{what}.config")
    if config.media_type is not None and config.media_type not in CONFIG_TYPES:
        raise RegistryError(
            f"not a container image: {what} has a config of type {config.media_type[:100]!r}"
        )
    items = doc.get("layers")
    if not isinstance(items, list):
        raise RegistryError(f"{what} has no list of layers")
    if len(items) > Limits().max_layers:
        raise RegistryError(f"{what} has {len(items)} layers (at most {Limits().max_layers})")
    layers = tuple(_sized(d, f"{what}.layers[{i}]") for i, d in enumerate(items))
    return ImageManifest(media_type, config, layers)


def _platform_text(desc: Descriptor) -> str:
    assert desc.platform is not None
    return "/".join(p for p in desc.platform if p)


def choose(index: Index, wanted: Platform, what: str) -> Descriptor:
    """The entry of `index` for `wanted`; the error lists the platforms there are.

    Entries for `unknown/unknown` (build attestations) are never images to scan.
    """
    usable = [d for d in index.manifests if not (d.platform and d.platform[0] == "unknown")]
    with_platform = [d for d in usable if d.platform is not None]
    for desc in with_platform:
        assert desc.platform is not None
        if matches(desc.platform, wanted):
            return desc
    if not with_platform and len(usable) == 1:
        return usable[0]
    if not usable:
        raise RegistryError(f"{what} lists no images")
    found = ", ".join(sorted({_platform_text(d) for d in with_platform})) or "none given"
    raise RegistryError(f"{what} has no image for {wanted}; available platforms: {found}")
