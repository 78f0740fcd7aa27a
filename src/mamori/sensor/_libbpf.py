"""The few libbpf.so.1 calls the sensor needs, through ctypes (no bcc, no compiled module).

libbpf's own messages (verifier log, CO-RE relocation failures) are captured through
``libbpf_set_print`` so a failed load can say why instead of printing to stderr.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Iterator
from pathlib import Path

_VPRINTF = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
_LOG_LIMIT = 400


class BpfError(RuntimeError):
    """A libbpf call failed; the message carries libbpf's last log lines."""


class _Lib:
    """The loaded library plus the captured log (one per process)."""

    def __init__(self) -> None:
        names = ["libbpf.so.1", ctypes.util.find_library("bpf")]
        last: OSError | None = None
        for name in names:
            if not name:
                continue
            try:
                self.lib = ctypes.CDLL(name, use_errno=True)
                break
            except OSError as exc:
                last = exc
        else:
            raise BpfError(f"libbpf.so.1 not found (Debian: apt-get install libbpf1): {last}")
        self.libc = ctypes.CDLL(None)
        self.log: list[str] = []
        self._buf = ctypes.create_string_buffer(1 << 20)  # verifier logs are long
        self._printer = _VPRINTF(self._print)
        self.lib.libbpf_set_print(self._printer)
        self._declare()

    def _print(self, level: int, fmt: bytes | None, va: int | None) -> int:
        buf = self._buf
        self.libc.vsnprintf(buf, ctypes.c_size_t(len(buf)), fmt, ctypes.c_void_p(va))
        self.log.extend(buf.value.decode("utf-8", "replace").rstrip("\n").splitlines())
        if len(self.log) > _LOG_LIMIT:
            del self.log[: len(self.log) - _LOG_LIMIT]
        return 0

    def _declare(self) -> None:
        p, i, s = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
        sigs: dict[str, tuple[object, list[object]]] = {
            "bpf_object__open_file": (p, [s, p]),
            "bpf_object__load": (i, [p]),
            "bpf_object__close": (None, [p]),
            "bpf_object__find_map_by_name": (p, [p, s]),
            "bpf_object__next_program": (p, [p, p]),
            "bpf_program__name": (s, [p]),
            "bpf_program__set_autoload": (i, [p, ctypes.c_bool]),
            "bpf_program__attach": (p, [p]),
            "bpf_link__destroy": (i, [p]),
            "bpf_map__fd": (i, [p]),
            "bpf_map__set_max_entries": (i, [p, ctypes.c_uint32]),
            "bpf_map_update_elem": (i, [i, p, p, ctypes.c_uint64]),
            "bpf_map_lookup_elem": (i, [i, p, p]),
            "libbpf_get_error": (ctypes.c_long, [p]),
            "libbpf_num_possible_cpus": (i, []),
            # BPF iterators (the start-up snapshot's iter/task program)
            "bpf_program__attach_iter": (p, [p, p]),
            "bpf_link__fd": (i, [p]),
            "bpf_iter_create": (i, [i]),
        }
        for name, (res, args) in sigs.items():
            fn = getattr(self.lib, name)
            fn.restype = res
            fn.argtypes = args

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.log[-lines:])


_INSTANCE: _Lib | None = None


def lib() -> _Lib:
    global _INSTANCE
    if _INSTANCE is None:
        _INSTANCE = _Lib()
    return _INSTANCE


def _check_ptr(ptr: int | None, what: str) -> int:
    if not ptr:
        err = ctypes.get_errno()
        raise BpfError(
            f"{what} failed: {os.strerror(err) if err else 'unknown error'}\n{lib().tail()}"
        )
    return ptr


