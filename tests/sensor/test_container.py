"""A real podman + runc container under the live sensor: its cgroup id is the inode of its
cgroup v2 directory, its namespaces differ from the host's, and a binary copied into the
container at run time executes from the overlay's upper layer."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from mamori.model.events import SyscallEvent
from mamori.sensor import Sensor
from tests.sensor.conftest import need_sensor
from tests.support import need, need_tool

pytestmark = [pytest.mark.root, pytest.mark.slow]

IMAGE = "localhost/mamori-busybox:test"
PODMAN_RUN = [
    "--runtime", "runc", "--cgroup-manager", "cgroupfs", "run", "--rm",
    "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
]  # fmt: skip
# busybox picks the applet by argv[0]: the copy is named after the applet it runs
SCRIPT = "cp /bin/busybox /cat && /cat /proc/self/cgroup && echo READY && /bin/sleep 2"


def _ensure_image(podman: str, tmp: Path) -> None:
    if subprocess.run([podman, "image", "exists", IMAGE], check=False).returncode == 0:
        return
    busybox = shutil.which("busybox")
    need(busybox is not None, "busybox-static is not installed (scripts/test-deps)")
    assert busybox is not None
    root = tmp / "rootfs"
    (root / "bin").mkdir(parents=True)
    shutil.copy2(busybox, root / "bin" / "busybox")
    for applet in ("sh", "cat", "cp", "sleep", "ls"):
        (root / "bin" / applet).symlink_to("busybox")
    archive = tmp / "rootfs.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(root, arcname=".")
    subprocess.run([podman, "import", str(archive), IMAGE], check=True, capture_output=True)


def _cgroup_v2_dir(lines: list[str]) -> Path:
    path = next(line.split(":", 2)[2] for line in lines if line.startswith("0::"))
    for base in (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup")):
        if (base / "cgroup.controllers").exists():
            return base / path.lstrip("/")
    raise AssertionError("no cgroup v2 hierarchy")


def test_container_cgroup_namespaces_and_upper_layer_exec(sensor: Sensor, tmp_path: Path) -> None:
    need_sensor()
    podman = need_tool("podman")
    need_tool("runc")
    _ensure_image(podman, tmp_path)
    proc = subprocess.Popen(
        [podman, *PODMAN_RUN, IMAGE, "/bin/sh", "-c", SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out = b""
    cgroup_ino = 0
    events: list[SyscallEvent] = []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while time.monotonic() < deadline and proc.poll() is None:
        events.extend(sensor.poll(0.02))
        if cgroup_ino:
            continue
        ready, _, _ = select.select([proc.stdout], [], [], 0.05)
        if ready:
            out += os.read(proc.stdout.fileno(), 65536)
            lines = out.decode().splitlines()
            if "READY" in lines:
                cgroup_ino = _cgroup_v2_dir(lines).stat().st_ino  # while it still exists
    proc.wait(timeout=30)
    for _ in range(10):
        events.extend(sensor.poll(0.02))
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert cgroup_ino, out

    cat = [
        e for e in events if e.name == "execve" and e.params.get("trusted_exepath") == "/cat"
        and e.ctx is not None and e.ctx.cgroup_id == cgroup_ino
    ]  # fmt: skip
    assert len(cat) == 1, [e for e in events if e.name == "execve"][-10:]
    params, ctx = cat[0].params, cat[0].ctx
    assert ctx is not None
    assert params["exe_upper_layer"] == 1  # copied in at run time: on the upper layer
    assert params["flags"] & 2  # Falco's PPM_EXE_UPPER_LAYER bit
    assert params["args"] == ("/proc/self/cgroup",)
    assert ctx.pidns != os.stat("/proc/self/ns/pid").st_ino
    assert ctx.mntns != os.stat("/proc/self/ns/mnt").st_ino

    # the image's own busybox runs from the lower layer, in the same cgroup
    lower = [
        e for e in events if e.name == "execve" and e.ctx is not None
        and e.ctx.cgroup_id == cgroup_ino and e.params.get("trusted_exepath") == "/bin/busybox"
    ]  # fmt: skip
    assert lower and all(e.params["exe_upper_layer"] == 0 for e in lower)
    assert all(e.params["flags"] & 8 for e in lower)  # PPM_EXE_LOWER_LAYER
    # the container's init sees itself as pid 1 in its namespace
    forks = [
        e for e in events if e.name in ("clone", "clone3", "fork", "vfork")
        and e.ctx is not None and e.ctx.cgroup_id == cgroup_ino and e.params.get("res") == 0
    ]  # fmt: skip
    assert forks and all(isinstance(e.params["vpid"], int) for e in forks)
    assert any(e.params["vpid"] != e.tid for e in forks)
