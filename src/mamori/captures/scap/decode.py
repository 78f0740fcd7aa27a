"""Decoding one event block body into a ``SyscallEvent``.

An event is a header (timestamp, thread id, total length, event code and, in "v2"
blocks, the parameter count), then one length per parameter (16-bit, or 32-bit for
large-payload events), then the parameter bytes back to back. Old "v1" blocks do not
store the parameter count: as libscap does, it is recovered as the largest count whose
lengths add up exactly to the event's length.

Speed matters here (a replay decodes every event it does not skip): everything that
depends only on the event code and byte order (names, parameter decoders, the struct
of the parameter lengths) is computed once per code, the body is decoded in place from
the reader's buffer (`EventDecoder.decode_at`: no copy of the block), and events are
built by `new_event`, which sets the frozen dataclass's slots directly.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable

from mamori.captures.scap._syscalls import syscall_name
from mamori.captures.scap.blocks import CaptureError
from mamori.captures.scap.events import (
    EVENT_MAX,
    FIXED_SIZES,
    GENERIC_E,
    GENERIC_X,
    SIGNED_TYPES,
    EventInfo,
    event_info,
)
from mamori.captures.scap.params import Decoder, decoder_for
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

EventFactory = Callable[[int, int, str, str, dict[str, Param], int, int], SyscallEvent]


def _event_factory() -> EventFactory:
    """``new_event(ts, tid, name, dir, params, cpu, num)``: a `SyscallEvent` equal to the
    one its constructor builds, at half the cost (a frozen dataclass's ``__init__`` sets
    each field through ``object.__setattr__``; this calls the slot setters directly).
    Falls back to the constructor if the dataclass's fields are not the expected ones."""
    expected = ("ts", "tid", "name", "dir", "params", "cpu", "num", "ctx")
    fields = tuple(f.name for f in dataclasses.fields(SyscallEvent))
    slots = getattr(SyscallEvent, "__slots__", ())
    if fields != expected or not set(expected) <= set(slots):
        return SyscallEvent
    new = object.__new__
    cls = SyscallEvent
    s_ts, s_tid, s_name, s_dir, s_params, s_cpu, s_num, s_ctx = (
        getattr(cls, f).__set__ for f in expected
    )

    def new_event(
        ts: int, tid: int, name: str, dir: str, params: dict[str, Param], cpu: int, num: int
    ) -> SyscallEvent:
        event: SyscallEvent = new(cls)
        s_ts(event, ts)
        s_tid(event, tid)
        s_name(event, name)
        s_dir(event, dir)
        s_params(event, params)
        s_cpu(event, cpu)
        s_num(event, num)
        s_ctx(event, None)
        return event

    return new_event


new_event: EventFactory = _event_factory()


class _Plan:
    """Everything needed to decode one event code, computed once."""

    __slots__ = (
        "dir", "fields", "generic", "large", "lens", "lens_full", "lsize", "name",
        "names", "nparams", "params",
    )  # fmt: skip

    def __init__(self, info: EventInfo) -> None:
        self.name = info.name
        self.dir = info.dir
        self.names = tuple(p.name for p in info.params)
        # (name, decoder, signedness) in wire order; signedness is None but for the
        # integer types, which `decode_at` converts inline (one call fewer each).
        self.fields: tuple[tuple[str, Decoder, bool | None], ...] = tuple(
            (p.name, decoder_for(p), _int_signedness(p.type)) for p in info.params
        )
        self.large = info.large_payload
        self.lsize = 4 if self.large else 2
        self.nparams = len(info.params)
        self.generic = info.code in (GENERIC_E, GENERIC_X)
        self.lens: dict[tuple[str, int], struct.Struct] = {}  # (order, count) -> lengths
        # The lengths struct for the table's own parameter count, by byte order.
        self.lens_full = {o: self.lens_struct(o, self.nparams) for o in ("little", "big")}
        # The parameters of an event with the table's own count, by byte order.
        self.params = {o: _params_function(info, self.fields, o) for o in ("little", "big")}

    def lens_struct(self, order: str, count: int) -> struct.Struct:
        st = self.lens.get((order, count))
        if st is None:
            prefix = "<" if order == "little" else ">"
            st = struct.Struct(f"{prefix}{count}{'I' if self.large else 'H'}")
            self.lens[(order, count)] = st
        return st


_PLANS: list[_Plan | None] = [None] * EVENT_MAX
ParamsFunction = Callable[[bytes, int, tuple[int, ...]], tuple[dict[str, Param], int]]


def _params_function(
    info: EventInfo, fields: tuple[tuple[str, Decoder, bool | None], ...], order: str
) -> ParamsFunction:
    """``f(buf, pos, lens) -> (params, end)`` for one event code and byte order: its
    parameters decoded from ``buf[pos:]`` given their lengths, generated as straight-line
    code (one dict display, no loop; integers converted inline, as the table's decoders
    would: ``int.from_bytes`` when 1-8 bytes long, the decoder otherwise)."""
    n = len(fields)
    ends = [f"e{i}" for i in range(n)]
    lines = [f"def params_{info.code}(buf, pos, lens):"]
    if n:
        lines.append(f"    {', '.join(f'l{i}' for i in range(n))}, = lens")
    previous = "pos"
    items = []
    for i, (name, _decode, signed) in enumerate(fields):
        lines.append(f"    e{i} = {previous} + l{i}")
        value = f"buf[{previous}:e{i}]"
        if signed is None:
            items.append(f"{name!r}: d{i}({value}, order)")
        else:
            items.append(
                f"{name!r}: from_bytes({value}, order, signed={signed}) if 0 < l{i} <= 8 "
                f"else d{i}({value}, order)"
            )
        previous = ends[i]
    lines.append(f"    return {{{', '.join(items)}}}, {previous}")
    namespace: dict[str, object] = {"from_bytes": int.from_bytes, "order": order}
    namespace.update((f"d{i}", decode) for i, (_name, decode, _signed) in enumerate(fields))
    # the code is generated from the package's own event table, never from input
    exec(compile("\n".join(lines) + "\n", f"<scap params {info.code}>", "exec"), namespace)  # noqa: S102
    fn = namespace[f"params_{info.code}"]
    assert callable(fn)
    return fn


