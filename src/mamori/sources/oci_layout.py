"""Read an OCI image layout (a directory, or the inside of an oci-archive tarball).

This is the general path: a registry pull lands in a layout directory too. From
index.json we pick a manifest (by tag, then by platform through nested indexes and
docker manifest lists), read and check its config, and list the layer blobs.
"""

from __future__ import annotations

import hashlib

from mamori.model import NoticeLevel
from mamori.sources.blobs import LayerBlob
from mamori.sources.bundle import Bundle, read_small
from mamori.sources.image_json import (
    Descriptor,
    JsonObj,
    as_list,
    as_obj,
    blob_name,
    descriptor,
    opt_str,
    parse_config,
    parse_json,
)
from mamori.sources.image_types import ImageError, ImageInfo, Limits, NoticeSink
from mamori.sources.platform import Platform, matches

REF_NAME = "org.opencontainers.image.ref.name"
IMAGE_NAME = "io.containerd.image.name"
INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
CONFIG_TYPES = {
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
}
MAX_NESTING = 4


def read_blob(bundle: Bundle, desc: Descriptor, limits: Limits, sink: NoticeSink) -> bytes:
    """A small blob (manifest, config), its digest checked (a mismatch is a notice)."""
    data = read_small(bundle, blob_name(desc.digest), limits.max_json_bytes)
    algorithm, _, expected = desc.digest.partition(":")
    actual = hashlib.new(algorithm, data).hexdigest()
    if actual != expected:
        sink.add(
            "digest-mismatch",
            f"blob {desc.digest} has digest {algorithm}:{actual}",
            level=NoticeLevel.ERROR,
        )
    return data


def _tags(desc: Descriptor) -> tuple[str, ...]:
    names = [desc.annotations.get(k) for k in (IMAGE_NAME, REF_NAME)]
    return tuple(dict.fromkeys(n for n in names if n))


def _pick_by_tag(manifests: list[Descriptor], tag: str) -> list[Descriptor]:
    picked = [
        d
        for d in manifests
        if any(t == tag or t.endswith(":" + tag) or tag.endswith(":" + t) for t in _tags(d))
    ]
    if not picked:
        known = sorted({t for d in manifests for t in _tags(d)})
        raise ImageError(f"no image tagged {tag!r} in the layout (tags: {known})")
    return picked


def _pick(
    manifests: list[Descriptor], platform: Platform, sink: NoticeSink, what: str
) -> Descriptor:
    """One descriptor of an index: the one for `platform` when platforms are given."""
    if not manifests:
        raise ImageError(f"{what} lists no manifests")
    with_platform = [d for d in manifests if d.platform is not None]
    if with_platform:
        for desc in with_platform:
            assert desc.platform is not None
            if matches(desc.platform, platform):
                return desc
        manifests = [d for d in manifests if d.platform is None]
        if not manifests:
            found = sorted(
                "/".join(p for p in d.platform if p)
                for d in with_platform
                if d.platform and d.platform[0] != "unknown"
            )
            raise ImageError(f"{what} has no image for {platform}; it has {found}")
    if len(manifests) > 1:
        sink.add(
            "several-images",
            f"{what} lists {len(manifests)} images; reading the first "
            "(pass a tag to choose another)",
            level=NoticeLevel.INFO,
        )
    return manifests[0]


def _manifests(doc: JsonObj, what: str) -> list[Descriptor]:
    items = as_list(doc.get("manifests"), f"{what}.manifests")
    return [descriptor(d, f"{what}.manifests[{i}]") for i, d in enumerate(items)]


