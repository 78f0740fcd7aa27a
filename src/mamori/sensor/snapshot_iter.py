"""Start-up snapshot of every thread through a BPF task iterator (``bpf/snapshot.bpf.c``).

One ``read()`` loop over an ``iter/task`` fd gives every task in the kernel (threads and
kernel threads included) as fixed-size records, with the values the live sensor puts in
its events read the same way in the kernel: global tid/pid, parent, credentials, loginuid,
the cgroup v2 id, namespace inodes, vtid/vpid/pgid/sid, the tty, exe inode/dev/flags,
capabilities, the fd limit and the boot-based start time. That replaces about fifteen
/proc files per process and one per thread with one kernel walk (not atomic either: a
task created or gone during the walk may be missed or still listed).

What the iterator cannot give: argv, environment, cwd, root and the exe path. argv and the
environment live in each process's user memory, which a non-sleepable iterator may not
read (it cannot fault pages in); for paths, bpf_d_path would run on an exe file and
fs_struct the iteration holds no reference to, while /proc takes them. Those, and the
cgroup paths Falco shows (``cgroups``), are read from ``/proc/PID`` once per process
(shared by its threads). What could not be read there (process gone, pid reused,
permission) is listed in ``extra["proc_unread"]``.
Kernel threads have no argv, environment or exe by definition: not read. A process /proc
lists but the iterator did not visit is read from /proc alone and marked
``extra["from_proc"]``: one started after the walk, or one the kernel does not show to
task iterators (the test machine's PID 1 and its threads are never visited there, while
/proc lists them).

The iterator visits the tasks of the reader's pid namespace and reports global pids, so
it is used only when the agent runs in the initial pid namespace (``IterUnavailableError``
otherwise, and the caller reads /proc).
"""

from __future__ import annotations

import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mamori.model.events import Param, ThreadInfo
from mamori.sensor import _libbpf
from mamori.sensor import layout as lay
from mamori.sensor.sensor import _boot_offset
from mamori.sensor.snapshot import _cgroups, proc_pids, proc_threads

__all__ = [
    "OBJECT_PATH",
    "REC",
    "IterUnavailableError",
    "TaskRecord",
    "decode_records",
    "iter_threads",
    "object_path",
    "read_tasks",
]

log = logging.getLogger(__name__)

OBJECT_PATH = Path(__file__).parent / "bpf" / "snapshot.bpf.o"
PROGRAM = "snapshot_tasks"
BTF_PATH = Path("/sys/kernel/btf/vmlinux")

REC = struct.Struct("<22I8Q16s")
"""struct snap_rec: size, tid, pid, ptid, uid, gid, euid, egid, loginuid, sessionid, pidns,
mntns, netns, vtid, vpid, vpgid, sid, tty, flags, exe_dev, pidns_level, pad, then
start_boottime, cgroup_id, exe_ino, cap_inheritable, cap_permitted, cap_effective, fdlimit,
pidns_init_start_ts, comm."""
assert REC.size == 168

# struct snap_rec.flags beyond the PF_EXE_* bits of layout.py
SF_KTHREAD = 0x100000
SF_EXITING = 0x200000
SF_NO_MM = 0x400000

READ_LIMIT = 64 << 20
"""Bytes read from the iterator at most (about 380 000 tasks): memory stays bounded."""
_CHUNK = 1 << 20
_MAX_ARGS = 64 * 1024


class IterUnavailableError(RuntimeError):
    """The task iterator cannot run here; the message says why (the caller reads /proc)."""


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """One decoded ``struct snap_rec``: a task as the kernel saw it during the iteration."""

    tid: int
    pid: int
    ptid: int
    uid: int
    gid: int
    euid: int
    egid: int
    loginuid: int
    sessionid: int
    pidns: int
    mntns: int
    netns: int
    vtid: int
    vpid: int
    vpgid: int
    sid: int
    tty: int
    flags: int
    exe_dev: int  # stat()'s st_dev encoding (converted from the kernel's dev_t)
    pidns_level: int
    start_boottime: int  # ns since boot (CLOCK_BOOTTIME)
    cgroup_id: int
    exe_ino: int
    cap_inheritable: int
    cap_permitted: int
    cap_effective: int
    fdlimit: int
    pidns_init_start_ts: int
    comm: str

    @property
    def kernel_thread(self) -> bool:
        return bool(self.flags & SF_KTHREAD)

    @property
    def exiting(self) -> bool:
        return bool(self.flags & SF_EXITING)


