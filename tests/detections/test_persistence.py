"""Live: the rules of persistence.yaml. Every persistence file is written inside a
podman + runc container (never the host's crontabs, units, keys or ld.so.preload); the
neighbours read the same files or write ones the rules leave alone."""

from __future__ import annotations

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

pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture(scope="module")
def box(live_podman: LiveAgent, podman: str, image: str) -> Iterator[Box]:
    b = Box(podman, image, "mamori-live-persist")
    wait_metadata(live_podman, b)
    yield b
    b.remove()


def _written(live: LiveAgent, rule: str, box: Box, path: str, process: str = "sh") -> None:
    alert = live.wait(rule, field_has("fd.name", path))
    assert (alert.fields["fd.name"], alert.fields["proc.name"]) == (path, process)
    container_fields(alert, box)


def test_cron_job(live_podman: LiveAgent, box: Box) -> None:
    """A file dropped in /etc/cron.d and a crontab installed with busybox's crontab
    (which writes the spool file): alerts; reading /etc/cron.d: quiet."""
    rule = "Cron job created or modified"
    job, good = unique("job"), unique("readcron")
    box.sh(f"/bin/cat /etc/cron.d/* /tmp/{good}")
    box.sh(f"echo '* * * * * root /bin/true' > /etc/cron.d/{job}")
    _written(live_podman, rule, box, f"/etc/cron.d/{job}")
    user_tab = box.sh(
        f"/bin/mkdir -p /var/spool/cron/crontabs && echo '* * * * * : {job}' | /bin/crontab -"
    )
    assert user_tab.returncode == 0, user_tab
    spool = live_podman.wait(rule, field_has("proc.name", "crontab"))
    assert str(spool.fields["fd.name"] or spool.fields["evt.arg[newpath]"]).startswith(
        "/var/spool/cron/crontabs/"
    ), spool.output
    container_fields(spool, box)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_systemd_unit(live_podman: LiveAgent, box: Box) -> None:
    rule = "Systemd unit or init script created or modified"
    unit, good = f"{unique('unit')}.service", unique("readunit")
    box.sh("/bin/mkdir -p /etc/systemd/system")
    box.sh(f"/bin/cat /etc/systemd/system/* /tmp/{good}")
    box.sh(f"echo '[Service]' > /etc/systemd/system/{unit}")
    _written(live_podman, rule, box, f"/etc/systemd/system/{unit}")
    live_podman.quiet(field_has("proc.cmdline", good))


def test_authorized_keys(live_podman: LiveAgent, box: Box) -> None:
    """A key appended to authorized_keys: alert; known_hosts written beside it: quiet."""
    rule = "SSH authorized_keys modified"
    key, good = unique("ssh-ed25519 AAAA"), unique("knownhost")
    box.sh("/bin/mkdir -p /root/.ssh")
    box.sh(f"echo '{good}' >> /root/.ssh/known_hosts")
    box.sh(f"echo '{key}' >> /root/.ssh/authorized_keys")
    alert = live_podman.wait(rule, field_has("proc.cmdline", key))
    assert alert.fields["fd.name"] == "/root/.ssh/authorized_keys"
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_ld_so_preload(live_podman: LiveAgent, box: Box) -> None:
    """/etc/ld.so.preload written in the container (its busybox is static: nothing loads
    it); reading the file is the neighbour."""
    rule = "Dynamic linker preload configured"
    lib, good = unique("/lib/evil"), unique("readpreload")
    box.sh(f"echo {lib}.so > /etc/ld.so.preload")
    box.sh(f"/bin/cat /etc/ld.so.preload /tmp/{good}")
    alert = live_podman.wait(rule, field_has("proc.cmdline", lib))
    assert alert.fields["fd.name"] == "/etc/ld.so.preload" and alert.priority == "Critical"
    container_fields(alert, box)
    live_podman.quiet(field_has("proc.cmdline", good))


def test_shell_startup_file(live_podman: LiveAgent, box: Box) -> None:
    rule = "Shell start-up file modified"
    bad, good = unique("rc"), unique("history")
    box.sh(f"echo ': {good}' >> /root/.ash_history")
    box.sh(f"echo ': {bad}' >> /root/.bashrc")
    box.sh(f"/bin/mkdir -p /etc/profile.d && echo ': {bad}' > /etc/profile.d/{bad}.sh")
    alert = live_podman.wait(rule, field_has("fd.name", "/root/.bashrc"))
    assert bad in alert.fields["proc.cmdline"]
    container_fields(alert, box)
    _written(live_podman, rule, box, f"/etc/profile.d/{bad}.sh")
    live_podman.quiet(field_has("proc.cmdline", good))


def test_failed_module_load_on_the_host_is_quiet(live_podman: LiveAgent, tmp_path: Path) -> None:
    """The neighbour: a finit_module that fails on the host (a file that is no module)
    must not alert: the rule reports modules that loaded; attempts that fail are
    reported only from containers (escape.yaml)."""
    rule = "Kernel module loaded on the host"
    done = run([str(build_probe(tmp_path)), "finit", "/bin/true"])
    assert "finit_module /bin/true: -1" in done.stdout, done
    live_podman.quiet(field_is("proc.pid", done.pid), rule)


def test_kernel_module_loaded_on_the_host(tmp_path: Path) -> None:
    done = run([str(build_probe(tmp_path)), "finit", "/bin/true"])
    if done.stdout.strip().endswith(" 38"):  # ENOSYS
        pytest.skip(
            "this kernel is built without module support (finit_module fails ENOSYS), so "
            "no module can load here; elsewhere loading one would change the host's kernel"
        )
    pytest.skip("loading a kernel module would change the host's kernel")
