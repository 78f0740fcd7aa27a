"""``ScapReader``: a streaming reader of ``.scap`` captures (sysdig / Falco format).

Opening a capture reads its metadata blocks (up to the first event block) into
``threads``, ``fds``, ``users``, ``groups``, ``interfaces`` and ``machine``; then
``events()`` yields one ``SyscallEvent`` per event block, decoded by the event table,
without ever holding more than one block in memory. ``records()`` yields everything in
file order, including metadata blocks that appear between events (merged captures).
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from mamori.captures.scap.blocks import (
    DEFAULT_MAX_LARGE_BLOCK,
    DEFAULT_MAX_META_BLOCK,
    EV_BLOCK_TYPES,
    EV_BLOCK_V1,
    EVF_BLOCK_TYPES,
    FDL_BLOCK_TYPES,
    IL_BLOCK_TYPES,
    MI_BLOCK_TYPES,
    PL_BLOCK_VERSIONS,
    SHB_BLOCK_TYPE,
    UL_BLOCK_TYPES,
    BlockStream,
    CaptureError,
    TruncatedCaptureError,
    open_source,
)
from mamori.captures.scap.decode import EventDecoder
from mamori.captures.scap.metadata import (
    GroupInfo,
    Interface,
    MachineInfo,
    UserInfo,
    parse_fdlist,
    parse_iflist,
    parse_machine_info,
    parse_proclist,
    parse_userlist,
)
from mamori.model.events import FdInfo, SyscallEvent, ThreadInfo

_MAX_USERS = 1 << 16
# Event block types -> decoder kind (bit 0: old v1 layout, bit 1: carries dump flags).
_EVENT_KINDS = {t: (1 if t in EV_BLOCK_V1 else 0) | (2 if t in EVF_BLOCK_TYPES else 0)
                for t in EV_BLOCK_TYPES}  # fmt: skip

Record = ThreadInfo | FdInfo | UserInfo | GroupInfo | SyscallEvent


class CaptureWarning(UserWarning):
    """A recoverable problem in a capture (truncated tail, skipped unknown events)."""


class ScapReader:
    """Reads one capture. Use as a context manager or call ``close()``."""

    def __init__(
        self,
        source: str | Path | BinaryIO,
        *,
        max_meta_block: int = DEFAULT_MAX_META_BLOCK,
        max_large_block: int = DEFAULT_MAX_LARGE_BLOCK,
        max_threads: int = 1 << 18,
        max_fds: int = 1 << 20,
        on_warning: Callable[[str], None] | None = None,
    ) -> None:
        self._owns = not hasattr(source, "read")
        stream = open_source(str(source) if isinstance(source, Path) else source)
        self._stream = stream
        self._blocks = BlockStream(
            stream, max_meta_block=max_meta_block, max_large_block=max_large_block
        )
        self._on_warning = on_warning
        self._max_threads = max_threads
        self._max_fds = max_fds
        self.dropped_records = 0  # metadata beyond max_threads / max_fds
        self.warnings: list[str] = []
        self.machine: MachineInfo | None = None
        self.threads: list[ThreadInfo] = []
        self.fds: list[FdInfo] = []
        self.users: list[UserInfo] = []
        self.groups: list[GroupInfo] = []
        self.interfaces: list[Interface] = []
        self.skipped_events = 0  # event codes newer than our table
        self.state_only_events = 0  # EVF blocks flagged "for state only" (fatfile)
        self._decoder = EventDecoder()
        self._pending: tuple[int, bytes] | None = None
        self._done = False
        self._num = 0
        try:
            self._read_metadata()
        except BaseException:
            self.close()
            raise

    # -- lifecycle ---------------------------------------------------------------
    def close(self) -> None:
        if self._owns:
            self._stream.close()

    def __enter__(self) -> ScapReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        if self._on_warning is not None:
            self._on_warning(message)
        else:
            warnings.warn(message, CaptureWarning, stacklevel=3)

    # -- reading -----------------------------------------------------------------
    def _next(self) -> tuple[int, bytes] | None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            return pending
        if self._done:
            return None
        try:
            block = self._blocks.next_block()
        except TruncatedCaptureError as exc:
            self._warn(f"capture truncated, stopping: {exc}")
            self._done = True
            return None
        if block is None:
            self._done = True
        return block

    def _read_metadata(self) -> None:
        first = self._next()
        if first is None:
            if self.warnings:
                raise CaptureError("not a scap capture: " + self.warnings[-1])
            raise CaptureError("empty input: not a scap capture")
        if first[0] != SHB_BLOCK_TYPE:
            raise CaptureError("not a scap capture: no section header block")
        while True:
            block = self._next()
            if block is None:
                return
            if block[0] in EV_BLOCK_TYPES:
                self._pending = block
                return
            for record in self._metadata(*block):
                self._keep(record)

    def _keep(self, record: Record) -> None:
        if isinstance(record, ThreadInfo):
            if len(self.threads) < self._max_threads:
                self.threads.append(record)
            else:
                self._drop("threads")
        elif isinstance(record, FdInfo):
            if len(self.fds) < self._max_fds:
                self.fds.append(record)
            else:
                self._drop("fds")
        elif isinstance(record, UserInfo):
            if len(self.users) < _MAX_USERS:
                self.users.append(record)
            else:
                self._drop("users")
        elif isinstance(record, GroupInfo):
            if len(self.groups) < _MAX_USERS:
                self.groups.append(record)
            else:
                self._drop("groups")

    def _drop(self, what: str) -> None:
        if not self.dropped_records:
            self._warn(f"capture lists more {what} than the reader keeps; dropping the rest")
        self.dropped_records += 1

    def _metadata(self, block_type: int, body: bytes) -> Iterator[Record]:
        order = self._blocks.order
        if block_type in MI_BLOCK_TYPES:
            self.machine = parse_machine_info(body, order)
        elif block_type in PL_BLOCK_VERSIONS:
            yield from parse_proclist(body, PL_BLOCK_VERSIONS[block_type], order)
        elif block_type in FDL_BLOCK_TYPES:
            yield from parse_fdlist(body, block_type, order)[1]
        elif block_type in UL_BLOCK_TYPES:
            users, groups = parse_userlist(body, block_type, order)
            yield from users
            yield from groups
        elif block_type in IL_BLOCK_TYPES:
            self.interfaces = parse_iflist(body, block_type, order)
        # The section header and unknown block types carry nothing we use: skipped,
        # as libscap does.

    def records(self) -> Iterator[Record]:
        """Everything after the initial metadata, in file order."""
        while True:
            block = self._next()
            if block is None:
                return
            block_type, body = block
            kind = _EVENT_KINDS.get(block_type)
            if kind is not None:
                event = self._event(kind, body)
                if event is not None:
                    yield event
            else:
                yield from self._metadata(block_type, body)

    def events(self) -> Iterator[SyscallEvent]:
        """The events of the capture, in file order (evt.num counts from 1). Metadata
        blocks met on the way are added to ``threads``, ``fds``, ``users``..."""
        kinds = _EVENT_KINDS
        while True:
            block = self._next()
            if block is None:
                return
            kind = kinds.get(block[0])
            if kind is None:
                for record in self._metadata(*block):
                    self._keep(record)
                continue
            event = self._event(kind, block[1])
            if event is not None:
                yield event

    def _event(self, kind: int, body: bytes) -> SyscallEvent | None:
        try:
            event = self._decoder.decode(body, kind, self._blocks.order, self._num + 1)
        except (struct.error, IndexError, ValueError) as exc:
            raise CaptureError(f"corrupt event block: {exc}") from exc
        if self._decoder.flags & 1:
            self.state_only_events += 1
        if event is None:
            self.skipped_events += 1
            return None
        self._num += 1
        return event


def read_events(source: str | Path | BinaryIO) -> Iterator[SyscallEvent]:
    """Convenience: every event of a capture."""
    with ScapReader(source) as reader:
        yield from reader.events()
