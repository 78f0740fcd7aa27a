"""Keep what each layer left at chosen paths (package databases), for layer attribution.

A package database (dpkg's status, apk's installed db, the rpmdb) is rewritten by every
layer that installs anything, so the layer that last wrote it says nothing about which
layer introduced a given package. While the layers are applied, the `VersionKeeper`
remembers, for each path its predicate accepts, the file every layer left there, or
that the layer deleted it.

A version costs no copy: the applier never changes a written file in place (a rewrite
unlinks the old name and creates a new file), so a hard link to the file a layer wrote is
a frozen copy that takes no space until a later layer replaces it. A plain copy is made
only where a link cannot be. Versions are bounded in bytes and in number; a path over the
budget loses its whole history (an incomplete history would attribute wrongly), and its
packages keep the layer that last wrote the database.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from mamori.sources.image_types import NoticeSink


class FileVersion(NamedTuple):
    """One layer's version of a kept path: `host` is None where the layer deleted it."""

    layer: str  # the layer's diff_id
    host: Path | None  # a private, read-only copy of the file as that layer left it
    position: int  # the layer's index in the image (diff_ids may repeat)


class VersionKeeper:
    """Records versions of the paths `keep` accepts; the applier calls `touched` for every
    path it writes or removes, and `end_layer` once a layer is applied."""

    def __init__(
        self,
        keep: Callable[[str], bool],
        store: Path,
        sink: NoticeSink,
        *,
        max_bytes: int,
        max_versions: int,
    ) -> None:
        self._keep = keep
        self._store = store
        self._sink = sink
        self._max_bytes = max_bytes
        self._max_versions = max_versions
        self._bytes = 0
        self._count = 0
        self._serial = 0
        self._pending: set[str] = set()
        self._dropped: set[str] = set()
        self.history: dict[str, list[tuple[int, Path | None]]] = {}

    def touched(self, path: str, alias: str | None = None) -> None:
        """The current layer wrote or removed in-tree `path` (real, normalized); `alias`
        is the name the layer used for it when a symlinked directory led elsewhere."""
        if path in self._pending or path in self._dropped:
            return
        if path in self.history or self._keep(path) or (alias is not None and self._keep(alias)):
            self._pending.add(path)

    def end_layer(self, index: int, label: str, host: Callable[[str], str]) -> None:
        """Record what layer `index` left at each path it touched; `host` maps an in-tree
        path to its place in the extracted tree."""
        pending, self._pending = sorted(self._pending), set()
        for path in pending:
            try:
                self._record(index, label, path, host(path))
            except OSError as exc:
                self._drop(path, f"{label}: cannot keep its version of {path}: {exc}")

    def _record(self, index: int, label: str, path: str, source: str) -> None:
        try:
            st = os.lstat(source)
        except FileNotFoundError:
            st = None
        history = self.history.get(path)
        if st is None or not stat.S_ISREG(st.st_mode):
            if history and history[-1][1] is not None:
                history.append((index, None))  # a deletion is a version too
            return
        if self._count >= self._max_versions:
            self._drop(
                path,
                f"{label}: more than {self._max_versions} versions of package "
                f"databases; {path} is no longer followed",
            )
            return
        if self._bytes + st.st_size > self._max_bytes:
            self._drop(
                path,
                f"{label}: its version of {path} would pass the "
                f"{self._max_bytes}-byte budget for package database versions",
            )
            return
        self._store.mkdir(mode=0o700, exist_ok=True)
        self._serial += 1
        kept = self._store / f"{index}-{self._serial}"
        try:
            os.link(source, kept, follow_symlinks=False)
        except OSError:  # another file system, or links refused: copy instead
            shutil.copyfile(source, kept, follow_symlinks=False)
        self._bytes += st.st_size
        self._count += 1
        self.history.setdefault(path, []).append((index, kept))

    def _drop(self, path: str, message: str) -> None:
        """Forget `path`'s versions for good: a history with a hole would mislead."""
        self._sink.add(
            "version-skipped",
            f"{message}; packages read from it keep the layer that last wrote it",
            path,
        )
        self._dropped.add(path)
        for _, kept in self.history.pop(path, []):
            if kept is not None:
                kept.unlink(missing_ok=True)
