"""The agent pipeline (eBPF sensor -> state engine -> connection map) on the real kernel:
real listeners and clients on 127.0.0.1 and ::1, and a podman + runc container that
connects out to the host. The oracles are the workloads themselves (their pids and
getsockname), /proc (comm, exe) and ``podman inspect`` (id, name, image, address)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mamori.app.agent import Agent, capture_types
from mamori.runtime.connections import ConnectionMap
from mamori.runtime.podman import ContainerMetadata, PodmanClient
from mamori.sensor import Sensor, ebpf_available
from tests.runtime.test_podman_helpers import PODMAN_RUN, ensure_image, podman_service
from tests.support import need, need_root, need_tool

pytestmark = [pytest.mark.root, pytest.mark.slow]

N = 3
SERVER = """
import json, select, socket, sys, time
hosts, count, hold = sys.argv[1].split(","), int(sys.argv[2]), float(sys.argv[3])
servers = []
for host in hosts:
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.bind((host, 0)); s.listen(16); servers.append(s)
print(json.dumps([s.getsockname()[1] for s in servers]), flush=True)
left = {s: count for s in servers}
while any(left.values()):
    for s in select.select([s for s in servers if left[s]], [], [], 20)[0]:
        conn, _ = s.accept(); left[s] -= 1
        time.sleep(hold); conn.close()
"""
CLIENT = """
import socket, sys
for target in sys.argv[1:]:
    host, port, count = target.rsplit(":", 2)
    for _ in range(int(count)):
        c = socket.create_connection((host, int(port))); c.sendall(b"x"); c.close()
