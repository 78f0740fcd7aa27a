"""The proc connector source on the real kernel: fork parent/child, exec details from
/proc, exit statuses, thread clones, and what a vanished process leaves unknown."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.runtime.flags import render
from mamori.sensor.fallback import FallbackSensor
from mamori.sensor.fallback.procinfo import exec_params
from tests.sensor.test_fallback_helpers import run_seen
from tests.support import need_root

pytestmark = [pytest.mark.root]

FORK_EXEC = """
import os, sys, threading, time
t = threading.Thread(target=time.sleep, args=(0.05,)); t.start(); t.join()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], ["sleep", "0.4"])
print(pid, flush=True)
_, status = os.waitpid(pid, 0)
os._exit(5)
"""


@pytest.fixture(scope="module")
def sensor() -> Iterator[FallbackSensor]:
    need_root()
    types = ["clone", "execve", "procexit", "setresuid", "setresgid"]
    with FallbackSensor(types, sources=("proc",), reorder=0.05) as s:
        assert [x.name for x in s.running] == ["proc connector"], s.skipped
        yield s


def test_fork_exec_exit_of_real_processes(sensor: FallbackSensor, tmp_path: Path) -> None:
    sleep = shutil.which("sleep")
    assert sleep is not None
    seen, done = run_seen(sensor, [sys.executable, "-c", FORK_EXEC, sleep], cwd=tmp_path)
    assert done.returncode == 5, done.stderr
    parent, child = seen.root, int(done.stdout)

    # the parent's clone exit names the child; the thread's clone carries CLONE_THREAD
    clones = seen.of("clone", parent)
    procs = [e for e in clones if e.params["res"] == child]
    assert len(procs) == 1 and "flags" not in procs[0].params
    assert procs[0].params["pid"] == parent and procs[0].dir == "<"
    threads = [
        e for e in clones if render("clone", int(e.params.get("flags", 0))) == "CLONE_THREAD"
    ]
    assert len(threads) == 1
    thread_tid = threads[0].params["res"]
    assert isinstance(thread_tid, int) and thread_tid not in (parent, child)

    # the child's exec, read from /proc while sleep runs: exact argv, exe, cwd, ids
    ex = seen.one("execve", child).params
    assert ex["res"] == 0 and "missed" not in ex
    assert ex["exe"] == "sleep" and ex["args"] == ("0.4",)
    assert ex["trusted_exepath"] == os.path.realpath(sleep)
    assert ex["cwd"] == str(tmp_path)
    assert ex["ptid"] == parent and ex["pid"] == child
    assert ex["uid"] == os.geteuid() and ex["gid"] == os.getegid()
    assert ex["comm"] == "sleep"
    own = Path("/proc/self/cgroup").read_text().splitlines()
    assert len(ex["cgroups"]) >= len(own)  # type: ignore[arg-type]
    ev = seen.one("execve", child)
    assert ev.ctx is not None and ev.ctx.pid == child and ev.ctx.ppid == parent
    assert ev.ctx.comm == "sleep" and ev.ctx.pidns == os.stat("/proc/self/ns/pid").st_ino

    # exits: wait statuses as the kernel reports them, the thread's own exit included
    assert seen.one("procexit", child).params == {"status": 0, "ret": 0, "sig": 0, "core": 0}
    top = seen.one("procexit", parent).params
    assert top["status"] == 5 << 8 and top["ret"] == 5 and top["sig"] == 0
    assert len(seen.of("procexit", thread_tid)) == 1

    # order: clone before the child's exec before its exit before the parent's exit
    order = [(e.name, e.tid) for e in seen.events if e.name != "clone" or e.params["res"] == child]
    assert order.index(("clone", parent)) < order.index(("execve", child))
    assert order.index(("execve", child)) < order.index(("procexit", child))
    assert order.index(("procexit", child)) < order.index(("procexit", parent))


def test_killed_process_reports_the_signal(sensor: FallbackSensor) -> None:
    seen, done = run_seen(sensor, ["/bin/sh", "-c", "kill -9 $$"])
    assert done.returncode == -9
    exit_ = seen.one("procexit", seen.root).params
    assert exit_["sig"] == 9 and exit_["status"] == 9 and exit_["core"] == 0


def test_uid_change_is_reported(sensor: FallbackSensor) -> None:
    script = "import os; os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)"
    seen, done = run_seen(sensor, [sys.executable, "-c", script])
    assert done.returncode == 0, done.stderr
    assert seen.one("setresuid", seen.root).params == {"res": 0, "ruid": 65534, "euid": 65534}
    assert seen.one("setresgid", seen.root).params == {"res": 0, "rgid": 65534, "egid": 65534}


def test_a_zombie_leaves_exec_details_unknown() -> None:
    need_root()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        while Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z":
            pass
        params, missed = exec_params(pid)
        assert {"exe", "args", "trusted_exepath", "cwd"} <= set(missed)
        assert not {"exe", "args", "trusted_exepath", "cwd"} & set(params)
        assert params["ptid"] == os.getpid()  # status is still readable for a zombie
    finally:
        os.waitpid(pid, 0)
    params, missed = exec_params(pid)
    assert "comm" in missed and "comm" not in params


def test_exec_params_carry_the_process_group_and_controlling_terminal() -> None:
    """pgid and tty (proc.tty, the kernel's new_encode_dev form) of a process on a pty;
    the oracle is the pty slave's own device number and os.getpgid."""
    need_root()
    pid, master = os.forkpty()
    if pid == 0:
        os.execv("/bin/sleep", ["sleep", "5"])
    try:
        params: dict[str, object] = {}
        for _ in range(500):  # until the child has exec'd (its fds are set up by then)
            params, _missed = exec_params(pid)
            if params.get("exe") == "sleep":
                break
            time.sleep(0.01)
        slave = os.stat(f"/proc/{pid}/fd/0")  # the child's stdin is the pty slave
        minor, major = os.minor(slave.st_rdev), os.major(slave.st_rdev)
        assert params["tty"] == (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)
        assert params["pgid"] == os.getpgid(pid) == pid  # forkpty makes a new session
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(master)
