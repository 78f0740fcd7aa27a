"""Live: the rules of files.yaml. Reads of the host's own secrets are read-only and run
on the host; everything that writes runs in a podman + runc container. Commands in the
container use full paths: busybox's shell runs a bare applet name through
/proc/self/exe, which makes its comm (`proc.name`) "exe"."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.detections.live import (
    Box,
    LiveAgent,
    any_field_has,
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
    b = Box(podman, image, "mamori-live-files")
    wait_metadata(live_podman, b)
    yield b
    b.remove()


def test_shadow_read(live_podman: LiveAgent) -> None:
    rule = "Shadow password file read"
    good = run(["/bin/cat", "/etc/passwd"])
    bad = run(["/bin/cat", "/etc/shadow"])
    alert = live_podman.wait(rule, field_is("proc.pid", bad.pid))
    assert (alert.fields["fd.name"], alert.fields["proc.name"]) == ("/etc/shadow", "cat")
    assert alert.fields["container.id"] == "host"
    live_podman.quiet(field_is("proc.pid", good.pid))


def test_ssh_private_key_read(live_podman: LiveAgent, box: Box) -> None:
    rule = "SSH private key read"
    key = unique("id_ed25519")
    box.sh(f"/bin/mkdir -p /root/.ssh && cd /root/.ssh && echo k > {key} && echo p > {key}.pub")
    box.sh(f"/bin/cat /root/.ssh/{key}.pub")
    box.sh(f"/bin/cat /root/.ssh/{key}")
    alert = live_podman.wait(rule, field_has("fd.name", key))
    assert alert.fields["fd.name"] == f"/root/.ssh/{key}"
    assert alert.fields["proc.name"] == "cat"
    container_fields(alert, box)
    live_podman.quiet(field_has("fd.name", f"{key}.pub"), rule)


def test_cloud_credential_file_read(live_podman: LiveAgent, box: Box) -> None:
    rule = "Cloud credential file read"
    home = f"/root/{unique('home')}"
    box.sh(f"/bin/mkdir -p {home}/.aws && cd {home}/.aws && echo c > credentials && echo n > notes")
    box.sh(f"/bin/cat {home}/.aws/notes")
    box.sh(f"/bin/cat {home}/.aws/credentials")
    alert = live_podman.wait(rule, field_has("fd.name", home))
    assert alert.fields["fd.name"] == f"{home}/.aws/credentials"
    container_fields(alert, box)
    live_podman.quiet(field_has("fd.name", f"{home}/.aws/notes"), rule)


def test_service_account_token_read(live_podman: LiveAgent, box: Box) -> None:
    """cat takes the token: alert; wc (not a tool that prints it) reads it too: quiet."""
    rule = "Kubernetes service account token read by a shell tool"
    sa = f"/run/secrets/kubernetes.io/serviceaccount/{unique('sa')}"
    box.sh(f"/bin/mkdir -p {sa} && echo t > {sa}/token")
    good = box.sh(f"/bin/wc -c {sa}/token")
    bad = box.sh(f"/bin/cat {sa}/token")
    assert bad.stdout == "t\n" and good.returncode == 0
    alert = live_podman.wait(rule, field_has("fd.name", sa))
    assert (alert.fields["fd.name"], alert.fields["proc.name"]) == (f"{sa}/token", "cat")
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.name", "wc"), rule)


def test_environment_of_another_process_read(live_podman: LiveAgent) -> None:
    rule = "Environment of another process read"
    victim = subprocess.Popen(["/bin/sleep", "30"])
    try:
        good = run(["/bin/cat", "/proc/self/environ"])
        bad = run(["/bin/cat", f"/proc/{victim.pid}/environ"])
    finally:
        victim.kill()
        victim.wait()
    alert = live_podman.wait(rule, field_is("proc.pid", bad.pid))
    assert alert.fields["fd.name"] == f"/proc/{victim.pid}/environ"
    live_podman.quiet(field_is("proc.pid", good.pid))


def test_write_below_binary_dir(live_podman: LiveAgent, box: Box) -> None:
    """Written in place and moved into place (rename) below /usr/bin: two alerts; the
    same writes below /tmp are the neighbours."""
    rule = "Write below a binary directory"
    bad, moved, good = unique("planted"), unique("moved"), unique("tmpfile")
    box.sh(f"echo x > /tmp/{good} && echo y > /tmp/{good}.1 && /bin/mv /tmp/{good}.1 /tmp/{good}.2")
    box.sh(f"echo x > /usr/bin/{bad} && echo y > /tmp/{moved} && /bin/mv /tmp/{moved} /usr/bin/")
    alert = live_podman.wait(rule, field_has("fd.name", bad))
    assert alert.fields["fd.name"] == f"/usr/bin/{bad}" and alert.fields["proc.name"] == "sh"
    container_fields(alert, box)
    renamed = live_podman.wait(rule, field_has("evt.arg[newpath]", moved))
    assert renamed.fields["evt.arg[newpath]"] == f"/usr/bin/{moved}"
    assert renamed.fields["proc.name"] == "mv" and renamed.fields["evt.type"].startswith("rename")
    live_podman.quiet(any_field_has(good))


def test_write_below_etc(live_podman: LiveAgent, box: Box) -> None:
    rule = "Write below /etc"
    bad, good = unique("etc"), unique("resolv")
    box.sh(f"echo '# {good}' >> /etc/resolv.conf")
    box.sh(f"echo x > /etc/{bad}.conf")
    alert = live_podman.wait(rule, field_has("fd.name", bad))
    assert alert.fields["fd.name"] == f"/etc/{bad}.conf" and alert.fields["proc.name"] == "sh"
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_write_below_root_home(live_podman: LiveAgent, box: Box) -> None:
    rule = "Write below root's home"
    bad, good = unique("payload"), unique("history")
    box.sh(f"echo ': {good}' >> /root/.bash_history")
    box.sh(f"echo x > /root/{bad}")
    alert = live_podman.wait(rule, field_has("fd.name", bad))
    assert alert.fields["fd.name"] == f"/root/{bad}" and alert.fields["proc.name"] == "sh"
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))
