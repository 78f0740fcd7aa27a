"""What /proc says about sockets: the listening sockets alive at start-up, the real local
address of a socket (a server bound to port 0 only learns its port from the kernel), and
the host's own addresses (to tell a local peer from a remote one).

Every reader is bounded and treats a vanished process or an unreadable file as "nothing".
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_TCP_LISTEN = "0A"
_UDP_UNCONNECTED = "07"
_SO_ACCEPTCON = 0x10000
_MAX_TABLE = 32 << 20  # bytes read from one /proc/net table


@dataclass(frozen=True, slots=True)
class SocketEntry:
    proto: str  # "tcp", "udp" or "unix"
    addr: str  # local address (IP text, or the unix path)
    port: int
    listening: bool  # TCP in LISTEN, a listening unix socket, a bound unconnected UDP one


def hex_addr(text: str) -> tuple[str, int]:
    """ "0100007F:1F90" (the kernel's byte order per 32-bit word) -> ("127.0.0.1", 8080)."""
    addr, _, port = text.partition(":")
    raw = bytes.fromhex(addr)
    if len(raw) not in (4, 16):
        raise ValueError(f"not an IPv4 or IPv6 address: {addr!r}")
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    family = socket.AF_INET if len(words) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, words), int(port, 16)


def _lines(path: Path) -> list[str]:
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_TABLE)
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[1:]


def parse_inet(lines: list[str], proto: str) -> dict[int, SocketEntry]:
    """Rows of /proc/net/{tcp,tcp6,udp,udp6} -> inode -> entry."""
    out: dict[int, SocketEntry] = {}
    for line in lines:
        cols = line.split()
        if len(cols) < 10 or not cols[9].isdigit():
            continue
        try:
            addr, port = hex_addr(cols[1])
            _, rport = hex_addr(cols[2])
        except ValueError:
            continue
        if proto == "tcp":
            listening = cols[3] == _TCP_LISTEN
        else:
            listening = cols[3] == _UDP_UNCONNECTED and rport == 0 and port != 0
        out[int(cols[9])] = SocketEntry(proto, addr, port, listening)
    return out


def parse_unix(lines: list[str]) -> dict[int, SocketEntry]:
    """Rows of /proc/net/unix -> inode -> entry (listening: __SO_ACCEPTCON set)."""
    out: dict[int, SocketEntry] = {}
    for line in lines:
        cols = line.split(maxsplit=7)
        if len(cols) < 7 or not cols[6].isdigit():
            continue
        try:
            flags = int(cols[3], 16)
        except ValueError:
            continue
        path = cols[7].strip() if len(cols) > 7 else ""
        out[int(cols[6])] = SocketEntry("unix", path, 0, bool(flags & _SO_ACCEPTCON) and bool(path))
    return out


def socket_entries(net: Path) -> dict[int, SocketEntry]:
    """Every socket of one network namespace (``/proc/PID/net``), by inode."""
    out: dict[int, SocketEntry] = {}
    for name, proto in (("tcp", "tcp"), ("tcp6", "tcp"), ("udp", "udp"), ("udp6", "udp")):
        out.update(parse_inet(_lines(net / name), proto))
    out.update(parse_unix(_lines(net / "unix")))
    return out


def _socket_inode(link: str) -> int:
    if link.startswith("socket:[") and link.endswith("]") and link[8:-1].isdigit():
        return int(link[8:-1])
    return 0


def local_socket(pid: int, fd: int, proc: Path = Path("/proc")) -> SocketEntry | None:
    """The socket open as ``fd`` in process ``pid``, as its namespace's tables show it."""
    try:
        ino = _socket_inode(os.readlink(proc / str(pid) / "fd" / str(fd)))
    except OSError:
        return None
    if not ino:
        return None
    return socket_entries(proc / str(pid) / "net").get(ino)


def _links(fd_dir: Path) -> list[str]:
    """The targets of a process's fds (an fd closed meanwhile is skipped)."""
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return []
    out = []
    for name in names:
        try:
            out.append(os.readlink(fd_dir / name))
        except OSError:
            continue
    return out


def _netns(base: Path) -> int:
    try:
        return os.stat(base / "ns" / "net").st_ino
    except OSError:
        return 0


def listening_sockets(proc: Path = Path("/proc")) -> Iterator[tuple[int, int, SocketEntry]]:
    """(pid, netns inode, entry) per listening socket alive now. A socket shared by several
    processes (a server's pre-forked workers) is reported once, for its lowest pid (the
    parent that opened it, unless pids wrapped)."""
    tables: dict[int, dict[int, SocketEntry]] = {}
    owners: dict[tuple[int, int], int] = {}
    try:
        pids = sorted(int(p) for p in os.listdir(proc) if p.isdigit())
    except OSError:
        return
    for pid in pids:
        base = proc / str(pid)
        netns = _netns(base)
        inodes = [ino for ino in map(_socket_inode, _links(base / "fd")) if ino]
        if not inodes:
            continue
        if netns not in tables:
            tables[netns] = {
                ino: e for ino, e in socket_entries(base / "net").items() if e.listening
            }
        for ino in inodes:
            if ino in tables[netns] and (netns, ino) not in owners:
                owners[(netns, ino)] = pid
    for (netns, ino), pid in owners.items():
        yield pid, netns, tables[netns][ino]


def local_addresses(proc: Path = Path("/proc")) -> frozenset[str]:
    """The addresses of this host's network namespace (IPv4 from fib_trie's LOCAL routes,
    IPv6 from if_inet6), loopback included."""
    found = {"127.0.0.1", "::1"}
    last = ""
    for line in _lines(proc / "net" / "fib_trie"):
        text = line.strip()
        if text.startswith(("|--", "+--")):
            last = text[3:].strip().split("/")[0]
        elif text.startswith("/32 host LOCAL") and last:
            found.add(last)
    try:
        rows = (proc / "net" / "if_inet6").read_text().splitlines()
    except OSError:
        rows = []
    for row in rows:
        cols = row.split()
        if cols and len(cols[0]) == 32:
            try:
                found.add(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(cols[0])))
            except ValueError:
                continue
    return frozenset(found)
