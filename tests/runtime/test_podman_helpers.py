"""Podman helpers shared by the podman and agent tests (no tests here): a private API
service on a temporary socket, and a tiny busybox image imported without a registry."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support import need

IMAGE = "localhost/mamori-agent-busybox:test"
PODMAN_RUN = [
    "--runtime", "runc", "--cgroup-manager", "cgroupfs", "run",
    "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
]  # fmt: skip
APPLETS = ("sh", "nc", "sleep", "cat", "echo")


def ensure_image(podman: str, tmp: Path) -> str:
    """The test image (busybox with a few applets), imported once per machine."""
    if subprocess.run([podman, "image", "exists", IMAGE], check=False).returncode == 0:
        return IMAGE
    busybox = shutil.which("busybox")
    need(busybox is not None, "busybox-static is not installed (scripts/test-deps)")
    assert busybox is not None
    root = tmp / "rootfs"
    (root / "bin").mkdir(parents=True)
    shutil.copy2(busybox, root / "bin" / "busybox")
    for applet in APPLETS:
        (root / "bin" / applet).symlink_to("busybox")
    archive = tmp / "rootfs.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(root, arcname=".")
    subprocess.run([podman, "import", str(archive), IMAGE], check=True, capture_output=True)
    return IMAGE


@contextmanager
def podman_service(tmp: Path) -> Iterator[Path]:
    """``podman system service`` on a private socket, until the block ends."""
    sock = tmp / "podman.sock"
    proc = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{sock}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if sock.is_socket() and _pings(sock):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("podman system service did not come up")
        yield sock
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _pings(sock: Path) -> bool:
    try:
        transport = httpx.HTTPTransport(uds=str(sock))
        with httpx.Client(transport=transport, base_url="http://podman", timeout=2) as client:
            return client.get("/_ping").status_code == 200
    except httpx.HTTPError:
        return False
