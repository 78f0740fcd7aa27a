"""Deny connect() to listed destinations for every process of one cgroup v2 subtree.

    deny = ConnectDeny(Path("/sys/fs/cgroup/system.slice/web.service")).start()
    deny.deny("169.254.169.254", 80)      # that address on that port
    deny.deny("10.0.0.5", 0)              # that address, any port
    deny.deny(None, 4444)                 # any address, that port
    deny.denied()                         # connects refused so far
    deny.stop()                           # programs detached, map gone

`bpf/connect_deny.bpf.c` (built by ``scripts/build-bpf-response``) has a
``cgroup/connect4`` and a ``cgroup/connect6`` program; both are attached to the
directory with BPF links (multi-attach: programs already there, systemd's or another
ConnectDeny's, keep running) and apply to the cgroup and all its descendants. A denied
connect fails with EPERM before any packet leaves. An IPv4-mapped IPv6 destination
is matched as IPv4. Each instance has its own map, so deny lists of cgroups are
independent; the links and the map live as long as this object (``stop`` or the
agent's exit detaches them).
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import socket
import struct
from pathlib import Path

from mamori.sensor._libbpf import BpfError, BpfObject, lib, map_lookup, possible_cpus

OBJECT = Path(__file__).parent / "bpf" / "connect_deny.bpf.o"
PROGRAMS = ("mamori_connect4", "mamori_connect6")
_KEY = struct.Struct("=BBH16s")


def key(addr: str | None, port: int, family: int | None = None) -> bytes:
    """The map key of a destination (`addr` None: any address of `family`)."""
    if addr is None:
        fam = family or socket.AF_INET
        return _KEY.pack(fam, 0, port, b"")
    ip = ipaddress.ip_address(addr)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    fam = socket.AF_INET if ip.version == 4 else socket.AF_INET6
    return _KEY.pack(fam, 0, port, ip.packed)


def _declare() -> ctypes.CDLL:
    libbpf = lib().lib
    libbpf.bpf_program__attach_cgroup.restype = ctypes.c_void_p
    libbpf.bpf_program__attach_cgroup.argtypes = [ctypes.c_void_p, ctypes.c_int]
    libbpf.bpf_map_delete_elem.restype = ctypes.c_int
    libbpf.bpf_map_delete_elem.argtypes = [ctypes.c_int, ctypes.c_void_p]
    return libbpf


class ConnectDeny:
    """See the module docstring."""

    def __init__(self, cgroup: Path, obj: Path = OBJECT) -> None:
        self.cgroup = Path(cgroup)
        self.obj_path = obj
        self._obj: BpfObject | None = None
        self._map = -1
        self.entries: set[tuple[str | None, int]] = set()

    def start(self) -> ConnectDeny:
        if not self.obj_path.exists():
            raise BpfError(f"{self.obj_path} is not built (run scripts/build-bpf-response)")
        if not (self.cgroup / "cgroup.procs").exists():
            raise BpfError(f"{self.cgroup} is not a cgroup v2 directory")
        libbpf = _declare()
        obj = BpfObject(self.obj_path)
        try:
            obj.load()
            cgroup_fd = os.open(self.cgroup, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                for name, prog in obj.programs():
                    if name not in PROGRAMS:
                        continue
                    link = libbpf.bpf_program__attach_cgroup(prog, cgroup_fd)
                    if not link or libbpf.libbpf_get_error(link):
                        raise BpfError(f"attaching {name} to {self.cgroup} failed\n{lib().tail()}")
                    obj.links.append(link)
            finally:
                os.close(cgroup_fd)
            self._map = obj.map_fd("deny")
        except BaseException:
            obj.close()
            raise
        self._obj = obj
        return self

    def stop(self) -> None:
        if self._obj is not None:
            self._obj.close()
            self._obj = None
            self._map = -1

    def __enter__(self) -> ConnectDeny:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._obj is not None

    def _keys(self, addr: str | None, port: int) -> list[bytes]:
        if not 0 <= port < 65536 or (addr is None and port == 0):
            raise ValueError("a port (1-65535) or an address is needed")
        if addr is None:  # any address: both families
            return [key(None, port, socket.AF_INET), key(None, port, socket.AF_INET6)]
        return [key(addr, port)]

    def deny(self, addr: str | None, port: int) -> None:
        """Deny `addr` (None: any) on `port` (0: any)."""
        if self._map < 0:
            raise BpfError("connect deny is not running")
        for k in self._keys(addr, port):
            kb = ctypes.create_string_buffer(k, len(k))
            vb = ctypes.create_string_buffer(b"\x01", 1)
            rc = lib().lib.bpf_map_update_elem(self._map, kb, vb, 0)
            if rc:
                raise BpfError(f"adding {addr}:{port}: {os.strerror(-rc)}")
        self.entries.add((addr, port))

    def allow(self, addr: str | None, port: int) -> None:
        """Remove a destination from the deny list (no error when it was not on it)."""
        if self._map < 0:
            return
        libbpf = _declare()
        for k in self._keys(addr, port):
            libbpf.bpf_map_delete_elem(self._map, ctypes.create_string_buffer(k, len(k)))
        self.entries.discard((addr, port))

    def denied(self) -> int:
        """Connects denied so far (summed over CPUs)."""
        if self._obj is None:
            return 0
        fd = self._obj.map_fd("denied")
        cpus = possible_cpus()
        raw = map_lookup(fd, struct.pack("=I", 0), 8 * cpus)
        return sum(struct.unpack(f"={cpus}Q", raw))
