"""Live: the rules of escape.yaml, in podman + runc containers. Nothing here changes the
host: the host disk's mount is refused (EBUSY: a read-only mount of a file system that
is mounted read-write), the cgroup hierarchy whose release_agent is written is a named
throwaway one with no cgroups, unmounted at once, the kernel helper is opened for writing and closed
without a byte written (checked), nsenter enters the container's own namespaces, the
runtime socket is this test's own listener, and module loads fail (no module given)."""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.detections.live import (
    Box,
    LiveAgent,
    build_probe,
    container_fields,
    field_has,
    field_is,
    run,
    unique,
    wait_metadata,
)
from tests.support import need

pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture(scope="module")
def privileged(live_podman: LiveAgent, podman: str, image: str) -> Iterator[Box]:
    """--cgroupns=host: a new (named) cgroup v1 hierarchy can only be created from the
    host's cgroup namespace."""
    b = Box(podman, image, "mamori-live-priv", ["--privileged", "--cgroupns=host"])
    wait_metadata(live_podman, b)
    yield b
    b.remove()


@pytest.fixture(scope="module")
def sockets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A directory with two listening unix sockets: docker.sock and an ordinary one."""
    where = tmp_path_factory.mktemp("sockets")
    servers = []
    for name in ("docker.sock", "app.sock"):
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(where / name))
        s.listen(4)
        servers.append(s)
    yield where
    for s in servers:
        s.close()


@pytest.fixture(scope="module")
def plain(live_podman: LiveAgent, podman: str, image: str, sockets: Path) -> Iterator[Box]:
    b = Box(podman, image, "mamori-live-plain", ["-v", f"{sockets}:/var/run/mamori"])
    wait_metadata(live_podman, b)
    yield b
    b.remove()


def test_host_device_mounted(live_podman: LiveAgent, privileged: Box) -> None:
    rule = "Host device mounted in a container"
    device = subprocess.run(
        ["findmnt", "-no", "SOURCE", "/"], capture_output=True, text=True, check=False
    ).stdout.strip()
    need(device.startswith("/dev/"), f"the host's root is not on a device node ({device!r})")
    bad, good = f"/mnt/{unique('disk')}", f"/mnt/{unique('tmpfs')}"
    privileged.sh(f"/bin/mkdir -p {good} && /bin/mount -t tmpfs tmpfs {good} && /bin/umount {good}")
    done = privileged.sh(f"/bin/mkdir -p {bad} && /bin/mount -t ext4 -o ro {device} {bad}")
    privileged.sh(f"/bin/umount {bad}")  # in case the kernel ever accepted it
    alert = live_podman.wait(rule, field_has("evt.arg[dir]", bad))
    assert alert.fields["evt.arg[dev]"] == device and alert.fields["proc.name"] == "mount"
    assert alert.fields["container.privileged"] is True
    assert done.returncode != 0 and alert.fields["evt.res"] != "SUCCESS", (done, alert.output)
    container_fields(alert, privileged)
    live_podman.quiet(field_has("evt.arg[dir]", good), rule)


def test_cgroup_mounted_and_release_agent(live_podman: LiveAgent, privileged: Box) -> None:
    """A throwaway named cgroup v1 hierarchy mounted in the container, its release_agent
    set to a path that does not exist, then unmounted (no cgroup in it ever empties, and
    the hierarchy goes away with its last mount): both rules. Mounting tmpfs and reading
    release_agent are the neighbours."""
    name = unique("mamori").replace("-", "")
    where, good = f"/mnt/{name}", f"/mnt/{unique('tmp')}"
    privileged.sh(f"/bin/mkdir -p {good} && /bin/mount -t tmpfs tmpfs {good} && /bin/umount {good}")
    script = (
        f"/bin/mkdir -p {where} && /bin/mount -t cgroup -o none,name={name} cgroup {where} && "
        f"/bin/cat {where}/release_agent && echo /nonexistent/{name} > {where}/release_agent && "
        f"/bin/cat {where}/release_agent; /bin/umount {where}"
    )
    done = privileged.sh(script)
    assert done.returncode == 0 and done.stdout == f"\n/nonexistent/{name}\n", done
    at_where = field_has("evt.arg[dir]", where)
    mounted = live_podman.wait("Cgroup filesystem mounted in a container", at_where)
    assert (mounted.fields["evt.arg[type]"], mounted.fields["proc.name"]) == ("cgroup", "mount")
    container_fields(mounted, privileged)
    rule = "Cgroup release_agent modified"
    alert = live_podman.wait(rule, field_has("fd.name", where))
    assert alert.fields["fd.name"] == f"{where}/release_agent"
    assert alert.fields["proc.name"] == "sh"
    container_fields(alert, privileged)
    assert len(live_podman.matching(rule, field_has("fd.name", where))) == 1  # not the cat
    live_podman.quiet(field_has("evt.arg[dir]", good))


def test_kernel_usermode_helper(live_podman: LiveAgent, privileged: Box) -> None:
    rule = "Kernel usermode helper changed"
    path = Path("/proc/sys/kernel/core_pattern")
    before = path.read_text()
    marker = unique("helper")
    privileged.sh(f"/bin/cat {path} /tmp/{marker}")
    done = privileged.sh(f": >> {path} && echo {marker}")
    assert path.read_text() == before and done.stdout.strip() == marker, done
    alert = live_podman.wait(rule, field_has("proc.cmdline", marker))
    assert alert.fields["fd.name"] == str(path) and alert.fields["proc.name"] == "sh"
    container_fields(alert, privileged)
    live_podman.quiet(field_has("proc.cmdline", f"/tmp/{marker}"), rule)


def test_namespace_entered(live_podman: LiveAgent, privileged: Box) -> None:
    rule = "Namespace entered from a container"
    bad, good = unique("nsenter"), unique("readns")
    privileged.sh(f"/bin/ls /proc/1/ns /tmp/{good}")
    done = privileged.sh(f"/bin/nsenter -t 1 -u /bin/echo {bad}")
    assert done.stdout.strip() == bad, done
    started = live_podman.wait(rule, field_has("proc.cmdline", bad))
    setns = live_podman.wait(
        rule, lambda a: a.has("evt.type", "setns") and a.has("proc.cmdline", bad)
    )
    assert started.fields["proc.name"] == setns.fields["proc.name"] == "nsenter"
    container_fields(setns, privileged)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_runtime_socket(live_podman: LiveAgent, plain: Box) -> None:
    rule = "Container runtime socket contacted from a container"
    good = plain.sh("/usr/local/bin/probe unix /var/run/mamori/app.sock")
    bad = plain.sh("/usr/local/bin/probe unix /var/run/mamori/docker.sock")
    assert ": 0 0" in bad.stdout and ": 0 0" in good.stdout, (bad, good)
    alert = live_podman.wait(rule, field_has("proc.name", "probe"))
    # Falco's unix fd name: "<socket>-><peer> <the path the caller connected to>"
    assert re.fullmatch(r"[0-9a-f]+->[0-9a-f]+ /var/run/mamori/docker.sock",
                        alert.fields["fd.name"]), alert.fields["fd.name"]  # fmt: skip
    container_fields(alert, plain)
    live_podman.quiet(field_has("fd.name", "app.sock"), rule)


def test_kernel_module_load_in_a_container(
    live_podman: LiveAgent, privileged: Box, plain: Box, tmp_path: Path
) -> None:
    """finit_module of a file that is no module, from a privileged and from an ordinary
    container: both attempts alert (they fail); the same call on the host does not."""
    rule = "Kernel module load attempted in a container"
    host = run([str(build_probe(tmp_path)), "finit", "/bin/true"])
    for box in (privileged, plain):
        done = box.sh("/usr/local/bin/probe finit /bin/busybox")
        assert "finit_module /bin/busybox: -1" in done.stdout, done
        alert = live_podman.wait(rule, field_has("container.id", box.id[:12]))
        assert alert.fields["evt.type"] == "finit_module" and alert.fields["proc.name"] == "probe"
        container_fields(alert, box)
    live_podman.quiet(field_is("proc.pid", host.pid), rule)
