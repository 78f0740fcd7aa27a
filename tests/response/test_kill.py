"""Kill: a real process named by an alert dies; a process that merely holds the alert's
pid (started after the event, or running another executable) is never signalled; pid 1,
the agent and kernel threads are refused; a tree goes down whole. The oracle is the
kernel: a pidfd opened by the test polls readable exactly when its process has exited."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from mamori.response.base import ActionError, ResponseContext
from mamori.response.kill import kill
from mamori.response.procs import children, exe_identity, protected, read_stat
from tests.support import need_root

pytestmark = pytest.mark.root


def _exited(pid_fd: int, timeout: float = 2.0) -> bool:
    poller = select.poll()
    poller.register(pid_fd, select.POLLIN)
    return bool(poller.poll(int(timeout * 1000)))


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    need_root()
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait()


def _ctx(proc: subprocess.Popen[bytes], **changes: object) -> ResponseContext:
    stat = read_stat(proc.pid)
    path, ino = exe_identity(proc.pid)
    fields: dict[str, object] = {
        "pid": proc.pid,
        "tid": proc.pid,
        "start_ts": stat.start_ns,
        "event_ts": time.time_ns(),
        "exe_path": path,
        "exe_ino": ino,
    }
    fields.update(changes)
    return ResponseContext(**fields)  # type: ignore[arg-type]


def test_the_alerts_process_is_killed(sleeper: subprocess.Popen[bytes]) -> None:
    watch = os.pidfd_open(sleeper.pid)
    try:
        detail, data = kill(_ctx(sleeper))
        assert _exited(watch)
        assert sleeper.wait(5) == -9
        assert data["pids"] == [sleeper.pid] and "exited" in detail
    finally:
        os.close(watch)


def test_a_reused_pid_is_not_killed(sleeper: subprocess.Popen[bytes]) -> None:
    """The alert's process is gone and its pid went to this sleeper: the sleeper
    started after the alert's event, or at another time, or runs another file."""
    stat = read_stat(sleeper.pid)
    reused = [
        _ctx(sleeper, event_ts=stat.start_ns - 2_000_000_000),  # event before its birth
        _ctx(sleeper, start_ts=stat.start_ns - 5_000_000_000),  # born at another time
        _ctx(sleeper, exe_ino=exe_identity(sleeper.pid)[1] + 1),  # another executable
        _ctx(sleeper, exe_ino=0, exe_path="/usr/bin/xmrig"),
    ]
    reused.append(_ctx(sleeper, event_ts=0, start_ts=0))  # nothing to prove it with
    for ctx in reused:
        with pytest.raises(ActionError, match=r"reused|runs|prove"):
            kill(ctx)
    assert sleeper.poll() is None  # still alive


def test_protected_processes_are_refused() -> None:
    need_root()
    for pid in (1, os.getpid()):
        with pytest.raises(ActionError, match="refused"):
            kill(ResponseContext(pid=pid, event_ts=time.time_ns()))
    kthreadd = read_stat(2)
    assert kthreadd.comm == "kthreadd"
    assert protected(2) is not None
    kworker = next(p for p in _pids() if _ppid(p) == 2)
    with pytest.raises(ActionError, match="kernel thread"):
        kill(ResponseContext(pid=kworker))
    with pytest.raises(ActionError, match="no such process"):
        kill(ResponseContext(pid=2**22 + 12345))
    with pytest.raises(ActionError, match="no process"):
        kill(ResponseContext())


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _ppid(pid: int) -> int:
    try:
        return read_stat(pid).ppid
    except ActionError:
        return -1


def test_dry_run_signals_nothing(sleeper: subprocess.Popen[bytes]) -> None:
    detail, _data = kill(_ctx(sleeper), tree=True, dry_run=True)
    assert detail.startswith("would send SIGKILL to 1 process")
    time.sleep(0.1)
    assert sleeper.poll() is None


def test_a_process_tree_goes_down_whole() -> None:
    need_root()
    sh = shutil.which("sh")
    assert sh is not None
    root = subprocess.Popen([sh, "-c", "sleep 60 & sleep 60 & (sleep 60 & wait) & wait"])
    try:
        deadline = time.monotonic() + 5
        tree: list[int] = []
        while time.monotonic() < deadline:
            tree = children(root.pid)
            grandchildren = [g for c in tree for g in children(c)]
            if len(tree) == 3 and grandchildren:
                tree += grandchildren
                break
            time.sleep(0.02)
        assert len(tree) == 4, tree
        watches = [os.pidfd_open(p) for p in tree]
        ctx = ResponseContext(pid=root.pid, event_ts=time.time_ns(), exe_path=os.path.realpath(sh))
        _detail, data = kill(ctx, tree=True)
        assert sorted(data["pids"]) == sorted([root.pid, *tree])
        assert root.wait(5) == -9
        assert all(_exited(w) for w in watches)
        for w in watches:
            os.close(w)
    finally:
        root.kill()
        root.wait()
