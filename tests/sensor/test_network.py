"""Sockets under the live sensor: connect/accept tuples over IPv4, IPv6 and unix sockets,
bind/listen addresses, UDP sendto/recvfrom peers, as the child process itself reports
them (its getsockname/getpeername are the oracle)."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from mamori.model.events import AF_INET, AF_INET6, AF_UNIX, SockAddr, SockTuple
from mamori.sensor import Sensor
from tests.sensor.conftest import run_captured

pytestmark = [pytest.mark.root]

TCP = """
import json, socket, sys
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
host = "::1" if fam == socket.AF_INET6 else "127.0.0.1"
srv = socket.socket(fam, socket.SOCK_STREAM)
srv.bind((host, 0))
srv.listen(8)
cli = socket.socket(fam, socket.SOCK_STREAM)
cli.connect(srv.getsockname())
conn, peer = srv.accept()
print(json.dumps({"srv": srv.getsockname()[:2], "cli": cli.getsockname()[:2],
                  "srv_fd": srv.fileno(), "cli_fd": cli.fileno(), "conn_fd": conn.fileno()}))
"""


@pytest.mark.parametrize(("version", "family"), [("4", AF_INET), ("6", AF_INET6)])
def test_tcp_connect_accept_bind_listen(sensor: Sensor, version: str, family: int) -> None:
    if family == AF_INET6 and not socket.has_ipv6:
        pytest.skip("no IPv6 on loopback")
    cap, done = run_captured(sensor, [sys.executable, "-c", TCP, version])
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    (shost, sport), (chost, cport) = info["srv"], info["cli"]
    pid = cap.root

    bind = cap.one("bind", pid).params
    assert bind["res"] == 0 and bind["fd"] == info["srv_fd"]
    assert bind["addr"] == SockAddr(family, shost, 0)
    listen = cap.one("listen", pid).params
    assert listen == {"res": 0, "fd": info["srv_fd"], "backlog": 8}

    connect = cap.one("connect", pid).params
    assert connect["res"] == 0 and connect["fd"] == info["cli_fd"]
    assert connect["addr"] == SockAddr(family, shost, sport)
    assert connect["tuple"] == SockTuple(family, chost, cport, shost, sport)

    accepts = [e for e in cap.events if e.name in ("accept", "accept4") and e.ctx.pid == pid]  # type: ignore[union-attr]
    assert len(accepts) == 1
    assert accepts[0].params["fd"] == info["conn_fd"]
    assert accepts[0].params["tuple"] == SockTuple(family, chost, cport, shost, sport)

    sockets = [e.params for e in cap.of("socket", pid)]
    assert [s["domain"] for s in sockets if s["fd"] == info["cli_fd"]] == [family]


UNIX = """
import json, os, socket, sys
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
cli = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
cli.connect(path)
conn, _ = srv.accept()
print(json.dumps({"cli_fd": cli.fileno(), "conn_fd": conn.fileno()}))
"""


def test_unix_socket_connect(sensor: Sensor, tmp_path: Path) -> None:
    path = str(tmp_path / "mamori.sock")
    cap, done = run_captured(sensor, [sys.executable, "-c", UNIX, path])
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    pid = cap.root
    assert cap.one("bind", pid).params["addr"] == SockAddr(AF_UNIX, path)
    connect = cap.one("connect", pid).params
    assert connect["res"] == 0 and connect["fd"] == info["cli_fd"]
    assert connect["addr"] == SockAddr(AF_UNIX, path)
    # as Falco: the client socket's and its peer's kernel addresses (hex), and the path
    # the caller connected to
    tup = connect["tuple"]
    assert isinstance(tup, SockTuple) and (tup.family, tup.path) == (AF_UNIX, path)
    assert int(tup.src, 16) and int(tup.dst, 16) and tup.src != tup.dst
    accept = next(e for e in cap.events if e.name in ("accept", "accept4")).params
    assert accept["fd"] == info["conn_fd"]
    # the accepted socket is the client's peer: the same pair, client -> server
    assert accept["tuple"] == SockTuple(AF_UNIX, tup.src, 0, tup.dst, 0, path)


UDP = """
import json, socket
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", 0))
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", 0))
b.sendto(b"ping", a.getsockname())
data, peer = a.recvfrom(100)
b.sendmsg([b"pong!"], [], 0, a.getsockname())
data, anc, flags, peer = a.recvmsg(100)
print(json.dumps({"a": a.getsockname(), "b": b.getsockname(), "a_fd": a.fileno()}))
"""


def test_udp_sendto_recvfrom(sensor: Sensor) -> None:
    cap, done = run_captured(sensor, [sys.executable, "-c", UDP])
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    (ahost, aport), (bhost, bport) = info["a"], info["b"]
    pid = cap.root
    send = cap.one("sendto", pid).params
    assert send["res"] == 4 and send["size"] == 4
    assert send["addr"] == SockAddr(AF_INET, ahost, aport)
    assert send["tuple"] == SockTuple(AF_INET, bhost, bport, ahost, aport)
    recv = cap.one("recvfrom", pid).params
    assert recv["res"] == 4 and recv["fd"] == info["a_fd"]
    assert recv["addr"] == SockAddr(AF_INET, bhost, bport)
    sendmsg = cap.one("sendmsg", pid).params
    assert sendmsg["res"] == 5 and sendmsg["addr"] == SockAddr(AF_INET, ahost, aport)
    assert sendmsg["tuple"] == SockTuple(AF_INET, bhost, bport, ahost, aport)
    recvmsg = cap.one("recvmsg", pid).params
    assert recvmsg["res"] == 5 and recvmsg["addr"] == SockAddr(AF_INET, bhost, bport)


def test_failed_connect_keeps_the_destination(sensor: Sensor) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now: ECONNREFUSED
    script = (
        "import socket\n"
        f"try:\n    socket.create_connection(('127.0.0.1', {port}))\n"
        "except ConnectionRefusedError:\n    pass\n"
    )
    cap, done = run_captured(sensor, [sys.executable, "-c", script])
    assert done.returncode == 0
    connect = cap.one("connect", cap.root).params
    assert connect["res"] == -111  # -ECONNREFUSED
    tup = connect["tuple"]
    assert isinstance(tup, SockTuple) and (tup.dst, tup.dport) == ("127.0.0.1", port)
