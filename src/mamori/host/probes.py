"""Low-level probes of kernel features, each answering yes/no with a reason.

The probes exercise the real interface (a syscall, a netlink bind) rather than guessing
from version numbers, because containers, seccomp and capabilities decide what works.
ctypes is used for syscalls that the standard library does not wrap (bpf, fanotify_init).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import shutil
import socket
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

_SYS_BPF = {"x86_64": 321, "aarch64": 280}
_SYS_FANOTIFY_INIT = {"x86_64": 300, "aarch64": 262}
NETLINK_CONNECTOR = 11
NETLINK_AUDIT = 9
CN_IDX_PROC = 1


@dataclass(frozen=True)
class Probe:
    name: str
    available: bool
    detail: str


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _syscall_number(table: dict[str, int]) -> int | None:
    return table.get(platform.machine())


def probe_btf() -> Probe:
    path = Path("/sys/kernel/btf/vmlinux")
    if path.exists():
        return Probe("kernel BTF", True, f"{path} ({path.stat().st_size // 1024} KiB)")
    return Probe(
        "kernel BTF", False, f"{path} is absent: kernel built without CONFIG_DEBUG_INFO_BTF"
    )


def probe_tracepoints() -> Probe:
    for base in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        events = Path(base) / "events"
        try:
            has_sys = (events / "syscalls").is_dir() or (events / "raw_syscalls").is_dir()
        except OSError:
            continue
        if has_sys:
            return Probe("syscall tracepoints", True, f"{events}")
    if Path("/sys/kernel/tracing").is_dir() and os.geteuid() == 0:
        return Probe(
            "syscall tracepoints",
            False,
            "tracefs is not mounted: mount -t tracefs tracefs /sys/kernel/tracing "
            "(the sensor mounts it itself when it runs as root)",
        )
    return Probe(
        "syscall tracepoints",
        False,
        "no tracefs with syscall events (needs root and a mounted tracefs)",
    )


def probe_bpf_load() -> Probe:
    """Load the smallest valid program (r0 = 0; exit) as a socket filter."""
    nr = _syscall_number(_SYS_BPF)
    if nr is None:
        return Probe("eBPF program load", False, f"unsupported architecture {platform.machine()}")
    insns = struct.pack("<BBhi", 0xB7, 0, 0, 0) + struct.pack("<BBhi", 0x95, 0, 0, 0)
    insn_buf = ctypes.create_string_buffer(insns)
    license_buf = ctypes.create_string_buffer(b"GPL")
    # union bpf_attr for BPF_PROG_LOAD: prog_type, insn_cnt, insns, license, log fields...
    attr = struct.pack(
        "<IIQQIIQ",
        1,  # BPF_PROG_TYPE_SOCKET_FILTER
        2,
        ctypes.addressof(insn_buf),
        ctypes.addressof(license_buf),
        0,
        0,
        0,
    )
    attr_buf = ctypes.create_string_buffer(attr.ljust(128, b"\0"))
    libc = _libc()
    fd = libc.syscall(nr, 5, attr_buf, 128)  # BPF_PROG_LOAD
    if fd < 0:
        err = ctypes.get_errno()
        return Probe(
            "eBPF program load",
            False,
            f"bpf(BPF_PROG_LOAD) failed: {os.strerror(err)}"
            + (" (needs root or CAP_BPF)" if err in (errno.EPERM, errno.EACCES) else ""),
        )
    os.close(fd)
    return Probe("eBPF program load", True, "bpf(BPF_PROG_LOAD) of a socket filter succeeded")


def probe_bpf_lsm() -> Probe:
    path = Path("/sys/kernel/security/lsm")
    try:
        lsms = path.read_text().strip()
    except OSError as exc:
        if not path.parent.is_dir() or not any(path.parent.iterdir()):
            return Probe(
                "BPF LSM",
                False,
                "securityfs is not mounted, so the active LSMs are "
                "unknown: mount -t securityfs securityfs /sys/kernel/security",
            )
        return Probe("BPF LSM", False, f"cannot read {path}: {exc.strerror}")
    if "bpf" in lsms.split(","):
        return Probe("BPF LSM", True, f"active LSMs: {lsms}")
    return Probe("BPF LSM", False, f"'bpf' not in the active LSMs ({lsms}); boot with lsm=...,bpf")


def probe_fanotify() -> Probe:
    nr = _syscall_number(_SYS_FANOTIFY_INIT)
    if nr is None:
        return Probe("fanotify", False, f"unsupported architecture {platform.machine()}")
    libc = _libc()
    # FAN_CLASS_CONTENT (0x4) | FAN_CLOEXEC (0x1); O_RDONLY
    fd = libc.syscall(nr, 0x4 | 0x1, os.O_RDONLY)
    if fd < 0:
        err = ctypes.get_errno()
        hint = " (needs CAP_SYS_ADMIN)" if err == errno.EPERM else ""
        return Probe("fanotify", False, f"fanotify_init failed: {os.strerror(err)}{hint}")
    os.close(fd)
    return Probe("fanotify", True, "fanotify_init(FAN_CLASS_CONTENT) succeeded (permission events)")


def _netlink_probe(name: str, protocol: int, groups: int, need: str) -> Probe:
    try:
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, protocol)
    except OSError as exc:
        return Probe(name, False, f"netlink socket: {exc.strerror}")
    try:
        sock.bind((os.getpid() if groups else 0, groups))
    except OSError as exc:
        return Probe(name, False, f"netlink bind: {exc.strerror} (needs {need})")
    finally:
        sock.close()
    return Probe(name, True, "netlink socket bound")


def probe_proc_connector() -> Probe:
    return _netlink_probe("proc connector", NETLINK_CONNECTOR, CN_IDX_PROC, "root")


def probe_audit() -> Probe:
    return _netlink_probe("audit netlink", NETLINK_AUDIT, 1, "CAP_AUDIT_READ")


def probe_libbpf() -> Probe:
    for name in ("libbpf.so.1", ctypes.util.find_library("bpf")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        try:
            major = lib.libbpf_major_version()
            minor = lib.libbpf_minor_version()
            return Probe("libbpf", True, f"{name} version {major}.{minor}")
        except AttributeError:
            return Probe("libbpf", True, f"{name} (version unknown)")
    return Probe("libbpf", False, "libbpf.so.1 not found (Debian: apt-get install libbpf1)")


def probe_podman() -> Probe:
    path = shutil.which("podman")
    if path is None:
        return Probe("podman", False, "podman not on PATH (apt-get install podman runc)")
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        return Probe("podman", False, f"podman --version failed: {exc}")
    return Probe("podman", True, out)


def probe_cgroup_v2() -> Probe:
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():
        return Probe("cgroup v2", True, "unified hierarchy at /sys/fs/cgroup")
    if Path("/sys/fs/cgroup/unified/cgroup.controllers").exists():
        return Probe(
            "cgroup v2", True, "hybrid layout: unified hierarchy at /sys/fs/cgroup/unified"
        )
    return Probe("cgroup v2", False, "no cgroup2 mount (cgroup connect hooks unavailable)")


ALL_PROBES = (
    probe_btf,
    probe_tracepoints,
    probe_bpf_load,
    probe_bpf_lsm,
    probe_libbpf,
    probe_fanotify,
    probe_audit,
    probe_proc_connector,
    probe_cgroup_v2,
    probe_podman,
)


def run_all() -> list[Probe]:
    results = []
    for probe in ALL_PROBES:
        try:
            results.append(probe())
        except Exception as exc:  # a probe must never stop the report
            results.append(
                Probe(probe.__name__.removeprefix("probe_"), False, f"probe error: {exc!r}")
            )
    return results
