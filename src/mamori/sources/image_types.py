"""Values shared by the image readers: limits, the image description, errors, notices."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from mamori.model import Notice, NoticeLevel

GiB = 1024**3
MiB = 1024**2


class ImageError(Exception):
    """The input is not an image we can read (malformed manifest, missing blob...).

    The only exception `open_image` raises for bad input; the message says why.
    """


class LimitError(Exception):
    """A configured cap (bytes, entries, ratio) was reached while reading a layer."""

    def __init__(self, message: str, *, image_wide: bool = False) -> None:
        super().__init__(message)
        self.image_wide = image_wide  # True: stop every later layer too


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps that keep a hostile image from exhausting disk, memory or time.

    Defaults fit any real image; tests lower them to exercise each cap cheaply.
    """

    max_total_bytes: int = 8 * GiB  # decompressed layer bytes read, over the whole image
    max_file_bytes: int = 2 * GiB  # one regular file; larger ones are skipped
    max_entries: int = 1_000_000  # tar members over the whole image
    max_ratio: int = 250  # decompressed/compressed, checked once past ratio_floor
    ratio_floor: int = 256 * MiB
    max_metadata_bytes: int = 1 * MiB  # one pax header or GNU long name
    max_json_bytes: int = 16 * MiB  # manifest.json, index.json, a config
    max_layers: int = 1000
    max_symlink_hops: int = 40
    # Layer versions of package databases kept for layer attribution (open_image's
    # keep_versions): bytes over the whole image, and number of versions.
    max_version_bytes: int = 256 * MiB
    max_versions: int = 10_000


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    created: str | None = None
    created_by: str | None = None
    comment: str | None = None
    empty_layer: bool = False


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What the image's manifest and config say about it (not what its layers hold)."""

    format: str  # "docker-archive", "oci-layout", "oci-archive" or "rootfs-tar"
    manifest_digest: str | None = None  # the registry manifest, when the input has one
    config_digest: str | None = None  # docker's "image id"
    diff_ids: tuple[str, ...] = ()  # from the config, uncompressed layer digests
    layer_digests: tuple[str | None, ...] = ()  # compressed blob digests, per layer
    history: tuple[HistoryEntry, ...] = ()
    os: str | None = None
    architecture: str | None = None
    variant: str | None = None
    created: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    repo_tags: tuple[str, ...] = ()
    user: str | None = None
    env: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()

    @property
    def platform(self) -> str | None:
        if not self.os or not self.architecture:
            return None
        parts = [self.os, self.architecture, *([self.variant] if self.variant else [])]
        return "/".join(parts)

    def history_for_layer(self, index: int) -> HistoryEntry | None:
        """The history step that produced layer `index` (empty-layer steps skipped)."""
        steps = [h for h in self.history if not h.empty_layer]
        return steps[index] if 0 <= index < len(steps) else None


class NoticeSink:
    """Collects notices into the caller's list, capping repeats so a hostile layer with a
    million bad members yields a bounded list, and summing the overflow at the end."""

    def __init__(self, notices: list[Notice], source: str, per_kind: int = 20) -> None:
        self.notices = notices
        self.source = source
        self.per_kind = per_kind
        self._counts: Counter[str] = Counter()

    def add(
        self,
        kind: str,
        message: str,
        path: str | None = None,
        level: NoticeLevel = NoticeLevel.WARNING,
    ) -> None:
        self._counts[kind] += 1
        if self._counts[kind] <= self.per_kind:
            self.notices.append(Notice(level=level, source=self.source, message=message, path=path))

    def count(self, kind: str) -> int:
        return self._counts[kind]

    def flush(self) -> None:
        """Add one summary notice per kind that went over its cap."""
        for kind, n in sorted(self._counts.items()):
            if n > self.per_kind:
                self.notices.append(
                    Notice(
                        level=NoticeLevel.WARNING,
                        source=self.source,
                        message=f"{n - self.per_kind} more '{kind}' notices not shown",
                    )
                )
        self._counts.clear()
