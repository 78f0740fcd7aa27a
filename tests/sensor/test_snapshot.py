"""The start-up snapshot against psutil (an independent /proc reader) on live processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.model.events import AF_INET, SockAddr, SockTuple
from mamori.runtime.flags import render_param
from mamori.sensor import snapshot_fds, snapshot_threads
from mamori.sensor.snapshot import _cgroups, _fdlimit
from mamori.sensor.snapshot_fds import _hex_addr, socket_table


def test_threads_of_a_child_match_psutil(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import threading, time\n"
         "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
         "time.sleep(30)", "marker-arg"],
        cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while psutil.Process(child.pid).num_threads() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        rows = [t for t in snapshot_threads() if t.pid == child.pid]
        oracle = psutil.Process(child.pid)
        main = next(t for t in rows if t.tid == child.pid)
        assert main.args == tuple(oracle.cmdline()[1:])
        assert main.exepath == oracle.exe()
        assert main.cwd == oracle.cwd() == str(tmp_path)
        assert main.ptid == os.getpid()
        assert (main.uid, main.euid, main.gid) == (
            oracle.uids().real, oracle.uids().effective, oracle.gids().real
        )  # fmt: skip
        assert main.fdlimit == oracle.rlimit(psutil.RLIMIT_NOFILE)[0]
        assert main.exe_ino == os.stat(oracle.exe()).st_ino
        assert abs(main.clone_ts / 1e9 - oracle.create_time()) < 1.0
        assert main.extra["pidns"] == os.stat(f"/proc/{child.pid}/ns/pid").st_ino
        assert sorted(t.tid for t in rows) == sorted(t.id for t in oracle.threads())
    finally:
        child.kill()
        child.wait()


def test_fds_match_psutil() -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    cli = socket.create_connection(srv.getsockname())
    r, w = os.pipe()
    try:
        rows = {f.fd: f for f in snapshot_fds() if f.pid == os.getpid()}
        oracle = {f.fd: f.path for f in psutil.Process().open_files()}
        for fd, path in oracle.items():
            if fd in rows:
                assert rows[fd].name == path and rows[fd].type == "f"
        lhost, lport = srv.getsockname()
        assert rows[srv.fileno()].type == "4"
        assert rows[srv.fileno()].local == SockAddr(AF_INET, lhost, lport)
        chost, cport = cli.getsockname()
        assert rows[cli.fileno()].tuple == SockTuple(AF_INET, chost, cport, lhost, lport)
        assert rows[cli.fileno()].name == f"{chost}:{cport}->{lhost}:{lport}"
        assert rows[r].type == "p" and rows[r].ino == os.fstat(r).st_ino
        # Falco's encoding, as the state engine reads it: the write end is O_WRONLY
        # there (PPM_O_WRONLY, 1 << 1) and not O_RDONLY (1 << 0)
        names = set(str(render_param("open", "flags", rows[w].flags)).split("|"))
        assert "O_WRONLY" in names and "O_RDONLY" not in names and "O_RDWR" not in names
    finally:
        for s in (srv, cli):
            s.close()
        os.close(r)
        os.close(w)


def test_proc_net_addresses() -> None:
    assert _hex_addr("0100007F:1F90") == ("127.0.0.1", 8080)
    assert _hex_addr("00000000000000000000000001000000:0050") == ("::1", 80)


_LINE = st.text(alphabet="0123456789ABCDEF: \t/@x-[]", max_size=120)


@settings(max_examples=100, deadline=None)
@given(st.lists(_LINE, max_size=6), st.lists(_LINE, max_size=6))
def test_socket_tables_never_raise_on_garbage(inet: list[str], unix: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        net = Path(tmp)
        header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when uid inode\n"
        for name in ("tcp", "udp", "tcp6", "udp6"):
            (net / name).write_text(header + "\n".join(inet))
        unix_header = "Num RefCount Protocol Flags Type St Inode Path\n"
        (net / "unix").write_text(unix_header + "\n".join(unix))
        for ino, info in socket_table(net).items():
            assert info.ino == ino and info.type in ("4", "6", "u")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_cgroup_and_limits_parsers_never_raise(raw: str) -> None:
    for entry in _cgroups(raw):
        assert "=" in entry
    assert _fdlimit(raw) >= 0
