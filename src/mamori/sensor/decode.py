"""Sensor records -> ``SyscallEvent``, through one generated function per event type.

The parameter sources of ``table.SPECS`` (a small mini-language, see table.py) are
compiled once into straight-line Python: one function per event that reads the header
tuple and the blob dict into the params dict. Generated code avoids a function call and
an exception frame per parameter, which is most of the cost of a generic decoder (the
sensor must decode several hundred thousand events per second). Malformed records never
raise: a blob that is absent or short leaves its parameter out (unknown).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from mamori.model.events import Param, SyscallEvent, TaskContext
from mamori.sensor import layout as lay
from mamori.sensor import values
from mamori.sensor.table import SPECS, EventSpec
from mamori.sensor.values import Blobs, Buf, parse_blobs

Header = tuple[int | bytes, ...]
ParamsFn = Callable[[Header, Blobs], dict[str, Param]]

_S32 = "((h[{i}] & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000"
_HEADER_EXPR = {  # never None: assigned directly
    "ret": f"h[{lay.H_RET}]",
    "tid": f"h[{lay.H_TID}]",
    "pid": f"h[{lay.H_PID}]",
    "ptid": f"h[{lay.H_PPID}]",
    "euid": f"h[{lay.H_EUID}]",
    "loginuid": f"h[{lay.H_LOGINUID}]",
    "comm": f"V.text(h[{lay.H_COMM}].split(b'\\0', 1)[0])",
    "exitret": f"(h[{lay.H_RET}] >> 8) & 0xFF",
    "exitsig": f"h[{lay.H_RET}] & 0x7F",
    "exitcore": f"(h[{lay.H_RET}] >> 7) & 1",
}
# proc blob: exe_ino, exe_ctime, exe_mtime, cap_inh, cap_perm, cap_eff, fdlimit,
# pidns_init_start_ts, exe_dev, flags, vtid, vpid, vpgid, sid, tty, egid
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
    if src.startswith("const"):
        return str(int(src[5:], 0)), False
    if src[0] == "a" and src[1:2].isdigit():
        index = lay.H_A0 + int(src[1])
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
    lines = [f"def params_{spec.name}(h, b):"]
    if any(s in _PROC_EXPR for s in sources):
        lines.append("    pr = V.proc(b)")
    if any(s in ("args", "exe") for s in sources):
        lines.append("    av = V.argv(b)")
    if any(s in ("dev", "ino") for s in sources):
        lines.append("    fi = V.file_info(b)")
    fixed = []
    for name, src in spec.params:
        expr, optional = expression(src, spec)
        if optional:
            lines.append(f"    v = {expr}")
            lines.append(f"    if v is not None: p[{name!r}] = v")
        else:
            fixed.append(f"{name!r}: {expr}")
    lines.insert(1, "    p = {" + ", ".join(fixed) + "}")
    lines.append("    return p")
    return "\n".join(lines) + "\n"


def compile_params(spec: EventSpec) -> ParamsFn:
    # helpers bound as plain names: no module attribute lookup per call
    namespace: dict[str, object] = {
        f"V_{name}": getattr(values, name) for name in dir(values) if not name.startswith("_")
    }
    # the code is generated from the package's own table, never from input
    code = compile(generate(spec).replace("V.", "V_"), f"<sensor decoder {spec.name}>", "exec")
    exec(code, namespace)  # noqa: S102
    fn = namespace[f"params_{spec.name}"]
    assert callable(fn)
    return fn


_new_tuple = tuple.__new__
_new_object = object.__new__
# SyscallEvent is a frozen slotted dataclass: its generated __init__ goes through
# object.__setattr__ per field (about 2 us an event). Setting the slots through their
# member descriptors builds the identical object three times faster.
_SET_EVENT = tuple(
    getattr(SyscallEvent, f).__set__
    for f in ("ts", "tid", "name", "dir", "params", "cpu", "num", "ctx")
)


class Decoder:
    """Turns raw records into events; ``boot_offset`` maps CLOCK_BOOTTIME to the epoch."""

    def __init__(self, boot_offset: int) -> None:
        self.boot_offset = boot_offset
        self._specs: dict[int, tuple[str, ParamsFn, str]] = {
            spec.nr: (spec.name, compile_params(spec), ">" if spec.nr == lay.EV_PROCEXIT else "<")
            for spec in SPECS
        }
        self._comms: dict[bytes, str] = {}
        self.malformed = 0
        self.decode = self._make_decode()

    def _make_decode(self) -> Callable[[Buf, int, int], SyscallEvent | None]:
        """The per-record function, with everything it touches bound as closure locals."""
        specs, comms, boot = self._specs, self._comms, self.boot_offset
        unpack, hsize = lay.HEADER.unpack_from, lay.HEADER.size
        s_ts, s_tid, s_name, s_dir, s_params, s_cpu, s_num, s_ctx = _SET_EVENT
        text, event_cls, ctx_cls = values.text, SyscallEvent, TaskContext

        def decode(buf: Buf, off: int, length: int) -> SyscallEvent | None:
            if length < hsize:
                self.malformed += 1
                return None
            h = unpack(buf, off)
            entry = specs.get(h[1])
            if entry is None:
                self.malformed += 1
                return None
            size = h[0] if h[0] <= length else length
            blobs = parse_blobs(buf, off + hsize, off + size) if size > hsize else {}
            try:
                params = entry[1](h, blobs)
            except (struct.error, ValueError, IndexError, OSError, UnicodeError):
                self.malformed += 1
                params = {}
            comm = comms.get(h[23])
            if comm is None:
                if len(comms) > 4096:
                    comms.clear()
                comm = comms[h[23]] = text(h[23].split(b"\0", 1)[0])
            # header: size nr cpu flags ts tid pid ppid uid gid euid loginuid pidns mntns
            # netns cgroup ret a0..a5 comm (layout.HEADER)
            ev = _new_object(event_cls)
            s_ts(ev, h[4] + boot)
            s_tid(ev, h[5])
            s_name(ev, entry[0])
            s_dir(ev, entry[2])
            s_params(ev, params)
            s_cpu(ev, h[2])
            s_num(ev, 0)
            s_ctx(
                ev,
                _new_tuple(
                    ctx_cls,
                    (h[6], h[7], h[8], h[9], h[10], h[11], comm, h[15], h[12], h[13], h[14]),
                ),
            )
            return ev

        return decode
