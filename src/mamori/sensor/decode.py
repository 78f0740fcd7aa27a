"""Sensor records -> ``SyscallEvent``, through one generated function per event type.

The parameter sources of ``table.SPECS`` (a small mini-language, see table.py) are
compiled once into straight-line Python: one function per event that reads the header
tuple and the blob dict into the params dict. Generated code avoids a function call and
an exception frame per parameter, which is most of the cost of a generic decoder (the
sensor must decode several hundred thousand events per second). Malformed records never
raise: a blob that is absent or short leaves its parameter out (unknown). Flag and enum
parameters are converted from the kernel's values to Falco's encodings (``ppm.py``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from mamori.model.events import Param, SyscallEvent, TaskContext
from mamori.sensor import layout as lay
from mamori.sensor import values
from mamori.sensor.ppm import CONVERTERS
from mamori.sensor.table import SPECS, EventSpec
from mamori.sensor.values import Blobs, Buf, parse_blobs

Header = tuple[int, ...]
ParamsFn = Callable[[Header, Blobs, TaskContext], dict[str, Param]]

# generated code sees h (layout.RING_FIXED values), b (blobs) and c (the TaskContext)
_S32 = "((h[{i}] & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000"
_HEADER_EXPR = {  # never None: assigned directly
    "ret": f"h[{lay.R_RET}]",
    "tid": f"h[{lay.R_TID}]",
    "pid": "c[0]",
    "ptid": "c[1]",
    "euid": "c[4]",
    "loginuid": "c[5]",
    "comm": "c[6]",
    "exitret": f"(h[{lay.R_RET}] >> 8) & 0xFF",
    "exitsig": f"h[{lay.R_RET}] & 0x7F",
    "exitcore": f"(h[{lay.R_RET}] >> 7) & 1",
}
_PROC_EXPR = {
    "exe_ino": "pr[0]",
    "exe_ino_ctime": "pr[1]",
    "exe_ino_mtime": "pr[2]",
    "cap_inheritable": "pr[3]",
    "cap_permitted": "pr[4]",
    "cap_effective": "pr[5]",
    "fdlimit": "pr[6]",
    "pidns_init_start_ts": "pr[7]",
    "exe_dev": "V.kernel_dev(pr[8])",
    "pflags": "pr[9] & 0xFFFF",
    "exe_deleted": f"int(bool(pr[9] & {lay.PF_EXE_DELETED}))",
    "exe_upper_layer": f"int(bool(pr[9] & {lay.PF_EXE_UPPER_LAYER}))",
    "exe_from_memfd": f"int(bool(pr[9] & {lay.PF_EXE_FROM_MEMFD}))",
    "vtid": "pr[10]",
    "vpid": "pr[11]",
    "pgid": "pr[12]",
    "tty": "pr[14]",
    "egid": "pr[15]",
}
_BLOB_EXPR = {  # may be None
    "args": "(av[1:] if av is not None else None)",
    "exe": "(av[0] if av else None)",
    "exepath": f"V.string(b, {lay.T_EXE})",
    "cwd": f"V.string(b, {lay.T_CWD})",
    "dev": "(fi[1] if fi else None)",
    "ino": "(fi[0] if fi else None)",
    "tuple_r": "V.reversed_tuple(b)",
    "env": f"V.argv(b, {lay.T_ENV})",
}
_ADDR_KINDS = (lay.K_SOCKADDR, lay.K_SOCKADDR_LP, lay.K_MSGHDR)


def expression(src: str, spec: EventSpec) -> tuple[str, bool]:
    """(Python expression over h/b/pr/av/fi, whether it can be None) for one source."""
    if src in _HEADER_EXPR:
        return _HEADER_EXPR[src], False
    if src in _PROC_EXPR:
        return f"({_PROC_EXPR[src]} if pr else None)", True
    if src in _BLOB_EXPR:
        return _BLOB_EXPR[src], True
    if src == "tuple":
        addr = [i for i, k in spec.kinds.items() if k in _ADDR_KINDS]
        return f"V.tuple_with_addr(b, {addr[0] if addr else -1})", True
    if src.startswith("openmode(") and src.endswith(")"):
        flags_src, mode_src = src[9:-1].split(",")
        flags, _ = expression(flags_src, spec)
        mode, _ = expression(mode_src, spec)
        return f"V.open_mode({flags}, {mode})", True
    if src.startswith("const"):
        return str(int(src[5:], 0)), False
    if src[0] == "a" and src[1:2].isdigit():
        index = lay.R_A0 + int(src[1])
        cast = src.partition(":")[2]
        if cast in ("fd", "i32"):
            return _S32.format(i=index), False
        if cast == "u32":
            return f"h[{index}] & 0xFFFFFFFF", False
        return f"h[{index}]", False
    for prefix, fn in (("path", "path"), ("str", "string")):
        if src.startswith(prefix) and src[len(prefix) :].isdigit():
            return f"V.{fn}(b, {int(src[len(prefix) :])})", True
    if src.startswith("addr") and src[4:].isdigit():
        return f"V.parse_sockaddr(b.get({int(src[4:])}))", True
    if src.startswith(("fds", "u64")):
        arg, _, item = src[3:].partition(".")
        fn = "fd_of_pair" if src[0] == "f" else "u64_of"
        return f"V.{fn}(b, {int(arg)}, {int(item)})", True
    raise ValueError(f"unknown parameter source {src!r} in {spec.name}")


def generate(spec: EventSpec) -> str:
    """The source of the params function of one event."""
    sources = [s for _, s in spec.params]
    lines = [f"def params_{spec.name}(h, b, c):"]
    if any(s in _PROC_EXPR for s in sources):
        lines.append("    pr = V.proc(b)")
    if any(s in ("args", "exe") for s in sources):
        lines.append("    av = V.argv(b)")
    if any(s in ("dev", "ino") for s in sources):
        lines.append("    fi = V.file_info(b)")
    fixed: list[str] = []
    pre: list[str] = []  # conversions of fixed params, before the dict literal
    for name, src in spec.params:
        expr, optional = expression(src, spec)
        convert = CONVERTERS.get((spec.name, name))
        if convert is not None and src.startswith("const"):
            expr = str(convert(int(expr)))  # kernel -> PPM once, at generation time
        elif convert is not None:
            # flag/enum: kernel -> Falco's encoding (ppm.py); a hit in the converter's
            # cache is one dict subscript, a miss (KeyError) calls it
            cache, fn, var = f"C_{spec.name}_{name}", f"P_{spec.name}_{name}", f"k{len(pre)}"
            if optional:
                lines.append(f"    v = {expr}")
                lines.append("    if v is not None:")
                lines.append(f"        try: p[{name!r}] = {cache}[v]")
                lines.append(f"        except KeyError: p[{name!r}] = {fn}(v)")
                continue
            pre.append(f"    try: {var} = {cache}[{expr}]")
            pre.append(f"    except KeyError: {var} = {fn}({expr})")
            expr = var
        if optional:
            lines.append(f"    v = {expr}")
            lines.append(f"    if v is not None: p[{name!r}] = v")
        else:
            fixed.append(f"{name!r}: {expr}")
    lines[1:1] = [*pre, "    p = {" + ", ".join(fixed) + "}"]
    lines.append("    return p")
    return "\n".join(lines) + "\n"


def compile_params(spec: EventSpec) -> ParamsFn:
    # helpers bound as plain names: no module attribute lookup per call
    namespace: dict[str, object] = {
        f"V_{name}": getattr(values, name) for name in dir(values) if not name.startswith("_")
    }
    for (event, param), memo in CONVERTERS.items():
        if event == spec.name:
            namespace[f"P_{event}_{param}"], namespace[f"C_{event}_{param}"] = memo, memo.cache
    # the code is generated from the package's own table, never from input
    code = compile(generate(spec).replace("V.", "V_"), f"<sensor decoder {spec.name}>", "exec")
    exec(code, namespace)  # noqa: S102
    fn = namespace[f"params_{spec.name}"]
    assert callable(fn)
    return fn


PARAMS: dict[int, ParamsFn] = {spec.nr: compile_params(spec) for spec in SPECS}
"""The generated params function of each event, by record ``nr`` (compiled once)."""

_UNPACK = lay.RING_FIXED.unpack_from
_HSIZE = lay.HEADER.size
_FRAMED = lay.RING_HDR + _HSIZE
_DECODE_ERRORS = (struct.error, ValueError, IndexError, OSError, UnicodeError)
_PARAMS_SLOT = vars(SyscallEvent)["params"]  # the member descriptor of the slot
_get_params = _PARAMS_SLOT.__get__
_set_params = _PARAMS_SLOT.__set__


def record_params(raw: bytes, ctx: TaskContext) -> dict[str, Param] | None:
    """The params of one ring record (with the ring's 8-byte header); None when it is
    malformed (unknown event, truncated header or a bad blob)."""
    if len(raw) < _FRAMED:
        return None
    h = _UNPACK(raw, 0)
    fn = PARAMS.get(h[lay.R_NR])
    if fn is None:
        return None
    end = min(lay.RING_HDR + h[lay.R_SIZE], len(raw))
    blobs = parse_blobs(raw, _FRAMED, end) if end > _FRAMED else {}
    try:
        return fn(h, blobs, ctx)
    except _DECODE_ERRORS:
        return None


class SensorEvent(SyscallEvent):
    """A ``SyscallEvent`` whose ``params`` are decoded from the raw record on first access.

    The header fields (ts, tid, name, dir, cpu, ctx) are set when the batch is decoded;
    the parameters (blobs: paths, addresses, tuples, argv) cost several times more and
    many consumers never read them for most events (a rules engine filters on the event
    type and the process first). Reading ``params`` decodes once and keeps the dict; the
    event then behaves exactly like a ``SyscallEvent`` (and compares equal to one).
    """

    __slots__ = ("_raw",)
    _raw: bytes
    malformed = [0]  # params that failed to decode lazily (all sensors of the process)

    @property
    def params(self) -> dict[str, Param]:
        try:
            return _get_params(self)  # type: ignore[no-any-return]
        except AttributeError:
            pass
        raw: bytes = self._raw
        p = record_params(raw, self.ctx) if self.ctx is not None else None
        if p is None:
            SensorEvent.malformed[0] += 1
            p = {}
        _set_params(self, p)
        self._set_raw(b"")
        return p

    @params.setter
    def params(self, value: dict[str, Param]) -> None:
        _set_params(self, value)

    def _set_raw(self, raw: bytes) -> None:
        _SET_RAW(self, raw)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SyscallEvent):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    __hash__ = None  # type: ignore[assignment]


_FIELDS = ("ts", "tid", "name", "dir", "params", "cpu", "num", "ctx")
_SET_RAW = vars(SensorEvent)["_raw"].__set__
_new_object = object.__new__
# SyscallEvent is a frozen slotted dataclass: its generated __init__ goes through
# object.__setattr__ per field. Setting the slots through their member descriptors
# builds the identical object several times faster.
_SET_EVENT = tuple(
    getattr(SyscallEvent, f).__set__ for f in ("ts", "tid", "name", "dir", "cpu", "num", "ctx")
)
_LEN_MASK = 0x3FFFFFFF
_DISCARD = 1 << 30
_CTX_START = lay.RING_HDR + lay.CTX_OFFSET
_CTX_END = lay.RING_HDR + _HSIZE


class Decoder:
    """Turns a batch of ring records into events; ``boot_offset`` maps CLOCK_BOOTTIME to
    the epoch. ``lazy`` (the default) defers each event's params to first access
    (``SensorEvent``); otherwise they are decoded with the batch."""

    def __init__(self, boot_offset: int, *, lazy: bool = True) -> None:
        self.boot_offset = boot_offset
        self.lazy = lazy
        self._names: dict[int, tuple[str, str]] = {
            spec.nr: (spec.name, ">" if spec.nr == lay.EV_PROCEXIT else "<") for spec in SPECS
        }
        self._ctxs: dict[bytes, TaskContext] = {}
        self.malformed = 0
        self.num = 0  # the last evt.num given: events are numbered from 1 in decode order

    def context(self, raw: bytes) -> TaskContext:
        """The TaskContext of a CTX block (cached: a process's events share one object)."""
        ctx = self._ctxs.get(raw)
        if ctx is None:
            pid, ppid, uid, gid, euid, login, pidns, mntns, netns, cg, comm = lay.CTX.unpack(raw)
            name = values.text(comm.split(b"\0", 1)[0])
            ctx = TaskContext(pid, ppid, uid, gid, euid, login, name, cg, pidns, mntns, netns)
            if len(self._ctxs) >= 8192:
                self._ctxs.clear()
            self._ctxs[raw] = ctx
        return ctx

    def decode(self, buf: Buf, off: int, length: int) -> SyscallEvent | None:
        """One record (without the ring's header) at ``off``, params decoded now."""
        raw = bytes(buf[off : off + length])
        if len(raw) < _HSIZE:
            self.malformed += 1
            return None
        framed = len(raw).to_bytes(4, "little") + bytes(4) + raw + bytes(-len(raw) % 8)
        events = self.decode_batch(framed, lazy=False)
        return events[0] if events else None

    def decode_batch(self, chunk: bytes, *, lazy: bool | None = None) -> list[SyscallEvent]:
        """Every record of ``chunk``: ring records back to back, each with the kernel's
        8-byte header, as ``ring.RingReader.read`` returns them."""
        lazy = self.lazy if lazy is None else lazy
        names, ctxs, context, boot = self._names, self._ctxs, self.context, self.boot_offset
        unpack = lay.RING_FIXED.unpack_from
        s_ts, s_tid, s_name, s_dir, s_cpu, s_num, s_ctx = _SET_EVENT
        new, event_cls = _new_object, SensorEvent if lazy else SyscallEvent
        params_of, set_raw, set_params = PARAMS, _SET_RAW, _set_params
        hdr, hsize, end = lay.RING_HDR, _HSIZE, len(chunk)
        out: list[SyscallEvent] = []
        append = out.append
        pos = 0
        num = self.num
        while pos + hdr + hsize <= end:
            h = unpack(chunk, pos)
            length = h[0] & _LEN_MASK
            nxt = pos + ((length + hdr + 7) & ~7)
            kind = names.get(h[2])
            if h[0] & _DISCARD or kind is None or length < hsize or nxt > end:
                if not h[0] & _DISCARD:
                    self.malformed += 1
                pos = nxt if pos < nxt <= end else end
                continue
            key = chunk[pos + _CTX_START : pos + _CTX_END]
            ctx = ctxs.get(key)
            if ctx is None:
                ctx = context(key)
            ev = new(event_cls)
            s_ts(ev, h[4] + boot)
            s_tid(ev, h[12])
            s_name(ev, kind[0])
            s_dir(ev, kind[1])
            s_cpu(ev, h[3])
            num += 1
            s_num(ev, num)
            s_ctx(ev, ctx)
            size = h[1] if h[1] <= length else length
            if lazy:
                set_raw(ev, chunk[pos : pos + hdr + size])
            else:
                start = pos + hdr
                blobs = parse_blobs(chunk, start + hsize, start + size) if size > hsize else {}
                try:
                    set_params(ev, params_of[h[2]](h, blobs, ctx))
                except _DECODE_ERRORS:
                    self.malformed += 1
                    set_params(ev, {})
            append(ev)
            pos = nxt
        self.num = num
        return out