def _int_signedness(wire: str) -> bool | None:
    """For the wire types `params` decodes as plain integers: whether they are signed."""
    if wire not in FIXED_SIZES or wire in ("dbl", "ip4", "ip6"):
        return None
    return wire in SIGNED_TYPES


def _plan(code: int) -> _Plan | None:
    """The plan of a code (built on first use), None for a code newer than our table."""
    if not 0 <= code < EVENT_MAX:
        return None
    plan = _PLANS[code]
    if plan is None:
        info = event_info(code)
        assert info is not None
        plan = _PLANS[code] = _Plan(info)
    return plan


class EventDecoder:
    """Decodes event bodies (the per-code plans are shared by every decoder)."""

    def __init__(self) -> None:
        self.flags = 0  # the dump flags of the last event decoded (blocks with flags)
        # code -> the parameter count old-format events of that code had in this stream
        self._v1_guess: dict[int, tuple[int, struct.Struct]] = {}

    def decode(self, body: bytes, kind: int, order: str, num: int) -> SyscallEvent | None:
        """The event of one event block body, or None for an event code newer than our
        table. ``kind``: bit 0 set for old (v1) blocks, bit 1 for blocks with flags."""
        return self.decode_at(body, 0, len(body), kind, order, num)

    def decode_at(
        self, buf: bytes, start: int, stop: int, kind: int, order: str, num: int
    ) -> SyscallEvent | None:
        """`decode` of the body ``buf[start:stop]``, read in place."""
        head = _HEADERS[order][kind]
        if stop - start < head.size:
            raise CaptureError(f"event block too short ({stop - start} bytes)")
        if kind == 0:  # v2 block without flags: today's captures
            cpu, ts, tid, length, code, nparams = head.unpack_from(buf, start)
            self.flags = 0
            off = start + 2
            lens_off = start + 28
        elif kind == 1:  # v1 block: older captures
            cpu, ts, tid, length, code = head.unpack_from(buf, start)
            self.flags = nparams = 0
            off = start + 2
            lens_off = start + 24
        else:
            fields = head.unpack_from(buf, start)
            self.flags = fields[1]
            off = start + 6
            if kind & 1:
                cpu, _, ts, tid, length, code = fields
                nparams = 0
                lens_off = off + 22
            else:
                cpu, _, ts, tid, length, code, nparams = fields
                lens_off = off + 26
        end = off + length
        if end > stop or lens_off > end:
            raise CaptureError(f"event length {length} does not fit its block")
        plan = _PLANS[code] if code < EVENT_MAX else None
        if plan is None:
            plan = _plan(code)
            if plan is None:
                return None
        if kind & 1:
            if code in _V1_LEN_QUIRK:
                end = max(lens_off, end - 3)
            guess = self._v1_guess.get(code)
            if guess is not None and lens_off + guess[0] * plan.lsize <= end:
                nparams, st = guess  # the count this code had last time: does it fit?
                lens = st.unpack_from(buf, lens_off)
                if lens_off + nparams * plan.lsize + sum(lens) != end:
                    nparams, lens = self._v1_lens(buf, lens_off, end, code, plan, order)
            else:
                nparams, lens = self._v1_lens(buf, lens_off, end, code, plan, order)
        else:
            if nparams > _MAX_PARAMS:
                raise CaptureError(f"event {plan.name}: {nparams} parameters is not plausible")
            if lens_off + nparams * plan.lsize > end:
                raise CaptureError(f"event {plan.name}: parameter lengths run past the event")
            if nparams == plan.nparams:
                lens = plan.lens_full[order].unpack_from(buf, lens_off)
            else:
                lens = plan.lens_struct(order, nparams).unpack_from(buf, lens_off)
        pos = lens_off + nparams * plan.lsize
        if nparams == plan.nparams:
            params, pos = plan.params[order](buf, pos, lens)
        else:  # fewer parameters (older writers) or more (newer ones) than our table
            params = {}
            for (name, decode, _signed), size in zip(plan.fields, lens, strict=False):
                params[name] = decode(buf[pos : pos + size], order)
                pos += size
            for i in range(plan.nparams, nparams):
                params[f"param{i}"] = buf[pos : pos + lens[i]]
                pos += lens[i]
        if pos > end:
            raise CaptureError(f"event {plan.name}: parameters run past the event")
        name = plan.name
        if plan.generic:
            sc = params.get("ID")
            name = syscall_name(sc) if isinstance(sc, int) else "<unknown>"
        return new_event(ts, tid, name, plan.dir, params, cpu, num)

    def _v1_lens(
        self, buf: bytes, lens_off: int, end: int, code: int, plan: _Plan, order: str
    ) -> tuple[int, tuple[int, ...]]:
        """The parameter count of an old-format event (the largest whose lengths add up
        to the event's: `decode_at` first tries the count this code had last time) and
        its parameter lengths."""
        lsize = plan.lsize
        for n in range(plan.nparams, -1, -1):
            values_at = lens_off + n * lsize
            if values_at > end:
                continue
            st = plan.lens_struct(order, n)
            lens = st.unpack_from(buf, lens_off)
            if values_at + sum(lens) == end:
                self._v1_guess[code] = (n, st)
                return n, lens
        raise CaptureError("old-format event: no parameter count matches its length")