class BpfObject:
    """An opened (then loaded) BPF object file with its attached programs."""

    def __init__(self, path: Path) -> None:
        self._l = lib()
        self._l.log.clear()
        self.ptr: int | None = _check_ptr(
            self._l.lib.bpf_object__open_file(str(path).encode(), None), f"opening {path}"
        )
        self.links: list[int] = []

    def set_max_entries(self, map_name: str, entries: int) -> None:
        rc = self._l.lib.bpf_map__set_max_entries(self._map(map_name), entries)
        if rc:
            raise BpfError(f"resizing map {map_name}: {os.strerror(-rc)}")

    def _map(self, name: str) -> int:
        return _check_ptr(
            self._l.lib.bpf_object__find_map_by_name(self.ptr, name.encode()), f"map {name}"
        )

    def programs(self) -> Iterator[tuple[str, int]]:
        prog = self._l.lib.bpf_object__next_program(self.ptr, None)
        while prog:
            yield self._l.lib.bpf_program__name(prog).decode(), prog
            prog = self._l.lib.bpf_object__next_program(self.ptr, prog)

    def load(self) -> None:
        rc = self._l.lib.bpf_object__load(self.ptr)
        if rc:
            raise BpfError(f"loading the BPF object: {os.strerror(-rc)}\n{self._l.tail()}")

    def attach_all(self) -> None:
        for name, prog in self.programs():
            link = self._l.lib.bpf_program__attach(prog)
            if not link or self._l.lib.libbpf_get_error(link):
                raise BpfError(f"attaching {name} failed\n{self._l.tail()}")
            self.links.append(link)

    def attach_iter(self, name: str) -> int:
        """Attach the iterator program ``name`` (default options: every object the iterator
        kind visits) and return its link; the link is destroyed by ``close``."""
        for prog_name, prog in self.programs():
            if prog_name != name:
                continue
            link = self._l.lib.bpf_program__attach_iter(prog, None)
            if not link or self._l.lib.libbpf_get_error(link):
                raise BpfError(f"attaching iterator {name} failed\n{self._l.tail()}")
            self.links.append(link)
            return int(link)
        raise BpfError(f"no program {name} in the object")

    def destroy_link(self, link: int) -> None:
        """Detach and free one of this object's links now, instead of at ``close``."""
        if link in self.links:
            self.links.remove(link)
            self._l.lib.bpf_link__destroy(link)

    def map_fd(self, name: str) -> int:
        fd = int(self._l.lib.bpf_map__fd(self._map(name)))
        if fd < 0:
            raise BpfError(f"map {name} has no fd (object not loaded?)")
        return fd

    def close(self) -> None:
        for link in self.links:
            self._l.lib.bpf_link__destroy(link)
        self.links.clear()
        if self.ptr:
            self._l.lib.bpf_object__close(self.ptr)
            self.ptr = None


def map_update(fd: int, key: bytes, value: bytes) -> None:
    kb = ctypes.create_string_buffer(key, len(key))
    vb = ctypes.create_string_buffer(value, len(value))
    rc = lib().lib.bpf_map_update_elem(fd, kb, vb, 0)
    if rc:
        raise BpfError(f"bpf_map_update_elem: {os.strerror(-rc)}")


def map_lookup(fd: int, key: bytes, value_size: int) -> bytes:
    kb = ctypes.create_string_buffer(key, len(key))
    vb = ctypes.create_string_buffer(value_size)
    rc = lib().lib.bpf_map_lookup_elem(fd, kb, vb)
    if rc:
        raise BpfError(f"bpf_map_lookup_elem: {os.strerror(-rc)}")
    return vb.raw


def link_fd(link: int) -> int:
    """The file descriptor of a libbpf link (owned by the link: do not close it)."""
    fd = int(lib().lib.bpf_link__fd(link))
    if fd < 0:
        raise BpfError(f"bpf_link__fd: {os.strerror(-fd)}")
    return fd


def iter_create(link: int) -> int:
    """A new readable fd over an attached iterator link: each read() runs the program over
    the next objects; the caller closes it. One fd is one pass."""
    fd = int(lib().lib.bpf_iter_create(link_fd(link)))
    if fd < 0:
        raise BpfError(f"bpf_iter_create: {os.strerror(-fd)}")
    return fd


def possible_cpus() -> int:
    return int(lib().lib.libbpf_num_possible_cpus())
