"""FallbackSensor with every source at once: one process's life in order, exec details
from audit with fanotify's opens, the Sensor API's contract (unsupported types, stats,
errors), and nothing left behind on stop."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.runtime.flags import render
from mamori.sensor import SensorError
from mamori.sensor.fallback import EVENT_TYPES, FallbackSensor
from mamori.sensor.fallback import audit_netlink as an
from tests.sensor.test_fallback_helpers import fd_count, run_seen
from tests.support import kernel_audit, need_root

pytestmark = [pytest.mark.root]


@pytest.fixture(scope="module", autouse=True)
def _one_audit_user_at_a_time() -> Iterator[None]:
    with kernel_audit():  # the kernel has one audit socket
        yield


SCRIPT = """
import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv("/bin/cat", ["cat", sys.argv[1]])
os.waitpid(pid, 0)
print(pid)
"""


def test_all_sources_together(tmp_path: Path) -> None:
    need_root()
    target = tmp_path / "target.txt"
    target.write_text("hello")
    fds = fd_count()
    types = ["clone", "execve", "procexit", "openat", "connect", "bind", "mkdir", "bogus"]
    with FallbackSensor(types) as sensor:
        assert sensor.unsupported == {"mkdir", "bogus"}
        assert [s.name for s in sensor.running] == ["audit", "proc connector", "fanotify"]
        seen, done = run_seen(sensor, [sys.executable, "-c", SCRIPT, str(target)])
        assert done.returncode == 0, done.stderr
        child = int(done.stdout)
        stats = sensor.stats()
    assert fd_count() == fds
    with an.AuditControl() as ctl:
        assert ctl.rules_with_key() == [] and ctl.status().pid == 0

    names = [(e.name, e.tid) for e in seen.events]
    # execs come from audit only (exact argv), not twice
    ex = seen.one("execve", child).params
    assert ex["exe"] == "cat" and ex["args"] == (str(target),)
    assert ex["trusted_exepath"] == os.path.realpath("/bin/cat") and ex["ptid"] == seen.root
    opened = [e for e in seen.of("openat", child) if e.params["name"] == str(target)]
    assert len(opened) == 1 and render("file", opened[0].params["flags"]) == "O_RDONLY"
    # one process's life in order: clone (parent side), exec, the open, exit
    clone = next(i for i, e in enumerate(seen.events) if e.name == "clone" and
                 e.params["res"] == child)  # fmt: skip
    assert clone < names.index(("execve", child)) < seen.events.index(opened[0])
    assert seen.events.index(opened[0]) < names.index(("procexit", child))
    assert stats.delivered <= stats.captured and stats.drops == 0 and stats.malformed == 0


def test_api_errors() -> None:
    need_root()
    sensor = FallbackSensor(["openat"], sources=("fanotify",))
    with pytest.raises(SensorError, match="not started"):
        sensor.poll(0)
    with pytest.raises(SensorError, match="no fallback source"):
        FallbackSensor(["mkdir"]).start()
    with pytest.raises(SensorError, match="fanotify"):
        FallbackSensor(["openat"], sources=("fanotify",), paths=("/nonexistent/x",)).start()
    assert {"clone", "execve", "procexit", "openat", "connect", "accept", "bind"} <= EVENT_TYPES


def test_a_missed_exe_is_taken_from_the_exec_open() -> None:
    from mamori.model.events import SyscallEvent
    from mamori.sensor.fallback.fanotify import FanotifySource

    sensor = FallbackSensor(["execve", "openat"])
    sensor._fan = FanotifySource(sensor.cache)
    sensor._fan.exec_opens[42] = ["/usr/bin/script.sh", "/usr/bin/dash", "/lib/ld.so"]
    params = {"res": 0, "missed": ("trusted_exepath", "cwd")}
    event = SyscallEvent(1, 42, "execve", "<", dict(params))
    sensor._enrich(event)
    assert event.params["trusted_exepath"] == "/usr/bin/script.sh"
    assert event.params["missed"] == ("cwd",)
    assert 42 not in sensor._fan.exec_opens  # consumed: the next exec starts afresh
    other = SyscallEvent(1, 43, "execve", "<", dict(params))
    sensor._enrich(other)
    assert "trusted_exepath" not in other.params
