"""Strict readers for the JSON documents of an image: every malformed field is an
`ImageError` that names the document and the field, never a KeyError or TypeError."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from mamori.sources.image_types import HistoryEntry, ImageError

_DIGEST = re.compile(r"(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})")
JsonObj = dict[str, object]


def parse_json(data: bytes, what: str) -> object:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ImageError(f"{what} is not valid JSON: {str(exc)[:200]}") from None


def as_obj(value: object, what: str) -> JsonObj:
    if not isinstance(value, dict):
        raise ImageError(f"{what} is not a JSON object")
    return value


def opt_obj(doc: JsonObj, key: str, what: str) -> JsonObj:
    value = doc.get(key)
    return {} if value is None else as_obj(value, f"{what}.{key}")


def as_list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise ImageError(f"{what} is not a JSON list")
    return value


def opt_list(doc: JsonObj, key: str, what: str) -> list[object]:
    value = doc.get(key)
    return [] if value is None else as_list(value, f"{what}.{key}")


def opt_str(doc: JsonObj, key: str, what: str) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ImageError(f"{what}.{key} is not a string")
    return value


def req_str(doc: JsonObj, key: str, what: str) -> str:
    value = opt_str(doc, key, what)
    if value is None:
        raise ImageError(f"{what} has no {key!r}")
    return value


def str_list(doc: JsonObj, key: str, what: str) -> tuple[str, ...]:
    if isinstance(doc.get(key), str):  # old docker configs: "Cmd": "sh"
        return (str(doc[key]),)
    items = opt_list(doc, key, what)
    if not all(isinstance(i, str) for i in items):
        raise ImageError(f"{what}.{key} is not a list of strings")
    return tuple(str(i) for i in items)


def str_map(doc: JsonObj, key: str, what: str) -> dict[str, str]:
    value = opt_obj(doc, key, what)
    if not all(isinstance(v, str) for v in value.values()):
        raise ImageError(f"{what}.{key} is not a map of strings")
    return {k: str(v) for k, v in value.items()}


def as_digest(value: object, what: str) -> str:
    """A content digest, validated so it can never name a path outside blobs/."""
    if not isinstance(value, str) or not _DIGEST.fullmatch(value):
        raise ImageError(f"{what} is not a valid digest: {str(value)[:100]!r}")
    return value


def blob_name(digest: str) -> str:
    algorithm, _, hexpart = digest.partition(":")
    return f"blobs/{algorithm}/{hexpart}"


@dataclass(frozen=True, slots=True)
class Descriptor:
    media_type: str | None
    digest: str
    size: int | None
    annotations: dict[str, str] = field(default_factory=dict)
    platform: tuple[str, str, str | None] | None = None  # os, architecture, variant


def descriptor(value: object, what: str) -> Descriptor:
    doc = as_obj(value, what)
    size = doc.get("size")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise ImageError(f"{what}.size is not a non-negative integer")
    plat = doc.get("platform")
    platform = None
    if plat is not None:
        p = as_obj(plat, f"{what}.platform")
        platform = (
            opt_str(p, "os", f"{what}.platform") or "",
            opt_str(p, "architecture", f"{what}.platform") or "",
            opt_str(p, "variant", f"{what}.platform"),
        )
    return Descriptor(
        media_type=opt_str(doc, "mediaType", what),
        digest=as_digest(doc.get("digest"), f"{what}.digest"),
        size=size,
        annotations=str_map(doc, "annotations", what),
        platform=platform,
    )


@dataclass(frozen=True, slots=True)
class ImageConfig:
    diff_ids: tuple[str, ...]
    history: tuple[HistoryEntry, ...]
    os: str | None
    architecture: str | None
    variant: str | None
    created: str | None
    labels: dict[str, str]
    user: str | None
    env: tuple[str, ...]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]


def parse_config(data: bytes, what: str = "image config") -> ImageConfig:
    doc = as_obj(parse_json(data, what), what)
    rootfs = as_obj(doc.get("rootfs"), f"{what}.rootfs")
    diff_ids = tuple(
        as_digest(d, f"{what}.rootfs.diff_ids[{i}]")
        for i, d in enumerate(opt_list(rootfs, "diff_ids", f"{what}.rootfs"))
    )
    history = []
    for i, item in enumerate(opt_list(doc, "history", what)):
        h = as_obj(item, f"{what}.history[{i}]")
        empty = h.get("empty_layer", False)
        history.append(
            HistoryEntry(
                created=opt_str(h, "created", f"{what}.history[{i}]"),
                created_by=opt_str(h, "created_by", f"{what}.history[{i}]"),
                comment=opt_str(h, "comment", f"{what}.history[{i}]"),
                empty_layer=empty is True,
            )
        )
    cfg = opt_obj(doc, "config", what)
    return ImageConfig(
        diff_ids=diff_ids,
        history=tuple(history),
        os=opt_str(doc, "os", what),
        architecture=opt_str(doc, "architecture", what),
        variant=opt_str(doc, "variant", what),
        created=opt_str(doc, "created", what),
        labels=str_map(cfg, "Labels", f"{what}.config"),
        user=opt_str(cfg, "User", f"{what}.config"),
        env=str_list(cfg, "Env", f"{what}.config"),
        entrypoint=str_list(cfg, "Entrypoint", f"{what}.config"),
        cmd=str_list(cfg, "Cmd", f"{what}.config"),
    )