def decode_records(data: bytes) -> tuple[list[TaskRecord], int]:
    """(records, malformed bytes) of an iterator's output. A record whose size field is
    not ours (an object built from another layout) stops the decoding: the rest is
    counted as malformed rather than misread."""
    out: list[TaskRecord] = []
    size = REC.size
    end = len(data) - len(data) % size
    for off in range(0, end, size):
        v = REC.unpack_from(data, off)
        if v[0] != size:
            return out, len(data) - off
        dev = v[19]
        fields: list[Any] = [
            *v[1:19],
            os.makedev(dev >> 20, dev & 0xFFFFF),
            v[20],
            *v[22:30],
            v[30].split(b"\0", 1)[0].decode("utf-8", "replace"),
        ]
        out.append(TaskRecord(*fields))
    return out, len(data) - end


def object_path() -> Path:
    return Path(os.environ.get("MAMORI_SNAPSHOT_OBJECT", OBJECT_PATH))


def read_tasks(obj_file: Path | None = None, limit: int = READ_LIMIT) -> list[TaskRecord]:
    """Load the iterator object, run it once, and return every task it visited (each tid
    once). Raises IterUnavailableError with the reason when it cannot load or run."""
    obj_file = obj_file or object_path()
    if os.geteuid() != 0:
        raise IterUnavailableError("the BPF task iterator needs root (CAP_BPF and CAP_PERFMON)")
    if not BTF_PATH.exists():
        raise IterUnavailableError(f"{BTF_PATH} is absent: the kernel has no BTF")
    if not obj_file.is_file():
        raise IterUnavailableError(f"{obj_file} is not built: run scripts/build-bpf")
    chunks: list[bytes] = []
    total = 0
    try:
        obj = _libbpf.BpfObject(obj_file)
        try:
            obj.load()
            fd = _libbpf.iter_create(obj.attach_iter(PROGRAM))
            try:
                while total < limit:
                    chunk = os.read(fd, _CHUNK)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    total += len(chunk)
            finally:
                os.close(fd)
        finally:
            obj.close()
    except (_libbpf.BpfError, OSError) as exc:
        raise IterUnavailableError(f"the task iterator failed: {exc}") from exc
    if total >= limit:
        log.warning("task iterator: output cut at %d bytes; later tasks come from /proc", limit)
    records, malformed = decode_records(b"".join(chunks))
    if malformed and not records:
        raise IterUnavailableError(f"{obj_file} writes records of another layout: rebuild it")
    seen: set[int] = set()
    unique = []
    for rec in records:  # a task is visited once, but be sure under concurrent exits
        if rec.tid not in seen:
            seen.add(rec.tid)
            unique.append(rec)
    return unique


def _check_pid_namespace(records: list[TaskRecord]) -> None:
    """The records carry global pids and /proc is read by pid: both must be the initial
    pid namespace's, i.e. this process must be a level-0 task of its own pid namespace."""
    try:
        own_ns = os.stat("/proc/self/ns/pid").st_ino
    except OSError as exc:
        raise IterUnavailableError(f"cannot read /proc/self/ns/pid: {exc}") from exc
    me = os.getpid()
    if not any(r.pid == me and r.pidns == own_ns and r.pidns_level == 0 for r in records):
        raise IterUnavailableError("the agent is not in the initial pid namespace")


@dataclass(slots=True)
class _ProcDetails:
    """What /proc gives for one process (shared by its threads)."""

    argv: tuple[str, ...] = ()
    env: tuple[str, ...] = ()
    exepath: str = ""
    cwd: str = ""
    root: str = "/"
    cgroups: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(_MAX_ARGS)


def _start_ticks(base: str) -> int:
    stat = _read(f"{base}/stat")
    return int(stat[stat.rindex(b")") + 2 :].split()[19])


