"""A synthetic capture exercising process and fd state: fork, exec into a container,
chdir, openat relative to cwd and to a directory fd, failed open, dup/fcntl/close,
TCP and unix sockets, pipes, setuid, a thread sharing the fd table, exits.

Written with our writer using event codes sysdig 0.29 knows, so sysdig's libsinsp can
serve as the oracle for every field of every event.
"""

from __future__ import annotations

import json
from pathlib import Path

from mamori.captures.scap.writer import ScapWriter
from mamori.model.events import AF_INET, AF_UNIX, FdInfo, Param, SockAddr, SockTuple, ThreadInfo

DOCKER_ID = "ab" * 32
CRI_CGROUP = "/kubepods/besteffort/pod1b2c3d4e-0000-4000-8000-123456789abc/" + "cd" * 32
PODMAN_CGROUP = "/libpod_parent/libpod-" + "ef" * 32


class _Scenario:
    def __init__(self, writer: ScapWriter) -> None:
        self.w = writer
        self.ts = 1_700_000_000_000_000_000

    def ev(self, tid: int, code: int, values: list[Param]) -> None:
        self.ts += 1000
        self.w.event(self.ts, tid, code, values)

    def proc(self, res: int, exe: str, args: tuple[str, ...], tid: int, pid: int, ptid: int,
             cwd: str) -> list[Param]:  # fmt: skip
        return [res, exe, args, tid, pid, ptid, cwd, 1024, 0, 0, 100, 10, 0]

    def fork(self, parent: int, ppid: int, child: int, comm: str, cwd: str, cgroup: str,
             uid: int, flags: int = 0, child_pid: int | None = None) -> None:  # fmt: skip
        pid = child if child_pid is None else child_pid
        self.ev(parent, 222, [])
        tail = [comm, (f"cpu={cgroup}",), flags, uid, uid, parent, parent]
        self.ev(parent, 223, self.proc(child, comm, (), parent, parent, ppid, cwd) + tail)
        tail = [comm, (f"cpu={cgroup}",), flags, uid, uid, child, pid]
        self.ev(child, 223, self.proc(0, comm, (), child, pid, parent, cwd) + tail)

    def execve(self, tid: int, ptid: int, path: str, args: tuple[str, ...], cgroup: str,
               res: int = 0) -> None:  # fmt: skip
        comm = path.rsplit("/", 1)[-1]
        self.ev(tid, 292, [path])
        tail = [comm, (f"cpu={cgroup}",), ("HOME=/home/u",), 0, tid, 1000, 0]
        self.ev(tid, 293, self.proc(res, comm, args, tid, tid, ptid, "/home/u") + tail)

    def pair(
        self, tid: int, enter: int, enter_values: list[Param], exit_values: list[Param]
    ) -> None:
        self.ev(tid, enter, enter_values)
        self.ev(tid, enter + 1, exit_values)


