"""Container actions on a real podman + runc container: killing its cgroup leaves it
empty and podman sees the container exit by SIGKILL (137); stopping it through
podman's API (a private ``podman system service``) makes podman report it exited. Host
processes and cgroups that do not carry the container's id are refused."""

from __future__ import annotations

import hashlib
import select
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.response import Responder, parse_policy
from mamori.response.base import ActionError, ResponseContext
from mamori.response.connect_deny import OBJECT
from mamori.response.container import (
    container_cgroup,
    kill_container,
    stop_container,
    unified_path,
    unified_root,
)
from tests.response.conftest import alert
from tests.runtime.test_podman_helpers import PODMAN_RUN, ensure_image, podman_service
from tests.support import need, need_root, need_tool

pytestmark = [pytest.mark.root, pytest.mark.slow]
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]


@pytest.fixture
def container(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """(full id, pid of its init): ``sh`` with two background sleeps."""
    need_root()
    podman = need_tool("podman")
    need_tool("runc")
    image = ensure_image(podman, tmp_path)
    run = [podman, *PODMAN_RUN, "-d", image, "sh", "-c", "sleep 300 & sleep 300 & wait"]
    cid = subprocess.run(run, check=True, capture_output=True, text=True).stdout.strip()
    try:
        pid = int(_inspect(cid, "{{.State.Pid}}"))
        yield cid, pid
    finally:
        subprocess.run([*PODMAN, "rm", "-f", "-t", "0", cid], capture_output=True, check=False)


def _inspect(cid: str, fmt: str) -> str:
    done = subprocess.run([*PODMAN, "inspect", "-f", fmt, cid], capture_output=True, text=True,
                          check=True)  # fmt: skip
    return done.stdout.strip()


def _wait_state(cid: str, state: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    now = ""
    while time.monotonic() < deadline:
        now = _inspect(cid, "{{.State.Status}} {{.State.ExitCode}}")
        if now.startswith(state):
            return now
        time.sleep(0.1)
    return now


def test_kill_the_containers_processes(container: tuple[str, int]) -> None:
    cid, pid = container
    ctx = ResponseContext(pid=pid, container_id=cid[:12], cgroup=unified_path(pid))
    path = container_cgroup(ctx)
    assert path == unified_root() / unified_path(pid).lstrip("/")
    procs = (path / "cgroup.procs").read_text().split()
    assert len(procs) >= 3  # sh and its two sleeps
    dry, _ = kill_container(ctx, dry_run=True)
    assert dry.startswith(f"would kill {len(procs)} process(es)")
    assert (path / "cgroup.procs").read_text().split() == procs
    detail, data = kill_container(ctx)
    assert "cgroup.kill" in detail and sorted(map(str, data["pids"])) == sorted(procs)
    assert _wait_state(cid, "exited") == "exited 137"


def test_stop_through_podmans_api(container: tuple[str, int], tmp_path: Path) -> None:
    cid, pid = container
    ctx = ResponseContext(pid=pid, container_id=cid[:12])
    with podman_service(tmp_path) as sock:
        detail, _ = stop_container(ctx, timeout=1, socket=sock)
        assert detail == f"stopped container {cid[:12]}"
        assert _wait_state(cid, "exited").startswith("exited")
        again, _ = stop_container(ctx, timeout=1, socket=sock)
        assert "already stopped" in again
    with pytest.raises(ActionError, match="absent"):
        stop_container(ctx, socket=tmp_path / "none.sock")


def test_what_is_refused(container: tuple[str, int]) -> None:
    cid, pid = container
    with pytest.raises(ActionError, match="not in a container"):
        container_cgroup(ResponseContext(pid=pid))
    with pytest.raises(ActionError, match="does not belong"):
        container_cgroup(ResponseContext(pid=pid, container_id="0123456789ab"))
    with pytest.raises(ActionError, match="does not belong"):  # the host's root cgroup
        container_cgroup(ResponseContext(pid=pid, container_id=cid, cgroup="/"))
    with pytest.raises(ActionError, match="not in a container"):
        stop_container(ResponseContext(pid=pid, container_id="../../x"))
    assert _inspect(cid, "{{.State.Status}}") == "running"


def test_deny_connect_defaults_to_the_containers_cgroup(tmp_path: Path) -> None:
    """A container on the host's network: after the per-alert ``deny_connect``, its
    processes (also ones started later with ``podman exec``) cannot reach the alert's
    destination, other ports still work, and the host itself is not affected."""
    need_root()
    podman = need_tool("podman")
    need_tool("runc")
    need(OBJECT.exists(), "connect_deny.bpf.o is not built (scripts/build-bpf-response)")
    image = ensure_image(podman, tmp_path)
    listeners = []
    for _ in range(2):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        listeners.append(s)
    denied, other = (s.getsockname()[1] for s in listeners)
    closing = threading.Event()
    threading.Thread(target=_accept_and_close, args=(listeners, closing), daemon=True).start()
    run = [podman, *PODMAN_RUN, "-d", "--network", "host", image, "sleep", "300"]
    cid = subprocess.run(run, check=True, capture_output=True, text=True).stdout.strip()
    policy = parse_policy("responses: [{match: {rules: [c2]}, actions: [deny_connect]}]")
    try:
        pid = int(_inspect(cid, "{{.State.Pid}}"))
        ctx = ResponseContext(pid=pid, container_id=cid[:12], cgroup=unified_path(pid),
                              remote_addr="127.0.0.1", remote_port=denied)  # fmt: skip
        with Responder(policy, quarantine_dir=tmp_path / "q") as responder:
            [result] = responder(alert(rule="c2"), ctx)
            assert result.ok, result.detail
            assert _nc(cid, denied) != 0 and _nc(cid, other) == 0
            socket.create_connection(("127.0.0.1", denied), timeout=5).close()  # the host
        assert _nc(cid, denied) == 0  # detached with the responder
    finally:
        subprocess.run([*PODMAN, "rm", "-f", "-t", "0", cid], capture_output=True, check=False)
        closing.set()
        time.sleep(0.2)
        for s in listeners:
            s.close()


def _accept_and_close(listeners: list[socket.socket], closing: threading.Event) -> None:
    """The servers hang up at once, so a client that connected exits (busybox nc)."""
    while not closing.is_set():
        ready, _, _ = select.select(listeners, [], [], 0.1)
        for s in ready:
            conn, _ = s.accept()
            conn.close()


def _nc(cid: str, port: int) -> int:
    cmd = [*PODMAN, "exec", cid, "sh", "-c", f"nc 127.0.0.1 {port} </dev/null"]
    return subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=30,
                          check=False).returncode  # fmt: skip


def test_quarantine_a_file_inside_the_container(container: tuple[str, int], tmp_path: Path) -> None:
    """The alert names the file as the container sees it; it is taken through
    ``/proc/<pid>/root`` (another filesystem: copied and unlinked) and can be restored."""
    cid, pid = container
    subprocess.run([*PODMAN, "exec", cid, "sh", "-c", "echo evil > /evil"], check=True)
    policy = parse_policy("responses: [{match: {rules: [drop]}, actions: [quarantine]}]")
    ctx = ResponseContext(pid=pid, container_id=cid[:12], file_path="/evil")
    with Responder(policy, quarantine_dir=tmp_path / "q") as responder:
        [result] = responder(alert(rule="drop"), ctx)
    assert result.ok, result.detail
    assert result.data["sha256"] == hashlib.sha256(b"evil\n").hexdigest()
    cat = [*PODMAN, "exec", cid, "cat", "/evil"]
    assert subprocess.run(cat, capture_output=True, check=False).returncode != 0
    [entry] = responder.env.quarantine.entries()
    assert entry.original == f"/proc/{pid}/root/evil" and entry.method == "copy"
    responder.env.quarantine.restore(entry.id)
    assert subprocess.run(cat, capture_output=True, check=True).stdout == b"evil\n"
