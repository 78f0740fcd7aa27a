"""Live: the rules of container.yaml, made to happen in a podman + runc container under
the agent (podman's API gives container.name and the image), each beside a benign
neighbour in the same container that must not alert."""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Iterator

import pytest

from tests.detections.live import (
    PODMAN_GLOBAL,
    Box,
    LiveAgent,
    container_fields,
    field_has,
    unique,
    wait_metadata,
)

pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture(scope="module")
def box(live_podman: LiveAgent, podman: str, image: str) -> Iterator[Box]:
    b = Box(podman, image, "mamori-live-ctr")
    wait_metadata(live_podman, b)
    yield b
    b.remove()


def test_shell_spawned_by_a_non_shell_program(live_podman: LiveAgent, box: Box) -> None:
    """xargs (an application, not a shell or the runtime) starts sh: alert. The shell
    `podman exec` starts (parent: the runtime) is the neighbour."""
    rule = "Shell spawned in a container by a non-shell program"
    bad, good = unique("xsh"), unique("execsh")
    box.sh(f": {good}")
    # full paths: busybox's shell runs bare applet names through /proc/self/exe (comm "exe")
    box.sh(f"echo {bad} | /bin/xargs /bin/sh -c 'echo $0'")
    alert = live_podman.wait(rule, field_has("proc.cmdline", bad))
    assert (alert.fields["proc.name"], alert.fields["proc.pname"]) == ("sh", "xargs")
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_terminal_shell(live_podman: LiveAgent, box: Box) -> None:
    """`podman exec -t` under a pseudo-terminal: the shell has a controlling tty."""
    rule = "Terminal shell in a container"
    bad, good = unique("ttysh"), unique("notty")
    box.sh(f": {good}")
    master, slave = pty.openpty()
    try:
        cmd = [box.podman, *PODMAN_GLOBAL, "exec", "-t", box.name, "/bin/sh", "-c", f": {bad}"]
        subprocess.run(cmd, stdin=slave, stdout=slave, stderr=slave, timeout=60, check=True)
    finally:
        os.close(slave)
        os.close(master)
    alert = live_podman.wait(rule, field_has("proc.cmdline", bad), timeout=10)
    assert alert.fields["proc.tty"] != 0
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_package_manager(live_podman: LiveAgent, box: Box) -> None:
    """busybox's dpkg installing a package (the file need not exist: the run is the
    event) alerts; a read-only query (dpkg -l) does not."""
    rule = "Package manager run in a container"
    bad, good = unique("pkg"), unique("query")
    box.sh(f"/bin/dpkg -l {good}")
    box.sh(f"/bin/dpkg -i /tmp/{bad}.deb")
    alert = live_podman.wait(rule, field_has("proc.cmdline", bad))
    assert alert.fields["proc.name"] == "dpkg"
    assert alert.fields["proc.cmdline"] == f"dpkg -i /tmp/{bad}.deb"
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_executable_drift(live_podman: LiveAgent, box: Box) -> None:
    """A copy of busybox written at run time (upper layer) executes: drift. The image's
    own busybox (lower layer) running the same applet is the neighbour."""
    rule = "Executable drift in a container"
    bad, good = unique("drift"), unique("image")
    box.sh(f"mkdir -p /drift && cp /bin/busybox /drift/echo && /bin/echo {good}")
    box.sh(f"/drift/echo {bad}")
    alert = live_podman.wait(rule, field_has("proc.cmdline", bad))
    assert alert.fields["proc.exepath"] == "/drift/echo"
    assert alert.fields["proc.name"] == "echo"
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))
