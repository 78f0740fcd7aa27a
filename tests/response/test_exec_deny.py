"""Exec deny on a tmpfs mounted for the test: a binary whose sha256 (or path) is listed
cannot be executed (EPERM from execve, the kernel's answer) while an identical-but-one-
byte copy runs; a decider that hangs does not hang the exec (the watchdog allows it
after the timeout); stopping allows whatever is pending; dry-run denies nothing."""

from __future__ import annotations

import errno
import hashlib
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from mamori.response.exec_deny import FAN_ALLOW, ExecDecision, ExecDeny, _Pending

pytestmark = pytest.mark.root


def _binaries(where: Path) -> tuple[Path, Path, str]:
    true = shutil.which("true")
    assert true is not None
    bad, good = where / "bad", where / "good"
    shutil.copy2(true, bad)
    shutil.copy2(true, good)
    with open(bad, "ab") as out:  # a different hash, the same program
        out.write(b"\0mamori")
    return bad, good, hashlib.sha256(bad.read_bytes()).hexdigest()


def _exec_errno(path: Path) -> int:
    try:
        subprocess.run([str(path)], check=True, timeout=20)
    except OSError as exc:
        return exc.errno or -1
    return 0


def test_a_listed_binary_cannot_run_another_can(tmpfs: Path) -> None:
    bad, good, digest = _binaries(tmpfs)
    decisions: list[ExecDecision] = []
    with ExecDeny([str(tmpfs)], deny_sha256=[digest], on_decision=decisions.append) as deny:
        assert _exec_errno(bad) == errno.EPERM
        assert _exec_errno(good) == 0
        deny.add_path(str(good))
        assert _exec_errno(good) == errno.EPERM
    assert _exec_errno(bad) == 0  # marks gone with the group
    assert [(d.path, d.denied) for d in decisions] == [(str(bad), True), (str(good), True)]
    assert decisions[0].sha256 == digest and decisions[0].reason.startswith("sha256")
    assert deny.denied == 2 and deny.timeouts == 0 and deny.errors == 0


def test_dry_run_allows_but_reports(tmpfs: Path) -> None:
    bad, _good, digest = _binaries(tmpfs)
    decisions: list[ExecDecision] = []
    with ExecDeny([str(tmpfs)], deny_sha256=[digest], dry_run=True,
                  on_decision=decisions.append):  # fmt: skip
        assert _exec_errno(bad) == 0
    assert len(decisions) == 1 and not decisions[0].denied and "dry run" in decisions[0].reason


class _Hung(ExecDeny):
    """A decider that never comes back (until released): a stuck agent."""

    release = threading.Event()

    def quick(self, fd: int) -> int | None:
        return None  # everything to the (stuck) worker

    def decide(self, fd: int, pending: _Pending) -> int:
        self.release.wait(30)
        return FAN_ALLOW


def test_a_hung_decider_is_overruled_by_the_watchdog(tmpfs: Path) -> None:
    _bad, good, _digest = _binaries(tmpfs)
    decisions: list[ExecDecision] = []
    hung = _Hung([str(tmpfs)], timeout=0.5, on_decision=decisions.append)
    with hung:
        started = time.monotonic()
        assert _exec_errno(good) == 0
        waited = time.monotonic() - started
        hung.release.set()
    assert 0.45 <= waited < 3.0
    assert hung.timeouts == 1 and decisions[0].timed_out


def test_stop_allows_what_is_pending(tmpfs: Path) -> None:
    _bad, good, _digest = _binaries(tmpfs)
    _Hung.release.clear()
    hung = _Hung([str(tmpfs)], timeout=30)
    hung.start()
    # (Popen itself waits for its child's exec: the shell is not on the marked mount)
    runner = subprocess.Popen(["sh", "-c", f"exec {good}"])
    time.sleep(0.5)
    assert runner.poll() is None  # blocked in execve, waiting for our answer
    started = time.monotonic()
    hung.stop()
    assert runner.wait(10) == 0 and time.monotonic() - started < 5
    _Hung.release.set()


def test_exec_latency(tmpfs: Path) -> None:
    """Figures for docs/response.md: a shell exec'ing the same binary N times, marked
    (the deny list has a hash, so each exec is looked up) and not."""
    _bad, good, _digest = _binaries(tmpfs)
    loop = f"i=0; while [ $i -lt 300 ]; do {good}; i=$((i+1)); done"

    def timed() -> float:
        started = time.perf_counter()
        subprocess.run(["sh", "-c", loop], check=True, timeout=120)
        return (time.perf_counter() - started) / 300

    base = min(timed() for _ in range(2))
    with ExecDeny([str(tmpfs)], deny_sha256=["0" * 64]) as deny:
        marked = min(timed() for _ in range(2))
    assert deny.events >= 600 and deny.timeouts == 0
    print(f"exec: {base * 1e6:.0f} us unmarked, {marked * 1e6:.0f} us marked "
          f"(+{(marked - base) * 1e6:.0f} us per exec)")  # fmt: skip
    assert marked < base + 0.05


def test_mount_marks_miss_bind_mounts_filesystem_marks_do(tmpfs: Path, tmp_path: Path) -> None:
    bad, _good, digest = _binaries(tmpfs)
    bind = tmp_path / "bind"
    bind.mkdir()
    subprocess.run(["mount", "--bind", str(tmpfs), str(bind)], check=True)
    try:
        with ExecDeny([str(tmpfs)], deny_sha256=[digest], mark="mount"):
            assert _exec_errno(bad) == errno.EPERM
            assert _exec_errno(bind / "bad") == 0  # another mount of the same filesystem
        with ExecDeny([str(tmpfs)], deny_sha256=[digest], mark="filesystem"):
            assert _exec_errno(bad) == errno.EPERM
            assert _exec_errno(bind / "bad") == errno.EPERM
    finally:
        subprocess.run(["umount", str(bind)], check=False)


class _Broken(ExecDeny):
    """A reader that hits a bug on its first event."""

    def quick(self, fd: int) -> int | None:
        raise RuntimeError("bug")


def test_a_failed_reader_gives_up_the_marks(tmpfs: Path) -> None:
    bad, good, digest = _binaries(tmpfs)
    broken = _Broken([str(tmpfs)], deny_sha256=[digest], timeout=30)
    with broken:
        started = time.monotonic()
        assert _exec_errno(good) == 0  # the event being read when it failed: allowed
        assert _exec_errno(bad) == 0  # no marks any more: fails open, never blocks
        assert time.monotonic() - started < 5
        while broken.fd != -1 and time.monotonic() - started < 5:
            time.sleep(0.01)  # the answer is written just before the group is closed
        assert broken.fd == -1