def _proc_details(rec: TaskRecord, ticks: int) -> _ProcDetails:
    """Read the user-memory and path details of rec's process from /proc/PID, checking
    first that the pid still names the same process (same start time)."""
    base = f"/proc/{rec.pid}"
    out = _ProcDetails()
    unread: list[str] = []
    try:
        same = abs(_start_ticks(base) - rec.start_boottime * ticks // 1_000_000_000) <= 1
    except (OSError, ValueError, IndexError):
        same = False
    if not same:  # gone, or the pid was reused after the iteration
        out.unread = ("args", "env", "exepath", "cwd", "root", "cgroups")
        return out
    if not rec.kernel_thread:  # kernel threads have no argv, environment or exe
        try:
            raw = _read(f"{base}/cmdline").rstrip(b"\0")
            out.argv = tuple(a.decode("utf-8", "surrogateescape") for a in raw.split(b"\0"))
            if out.argv == ("",):
                out.argv = ()
        except OSError:
            unread.append("args")
        try:
            raw = _read(f"{base}/environ")
            out.env = tuple(e.decode("utf-8", "surrogateescape") for e in raw.split(b"\0") if e)
        except OSError:
            unread.append("env")
        try:
            out.exepath = os.readlink(f"{base}/exe").removesuffix(" (deleted)")
        except OSError:
            unread.append("exepath")
    for name in ("cwd", "root"):
        try:
            setattr(out, name, os.readlink(f"{base}/{name}"))
        except OSError:
            unread.append(name)
    try:
        out.cgroups = _cgroups(_read(f"{base}/cgroup").decode("utf-8", "replace"))
    except OSError:
        unread.append("cgroups")
    out.unread = tuple(unread)
    return out


def _thread(rec: TaskRecord, proc: _ProcDetails, boot_offset: int) -> ThreadInfo:
    extra: dict[str, Param] = {
        "cgroup_id": rec.cgroup_id,
        "pidns": rec.pidns,
        "mntns": rec.mntns,
        "netns": rec.netns,
        "exe_deleted": int(bool(rec.flags & lay.PF_EXE_DELETED)),
        "exe_dev": rec.exe_dev,
        "egid": rec.egid,
        "sessionid": rec.sessionid,
        "kernel_thread": int(rec.kernel_thread),
    }
    if rec.exiting:
        extra["exiting"] = 1
    if proc.unread:
        extra["proc_unread"] = proc.unread
    return ThreadInfo(
        tid=rec.tid,
        pid=rec.pid,
        ptid=rec.ptid,
        comm=rec.comm,
        exe=proc.argv[0] if proc.argv else "",
        exepath=proc.exepath,
        args=proc.argv[1:],
        env=proc.env,
        cwd=proc.cwd,
        uid=rec.uid,
        gid=rec.gid,
        euid=rec.euid,
        loginuid=rec.loginuid,
        sid=rec.sid,
        vpgid=rec.vpgid,
        vtid=rec.vtid,
        vpid=rec.vpid,
        fdlimit=rec.fdlimit,
        tty=rec.tty,
        cgroups=proc.cgroups,
        root=proc.root or "/",
        clone_ts=boot_offset + rec.start_boottime,
        exe_ino=rec.exe_ino,
        exe_writable=bool(rec.flags & lay.PF_EXE_WRITABLE),
        exe_upper_layer=bool(rec.flags & lay.PF_EXE_UPPER_LAYER),
        exe_from_memfd=bool(rec.flags & lay.PF_EXE_FROM_MEMFD),
        cap_permitted=rec.cap_permitted,
        cap_effective=rec.cap_effective,
        cap_inheritable=rec.cap_inheritable,
        pidns_init_start_ts=rec.pidns_init_start_ts,
        extra=extra,
    )


def iter_threads(obj_file: Path | None = None) -> list[ThreadInfo]:
    """One ThreadInfo per task alive now (threads and kernel threads included), from the
    task iterator, with argv/env/cwd/root/exe path/cgroup paths from /proc (see the module
    docstring for why). Raises IterUnavailableError when the iterator cannot be used here."""
    records = read_tasks(obj_file)
    _check_pid_namespace(records)
    boot_offset = _boot_offset()
    ticks = os.sysconf("SC_CLK_TCK")
    leaders = {r.pid: r for r in records if r.tid == r.pid}
    details: dict[int, _ProcDetails] = {}
    out: list[ThreadInfo] = []
    for rec in records:
        proc = details.get(rec.pid)
        if proc is None:
            proc = details[rec.pid] = _proc_details(leaders.get(rec.pid, rec), ticks)
        out.append(_thread(rec, proc, boot_offset))
    # A process /proc lists that the iterator did not visit (started since, or never shown
    # to iterators, as PID 1 on the test machine) is read from /proc alone.
    seen = {r.tid for r in records}
    for info in proc_threads(pids=sorted(proc_pids() - leaders.keys())):
        if info.tid not in seen:
            info.extra["from_proc"] = 1
            out.append(info)
    return out