def write_scenario(path: Path) -> None:
    with ScapWriter(path) as w:
        w.machine()
        w.threads([
            ThreadInfo(tid=1, pid=1, ptid=0, comm="systemd", exe="/sbin/init", cwd="/", uid=0,
                       gid=0, sid=1, vpgid=1, vtid=1, vpid=1, fdlimit=1024, cgroups=("cpu=/",)),
            ThreadInfo(tid=100, pid=100, ptid=1, comm="bash", exe="-bash", args=("-l",),
                       cwd="/home/u/", uid=1000, gid=1000, sid=100, vpgid=100, vtid=100,
                       vpid=100, fdlimit=1024, cgroups=("cpu=/user.slice",), env=("A=1",)),
        ])  # fmt: skip
        w.fds(100, [
            FdInfo(100, 0, "f", "/dev/pts/0", flags=2),
            FdInfo(100, 1, "f", "/dev/pts/0", flags=2),
            FdInfo(100, 3, "4", "", tuple=SockTuple(AF_INET, "10.0.0.5", 22, "10.0.0.9", 5555)),
        ])  # fmt: skip
        w.users(
            [(0, 0, "root", "/root", "/bin/bash"), (1000, 1000, "u", "/home/u", "/bin/bash"),
             (33, 33, "www-data", "/var/www", "/bin/false")],
            [(0, "root"), (1000, "u"), (33, "www-data")],
        )  # fmt: skip
        s = _Scenario(w)
        meta = {"id": DOCKER_ID[:12], "name": "web", "image": "registry:5000/team/nginx:1.25",
                "type": 0, "privileged": True}  # fmt: skip
        s.ev(0, 272, [json.dumps({"container": meta})])  # container metadata
        docker = f"/docker/{DOCKER_ID}"
        s.fork(100, 1, 200, "bash", "/home/u", "/user.slice", 1000)
        s.execve(200, 100, "/usr/bin/cat", ("a.txt", "b"), docker)
        s.pair(200, 94, [], [0, "sub"])  # chdir sub
        s.pair(200, 306, [-100, "file.txt", 1, 0], [4, -100, "file.txt", 1, 0, 0])
        s.pair(200, 306, [-100, "/etc", 1 | 1024, 0], [5, -100, "/etc", 1 | 1024, 0, 0])
        s.pair(200, 306, [5, "passwd", 1, 0], [6, 5, "passwd", 1, 0, 0])
        s.pair(200, 306, [-100, "../x/./y//z", 1, 0], [-2, -100, "../x/./y//z", 1, 0, 0])
        s.pair(200, 6, [4, 100], [5, b"hello"])  # read
        s.pair(200, 124, [4], [10])  # dup
        s.pair(200, 150, [4, 1], [11])  # fcntl F_DUPFD
        s.pair(200, 4, [4], [0])  # close
        s.pair(200, 6, [10, 100], [0, b""])
        s.pair(200, 6, [11, 100], [0, b""])
        s.pair(200, 6, [4, 100], [-9, b""])  # EBADF: fd 4 is closed
        s.pair(200, 18, [2, 1, 0], [4])  # socket AF_INET
        s.pair(200, 22, [4, SockAddr(AF_INET, "93.184.216.34", 80)],
               [0, SockTuple(AF_INET, "10.0.0.5", 40000, "93.184.216.34", 80)])  # fmt: skip
        s.pair(200, 30, [4, 5, None], [5, b"GET /"])
        s.pair(200, 18, [1, 1, 0], [7])  # socket AF_UNIX
        s.pair(200, 22, [7, SockAddr(AF_UNIX, "/run/x.sock")],
               [0, SockTuple(AF_UNIX, "ffff1", 0, "ffff2", 0, path="/run/x.sock")])  # fmt: skip
        s.pair(200, 60, [], [0, 8, 9, 12345])  # pipe
        s.pair(200, 8, [9, 3], [3, b"abc"])
        s.pair(200, 198, [33], [0])  # setuid www-data
        s.pair(200, 2, ["/var/log/x", 2, 0], [12, "/var/log/x", 2, 0o644, 0])
        s.fork(200, 100, 201, "cat", "/home/u/sub", docker, 33, 0x2000 | 0x8000 | 3, 200)
        s.pair(201, 6, [10, 1], [0, b""])
        s.pair(201, 70, [6], [0])  # fstat
        s.ev(201, 186, [0, 0, 0, 0])  # thread exit
        s.pair(200, 6, [10, 1], [0, b""])
        s.execve(100, 1, "/nonexistent", ("x",), "/user.slice", res=-2)
        s.pair(100, 6, [0, 10], [1, b"x"])
        s.pair(100, 6, [3, 10], [1, b"x"])
        s.pair(200, 4, [12], [0])
        s.ev(200, 186, [0, 0, 0, 0])
        s.pair(100, 96, [0], [-20])  # fchdir to a tty: ENOTDIR
        s.fork(100, 1, 300, "bash", "/home/u", "/user.slice", 1000)
        s.execve(300, 100, "/usr/bin/pause", (), CRI_CGROUP)
        s.pair(300, 6, [0, 1], [1, b"x"])
        s.fork(100, 1, 400, "bash", "/home/u", "/user.slice", 1000)
        s.execve(400, 100, "/usr/bin/sleep", ("1",), PODMAN_CGROUP)
        s.pair(400, 6, [0, 1], [1, b"x"])
        s.pair(999, 2, ["/tmp/q", 0, 0], [3, "/tmp/q", 1, 0, 0])  # an unknown thread
        s.pair(999, 6, [3, 1], [1, b"q"])