def read_oci(
    bundle: Bundle,
    *,
    fmt: str,
    tag: str | None,
    platform: Platform,
    limits: Limits,
    sink: NoticeSink,
) -> tuple[ImageInfo, list[LayerBlob]]:
    layout = as_obj(parse_json(read_small(bundle, "oci-layout", 4096), "oci-layout"), "oci-layout")
    version = opt_str(layout, "imageLayoutVersion", "oci-layout")
    if version is None:
        raise ImageError("oci-layout has no imageLayoutVersion")
    index = as_obj(
        parse_json(read_small(bundle, "index.json", limits.max_json_bytes), "index.json"),
        "index.json",
    )
    manifests = _manifests(index, "index.json")
    if tag is not None:
        manifests = _pick_by_tag(manifests, tag)
    desc = _pick(manifests, platform, sink, "index.json")
    tags = _tags(desc)
    for depth in range(MAX_NESTING + 1):
        data = read_blob(bundle, desc, limits, sink)
        what = f"manifest {desc.digest}"
        doc = as_obj(parse_json(data, what), what)
        if desc.media_type in INDEX_TYPES or (desc.media_type is None and "manifests" in doc):
            if depth == MAX_NESTING:
                raise ImageError(f"image indexes nested deeper than {MAX_NESTING}")
            desc = _pick(_manifests(doc, what), platform, sink, what)
            continue
        if "fsLayers" in doc:
            raise ImageError(f"{what} is a docker schema 1 manifest (not supported)")
        info, blobs = _read_manifest(bundle, desc, doc, fmt, tags, limits, sink)
        if info.os and info.architecture:
            have = (info.os, info.architecture, info.variant)
            if not matches(have, platform):
                sink.add(
                    "platform",
                    f"the image is for {info.platform}, not {platform}",
                    level=NoticeLevel.INFO,
                )
        return info, blobs
    raise ImageError("unreachable")  # pragma: no cover


def _read_manifest(
    bundle: Bundle,
    desc: Descriptor,
    doc: JsonObj,
    fmt: str,
    tags: tuple[str, ...],
    limits: Limits,
    sink: NoticeSink,
) -> tuple[ImageInfo, list[LayerBlob]]:
    what = f"manifest {desc.digest}"
    config_desc = descriptor(doc.get("config"), f"{what}.config")
    if config_desc.media_type is not None and config_desc.media_type not in CONFIG_TYPES:
        raise ImageError(f"not a container image: config media type {config_desc.media_type}")
    layer_descs = [
        descriptor(d, f"{what}.layers[{i}]")
        for i, d in enumerate(as_list(doc.get("layers"), f"{what}.layers"))
    ]
    if len(layer_descs) > limits.max_layers:
        raise ImageError(f"{what} has {len(layer_descs)} layers (max_layers)")
    config = parse_config(
        read_blob(bundle, config_desc, limits, sink), f"config {config_desc.digest}"
    )
    if len(config.diff_ids) != len(layer_descs):
        sink.add(
            "layer-count",
            f"the config lists {len(config.diff_ids)} layers, the manifest {len(layer_descs)}",
            level=NoticeLevel.ERROR,
        )
    blobs = []
    for i, layer in enumerate(layer_descs):
        name = blob_name(layer.digest)
        blobs.append(
            LayerBlob(
                open=lambda name=name: bundle.window(name),  # type: ignore[misc]
                digest=layer.digest,
                diff_id=config.diff_ids[i] if i < len(config.diff_ids) else None,
                size=layer.size,
                media_type=layer.media_type,
                label=f"layer {i + 1} ({layer.digest[:19]})",
            )
        )
    info = ImageInfo(
        format=fmt,
        manifest_digest=desc.digest,
        config_digest=config_desc.digest,
        diff_ids=config.diff_ids,
        layer_digests=tuple(d.digest for d in layer_descs),
        history=config.history,
        os=config.os,
        architecture=config.architecture,
        variant=config.variant,
        created=config.created,
        labels=config.labels,
        repo_tags=tags,
        user=config.user,
        env=config.env,
        entrypoint=config.entrypoint,
        cmd=config.cmd,
    )
    return info, blobs


def manifest_for_config(bundle: Bundle, config_digest: str, limits: Limits) -> str | None:
    """The digest of the manifest in index.json whose config is `config_digest` (docker
    25+ archives carry an OCI layout beside manifest.json). None if there is none."""
    quiet = NoticeSink([], "sources.oci_layout")
    try:
        index = as_obj(
            parse_json(read_small(bundle, "index.json", limits.max_json_bytes), "index.json"),
            "index.json",
        )
        for desc in _manifests(index, "index.json")[:16]:
            doc = as_obj(parse_json(read_blob(bundle, desc, limits, quiet), "manifest"), "m")
            config = doc.get("config")
            if isinstance(config, dict) and config.get("digest") == config_digest:
                return desc.digest
    except ImageError:
        return None
    return None