"""


def _python_as(tmp: Path, name: str) -> str:
    """The interpreter under another name: its comm is `name`, its exe the interpreter."""
    link = tmp / name
    if not link.exists():
        link.symlink_to(os.path.realpath(sys.executable))
    return str(link)


@pytest.fixture
def agent_factory() -> Iterator[Any]:
    need_root()
    ok, detail = ebpf_available()
    need(ok, f"the eBPF sensor cannot load: {detail}")
    started: list[Agent] = []

    def make(data: bool = False, **kwargs: Any) -> Agent:
        sensor = Sensor(capture_types([], True, data))
        agent = Agent(sensor, connections=ConnectionMap(), **kwargs)
        started.append(agent.start())
        return agent

    yield make
    for agent in started:
        agent.stop()


def _drive(agent: Agent, procs: list[subprocess.Popen[str]], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
        agent.poll(0.05)
    for _ in range(4):
        agent.poll(0.05)
    assert all(p.returncode == 0 for p in procs), [p.args for p in procs]


def _one(items: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [i for i in items if all(i.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, [i for i in items if i.get("port") == match.get("port")])
    return found[0]


def test_loopback_listeners_connections_and_links(agent_factory: Any, tmp_path: Path) -> None:
    map_path = tmp_path / "map.json"
    agent = agent_factory(map_path=map_path)
    server = subprocess.Popen(
        [_python_as(tmp_path, "mserver"), "-c", SERVER, "127.0.0.1,::1", str(N + 1), "0"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    port4, port6 = json.loads(server.stdout.readline())
    comm = Path(f"/proc/{server.pid}/comm").read_text().strip()
    exe = os.readlink(f"/proc/{server.pid}/exe")
    targets = [f"127.0.0.1:{port4}:{N}", f"::1:{port6}:{N}"]
    client = subprocess.Popen([_python_as(tmp_path, "mclient"), "-c", CLIENT, *targets], text=True)
    for host, port in (("127.0.0.1", port4), ("::1", port6)):  # the agent's own: never seen
        socket.create_connection((host, port)).close()
    _drive(agent, [server, client])
    agent.stop()
    doc = json.loads(map_path.read_text())  # saved (atomically) on stop

    assert comm == "mserver"
    server_id = {"process": "mserver", "exe": exe, "container": "host"}
    client_id = {"process": "mclient", "exe": exe, "container": "host"}
    for host, port in (("127.0.0.1", port4), ("::1", port6)):
        listener = _one(doc["listeners"], port=port, proto="tcp")
        assert (listener["pid"], listener["addr"], listener["process"], listener["exe"]) == (
            server.pid, host, comm, exe)  # fmt: skip
        assert listener["accepts"] == N + 1 and listener["container"] == "host"
        out = _one(doc["connections"], port=port, direction="out")
        assert {k: out[k] for k in server_id} == client_id
        assert (out["peer"], out["proto"], out["count"], out["failed"]) == (host, "tcp", N, 0)
        assert out["pids"] == [client.pid]
        inbound = _one(doc["connections"], port=port, direction="in")
        assert {k: inbound[k] for k in server_id} == server_id
        assert (inbound["peer"], inbound["count"]) == (host, N + 1)  # the agent's own included
        link = _one(doc["links"], port=port)
        assert (link["client"], link["server"]) == (client_id, server_id)
        assert (link["addr"], link["count"], link["via"]) == (host, N, "tuple")
    own = os.getpid()
    assert not [f for f in doc["connections"] if own in f["pids"]]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    need_root()
    need_tool("podman")
    need_tool("runc")
    with podman_service(tmp_path_factory.mktemp("podman")) as sock:
        yield sock


def test_container_connecting_out_to_the_host(
    agent_factory: Any, service: Path, tmp_path: Path
) -> None:
    podman = need_tool("podman")
    image = ensure_image(podman, tmp_path)
    template = "{{range .Subnets}}{{.Gateway}}{{end}}"
    gateway = subprocess.run(
        [podman, "network", "inspect", "podman", "--format", template],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    need(bool(gateway), "podman's default network has no gateway address")
    agent = agent_factory(metadata=ContainerMetadata(PodmanClient(service)))
    server = subprocess.Popen(
        [_python_as(tmp_path, "mserver"), "-c", SERVER, gateway, "1", "1.0"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    (port,) = json.loads(server.stdout.readline())
    name = f"mamori-agent-test-{time.monotonic_ns()}"
    box = subprocess.Popen(
        [podman, *PODMAN_RUN, "--name", name, "--label", "suite=agent", image,
         "/bin/nc", gateway, str(port)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        _drive(agent, [server, box], timeout=45)
        oracle = json.loads(subprocess.run([podman, "inspect", name], check=True,
                                           capture_output=True).stdout)[0]  # fmt: skip
        cid = oracle["Id"][:12]
        deadline = time.monotonic() + 10
        while agent.engine.containers.get(cid) is None and time.monotonic() < deadline:
            agent.poll(0.05)
        info = agent.engine.containers.get(cid)
        assert info is not None, "podman metadata never arrived"
        assert (info.name, info.image) == (oracle["Name"], oracle["ImageName"]) == (name, image)
        assert info.labels == {"suite": "agent"}

        doc = agent.connections.to_dict() if agent.connections is not None else {}
        flows = [f for f in doc["connections"] if f["port"] == port]
        assert doc["containers"].get(cid) == {"name": name, "image": image}, flows
        out = _one(doc["connections"], port=port, direction="out")
        assert (out["process"], out["container"], out["peer"], out["count"]) == (
            "nc",
            cid,
            gateway,
            1,
        )
        # podman's record of the address (asked while it ran) = the kernel's socket tuples
        assert info.ip and out["local"] == info.ip
        inbound = _one(doc["connections"], port=port, direction="in")
        assert (inbound["process"], inbound["container"]) == ("mserver", "host")
        assert inbound["peer"] == info.ip
        link = _one(doc["links"], port=port)
        assert (link["client"]["process"], link["client"]["container"]) == ("nc", cid)
        assert (link["server"]["process"], link["server"]["container"]) == ("mserver", "host")
        assert (link["count"], link["via"]) == (1, "tuple")
    finally:
        subprocess.run([podman, "rm", "-f", "-t", "0", name], capture_output=True, check=False)


def test_listeners_alive_before_start_are_seeded(agent_factory: Any, tmp_path: Path) -> None:
    server = subprocess.Popen(
        [_python_as(tmp_path, "mserver"), "-c", SERVER, "::1", "1", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    (port,) = json.loads(server.stdout.readline())  # listening before the agent starts
    agent = agent_factory()
    assert agent.connections is not None
    seeded = [x.to_dict() for x in agent.connections.listeners.values()]
    listener = _one(seeded, port=port)
    assert (listener["pid"], listener["process"], listener["addr"]) == (
        server.pid,
        "mserver",
        "::1",
    )
    client = subprocess.Popen([_python_as(tmp_path, "mclient"), "-c", CLIENT, f"::1:{port}:1"])
    _drive(agent, [server, client])  # type: ignore[list-item]
    after = _one([x.to_dict() for x in agent.connections.listeners.values()], port=port)
    assert after["accepts"] == 1 and after["active"] is False  # the server exited


UDP = """
import socket, sys
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); srv.bind(("127.0.0.1", 0))
cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for size in (10, 20, 30):
    cli.sendto(b"x" * size, srv.getsockname()); srv.recvfrom(100)
print(srv.getsockname()[1], cli.getsockname()[1])
"""


def test_udp_datagrams_and_bytes(agent_factory: Any, tmp_path: Path) -> None:
    agent = agent_factory(data=True)
    work = subprocess.Popen(
        [_python_as(tmp_path, "mudp"), "-c", UDP], stdout=subprocess.PIPE, text=True
    )
    _drive(agent, [work])
    assert work.stdout is not None
    port, client_port = map(int, work.stdout.read().split())
    assert agent.connections is not None
    doc = agent.connections.to_dict()
    listener = _one(doc["listeners"], port=port)
    assert (listener["proto"], listener["pid"], listener["addr"]) == ("udp", work.pid, "127.0.0.1")
    out = _one(doc["connections"], port=port, direction="out")
    assert (out["proto"], out["count"], out["bytes_out"], out["peer"]) == (
        "udp",
        3,
        60,
        "127.0.0.1",
    )
    inbound = _one(doc["connections"], port=port, direction="in")
    assert (inbound["count"], inbound["bytes_in"]) == (3, 60)
    assert inbound["process"] == out["process"] == "mudp"
    assert client_port != port
