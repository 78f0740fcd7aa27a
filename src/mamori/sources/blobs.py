"""Stream each layer blob through decompression into the layer applier, checking the
blob digest (manifest) and the uncompressed digest (config diff_id) on the way."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mamori.model import NoticeLevel
from mamori.sources.image_types import ImageError, LimitError, Limits, NoticeSink
from mamori.sources.layers import LayerApplier
from mamori.sources.streams import (
    Budget,
    Compression,
    CorruptDataError,
    DecodedStream,
    FileWindow,
    sniff,
)


@dataclass(frozen=True, slots=True)
class LayerBlob:
    """Where one layer's bytes are and what they should hash to."""

    open: Callable[[], FileWindow]
    digest: str | None  # of the blob as stored (manifest), when known
    diff_id: str | None  # of the uncompressed tar (config), when known
    size: int | None
    media_type: str | None
    label: str


@dataclass(frozen=True, slots=True)
class AppliedLayer:
    diff_id: str  # the config's diff_id when there is one, else the computed one
    computed_diff_id: str | None  # None when the layer was not read to its end
    compression: Compression | None
    complete: bool


def apply_blobs(
    blobs: list[LayerBlob], applier: LayerApplier, limits: Limits, sink: NoticeSink
) -> list[AppliedLayer]:
    budget = Budget(limits.max_total_bytes)
    out: list[AppliedLayer] = []
    stopped = False
    for index, blob in enumerate(blobs):
        fallback = blob.diff_id or f"unknown:{index}"
        if stopped:
            sink.add("layer-skipped", f"{blob.label} not applied: extraction was stopped")
            out.append(AppliedLayer(fallback, None, None, False))
            continue
        try:
            window = blob.open()
        except ImageError as exc:
            sink.add("layer-missing", f"{blob.label} is missing: {exc}", level=NoticeLevel.ERROR)
            out.append(AppliedLayer(fallback, None, None, False))
            continue
        try:
            layer, stopped = _apply_one(index, blob, window, applier, budget, limits, sink)
        finally:
            window.close()
        out.append(layer)
    return out


def _apply_one(
    index: int,
    blob: LayerBlob,
    window: FileWindow,
    applier: LayerApplier,
    budget: Budget,
    limits: Limits,
    sink: NoticeSink,
) -> tuple[AppliedLayer, bool]:
    if blob.size is not None and blob.size != window.length:
        sink.add(
            "size-mismatch",
            f"{blob.label}: the manifest says {blob.size} bytes, the blob has {window.length}",
            level=NoticeLevel.ERROR,
        )
    kind = sniff(window.peek(8))
    algorithm = blob.digest.partition(":")[0] if blob.digest else None
    same_hash = kind is Compression.NONE and algorithm == "sha256"
    if algorithm and not same_hash:
        window.hash_with(algorithm)
    stream = DecodedStream(window, kind, budget, limits)
    stopped = False
    try:
        complete = applier.apply(index, stream, blob.label)
        if complete:
            stream.drain()  # trailing zero blocks are part of the diff_id
            window.drain()
    except LimitError as exc:
        sink.add("image-stopped", f"{blob.label}: {exc}", level=NoticeLevel.ERROR)
        complete, stopped = False, exc.image_wide
    except CorruptDataError as exc:
        sink.add("layer-trailing", f"{blob.label}: after its tar data: {exc}")
    computed = stream.digest() if complete else None
    if complete and blob.digest:
        actual = computed if same_hash else window.digest()
        if actual != blob.digest:
            sink.add(
                "digest-mismatch",
                f"{blob.label}: blob digest is {actual}, the manifest says {blob.digest}",
                level=NoticeLevel.ERROR,
            )
    if complete and blob.diff_id and computed != blob.diff_id:
        sink.add(
            "digest-mismatch",
            f"{blob.label}: uncompressed digest is {computed}, the config says {blob.diff_id}",
            level=NoticeLevel.ERROR,
        )
    diff_id = blob.diff_id or computed or stream.digest()
    return AppliedLayer(diff_id, computed, kind, complete), stopped
