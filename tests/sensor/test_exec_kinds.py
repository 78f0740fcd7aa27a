"""Exec from a memfd and from a deleted file (fexecve -> execveat), plus the namespace,
mount, prctl, openat2, link and chown calls, each from a real child process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mamori.model.events import SyscallEvent
from mamori.runtime.flags import render
from mamori.sensor import Sensor
from tests.sensor.conftest import run_captured
from tests.support import need_tool

pytestmark = [pytest.mark.root]

FEXECVE = """
import os, sys
src, how = sys.argv[1], sys.argv[2]
if how == "memfd":
    fd = os.memfd_create("mamori-payload", 0)
    with open(src, "rb") as fh:
        os.write(fd, fh.read())
else:
    fd = os.open(src, os.O_RDONLY)
    os.unlink(src)
os.execve(fd, ["payload", "--version"], {})
"""


def _exec_of(events: list[SyscallEvent], pid: int) -> SyscallEvent:
    execs = [e for e in events if e.name in ("execve", "execveat") and e.tid == pid]
    return [e for e in execs if e.params.get("res") == 0][-1]


def test_exec_from_memfd(sensor: Sensor) -> None:
    cap, done = run_captured(sensor, [sys.executable, "-c", FEXECVE, "/bin/true", "memfd"])
    assert done.returncode == 0, done.stderr
    ev = _exec_of(cap.events, cap.root)  # glibc's fexecve: execveat or /proc/self/fd
    assert ev.params["exe_from_memfd"] == 1 and ev.params["flags"] & 4  # PPM_EXE_FROM_MEMFD
    assert ev.params["exe_deleted"] == 1  # a memfd has no link
    assert str(ev.params["trusted_exepath"]).startswith("/memfd:mamori-payload")
    assert ev.params["exe"] == "payload" and ev.params["args"] == ("--version",)


def test_exec_of_a_deleted_file(sensor: Sensor, tmp_path: Path) -> None:
    copy = tmp_path / "payload"
    shutil.copy2("/bin/true", copy)
    ino = copy.stat().st_ino
    cap, done = run_captured(sensor, [sys.executable, "-c", FEXECVE, str(copy), "deleted"])
    assert done.returncode == 0, done.stderr
    ev = _exec_of(cap.events, cap.root)
    assert ev.params["exe_deleted"] == 1 and ev.params["exe_from_memfd"] == 0
    assert ev.params["exe_ino"] == ino
    assert ev.params["trusted_exepath"] == str(copy)
    unlink = [e for e in cap.events if e.name in ("unlink", "unlinkat")]
    assert any(e.params.get("name", e.params.get("path")) == str(copy) for e in unlink)


NAMESPACES = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUTS = 0x00020000, 0x04000000
fd = os.open("/proc/self/ns/uts", os.O_RDONLY)  # to come back to
assert libc.unshare(CLONE_NEWNS | CLONE_NEWUTS) == 0
assert libc.mount(b"none", b"/", None, 0x40000 | 0x4000, None) == 0  # MS_PRIVATE|MS_REC
target = sys.argv[1].encode()
assert libc.mount(b"mamori-tmp", target, b"tmpfs", 0, None) == 0
assert libc.umount2(target, 0) == 0
assert libc.setns(fd, CLONE_NEWUTS) == 0
assert libc.prctl(15, b"renamed", 0, 0, 0) == 0  # PR_SET_NAME
"""


def test_unshare_mount_setns_prctl(sensor: Sensor, tmp_path: Path) -> None:
    cap, done = run_captured(sensor, [sys.executable, "-c", NAMESPACES, str(tmp_path)])
    assert done.returncode == 0, done.stderr
    pid = cap.root
    unshare = cap.one("unshare", pid).params
    assert unshare["res"] == 0 and render("clone", unshare["flags"]) == "CLONE_NEWNS|CLONE_NEWUTS"
    mounts = [e.params for e in cap.of("mount", pid)]
    assert {
        "res": 0, "dev": "mamori-tmp", "dir": str(tmp_path), "type": "tmpfs", "flags": 0
    } in mounts  # fmt: skip
    assert cap.one("umount2", pid).params == {"res": 0, "name": str(tmp_path), "flags": 0}
    setns = cap.one("setns", pid).params
    assert setns["res"] == 0 and render("clone", setns["nstype"]) == "CLONE_NEWUTS"
    prctl = [e for e in cap.of("prctl", pid) if e.params["option"] == 15]
    assert prctl and prctl[0].params["res"] == 0
    # the comm of later events is the new name
    assert cap.one("procexit", pid).ctx.comm == "renamed"  # type: ignore[union-attr]


FILES = """
import ctypes, os, struct, sys
d = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
how = struct.pack("<QQQ", os.O_CREAT | os.O_WRONLY, 0o600, 0)
buf = ctypes.create_string_buffer(how)
fd = libc.syscall(437, -100, (d + "/o2").encode(), buf, len(how))  # openat2
assert fd >= 0, ctypes.get_errno()
fd2 = libc.creat((d + "/c").encode(), 0o644)
assert fd2 >= 0
os.link(d + "/c", d + "/hard")
os.chown(d + "/c", 1234, 4321)
"""


