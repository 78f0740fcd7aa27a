"""Start-up snapshot of open file descriptors, from /proc/PID/fd and the socket tables.

Sockets are matched by inode against /proc/PID/net/{tcp,tcp6,udp,udp6,unix}, read once
per network namespace (a container's sockets are only in its own namespace's tables).
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, FdInfo, SockAddr, SockTuple
from mamori.sensor.ppm import open_flags

_TCP_LISTEN = "0A"
_ANON_TYPES = {
    "[eventfd]": "e",
    "[signalfd]": "s",
    "[eventpoll]": "l",
    "inotify": "i",
    "[timerfd]": "t",
    "[io_uring]": "r",
    "bpf-map": "b",
    "bpf-prog": "b",
    "bpf_link": "b",
    "[pidfd]": "o",
}


def _hex_addr(text: str) -> tuple[str, int]:
    """ "0100007F:1F90" (kernel byte order per 32-bit word) -> ("127.0.0.1", 8080)."""
    addr, _, port = text.partition(":")
    raw = bytes.fromhex(addr)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    family = socket.AF_INET if len(words) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, words), int(port, 16)


def _inet_table(path: Path, family: int, table: dict[int, FdInfo]) -> None:
    try:
        lines = path.read_text().splitlines()[1:]
    except OSError:
        return
    for line in lines:
        cols = line.split()
        if len(cols) < 10 or not cols[9].isdigit():
            continue
        try:
            src, sport = _hex_addr(cols[1])
            dst, dport = _hex_addr(cols[2])
        except ValueError:
            continue
        ino = int(cols[9])
        fd_type = "4" if family == AF_INET else "6"
        if dport == 0 or cols[3] == _TCP_LISTEN:
            table[ino] = FdInfo(
                0, 0, fd_type, f"{src}:{sport}", local=SockAddr(family, src, sport), ino=ino
            )
        else:
            name = f"{src}:{sport}->{dst}:{dport}"
            table[ino] = FdInfo(
                0, 0, fd_type, name, SockTuple(family, src, sport, dst, dport), ino=ino
            )


def _unix_table(path: Path, table: dict[int, FdInfo]) -> None:
    try:
        lines = path.read_text(errors="replace").splitlines()[1:]
    except OSError:
        return
    for line in lines:
        cols = line.split(maxsplit=7)
        if len(cols) < 7 or not cols[6].isdigit():
            continue
        ino = int(cols[6])
        name = cols[7] if len(cols) > 7 else ""
        table[ino] = FdInfo(
            0, 0, "u", name, local=SockAddr(AF_UNIX, name) if name else None, ino=ino
        )


def socket_table(net: Path) -> dict[int, FdInfo]:
    """Socket inode -> FdInfo template from one /proc/PID/net directory."""
    table: dict[int, FdInfo] = {}
    for name, family in (
        ("tcp", AF_INET),
        ("udp", AF_INET),
        ("tcp6", AF_INET6),
        ("udp6", AF_INET6),
    ):
        _inet_table(net / name, family, table)
    _unix_table(net / "unix", table)
    return table


def _flags(fdinfo: Path) -> int:
    try:
        for line in fdinfo.read_text().splitlines():
            if line.startswith("flags:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0


def classify(target: str) -> str:
    """Falco's fd type character for a /proc/PID/fd link target (sockets excluded)."""
    if target.startswith("pipe:"):
        return "p"
    if target.startswith("anon_inode:"):
        return _ANON_TYPES.get(target.removeprefix("anon_inode:"), "o")
    if target.startswith("/memfd:"):
        return "m"
    return "f" if target.startswith("/") else "o"


def _one(base: Path, pid: int, fd: int, tables: dict[int, FdInfo]) -> FdInfo | None:
    path = base / "fd" / str(fd)
    try:
        target = os.readlink(path)
    except OSError:
        return None
    # /proc's flags are the kernel's; FdInfo carries Falco's encoding (O_CLOEXEC...)
    flags = open_flags(_flags(base / "fdinfo" / str(fd)))
    if target.startswith("socket:["):
        ino = int(target[8:-1]) if target[8:-1].isdigit() else 0
        known = tables.get(ino)
        if known is None:
            return FdInfo(pid, fd, "o", target, flags=flags, ino=ino)
        return FdInfo(pid, fd, known.type, known.name, known.tuple, known.local, flags, ino)
    fd_type = classify(target)
    ino = dev = 0
    if fd_type in ("f", "m", "p"):
        try:
            st = path.stat()
            ino, dev = st.st_ino, st.st_dev
            if stat.S_ISDIR(st.st_mode):
                fd_type = "d"
        except OSError:
            pass
    name = target.removesuffix(" (deleted)") if fd_type in ("f", "d") else target
    return FdInfo(pid, fd, fd_type, name, flags=flags, ino=ino, dev=dev)


def snapshot_fds(proc: Path = Path("/proc")) -> list[FdInfo]:
    """Every open fd of every process (threads share their process's table)."""
    out: list[FdInfo] = []
    tables_by_ns: dict[str, dict[int, FdInfo]] = {}
    try:
        pids = [int(p) for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return out
    for pid in pids:
        base = proc / str(pid)
        try:
            fds = sorted(int(f) for f in os.listdir(base / "fd") if f.isdigit())
            netns = os.readlink(base / "ns" / "net")
        except OSError:
            continue
        if netns not in tables_by_ns:
            tables_by_ns[netns] = socket_table(base / "net")
        for fd in fds:
            info = _one(base, pid, fd, tables_by_ns[netns])
            if info is not None:
                out.append(info)
    return out
