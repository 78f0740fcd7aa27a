"""``ScapReader``: a streaming reader of ``.scap`` captures (sysdig / Falco format).

Opening a capture reads its metadata blocks (up to the first event block) into
``threads``, ``fds``, ``users``, ``groups``, ``interfaces`` and ``machine``; then
``events()`` yields one ``SyscallEvent`` per event block, decoded by the event table,
reading ahead a bounded buffer and decoding each event in place from it;
``events(skip=codes, on_skip=fn)`` leaves the events of those codes undecoded (they are
still numbered, and `fn` gets their times). ``records()`` yields everything in file
order, including metadata blocks that appear between events (merged captures).
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Callable, Iterable, Iterator
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
from mamori.captures.scap.events import event_info
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

# What a skip reads of an event body without decoding it, by byte order and kind (see
# `decode._HEADERS`): timestamp, event length, event code; and the dump flags of blocks
# that carry them (kind bit 1).
_PEEK = {
    order: (
        struct.Struct(p + "2xQ8xIH"),
        struct.Struct(p + "2xQ8xIH"),
        struct.Struct(p + "6xQ8xIH"),
        struct.Struct(p + "6xQ8xIH"),
    )
    for order, p in (("little", "<"), ("big", ">"))
}
# A block's type and length with its event's (kind 0 and 1 layout) in one read.
_SCAN = {o: struct.Struct(p + "II2xQ8xIH") for o, p in (("little", "<"), ("big", ">"))}
_SCAN_SIZE = _SCAN["little"].size
_FLAGS = {"little": struct.Struct("<2xI"), "big": struct.Struct(">2xI")}
_TRAILER = {"little": struct.Struct("<I"), "big": struct.Struct(">I")}
# By kind: the smallest event length the decoder accepts, and the bytes of the body
# before the event (its length must fit the rest): what `EventDecoder` checks first.
_EVENT_LEN = ((26, 2), (22, 2), (26, 6), (22, 6))


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
        # Event block type -> the fast path's checks: decoder kind, largest block length,
        # smallest event length, and the block bytes around the event (`_EVENT_LEN`).
        self._limits = {
            t: (k, self._blocks.limit(t), _EVENT_LEN[k][0], 12 + _EVENT_LEN[k][1])
            for t, k in _EVENT_KINDS.items()
        }
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

    def events(
        self, skip: Iterable[int] = (), on_skip: Callable[[int], object] | None = None
    ) -> Iterator[SyscallEvent]:
        """The events of the capture, in file order (evt.num counts from 1). Metadata
        blocks met on the way are added to ``threads``, ``fds``, ``users``...

        `skip`: event codes (`codes_for`) not to decode. Their blocks are still checked
        (length, trailer, event length) and counted, so every event that is yielded
        has the number and neighbours' times a full read gives it, but they are not
        decoded or yielded; `on_skip(ts)` is called with each one's timestamp, in
        order (what ``evt.deltatime`` and ``evt.reltime`` need). A skipped event is
        not decoded, so damage inside its parameters goes unnoticed."""
        skipped = frozenset(c for c in skip if event_info(c) is not None)
        while True:
            # One block the general way: the first one, a metadata block, a section
            # header, a refill of the read-ahead buffer, the end or an error.
            block = self._next()
            if block is None:
                return
            kind = _EVENT_KINDS.get(block[0])
            if kind is None:
                for record in self._metadata(*block):
                    self._keep(record)
            elif not (skipped and self._skip_block(kind, block[1], skipped, on_skip)):
                event = self._event(kind, block[1])
                if event is not None:
                    yield event
            if not self._done and self._blocks.header is not None:
                yield from self._fast_events(skipped, on_skip)

    def _skip_block(
        self,
        kind: int,
        body: bytes,
        skipped: frozenset[int],
        on_skip: Callable[[int], object] | None,
    ) -> bool:
        """Count and skip one event block whose code is in `skipped`; False to decode it
        (another code, or a header too damaged to trust: decoding reports it)."""
        order = self._blocks.order
        peek = _PEEK[order][kind]
        if len(body) < peek.size:
            return False
        ts, length, code = peek.unpack_from(body, 0)
        lo, hi = _EVENT_LEN[kind]
        if code not in skipped or not lo <= length <= len(body) - hi:
            return False
        if kind & 2 and _FLAGS[order].unpack_from(body, 0)[0] & 1:
            self.state_only_events += 1
        self._num += 1
        if on_skip is not None:
            on_skip(ts)
        return True

    def _fast_events(
        self, skipped: frozenset[int], on_skip: Callable[[int], object] | None
    ) -> Iterator[SyscallEvent]:
        """Event blocks parsed straight from the read-ahead buffer, as long as they are
        whole in it (`BlockStream.window`): no per-block copy, no call for a skipped
        event but `on_skip`. Stops at anything else, for `events` to handle."""
        blocks = self._blocks
        order = blocks.order
        scan = _SCAN[order].unpack_from
        trailer = _TRAILER[order].unpack_from
        peek_flagged = _PEEK[order][2].unpack_from
        flags_at = _FLAGS[order].unpack_from
        limits = self._limits
        decoder = self._decoder
        decode_at = decoder.decode_at
        buf, pos = blocks.window()
        size = len(buf)
        num = self._num
        scan_size = _SCAN_SIZE
        last_type = kind = limit = lo = over = -1  # the previous block's type and checks
        try:
            while pos + scan_size <= size:
                btype, total, ts, length, code = scan(buf, pos)
                if btype != last_type:
                    entry = limits.get(btype)
                    if entry is None:
                        break
                    kind, limit, lo, over = entry
                    last_type = btype
                stop = pos + total
                if total > limit or total < 12 or stop > size or trailer(buf, stop - 4)[0] != total:
                    break
                start = pos + 8
                if kind & 2:  # the event header is 4 bytes further in blocks with flags
                    ts, length, code = peek_flagged(buf, start)
                if code in skipped and lo <= length <= total - over:
                    if kind & 2 and flags_at(buf, start)[0] & 1:
                        self.state_only_events += 1
                    num += 1
                    if on_skip is not None:
                        on_skip(ts)
                    pos = stop
                    continue
                try:
                    event = decode_at(buf, start, stop - 4, kind, order, num + 1)
                except (struct.error, IndexError, ValueError) as exc:
                    raise CaptureError(f"corrupt event block: {exc}") from exc
                finally:
                    pos = stop
                if decoder.flags & 1:
                    self.state_only_events += 1
                if event is None:
                    self.skipped_events += 1
                    continue
                num += 1
                self._num = num
                blocks.consume(pos)
                yield event
        finally:
            self._num = num
            blocks.consume(pos)

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
