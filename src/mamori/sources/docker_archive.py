"""Read a docker-archive (`docker save`, `podman save --format docker-archive`).

manifest.json lists, per image, the config file, the repo tags and the layer tars, by
path inside the archive: `<id>/layer.tar` (legacy, often a symlink), `<diff_id>.tar`
(podman) or `blobs/sha256/<hex>` (docker 25+, which also writes an OCI index.json).
"""

from __future__ import annotations

import hashlib
import re

from mamori.model import NoticeLevel
from mamori.sources.blobs import LayerBlob
from mamori.sources.bundle import Bundle, clean_name, read_small
from mamori.sources.image_json import (
    JsonObj,
    as_list,
    as_obj,
    parse_config,
    parse_json,
    req_str,
    str_list,
)
from mamori.sources.image_types import ImageError, ImageInfo, Limits, NoticeSink
from mamori.sources.oci_layout import manifest_for_config
from mamori.sources.platform import Platform, matches

# A path that names its own digest: "blobs/sha256/<hex>", "<hex>.json", "<hex>.tar".
_SELF_DIGEST = re.compile(r"(?:blobs/sha256/)?([a-f0-9]{64})(?:\.json|\.tar)?")


def _named_digest(path: str) -> str | None:
    found = _SELF_DIGEST.fullmatch(path)
    return f"sha256:{found.group(1)}" if found else None


def _pick(entries: list[JsonObj], tag: str | None, sink: NoticeSink) -> JsonObj:
    if tag is not None:
        for entry in entries:
            tags = str_list(entry, "RepoTags", "manifest.json entry")
            if any(t == tag or t.endswith(":" + tag) for t in tags):
                return entry
        known = sorted({t for e in entries for t in str_list(e, "RepoTags", "manifest.json")})
        raise ImageError(f"no image tagged {tag!r} in manifest.json (tags: {known})")
    if len(entries) > 1:
        sink.add(
            "several-images",
            f"manifest.json lists {len(entries)} images; reading the first "
            "(pass a tag to choose another)",
            level=NoticeLevel.INFO,
        )
    return entries[0]


def read_docker_archive(
    bundle: Bundle,
    *,
    tag: str | None,
    platform: Platform,
    limits: Limits,
    sink: NoticeSink,
) -> tuple[ImageInfo, list[LayerBlob]]:
    doc = parse_json(read_small(bundle, "manifest.json", limits.max_json_bytes), "manifest.json")
    items = as_list(doc, "manifest.json")
    if not items:
        raise ImageError("manifest.json lists no images")
    entries = [as_obj(item, f"manifest.json[{i}]") for i, item in enumerate(items)]
    entry = _pick(entries, tag, sink)
    config_path = clean_name(req_str(entry, "Config", "manifest.json entry"))
    layer_paths = [clean_name(p) for p in str_list(entry, "Layers", "manifest.json entry")]
    if len(layer_paths) > limits.max_layers:
        raise ImageError(f"manifest.json lists {len(layer_paths)} layers (max_layers)")
    raw_config = read_small(bundle, config_path, limits.max_json_bytes)
    config_digest = "sha256:" + hashlib.sha256(raw_config).hexdigest()
    named = _named_digest(config_path)
    if named is not None and named != config_digest:
        sink.add(
            "digest-mismatch",
            f"config {config_path} has digest {config_digest}",
            level=NoticeLevel.ERROR,
        )
    config = parse_config(raw_config, f"config {config_path}")
    if len(config.diff_ids) != len(layer_paths):
        sink.add(
            "layer-count",
            f"the config lists {len(config.diff_ids)} layers, manifest.json {len(layer_paths)}",
            level=NoticeLevel.ERROR,
        )
    if config.os and config.architecture:
        have = (config.os, config.architecture, config.variant)
        if not matches(have, platform):
            sink.add(
                "platform",
                f"the image is for {'/'.join(p for p in have if p)}, not {platform}",
                level=NoticeLevel.INFO,
            )
    blobs = []
    for i, path in enumerate(layer_paths):
        named = _named_digest(path) if path.startswith("blobs/") else None
        blobs.append(
            LayerBlob(
                open=lambda path=path: bundle.window(path),  # type: ignore[misc]
                digest=named,
                diff_id=config.diff_ids[i] if i < len(config.diff_ids) else None,
                size=None,
                media_type=None,
                label=f"layer {i + 1} ({path[:60]})",
            )
        )
    manifest_digest = None
    if bundle.exists("index.json"):
        manifest_digest = manifest_for_config(bundle, config_digest, limits)
    info = ImageInfo(
        format="docker-archive",
        manifest_digest=manifest_digest,
        config_digest=config_digest,
        diff_ids=config.diff_ids,
        layer_digests=tuple(b.digest for b in blobs),
        history=config.history,
        os=config.os,
        architecture=config.architecture,
        variant=config.variant,
        created=config.created,
        labels=config.labels,
        repo_tags=str_list(entry, "RepoTags", "manifest.json entry"),
        user=config.user,
        env=config.env,
        entrypoint=config.entrypoint,
        cmd=config.cmd,
    )
    return info, blobs
