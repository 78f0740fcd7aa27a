"""Decoding one event block body into a ``SyscallEvent``.

An event is a header (timestamp, thread id, total length, event code and, in "v2"
blocks, the parameter count), then one length per parameter (16-bit, or 32-bit for
large-payload events), then the parameter bytes back to back. Old "v1" blocks do not
store the parameter count: as libscap does, it is recovered as the largest count whose
lengths add up exactly to the event's length.
"""

from __future__ import annotations

import struct

from mamori.captures.scap._syscalls import syscall_name
from mamori.captures.scap.blocks import CaptureError
from mamori.captures.scap.events import GENERIC_E, GENERIC_X, EventInfo, event_info
from mamori.captures.scap.params import decoder_for
from mamori.model.events import Param, SyscallEvent

# Block body headers by kind (bit 0: v1 event without a parameter count, bit 1: block
# with 32 bits of flags): cpu id, [flags], timestamp, tid, event length, code, [nparams].
_HEADERS = {
    order: (
        struct.Struct(p + "HQqIHI"),
        struct.Struct(p + "HQqIH"),
        struct.Struct(p + "HIQqIHI"),
        struct.Struct(p + "HIQqIH"),
    )
    for order, p in (("little", "<"), ("big", ">"))
}
# Old captures stored these two internal events with a length 3 bytes too long.
_V1_LEN_QUIRK = frozenset({280, 286})
_MAX_PARAMS = 64


class _Plan:
    """Everything needed to decode one event code, computed once."""

    __slots__ = (
        "decoders", "dir", "generic", "large", "lens", "lsize", "name", "names", "nparams",
        "v1_guess",
    )  # fmt: skip

    def __init__(self, info: EventInfo) -> None:
        self.name = info.name
        self.dir = info.dir
        self.names = tuple(p.name for p in info.params)
        self.decoders = tuple(decoder_for(p) for p in info.params)
        self.large = info.large_payload
        self.lsize = 4 if self.large else 2
        self.nparams = len(info.params)
        self.generic = info.code in (GENERIC_E, GENERIC_X)
        self.lens: dict[tuple[str, int], struct.Struct] = {}  # (order, count) -> lengths
        self.v1_guess = -1  # the parameter count old-format events of this code had

    def lens_struct(self, order: str, count: int) -> struct.Struct:
        st = self.lens.get((order, count))
        if st is None:
            prefix = "<" if order == "little" else ">"
            st = struct.Struct(f"{prefix}{count}{'I' if self.large else 'H'}")
            self.lens[(order, count)] = st
        return st


class EventDecoder:
    """Decodes event bodies; caches one decoding plan per event code."""

    def __init__(self) -> None:
        self._plans: dict[int, _Plan | None] = {}
        self.flags = 0  # the dump flags of the last event decoded (blocks with flags)

    def _plan(self, code: int) -> _Plan | None:
        if code not in self._plans:
            info = event_info(code)
            self._plans[code] = _Plan(info) if info is not None else None
        return self._plans[code]

    def decode(self, body: bytes, kind: int, order: str, num: int) -> SyscallEvent | None:
        """The event of one event block body, or None for an event code newer than our
        table. ``kind``: bit 0 set for old (v1) blocks, bit 1 for blocks with flags."""
        head = _HEADERS[order][kind]
        if len(body) < head.size:
            raise CaptureError(f"event block too short ({len(body)} bytes)")
        fields = head.unpack_from(body, 0)
        if kind & 2:
            self.flags = fields[1]
            fields = fields[:1] + fields[2:]
        else:
            self.flags = 0
        if kind & 1:
            cpu, ts, tid, length, code = fields
            nparams = -1
        else:
            cpu, ts, tid, length, code, nparams = fields
        off = 6 if kind & 2 else 2
        end = off + length
        lens_off = off + (22 if kind & 1 else 26)
        if end > len(body) or lens_off > end:
            raise CaptureError(f"event length {length} does not fit its block")
        plan = self._plans.get(code) if code in self._plans else self._plan(code)
        if plan is None:
            return None
        if kind & 1:
            if code in _V1_LEN_QUIRK:
                end = max(lens_off, end - 3)
            nparams = self._v1_nparams(body, lens_off, end, code, plan, order)
        elif nparams > _MAX_PARAMS:
            raise CaptureError(f"event {plan.name}: {nparams} parameters is not plausible")
        pos = lens_off + nparams * plan.lsize
        if pos > end:
            raise CaptureError(f"event {plan.name}: parameter lengths run past the event")
        lens = plan.lens_struct(order, nparams).unpack_from(body, lens_off)
        params: dict[str, Param] = {}
        for name, decode, size in zip(plan.names, plan.decoders, lens, strict=False):
            params[name] = decode(body[pos : pos + size], order)
            pos += size
        for i in range(plan.nparams, nparams):  # parameters newer than our table
            params[f"param{i}"] = body[pos : pos + lens[i]]
            pos += lens[i]
        if pos > end:
            raise CaptureError(f"event {plan.name}: parameters run past the event")
        name = plan.name
        if plan.generic:
            sc = params.get("ID")
            name = syscall_name(sc) if isinstance(sc, int) else "<unknown>"
        return SyscallEvent(ts, tid, name, plan.dir, params, cpu, num)

    def _v1_nparams(
        self, body: bytes, lens_off: int, end: int, code: int, plan: _Plan, order: str
    ) -> int:
        lsize = plan.lsize
        guess = plan.v1_guess
        if guess >= 0 and lens_off + guess * lsize <= end:
            lens = plan.lens_struct(order, guess).unpack_from(body, lens_off)
            if lens_off + guess * lsize + sum(lens) == end:
                return guess
        for n in range(plan.nparams, -1, -1):
            values_at = lens_off + n * lsize
            if values_at > end:
                continue
            lens = plan.lens_struct(order, n).unpack_from(body, lens_off)
            if values_at + sum(lens) == end:
                plan.v1_guess = n
                return n
        raise CaptureError("old-format event: no parameter count matches its length")
