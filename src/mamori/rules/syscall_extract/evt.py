"""``evt.*`` extractors: the event itself (time, type, direction, result, parameters)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mamori.model.events import SockAddr, SockTuple
from mamori.rules.source import FieldInfo, FieldRef
from mamori.rules.syscall_extract.render import errno_name, render_args, render_value
from mamori.rules.syscall_extract.view import EventView
from mamori.runtime.state import event_result

Getter = Callable[[EventView], Any]
NS = 1_000_000_000

# PPM open flags (driver/ppm_events_public.h) and the exec bits of a mode.
_O_RDONLY, _O_WRONLY, _O_CREAT, _O_TMPFILE, _O_F_CREATED = 1, 2, 4, 8192, 16384
_EXEC_BITS = 0o111
_OPENS = frozenset({"open", "openat", "openat2", "open_by_handle_at"})
_READS = frozenset({"read", "readv", "pread", "preadv", "recv", "recvfrom", "recvmsg",
                    "recvmmsg"})  # fmt: skip
_WRITES = frozenset({"write", "writev", "pwrite", "pwritev", "send", "sendto", "sendmsg",
                     "sendmmsg"})  # fmt: skip
_WAITS = frozenset({"poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait",
                    "epoll_pwait2", "nanosleep", "clock_nanosleep"})  # fmt: skip
# Events the capture libraries and the scheduler produce: not syscalls (syscall.type).
_NOT_SYSCALLS = frozenset({"switch", "procinfo", "container", "signaldeliver",
                           "page_fault", "drop", "notification", "infra", "scapevent",
                           "cpu_hotplug", "k8s", "mesos", "sysdigevent", "user_added",
                           "user_deleted", "group_added", "group_deleted", "pluginevent",
                           "asyncevent", "tracer", "NA1", "NA2"})  # fmt: skip


def _clock(ts: int, fmt: str, utc: bool = False) -> str:
    return time.strftime(fmt, (time.gmtime if utc else time.localtime)(ts // NS))


def _time(v: EventView) -> str:
    return f"{_clock(v.ts, '%H:%M:%S')}.{v.ts % NS:09d}"


def _iso(v: EventView) -> str:
    return f"{_clock(v.ts, '%Y-%m-%dT%H:%M:%S', utc=True)}.{v.ts % NS:09d}+0000"


def _datetime(v: EventView) -> str:
    return f"{_clock(v.ts, '%Y-%m-%d %H:%M:%S')}.{v.ts % NS:09d}"


def _rawres(v: EventView) -> int | None:
    return event_result(v.event)


def _res(v: EventView) -> str | None:
    r = event_result(v.event)
    if r is None:
        return None
    return "SUCCESS" if r >= 0 else errno_name(r)


def _failed(v: EventView) -> bool:
    r = event_result(v.event)
    return r is not None and r < 0


def _open_flags(v: EventView) -> int:
    if v.dir != "<" or v.name not in _OPENS:
        return -1
    flags = v.params.get("flags")
    return flags if isinstance(flags, int) else -1


def _is_open_read(v: EventView) -> bool:
    # `_open_flags` inlined (the open_read/open_write macros run on every open)
    if v.dir != "<" or v.name not in _OPENS:
        return False
    f = v.params.get("flags")
    return isinstance(f, int) and f >= 0 and bool(f & _O_RDONLY)


def _is_open_write(v: EventView) -> bool:
    if v.dir != "<" or v.name not in _OPENS:
        return False
    f = v.params.get("flags")
    return isinstance(f, int) and f >= 0 and bool(f & _O_WRONLY)


def _is_open_exec(v: EventView) -> bool:
    f = _open_flags(v)
    if f < 0 or not f & (_O_TMPFILE | _O_CREAT):
        return False
    mode = v.params.get("mode")
    return isinstance(mode, int) and bool(mode & _EXEC_BITS)


def _is_open_create(v: EventView) -> bool:
    f = _open_flags(v)
    return f >= 0 and bool(f & _O_F_CREATED)


def _buffer(v: EventView) -> bytes | None:
    data = v.params.get("data")
    return data if isinstance(data, bytes) else None


def _buflen(v: EventView) -> int | None:
    if "data" not in v.params:
        return None
    r = event_result(v.event)
    if r is not None and r >= 0:
        return r
    data = v.params.get("data")
    return len(data) if isinstance(data, bytes) else None


def _is_syslog(v: EventView) -> bool:
    fd = v.fd
    return v.name in _WRITES and fd is not None and fd.name == "/dev/log"


def _io_dir(v: EventView) -> str | None:
    if v.name in _READS:
        return "r"
    return "w" if v.name in _WRITES else None


SIMPLE: dict[str, Getter] = {
    "evt.num": lambda v: v.event.num,
    "evt.time": _time,
    "evt.time.s": lambda v: _clock(v.ts, "%H:%M:%S"),
    "evt.time.iso8601": _iso,
    "evt.datetime": _datetime,
    "evt.datetime.s": lambda v: _clock(v.ts, "%Y-%m-%d %H:%M:%S"),
    "evt.rawtime": lambda v: v.ts,
    "evt.rawtime.s": lambda v: v.ts // NS,
    "evt.rawtime.ns": lambda v: v.ts % NS,
    "evt.reltime": lambda v: v.ts - v.session.first_ts,
    "evt.reltime.s": lambda v: (v.ts - v.session.first_ts) // NS,
    "evt.reltime.ns": lambda v: (v.ts - v.session.first_ts) % NS,
    "evt.deltatime": lambda v: v.ts - v.session.prev_ts,
    "evt.deltatime.s": lambda v: (v.ts - v.session.prev_ts) // NS,
    "evt.deltatime.ns": lambda v: (v.ts - v.session.prev_ts) % NS,
    "evt.source": lambda _v: "syscall",
    "evt.is_async": lambda _v: False,
    "evt.hostname": lambda v: v.session.hostname or None,
    "evt.dir": lambda v: v.dir,
    "evt.type": lambda v: v.name,
    "syscall.type": lambda v: None if v.name in _NOT_SYSCALLS else v.name,
    "evt.cpu": lambda v: v.event.cpu,
    "evt.args": render_args,
    "evt.info": render_args,
    "evt.buffer": _buffer,
    "evt.buflen": _buflen,
    "evt.res": _res,
    "evt.rawres": _rawres,
    "evt.failed": _failed,
    "evt.is_io": lambda v: v.name in _READS or v.name in _WRITES,
    "evt.is_io_read": lambda v: v.name in _READS,
    "evt.is_io_write": lambda v: v.name in _WRITES,
    "evt.io_dir": _io_dir,
    "evt.is_wait": lambda v: v.name in _WAITS,
    "evt.is_syslog": _is_syslog,
    "evt.count": lambda _v: 1,
    "evt.count.error": lambda v: 1 if _failed(v) else None,
    "evt.count.exit": lambda v: 1 if v.dir == "<" else None,
    "evt.is_open_read": _is_open_read,
    "evt.is_open_write": _is_open_write,
    "evt.is_open_exec": _is_open_exec,
    "evt.is_open_create": _is_open_create,
}


def type_is(ref: FieldRef, _info: FieldInfo) -> Getter:
    wanted = ref.arg or ""
    return lambda v: int(v.name == wanted)


def arg(ref: FieldRef, _info: FieldInfo) -> Getter:
    """``evt.arg.NAME`` / ``evt.arg[N]``: one parameter, rendered as Falco prints it."""
    key = ref.arg
    if key is None:
        return render_args
    if key.isdigit():
        index = int(key)

        def by_index(v: EventView) -> str | None:
            for i, (name, value) in enumerate(v.params.items()):
                if i == index:
                    return render_value(v, name, value)
            return None

        return by_index

    def by_name(v: EventView) -> str | None:
        params = v.params
        if key not in params:
            return None
        return render_value(v, key, params[key])

    return by_name


def rawarg(ref: FieldRef, _info: FieldInfo) -> Getter:
    """``evt.rawarg.NAME``: the parameter's value, not rendered (numbers stay numbers)."""
    key = ref.arg or ""

    def get(v: EventView) -> Any:
        value = v.params.get(key)
        if value is None or isinstance(value, int | str | bytes):
            return value
        if isinstance(value, SockAddr | SockTuple):
            return render_value(v, key, value)
        return " ".join(value)

    return get
