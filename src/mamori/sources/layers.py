"""Apply image layers, in order, into one directory, with OCI whiteout semantics.

A whiteout `.wh.NAME` deletes NAME from lower layers; `.wh..wh..opq` empties its
directory of lower-layer entries. Both apply only to lower layers: an entry the same
layer writes survives whatever the order of members in the tar. Each path remembers the
layer that last wrote it; a `VersionKeeper`, when given, also keeps each layer's version
of chosen paths (package databases). Hostile members are skipped with a notice: names
with "..", absolute names, links out of the tree; device nodes and fifos are recorded,
not made; setuid/setgid bits are stripped (the original mode is kept in `modes`).
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from pathlib import Path

from mamori.model import NoticeLevel
from mamori.sources.image_types import LimitError, Limits, NoticeSink
from mamori.sources.rootwriter import RootWriter, UnsafePathError
from mamori.sources.safe_tar import Member, MemberType, TarError, TarReader, TarTruncatedError
from mamori.sources.streams import CorruptDataError, Reader
from mamori.sources.versions import VersionKeeper

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
MAX_DEVICES = 10_000


def _parents(path: str) -> list[str]:
    """The directories above an in-tree path, "/" included."""
    out = []
    while True:
        path = path.rpartition("/")[0]
        out.append(path or "/")
        if not path:
            return out


class SkipMemberError(Exception):
    """This member is not applied; the message says why."""


def split_name(name: str, max_path: int) -> list[str]:
    """The components of a member name, or SkipMemberError for an unsafe one."""
    if "\0" in name:
        raise SkipMemberError("name contains a NUL byte")
    if name.startswith("/"):
        raise SkipMemberError("absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise SkipMemberError("path contains '..'")
    if len(name) > max_path:
        raise SkipMemberError("path too long")
    return parts


class LayerApplier:
    """Builds the flattened tree; one instance per image, layers applied in order."""

    def __init__(
        self,
        root: Path,
        limits: Limits,
        sink: NoticeSink,
        keeper: VersionKeeper | None = None,
    ) -> None:
        self.limits = limits
        self.keeper = keeper
        self.sink = sink
        self.owner: dict[str, int] = {}  # in-tree path -> index of the layer that wrote it
        self.modes: dict[str, int] = {}  # in-tree path -> original mode, where it differs
        self.devices: dict[str, str] = {}  # in-tree path -> "char 1:3", "fifo"...
        self._device_dirs: Counter[str] = Counter()  # directory -> device nodes below it
        self.entries = 0
        self.stripped = 0
        self.through_links = 0
        self.writer = RootWriter(root, max_hops=limits.max_symlink_hops, on_removed=self._forget)
        self._written: set[str] = set()
        self._ancestors: set[str] = set()
        self._gone: set[str] = set()  # whiteouts done in this layer
        self._emptied: set[str] = set()  # opaque directories done in this layer
        self._index = 0
        self._label = ""

    def close(self) -> None:
        self.writer.close()

    def _forget(self, path: str) -> None:
        if self.keeper is not None:
            self.keeper.touched(path)
        self.owner.pop(path, None)
        self.modes.pop(path, None)
        self._drop_device(path)

    def _add_device(self, path: str, description: str) -> None:
        if path not in self.devices:
            if len(self.devices) >= MAX_DEVICES:
                raise SkipMemberError(f"more than {MAX_DEVICES} device nodes")
            for parent in _parents(path):
                self._device_dirs[parent] += 1
        self.devices[path] = description

    def _drop_device(self, path: str) -> None:
        if self.devices.pop(path, None) is not None:
            for parent in _parents(path):
                self._device_dirs[parent] -= 1

    # -- one layer -------------------------------------------------------------------

    def apply(self, index: int, stream: Reader, label: str) -> bool:
        """Apply one uncompressed layer stream. False if it stopped early (with a notice).
        Raises LimitError when an image-wide cap stops the whole image."""
        self._index, self._label = index, label
        self._written, self._ancestors = set(), set()
        self._gone, self._emptied = set(), set()
        try:
            return self._apply(stream, label)
        finally:
            if self.keeper is not None:  # what this layer left, even if it stopped early
                self.keeper.end_layer(index, label, self.writer.host)

    def _apply(self, stream: Reader, label: str) -> bool:
        reader = TarReader(stream, max_metadata=self.limits.max_metadata_bytes)
        try:
            for member in reader:
                self.entries += 1
                if self.entries > self.limits.max_entries:
                    raise LimitError(
                        f"more than {self.limits.max_entries} entries (max_entries); "
                        "extraction stopped",
                        image_wide=True,
                    )
                try:
                    self._member(member, reader)
                except SkipMemberError as exc:
                    self.sink.add("skipped-member", f"{label}: {exc}; skipped", member.name)
                except (UnsafePathError, OSError) as exc:
                    self.sink.add("skipped-member", f"{label}: cannot place: {exc}", member.name)
                finally:
                    self.writer.end_member()
        except LimitError as exc:
            if exc.image_wide:
                raise
            self.sink.add("layer-stopped", f"{label}: {exc}", level=NoticeLevel.ERROR)
            return False
        except (TarError, CorruptDataError) as exc:
            what = "truncated" if isinstance(exc, TarTruncatedError) else "corrupt"
            truncated = getattr(stream, "truncated", False)
            detail = " (the compressed stream ended early)" if truncated else ""
            self.sink.add(
                "layer-stopped",
                f"{label} is {what}{detail}: {exc}; the entries read before it were kept",
                level=NoticeLevel.ERROR,
            )
            return False
        if not reader.complete:
            self.sink.add(
                "layer-stopped",
                f"{label} ends without an end-of-archive marker (truncated?)",
            )
        return reader.complete

    # -- one member ------------------------------------------------------------------

    def _member(self, m: Member, reader: TarReader) -> None:
        parts = split_name(m.name, self.writer.max_path)
        if not parts:
            if m.type is not MemberType.DIR:
                raise SkipMemberError("entry names the root itself")
            return
        base = parts[-1]
        key = "/".join(parts[:-1])
        if base.startswith(WHITEOUT):
            self._whiteout(key, base)
            return
        if m.type is MemberType.FILE and m.size > self.limits.max_file_bytes:
            raise SkipMemberError(f"file of {m.size} bytes exceeds max_file_bytes")
        if m.type is MemberType.OTHER:
            what = "sparse file" if m.sparse else "entry of an unsupported type"
            raise SkipMemberError(what)
        if m.type is MemberType.HARDLINK:
            self._hardlink(m, key, base)
            return
        dfd, real_parent, via = self.writer.parent(key, create=True)
        self.through_links += via
        real = (real_parent if real_parent != "/" else "") + "/" + base
        if via and self.keeper is not None:
            self.keeper.touched(real, alias="/" + "/".join(parts))
        if m.type is MemberType.DIR:
            stored = (m.mode & 0o777) | 0o700
            self.writer.make_dir(dfd, base, real, stored)
            self._record(real, m.mode, stored)
            return
        if m.type is MemberType.FILE:
            stored = (m.mode & 0o777) | 0o400
            fd = self.writer.make_file(dfd, base, real, stored)
            try:
                self._record(real, m.mode, stored)
                reader.copy_to(fd)
            finally:
                os.close(fd)
            return
        if m.type is MemberType.SYMLINK:
            if not m.linkname or "\0" in m.linkname:
                raise SkipMemberError("symlink with an empty or invalid target")
            self.writer.make_symlink(dfd, base, real, m.linkname)
        else:  # device nodes and fifos: recorded, never created
            kind = m.type.value
            if m.type is not MemberType.FIFO:
                kind = f"{kind} {m.devmajor}:{m.devminor}"
            self.writer.remove(real)
            self._record(real)
            self._add_device(real, kind)
            return
        self._record(real)

    def _record(self, real: str, mode: int | None = None, stored: int | None = None) -> None:
        """Note that this layer wrote `real`; keep its mode if the stored one differs
        (only permission bits are stored, plus owner access so the tree can be read)."""
        if mode is not None and mode != stored:
            self.modes[real] = mode
            if mode & (stat.S_ISUID | stat.S_ISGID):
                self.stripped += 1
        else:
            self.modes.pop(real, None)
        self.owner[real] = self._index
        if self.keeper is not None:
            self.keeper.touched(real)
        self._drop_device(real)
        self._written.add(real)
        parent = real.rpartition("/")[0]
        while parent and parent not in self._ancestors:
            self._ancestors.add(parent)
            parent = parent.rpartition("/")[0]

    def _hardlink(self, m: Member, key: str, base: str) -> None:
        try:
            target = split_name(m.linkname, self.writer.max_path)
        except SkipMemberError as exc:
            raise SkipMemberError(f"hard link target {m.linkname!r}: {exc}") from None
        if not target:
            raise SkipMemberError("hard link to the root")
        try:
            src_fd, src_parent, _ = self.writer.parent("/".join(target[:-1]), create=False)
        except (FileNotFoundError, UnsafePathError):
            raise SkipMemberError(f"hard link to {m.linkname!r}, not in the tree") from None
        src_real = (src_parent if src_parent != "/" else "") + "/" + target[-1]
        try:
            st = os.lstat(self.writer.host(src_real))
        except FileNotFoundError:
            raise SkipMemberError(f"hard link to {m.linkname!r}, not in the tree") from None
        if stat.S_ISDIR(st.st_mode):
            raise SkipMemberError(f"hard link to directory {m.linkname!r}")
        dfd, real_parent, via = self.writer.parent(key, create=True)
        self.through_links += via
        real = (real_parent if real_parent != "/" else "") + "/" + base
        if via and self.keeper is not None:
            self.keeper.touched(real, alias="/" + (f"{key}/{base}" if key else base))
        if real == src_real:
            raise SkipMemberError("hard link to itself")
        self.writer.make_hardlink(src_fd, target[-1], dfd, base, real)
        original = self.modes.get(src_real)
        self._record(real)
        if original is not None:  # one inode: the same mode as its other name
            self.modes[real] = original

    # -- whiteouts ---------------------------------------------------------------------

    def _already_cleared(self, path: str, *, self_emptied: bool) -> bool:
        """Whether this layer already removed the lower entries at or above `path`, so a
        repeated whiteout costs nothing (a hostile layer may repeat them by the million)."""
        if path in self._gone or (self_emptied and path in self._emptied):
            return True
        parent = path.rpartition("/")[0]
        while parent:
            if parent in self._gone or parent in self._emptied:
                return True
            parent = parent.rpartition("/")[0]
        return False

    def _whiteout(self, key: str, base: str) -> None:
        if base == OPAQUE:
            _, real_dir, _ = self.writer.parent(key, create=True)
            if self._already_cleared(real_dir, self_emptied=True):
                return
            self._emptied.add(real_dir)
            prefix = real_dir if real_dir != "/" else ""
            for name in self.writer.children(real_dir):
                self._hide_lower(prefix + "/" + name)
            self._forget_devices_below(prefix)
            return
        if base.startswith(WHITEOUT + WHITEOUT):
            return  # other AUFS metadata (.wh..wh.plnk...): not part of the image
        name = base[len(WHITEOUT) :]
        if name in ("", ".", ".."):
            raise SkipMemberError("whiteout of an invalid name")
        try:
            _, real_dir, _ = self.writer.parent(key, create=False)
        except FileNotFoundError:
            return  # nothing below to hide
        path = (real_dir if real_dir != "/" else "") + "/" + name
        if self._already_cleared(path, self_emptied=False):
            return
        self._gone.add(path)
        self._hide_lower(path)
        if path not in self._written:
            self._drop_device(path)
        self._forget_devices_below(path)

    def _hide_lower(self, path: str) -> None:
        """Delete what lower layers put at `path`, keeping what this layer wrote."""
        stack = [path]
        while stack:
            current = stack.pop()
            if current not in self._written and current not in self._ancestors:
                self.writer.remove(current)
            elif self.writer.is_dir(current):
                stack.extend(current + "/" + c for c in self.writer.children(current))

    def _forget_devices_below(self, prefix: str) -> None:
        """Drop recorded device nodes under a cleared directory (they are not on disk, so
        removal never meets them), except those this layer wrote."""
        if self._device_dirs[prefix or "/"] <= 0:
            return
        prefix += "/"
        for path in [p for p in self.devices if p.startswith(prefix)]:
            if path not in self._written:
                self._drop_device(path)
