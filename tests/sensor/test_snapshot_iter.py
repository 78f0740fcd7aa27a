"""The BPF task iterator (start-up snapshot) against /proc, psutil and the live sensor.

Oracles: every task's /proc/PID/task/TID files (stat, status, ns links, cgroup), read
before and after the iteration (a task whose files changed in between is not judged);
psutil for argv/env/cwd/exe; the cgroup directory's inode; the live eBPF sensor's own
context and parameters of a clone and an exec for "same values as the sensor". The layout,
decoder fuzzing and the iterator-or-/proc choice are in test_snapshot_iter_layout.py.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from mamori.model.events import SyscallEvent
from mamori.sensor import EVENT_TYPES, Sensor
from mamori.sensor import layout as lay
from mamori.sensor.snapshot_iter import (
    SF_KTHREAD,
    TaskRecord,
    iter_threads,
    object_path,
    read_tasks,
)
from tests.sensor.conftest import need_sensor
from tests.support import need, need_tool

PF_KTHREAD = 0x00200000
TICKS = os.sysconf("SC_CLK_TCK")
CGROUP2 = Path("/sys/fs/cgroup/unified")


@pytest.fixture(scope="module")
def built() -> Path:
    need_sensor()  # root, BTF, clang, bpftool; runs scripts/build-bpf
    need(object_path().is_file(), "snapshot.bpf.o was not built")
    return object_path()


def _cgroup2_root() -> Path:
    for base in (CGROUP2, Path("/sys/fs/cgroup")):
        if (base / "cgroup.controllers").exists():
            return base
    pytest.skip("no cgroup v2 hierarchy mounted")


def _ns(base: str, name: str) -> int | None:
    try:
        return os.stat(f"{base}/ns/{name}").st_ino
    except OSError:
        return None  # some sandboxes refuse even root (pid 1 here)


def _oracle(pid: int, tid: int, cg_root: Path) -> dict[str, object] | None:
    """What /proc says of one task, or None if it vanished while read."""
    base = f"/proc/{pid}/task/{tid}"
    try:
        stat = Path(f"{base}/stat").read_bytes()
        status = dict(
            line.split(":", 1) for line in Path(f"{base}/status").read_text().splitlines()
        )
        cgroup = Path(f"{base}/cgroup").read_text()
        loginuid = int(Path(f"/proc/{pid}/loginuid").read_text())
    except (OSError, ValueError):
        return None
    comm = stat[stat.index(b"(") + 1 : stat.rindex(b")")].decode("utf-8", "replace")
    f = stat[stat.rindex(b")") + 2 :].split()
    uids, gids = status["Uid"].split(), status["Gid"].split()
    unified = [ln[3:] for ln in cgroup.splitlines() if ln.startswith("0::")]
    try:
        cgroup_id = (cg_root / unified[0].lstrip("/")).stat().st_ino if unified else None
    except OSError:
        cgroup_id = None
    nonzero = [int(v) for v in status.get("NSpgid", "0").split() if v != "0"]
    nonzero_sid = [int(v) for v in status.get("NSsid", "0").split() if v != "0"]
    return {
        "pid": int(status["Tgid"]),
        "ptid": int(f[1]),
        "uid": int(uids[0]),
        "euid": int(uids[1]),
        "gid": int(gids[0]),
        "egid": int(gids[1]),
        "loginuid": loginuid,
        "comm": comm,
        "tty": int(f[4]),
        "kthread": bool(int(f[6]) & PF_KTHREAD),
        "start": int(f[19]),
        "vtid": int(status["NSpid"].split()[-1]),
        "vpid": int(status["NStgid"].split()[-1]),
        "vpgid": nonzero[-1] if nonzero else 0,
        "sid": nonzero_sid[-1] if nonzero_sid else 0,
        "cap_inheritable": int(status["CapInh"], 16),
        "cap_permitted": int(status["CapPrm"], 16),
        "cap_effective": int(status["CapEff"], 16),
        "cgroup_id": cgroup_id,
        "pidns": _ns(base, "pid"),
        "mntns": _ns(base, "mnt"),
        "netns": _ns(base, "net"),
    }


def _all_tasks(cg_root: Path) -> dict[int, dict[str, object]]:
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{name}/task")]
        except OSError:
            continue
        for tid in tids:
            info = _oracle(int(name), tid, cg_root)
            if info is not None:
                out[tid] = info
    return out


def _mismatches(rec: TaskRecord, want: dict[str, object]) -> dict[str, tuple[object, object]]:
    got: dict[str, object] = {
        "pid": rec.pid, "ptid": rec.ptid, "uid": rec.uid, "euid": rec.euid, "gid": rec.gid,
        "egid": rec.egid, "loginuid": rec.loginuid, "tty": rec.tty, "vtid": rec.vtid,
        "vpid": rec.vpid, "vpgid": rec.vpgid, "sid": rec.sid,
        "kthread": rec.kernel_thread, "cap_inheritable": rec.cap_inheritable,
        "cap_permitted": rec.cap_permitted, "cap_effective": rec.cap_effective,
        "cgroup_id": rec.cgroup_id, "pidns": rec.pidns, "mntns": rec.mntns, "netns": rec.netns,
    }  # fmt: skip
    out = {k: (v, want[k]) for k, v in got.items() if want[k] is not None and v != want[k]}
    # comm: 15 bytes in the task; /proc shows the full name of kernel workers
    comm = str(want["comm"])
    if rec.comm != comm and not (rec.kernel_thread and comm.startswith(rec.comm)):
        out["comm"] = (rec.comm, comm)
    ticks = rec.start_boottime * TICKS // 1_000_000_000
    if abs(ticks - int(str(want["start"]))) > 1:
        out["start"] = (ticks, want["start"])
    return out


def _hidden_supervisor(tgid: int) -> bool:
    """This sandbox's kernel hides its pid 1 (and its threads) from BPF task iterators and
    refuses even root its namespace links; nothing else may be missing."""
    if tgid != 1:
        return False
    try:
        os.readlink("/proc/1/ns/pid")
    except PermissionError:
        return True
    except OSError:
        return False
    return False


def test_every_task_matches_proc(built: Path) -> None:
    cg_root = _cgroup2_root()
    before = _all_tasks(cg_root)
    records = {r.tid: r for r in read_tasks(built)}
    after = _all_tasks(cg_root)
    stable = {t: v for t, v in before.items() if after.get(t) == v}
    assert len(stable) > 20, "the /proc oracle found almost nothing"
    missing = sorted(
        t
        for t, v in stable.items()
        if t not in records and not _hidden_supervisor(int(str(v["pid"])))
    )
    assert not missing, f"tasks in /proc the iterator did not visit: {missing}"
    bad = {t: m for t, v in stable.items() if t in records and (m := _mismatches(records[t], v))}
    assert not bad, (
        f"{len(bad)} of {len(stable)} tasks differ from /proc: {dict(list(bad.items())[:5])}"
    )
    # both kinds were judged
    assert any(records[t].kernel_thread for t in stable if t in records)
    assert any(not records[t].kernel_thread for t in stable if t in records)


def test_a_new_thread_appears_with_its_process(built: Path) -> None:
    stop = threading.Event()
    ready = threading.Event()
    tid: list[int] = []

    def body() -> None:
        tid.append(threading.get_native_id())
        ready.set()
        stop.wait(30)

    worker = threading.Thread(target=body, daemon=True)
    worker.start()
    try:
        assert ready.wait(10)
        records = {r.tid: r for r in read_tasks(built)}
        rec = records[tid[0]]
        assert (rec.tid, rec.pid, rec.vtid, rec.vpid) == (tid[0], os.getpid(), tid[0], os.getpid())
        assert rec.comm == Path(f"/proc/self/task/{tid[0]}/comm").read_text().strip()
        assert rec.start_boottime >= records[os.getpid()].start_boottime
        assert not rec.kernel_thread
        thread = next(t for t in iter_threads(built) if t.tid == tid[0])
        me = psutil.Process()
        assert (thread.pid, thread.exe, list(thread.args)) == (
            os.getpid(), me.cmdline()[0], me.cmdline()[1:]
        )  # fmt: skip
        assert thread.exepath == me.exe() and thread.cwd == me.cwd()
    finally:
        stop.set()
        worker.join()


@pytest.fixture
def pidns_sleep() -> Iterator[int]:
    need_tool("unshare")
    outer = subprocess.Popen(["unshare", "-fp", "--mount-proc", "sleep", "30"])
    try:
        deadline = time.monotonic() + 10
        child = 0
        while time.monotonic() < deadline:
            kids = Path(f"/proc/{outer.pid}/task/{outer.pid}/children").read_text().split()
            if kids and Path(f"/proc/{kids[0]}/comm").read_text().strip() == "sleep":
                child = int(kids[0])
                break
            time.sleep(0.02)
        assert child, "unshare did not start sleep"
        yield child
    finally:
        outer.send_signal(signal.SIGKILL)
        outer.wait()


def test_a_process_in_a_new_pid_namespace_is_vpid_1(built: Path, pidns_sleep: int) -> None:
    rec = next(r for r in read_tasks(built) if r.tid == pidns_sleep)
    assert (rec.vpid, rec.vtid, rec.pidns_level) == (1, 1, 1)
    assert rec.pid == pidns_sleep and rec.comm == "sleep"
    assert rec.pidns == os.stat(f"/proc/{pidns_sleep}/ns/pid").st_ino
    assert rec.pidns != os.stat("/proc/self/ns/pid").st_ino
    assert rec.mntns == os.stat(f"/proc/{pidns_sleep}/ns/mnt").st_ino
    # it is its namespace's init: the reaper's start time is its own (monotonic clock)
    assert abs(rec.pidns_init_start_ts - rec.start_boottime) < 10**9
    info = next(t for t in iter_threads(built) if t.tid == pidns_sleep)
    assert (info.vpid, info.args) == (1, ("30",))


def test_kernel_threads_are_flagged(built: Path) -> None:
    threads = {t.tid: t for t in iter_threads(built)}
    records = {r.tid: r for r in read_tasks(built)}
    kthreadd = records[2]
    assert kthreadd.kernel_thread and kthreadd.flags & SF_KTHREAD and kthreadd.exe_ino == 0
    assert threads[2].extra["kernel_thread"] == 1 and threads[2].args == ()
    assert threads[2].exepath == "" and "proc_unread" not in threads[2].extra
    assert not records[os.getpid()].kernel_thread
    assert threads[os.getpid()].extra["kernel_thread"] == 0


def _writable(st: os.stat_result, euid: int, egid: int) -> bool:
    return bool(
        (st.st_uid == euid and st.st_mode & 0o200)
        or (st.st_gid == egid and st.st_mode & 0o020)
        or st.st_mode & 0o002
    )


def test_exe_flags_deleted_and_memfd(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "sleepcopy"
    shutil.copy2(shutil.which("sleep") or "/bin/sleep", copy)
    st = copy.stat()
    deleted = subprocess.Popen([str(copy), "30"])
    script = (
        "import os, shutil\n"
        "fd = os.memfd_create('mamori-test', 0)\n"
        "os.write(fd, open(shutil.which('sleep'), 'rb').read())\n"
        "os.execve(fd, ['sleep', '30'], {})\n"
    )
    memfd = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.readlink(f"/proc/{memfd.pid}/exe").startswith("/memfd:"):
                break
            time.sleep(0.02)
        time.sleep(0.05)
        copy.unlink()
        records = {r.tid: r for r in read_tasks(built)}
        threads = {t.tid: t for t in iter_threads(built)}
        rec = records[deleted.pid]
        assert rec.flags & lay.PF_EXE_DELETED and not rec.flags & lay.PF_EXE_FROM_MEMFD
        assert (rec.exe_ino, rec.exe_dev) == (st.st_ino, st.st_dev)
        assert bool(rec.flags & lay.PF_EXE_WRITABLE) == _writable(st, rec.euid, rec.egid)
        assert threads[deleted.pid].exepath == str(copy)
        assert threads[deleted.pid].extra["exe_deleted"] == 1
        rec = records[memfd.pid]
        exe = os.stat(f"/proc/{memfd.pid}/exe")
        assert rec.flags & lay.PF_EXE_FROM_MEMFD and (rec.exe_ino, rec.exe_dev) == (
            exe.st_ino, exe.st_dev
        )  # fmt: skip
        assert threads[memfd.pid].exe_from_memfd
        assert threads[memfd.pid].exepath.startswith("/memfd:mamori-test")
        assert threads[memfd.pid].args == ("30",) and threads[memfd.pid].env == ()
    finally:
        for p in (deleted, memfd):
            p.kill()
            p.wait()


@pytest.fixture
def cgroup() -> Iterator[Path]:
    group = _cgroup2_root() / f"mamori-iter-test-{os.getpid()}"
    try:
        group.mkdir()
    except OSError as exc:
        pytest.skip(f"cannot create a cgroup: {exc}")
    yield group
    for _ in range(100):  # the killed child leaves the cgroup asynchronously
        try:
            group.rmdir()
            break
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                break
            time.sleep(0.05)


_CLONES = {"clone", "clone3", "fork", "vfork"}


def _execs_sleep(e: SyscallEvent) -> bool:
    """The successful exec of sleep (not sh's, nor the failed tries along PATH)."""
    return (
        e.name == "execve"
        and e.params.get("res") == 0
        and e.ctx is not None
        and (e.ctx.comm == "sleep")
    )


def test_same_values_as_the_live_sensor(built: Path, cgroup: Path) -> None:
    """A child started under the live sensor, moved into a cgroup of its own, then exec'd:
    the iterator's record of it equals the sensor's context and parameters of its clone
    (child side) and exec."""
    events: list[SyscallEvent] = []
    with Sensor(["execve", *_CLONES]) as sensor:
        child = subprocess.Popen(
            ["sh", "-c", "read x; exec sleep 30"], stdin=subprocess.PIPE, start_new_session=True
        )
        try:
            (cgroup / "cgroup.procs").write_text(str(child.pid))
            assert child.stdin is not None
            child.stdin.write(b"go\n")
            child.stdin.flush()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(map(_execs_sleep, events)):
                events.extend(e for e in sensor.poll(0.1) if e.tid == child.pid)
            while Path(f"/proc/{child.pid}/comm").read_text().strip() != "sleep":
                time.sleep(0.01)
            rec = next(r for r in read_tasks(built) if r.tid == child.pid)
        finally:
            child.kill()
            child.wait()
    execve = next(e for e in events if _execs_sleep(e))
    clone = next(e for e in events if e.name in _CLONES)
    ctx = execve.ctx
    assert ctx is not None
    assert rec.cgroup_id == cgroup.stat().st_ino == ctx.cgroup_id
    assert (rec.pid, rec.ptid, rec.uid, rec.gid, rec.euid, rec.loginuid, rec.comm) == (
        ctx.pid, ctx.ppid, ctx.uid, ctx.gid, ctx.euid, ctx.loginuid, ctx.comm,
    )  # fmt: skip
    assert (rec.pidns, rec.mntns, rec.netns) == (ctx.pidns, ctx.mntns, ctx.netns)
    p = execve.params
    assert (rec.vpgid, rec.tty, rec.egid, rec.fdlimit) == (
        p["pgid"],
        p["tty"],
        p["gid"],
        p["fdlimit"],
    )
    assert (rec.exe_ino, rec.exe_dev, rec.flags & 0xFFFF) == (
        p["exe_ino"],
        p["exe_dev"],
        p["flags"],
    )
    assert (rec.cap_permitted, rec.cap_effective, rec.cap_inheritable) == (
        p["cap_permitted"], p["cap_effective"], p["cap_inheritable"]
    )  # fmt: skip
    c = clone.params
    assert (rec.vtid, rec.vpid, rec.pidns_init_start_ts) == (
        c["vtid"], c["vpid"], c["pidns_init_start_ts"]
    )  # fmt: skip


def test_full_sensor_event_types_still_load(built: Path) -> None:
    """The snapshot object is separate: loading it next to a running sensor is harmless."""
    with Sensor(EVENT_TYPES) as sensor:
        assert any(r.pid == os.getpid() for r in read_tasks(built))
        sensor.poll(0.05)
        assert sensor.stats().drops == 0
