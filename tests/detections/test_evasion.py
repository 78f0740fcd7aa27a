"""Live: the rules of evasion.yaml. Fileless execution runs on the host from files this
test creates (a memfd, a deleted copy, a copy in /dev/shm it removes); log and history
tampering runs in a podman + runc container, on logs it writes there first."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.detections.live import (
    Box,
    LiveAgent,
    container_fields,
    field_has,
    field_is,
    run,
    unique,
    wait_metadata,
)

pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture(scope="module")
def box(live_podman: LiveAgent, podman: str, image: str) -> Iterator[Box]:
    b = Box(podman, image, "mamori-live-evasion")
    wait_metadata(live_podman, b)
    yield b
    b.remove()


MEMFD = """
import os, sys
data = open("/bin/echo", "rb").read()
if sys.argv[1] == "memfd":
    fd = os.memfd_create("payload")
    os.write(fd, data)
    os.execv(f"/proc/self/fd/{fd}", ["payload", sys.argv[2]])
if sys.argv[1] == "deleted":
    path = sys.argv[3]
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o755)
    fd = os.open(path, os.O_RDONLY)
    os.unlink(path)
    os.execve(fd, ["payload", sys.argv[2]], dict(os.environ))
os.execv("/bin/echo", ["echo", sys.argv[2]])
"""


def test_fileless_execution_from_memfd(live_podman: LiveAgent) -> None:
    rule = "Fileless execution from memory"
    bad, good = unique("memfd"), unique("ondisk")
    run([sys.executable, "-c", MEMFD, "plain", good])
    done = run([sys.executable, "-c", MEMFD, "memfd", bad])
    assert done.stdout.strip() == bad, done
    alert = live_podman.wait(rule, field_has("proc.cmdline", bad))
    assert str(alert.fields["proc.exepath"]).startswith("/memfd:payload"), alert.output
    live_podman.quiet(field_has("proc.cmdline", good))


def test_execution_of_a_deleted_binary(live_podman: LiveAgent, tmp_path: Path) -> None:
    rule = "Execution of a deleted binary"
    bad, good = unique("deleted"), unique("kept")
    path = tmp_path / bad
    run([sys.executable, "-c", MEMFD, "plain", good])
    done = run([sys.executable, "-c", MEMFD, "deleted", bad, str(path)])
    assert done.stdout.strip() == bad and not path.exists(), done
    alert = live_podman.wait(rule, field_has("proc.cmdline", bad))
    assert str(alert.fields["proc.exepath"]).startswith(str(path)), alert.output
    live_podman.quiet(field_has("proc.cmdline", good))


def test_program_executed_from_dev_shm(live_podman: LiveAgent, tmp_path: Path) -> None:
    rule = "Program executed from /dev/shm"
    name = unique("shm")
    shm, disk = Path("/dev/shm") / name, tmp_path / name
    data = Path("/bin/true").read_bytes()
    for copy in (shm, disk):
        copy.write_bytes(data)
        copy.chmod(0o755)
    try:
        good = run([str(disk)])
        bad = run([str(shm)])
    finally:
        shm.unlink()
    alert = live_podman.wait(rule, field_is("proc.pid", bad.pid))
    assert alert.fields["proc.exepath"] == str(shm)
    live_podman.quiet(field_is("proc.pid", good.pid))


def test_log_file_truncated(live_podman: LiveAgent, box: Box) -> None:
    """`: > log` (O_TRUNC) on a log alerts; appending to one (`>>`) does not."""
    rule = "Log file truncated"
    bad, good = unique("trunc"), unique("append")
    box.sh(f"echo a >> /var/log/{bad}.log && echo b >> /var/log/{good}.log")
    box.sh(f": > /var/log/{bad}.log")
    alert = live_podman.wait(rule, field_has("fd.name", bad))
    assert alert.fields["fd.name"] == f"/var/log/{bad}.log"
    assert "O_TRUNC" in str(alert.fields["evt.arg[flags]"])
    container_fields(alert, box)
    live_podman.quiet(field_has("fd.name", good), rule)


def test_log_file_deleted(live_podman: LiveAgent, box: Box) -> None:
    rule = "Log file deleted"
    bad, good = unique("rmlog"), unique("rmtmp")
    box.sh(f"echo a >> /var/log/{bad}.log && echo b >> /tmp/{good}.log")
    box.sh(f"/bin/rm /tmp/{good}.log")
    box.sh(f"/bin/rm /var/log/{bad}.log")
    alert = live_podman.wait(rule, field_has("proc.cmdline", bad))
    assert alert.fields["proc.name"] == "rm"
    assert f"/var/log/{bad}.log" in (alert.fields["evt.arg[path]"], alert.fields["evt.arg[name]"])
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_log_wiping_tool(live_podman: LiveAgent, box: Box) -> None:
    rule = "Log wiping tool run"
    bad, good = unique("wipe"), unique("wipetmp")
    box.sh(f"echo a >> /var/log/{bad}.log && echo b >> /tmp/{good}.log")
    box.sh(f"/bin/truncate -s 0 /tmp/{good}.log")
    box.sh(f"/bin/shred /var/log/{bad}.log")
    alert = live_podman.wait(rule, field_has("proc.cmdline", bad))
    assert alert.fields["proc.name"] == "shred"
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_shell_history_cleared(live_podman: LiveAgent, box: Box) -> None:
    """Three ways: the history deleted, replaced by a link to /dev/null, and a command
    run from a shell that set HISTFILE=/dev/null. Neighbours: reading the history and a
    command run with an ordinary HISTSIZE."""
    rule = "Shell history cleared"
    home = f"/root/{unique('home')}"
    env, good = unique("env"), unique("keep")
    box.sh(
        f"/bin/mkdir -p {home} && cd {home} && echo x >> .ash_history && echo y >> .bash_history"
    )
    box.sh(f"/bin/cat {home}/.ash_history /tmp/{good}")
    box.sh(f"export HISTSIZE=500; /bin/true {good}; :")  # `; :` makes the shell fork
    box.sh(f"/bin/rm {home}/.ash_history")
    box.sh(f"/bin/ln -sf /dev/null {home}/.bash_history")
    box.sh(f"export HISTFILE=/dev/null; /bin/true {env}; :")
    deleted = live_podman.wait(rule, field_has("evt.arg[path]", f"{home}/.ash_history"))
    assert deleted.fields["evt.type"] in ("unlink", "unlinkat")
    assert deleted.fields["proc.name"] == "rm"
    linked = live_podman.wait(rule, field_has("evt.arg[linkpath]", home))
    assert linked.fields["evt.type"] in ("symlink", "symlinkat")
    assert linked.fields["proc.name"] == "ln"
    disabled = live_podman.wait(rule, field_has("proc.cmdline", env))
    assert disabled.fields["proc.name"] == "true"
    for alert in (deleted, linked, disabled):
        container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_timestomping(live_podman: LiveAgent, tmp_path: Path) -> None:
    rule = "File timestamps set by hand"
    bad, good = tmp_path / unique("stomp"), tmp_path / unique("touch")
    run(["touch", str(good)])
    run(["touch", "-d", "2001-01-01 00:00", str(bad)])
    assert bad.stat().st_mtime < 1e9 and os.path.exists(good)
    alert = live_podman.wait(rule, field_has("proc.cmdline", bad.name))
    assert alert.fields["proc.name"] == "touch"
    live_podman.quiet(field_has("proc.cmdline", good.name))


def test_container_removal_is_not_history_clearing(
    live_podman: LiveAgent, podman: str, image: str
) -> None:
    """Neighbour seen live: `podman rm` unlinks the histories left in the container's
    overlay upper layer; that is no history clearing."""
    rule = "Shell history cleared"
    gone = Box(podman, image, "mamori-live-rm")
    try:
        gone.sh("echo x >> /root/.ash_history && echo y >> /root/.bash_history")
    finally:
        gone.remove()
    live_podman.quiet(field_has("proc.cmdline", gone.name), rule)
    live_podman.quiet(lambda a: a.has("evt.arg[name]", "/diff/root/.ash_history"), rule)