def test_openat2_creat_link_chown(sensor: Sensor, tmp_path: Path) -> None:
    cap, done = run_captured(sensor, [sys.executable, "-c", FILES, str(tmp_path)])
    assert done.returncode == 0, done.stderr
    pid = cap.root
    o2 = cap.one("openat2", pid).params
    assert o2["name"] == str(tmp_path / "o2") and o2["mode"] == 0o600
    assert (
        set(render("file", o2["flags"]).split("|")) == {"O_CREAT", "O_WRONLY"}
        and o2["resolve"] == 0
    )
    assert o2["ino"] == os.stat(tmp_path / "o2").st_ino
    creat = cap.one("creat", pid).params
    assert creat["name"] == str(tmp_path / "c") and creat["mode"] == 0o644
    assert creat["ino"] == os.stat(tmp_path / "c").st_ino
    link = next(e for e in cap.events if e.name in ("link", "linkat")).params
    assert link["oldpath"] == str(tmp_path / "c") and link["newpath"] == str(tmp_path / "hard")
    chown = next(e for e in cap.events if e.name in ("chown", "fchownat")).params
    assert (chown["uid"], chown["gid"], chown["res"]) == (1234, 4321, 0)
    st = os.stat(tmp_path / "c")
    assert (st.st_uid, st.st_gid) == (1234, 4321)


PRIVILEGED = """
import ctypes, os, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
assert libc.ptrace(0, 0, 0, 0) == 0  # PTRACE_TRACEME
libc.syscall(321, 0, None, 0)  # bpf(BPF_MAP_CREATE, NULL, 0): EINVAL/EFAULT
hdr = ctypes.create_string_buffer(struct.pack("<Ii", 0x20080522, 0))
data = ctypes.create_string_buffer(24)
assert libc.capget(hdr, data) == 0
assert libc.capset(hdr, data) == 0
a, b = socket.socketpair()
print(a.fileno(), b.fileno(), flush=True)
libc.syscall(313, -1, b"mamori=1", 0)  # finit_module on a bad fd: EBADF
libc.syscall(175, None, 0, b"opt=2")  # init_module of nothing: an error, still seen
"""


def test_ptrace_bpf_capset_socketpair_modules(sensor: Sensor) -> None:
    cap, done = run_captured(sensor, [sys.executable, "-c", PRIVILEGED])
    assert done.returncode == 0, done.stderr
    pid = cap.root
    fd1, fd2 = (int(x) for x in done.stdout.split())
    assert render("ptrace", cap.one("ptrace", pid).params["request"]) == "PTRACE_TRACEME"
    assert cap.one("ptrace", pid).params["res"] == 0
    bpf = cap.one("bpf", pid).params
    assert bpf["cmd"] == 0 and isinstance(bpf["fd"], int) and bpf["fd"] < 0
    capset = cap.one("capset", pid).params
    assert capset["res"] == 0  # the child inherits this process's sets unchanged
    assert capset["cap_effective"] == _caps("CapEff")
    assert capset["cap_permitted"] == _caps("CapPrm")
    pair = cap.one("socketpair", pid).params
    assert (pair["res"], pair["fd1"], pair["fd2"]) == (0, fd1, fd2)
    assert pair["domain"] == 1  # AF_UNIX
    finit = cap.one("finit_module", pid).params
    # EBADF, or ENOSYS on a kernel built without modules (as here)
    assert finit["res"] in (-9, -38) and (finit["fd"], finit["uargs"]) == (-1, "mamori=1")
    init = cap.one("init_module", pid).params
    assert init["res"] < 0 and init["uargs"] == "opt=2"


def _caps(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split(":", 1)[1], 16)
    raise AssertionError(key)


COMPAT = r"""
#include <unistd.h>
#include <sys/syscall.h>
int main(void)
{
	long ret;
	/* ia32 read(777, NULL, 0): number 3, which is close in the x86_64 table */
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(3), "b"(777), "c"(0), "d"(0) : "memory");
	syscall(SYS_close, 778); /* a real close, as a control */
	return ret == -9 ? 0 : 1;
}
"""


def test_ia32_syscalls_are_not_mistaken_for_x86_64_ones(sensor: Sensor, tmp_path: Path) -> None:
    gcc = need_tool("gcc")
    (tmp_path / "compat.c").write_text(COMPAT)
    binary = tmp_path / "compat"
    subprocess.run([gcc, "-O0", "-o", str(binary), str(tmp_path / "compat.c")], check=True)
    cap, done = run_captured(sensor, [str(binary)])
    if done.returncode != 0:  # a kernel feature, not a missing tool: skip even in CI
        pytest.skip("no IA32 emulation in this kernel (int 0x80 failed)")
    closes = [e.params["fd"] for e in cap.of("close", cap.root)]
    assert 778 in closes
    assert 777 not in closes
