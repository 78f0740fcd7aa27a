"""/proc readers of the connection map against real sockets of this process, with `ss`
and `ip` as the oracles for what the kernel says is listening and which addresses are
local."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.runtime.connections_proc import (
    hex_addr,
    listening_sockets,
    local_addresses,
    local_socket,
    parse_inet,
    parse_unix,
)
from tests.support import need_tool


@pytest.fixture
def sockets(tmp_path: Path) -> Iterator[dict[str, socket.socket]]:
    made = {
        "tcp4": socket.socket(socket.AF_INET, socket.SOCK_STREAM),
        "tcp6": socket.socket(socket.AF_INET6, socket.SOCK_STREAM),
        "udp4": socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
        "unix": socket.socket(socket.AF_UNIX, socket.SOCK_STREAM),
        "idle": socket.socket(socket.AF_INET, socket.SOCK_STREAM),  # bound, not listening
    }
    made["tcp4"].bind(("127.0.0.1", 0))
    made["tcp6"].bind(("::1", 0))
    made["udp4"].bind(("127.0.0.1", 0))
    made["unix"].bind(str(tmp_path / "listen.sock"))
    made["idle"].bind(("127.0.0.1", 0))
    for name in ("tcp4", "tcp6", "unix"):
        made[name].listen(4)
    yield made
    for s in made.values():
        s.close()


def _ss(args: str) -> set[tuple[str, int]]:
    """Listening sockets `ss` shows with an owning process (sockets no process holds,
    such as a kernel service's, are not the map's business)."""
    out = subprocess.run(["ss", "-H", args], check=True, capture_output=True, text=True).stdout
    found = set()
    for line in out.splitlines():
        if "users:(" not in line:
            continue
        local = line.split()[3]
        addr, _, port = local.rpartition(":")
        found.add((addr.strip("[]").split("%")[0].replace("*", "0.0.0.0"), int(port)))
    return found


def test_listening_sockets_of_this_process(sockets: dict[str, socket.socket]) -> None:
    mine = {(e.proto, e.addr, e.port) for pid, _, e in listening_sockets() if pid == os.getpid()}
    expected = {
        ("tcp", "127.0.0.1", sockets["tcp4"].getsockname()[1]),
        ("tcp", "::1", sockets["tcp6"].getsockname()[1]),
        ("udp", "127.0.0.1", sockets["udp4"].getsockname()[1]),
        ("unix", sockets["unix"].getsockname(), 0),
    }
    assert expected <= mine
    assert ("tcp", "127.0.0.1", sockets["idle"].getsockname()[1]) not in mine


def test_tcp_listeners_agree_with_ss(sockets: dict[str, socket.socket]) -> None:
    need_tool("ss")
    own_ns = os.stat("/proc/self/ns/net").st_ino
    before = _ss("-ltnp")
    ours = {
        (e.addr, e.port) for _, ns, e in listening_sockets() if ns == own_ns and e.proto == "tcp"
    }
    after = _ss("-ltnp")
    ours = {("0.0.0.0" if a == "::" else a, p) for a, p in ours}
    before = {("0.0.0.0" if a == "::" else a, p) for a, p in before}
    after = {("0.0.0.0" if a == "::" else a, p) for a, p in after}
    assert before & after <= ours <= before | after


def test_local_socket_learns_the_real_port(sockets: dict[str, socket.socket]) -> None:
    entry = local_socket(os.getpid(), sockets["tcp6"].fileno())
    assert entry is not None
    assert (entry.proto, entry.addr, entry.port, entry.listening) == (
        "tcp", "::1", sockets["tcp6"].getsockname()[1], True)  # fmt: skip
    assert local_socket(os.getpid(), 0 if not os.isatty(0) else 10**6) is None
    assert local_socket(2**22 + 17, 3) is None  # no such process


def test_local_addresses_agree_with_ip() -> None:
    ip = need_tool("ip")
    doc = json.loads(subprocess.run([ip, "-j", "addr"], check=True, capture_output=True).stdout)
    oracle = {a["local"] for link in doc for a in link.get("addr_info", [])}
    assert local_addresses() == oracle | {"127.0.0.1", "::1"}


def test_hex_addr_known_values() -> None:
    assert hex_addr("0100007F:1F90") == ("127.0.0.1", 8080)
    assert hex_addr("00000000000000000000000001000000:0050") == ("::1", 80)
    with pytest.raises(ValueError):
        hex_addr("0100:0050")


@given(st.lists(st.text(alphabet="0123456789ABCDEF: \t\nxyz", max_size=120), max_size=8))
@settings(max_examples=150, deadline=None)
def test_table_parsers_never_crash(lines: list[str]) -> None:
    for proto in ("tcp", "udp"):
        for entry in parse_inet(lines, proto).values():
            assert entry.proto == proto and 0 <= entry.port < 65536
    for entry in parse_unix(lines).values():
        assert entry.proto == "unix"
