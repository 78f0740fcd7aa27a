"""Event parameters rendered as Falco renders them for ``evt.arg.*`` and ``evt.args``.

A `SyscallEvent` carries decoded values (ints, strings, addresses); how Falco prints one
depends on the parameter's type in the event table (an fd prints as ``<f>/etc/passwd``,
an errno as ``ENOENT``, flags by their names, an address in hex). The rules layer does
not import the capture reader, so the producer of the events says how each parameter is
typed through `ParamKinds` (built from the event table by `mamori.app.replay`); without
it the parameter's name decides (``fd``/``dirfd`` are fds, ``res`` an errno, ``uid`` a
user...), which covers what rules test.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from typing import TYPE_CHECKING

from mamori.model.events import Param, SockAddr, SockTuple
from mamori.runtime.flags import render_param

if TYPE_CHECKING:
    from mamori.rules.syscall_extract.view import EventView

ParamKinds = Mapping[str, str]
"""Parameter name -> kind: ``fd``, ``errno``, ``hex``, ``oct``, ``uid``, ``gid``,
``flags``, ``sc`` (a syscall id), ``pid``, ``path`` (resolved against the working
directory), ``rp:DIRFD`` (resolved against the fd in parameter DIRFD) or ``""`` (print
the value as it is)."""

AT_FDCWD = -100
_L4_LETTER = {"tcp": "t", "udp": "u", "icmp": "i", "raw": "r"}

_BY_NAME: dict[str, str] = {
    **dict.fromkeys(("fd", "dirfd", "olddirfd", "newdirfd", "olddir", "newdir", "fd1", "fd2",
                     "in_fd", "out_fd", "fd_in", "fd_out", "linkdirfd", "mountfd"), "fd"),
    **dict.fromkeys(("uid", "euid", "ruid", "suid", "fsuid"), "uid"),
    **dict.fromkeys(("gid", "egid", "rgid", "sgid", "fsgid"), "gid"),
    "res": "errno",
    "ID": "sc",
}  # fmt: skip

# Kernel-internal error codes libsinsp names too (beyond the userspace errno table).
_EXTRA_ERRNO = {
    512: "ERESTARTSYS", 513: "ERESTARTNOINTR", 514: "ERESTARTNOHAND", 515: "ENOIOCTLCMD",
    516: "ERESTART_RESTARTBLOCK", 521: "EBADHANDLE", 522: "ENOTSYNC", 523: "EBADCOOKIE",
    524: "ENOTSUPP", 525: "ETOOSMALL", 526: "ESERVERFAULT", 527: "EBADTYPE", 528: "EJUKEBOX",
    529: "EIOCBQUEUED", 530: "EIOCBRETRY",
}  # fmt: skip
ERRNO_NAMES: dict[int, str] = {**errno.errorcode, **_EXTRA_ERRNO}


def errno_name(value: int) -> str:
    """``-2`` -> ``ENOENT`` (Falco's ``evt.res`` of a failed call)."""
    return ERRNO_NAMES.get(-value, str(value))


def kind_of(view: EventView, param: str) -> str:
    kinds = view.session.param_kinds(view.name, view.dir)
    kind = kinds.get(param)
    if kind is None:
        kind = _BY_NAME.get(param, "")
        if kind == "errno" and view.name in ("brk", "mmap", "mmap2", "mremap"):
            kind = "hex"
    return kind


def _printable(data: bytes) -> str:
    return "".join(chr(b) if 32 <= b < 127 else "." for b in data)


def render_value(view: EventView, param: str, value: Param, verbose: bool = False) -> str:
    """One parameter as ``evt.arg.<param>`` prints it (``verbose``: as in ``evt.args``,
    numbers kept beside their names: ``3(<f>/etc/passwd)``, ``4097(O_RDONLY|...)``)."""
    if value is None:
        return "<NA>"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return _render_int(view, param, value, kind_of(view, param), verbose)
    if isinstance(value, str):
        kind = kind_of(view, param)
        if kind == "path" or kind.startswith("rp:"):
            return _path(view, kind, value, verbose)
        return value
    if isinstance(value, bytes):
        return _printable(value)
    if isinstance(value, SockTuple):
        if value.path or value.family == 1:
            return f"{value.src}->{value.dst} {value.path}".rstrip()
        return f"{_hostport(value.src, value.sport)}->{_hostport(value.dst, value.dport)}"
    if isinstance(value, SockAddr):
        if value.family == 1:
            return value.addr
        return _hostport(value.addr, value.port)
    return ".".join(value) + "." if value else ""


def _path(view: EventView, kind: str, value: str, verbose: bool) -> str:
    """A path parameter as libsinsp prints it: resolved against the working directory
    or the directory fd (``name=file.txt(/home/u/file.txt)`` in ``evt.args``)."""
    t = view.thread
    if t is None or not value or value.startswith("/"):
        return value
    dirfd = AT_FDCWD
    if kind.startswith("rp:"):
        raw = view.params.get(kind[3:])
        dirfd = raw if isinstance(raw, int) else AT_FDCWD
    resolved = view.engine.resolve(t, dirfd, value)
    return f"{value}({resolved})" if verbose else resolved


def _hostport(addr: str, port: int) -> str:
    return f"{addr}:{port}"


def _render_int(view: EventView, param: str, value: int, kind: str, verbose: bool) -> str:
    if kind == "fd":
        if value < 0:
            name = "AT_FDCWD" if value == AT_FDCWD else errno_name(value)
            return f"{value}({name})" if verbose else name
        text = _fd_text(view, param, value)
        return f"{value}({text})" if verbose and text != str(value) else text
    if kind == "errno":
        if value < 0:
            name = errno_name(value)
            return f"{value}({name})" if verbose else name
        return str(value)
    if kind == "flags" or (
        not kind
        and param
        in (
            "flags",
            "mode",
            "domain",
            "request",
            "op",
            "cmd",
            "prot",
            "how",
            "operation",
            "resource",
            "whence",
            "nstype",
        )
    ):
        named = render_param(view.name, param, value)
        if named:
            return f"{value}({named})" if verbose else named
        if named is not None and value == 0:
            return "0"
        return str(value)
    if kind == "hex":
        return format(value & 0xFFFFFFFFFFFFFFFF, "X")
    if kind == "oct":
        return "0" + format(value, "o") if value > 0 else str(value)
    if kind in ("uid", "gid"):
        users = view.engine.users
        found = users.user(value) if kind == "uid" else users.group(value)
        name = found.name if found is not None else ""
        if verbose:
            return f"{value}({name})" if name else str(value)
        return name or str(value)
    if kind == "sc":
        return view.name
    if kind == "pid":
        other = view.engine.thread(value) if value > 0 else None
        if other is None or not other.comm:
            return str(value)
        return f"{value}({other.comm})" if verbose else other.comm
    return str(value)


def _fd_text(view: EventView, param: str, fd: int) -> str:
    if fd < 0:
        return str(fd)
    entry = view.fd if param == "fd" and view.fd_num == fd else None
    if entry is None and view.thread is not None:
        entry = view.engine.fd_table(view.thread).get(fd)
    if entry is None:
        return str(fd)
    letter = _L4_LETTER.get(entry.l4proto, "") if entry.type in "46" else ""
    return f"<{entry.type}{letter}>{entry.name}"


def render_args(view: EventView) -> str:
    """``evt.args``: every parameter, ``name=value`` separated by spaces."""
    return "".join(
        f"{name}={render_value(view, name, value, verbose=True)} "
        for name, value in view.params.items()
    )
