"""Real processes under the live sensor: exec, fork chains, exits, file operations."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from mamori.runtime.flags import render
from mamori.sensor import Sensor
from mamori.sensor.table import BY_NAME
from tests.sensor.conftest import run_captured

pytestmark = [pytest.mark.root]

O_CREAT, O_WRONLY, O_TRUNC = os.O_CREAT, os.O_WRONLY, os.O_TRUNC


def names(table: str, value: object) -> set[str]:
    """Falco's symbolic names of a flag parameter (params carry Falco's encodings)."""
    assert isinstance(value, int)
    return set(render(table, value).split("|"))


def test_exec_open_exit_of_a_shell_pipeline(sensor: Sensor) -> None:
    cap, done = run_captured(
        sensor, ["/bin/sh", "-c", "cat /etc/hostname; exit 3"], env={"MAMORI_T": "1", "A": "b"}
    )
    assert done.returncode == 3
    sh = cap.root
    execs = cap.of("execve")
    sh_exec = next(e for e in execs if e.tid == sh)
    assert sh_exec.dir == "<"
    assert sh_exec.params["res"] == 0
    assert sh_exec.params["exe"] == "/bin/sh"
    assert sh_exec.params["args"] == ("-c", "cat /etc/hostname; exit 3")
    assert sh_exec.params["trusted_exepath"] == os.path.realpath("/bin/sh")
    assert sh_exec.params["cwd"] == os.getcwd()
    assert sh_exec.params["env"] == ("MAMORI_T=1", "A=b")
    st = os.stat(os.path.realpath("/bin/sh"))
    assert sh_exec.params["exe_ino"] == st.st_ino
    assert sh_exec.params["exe_dev"] == st.st_dev
    assert sh_exec.params["exe_upper_layer"] == 0
    assert sh_exec.params["ptid"] == os.getpid()
    assert sh_exec.ctx is not None and sh_exec.ctx.comm == "sh"
    assert sh_exec.ctx.ppid == os.getpid()
    assert sh_exec.ctx.pidns == os.stat("/proc/self/ns/pid").st_ino
    assert sh_exec.ctx.mntns == os.stat("/proc/self/ns/mnt").st_ino
    assert sh_exec.ctx.netns == os.stat("/proc/self/ns/net").st_ino

    # the shell forked cat: the parent's clone exit names the child, the child's exec follows
    forks = [e for e in cap.events if e.name in ("clone", "fork", "vfork", "clone3")]
    parent_side = [e for e in forks if e.tid == sh and e.params["res"] > 0]
    assert len(parent_side) == 1
    cat = parent_side[0].params["res"]
    assert isinstance(cat, int)
    child_side = [e for e in forks if e.tid == cat]
    assert child_side and child_side[0].params["res"] == 0
    cat_exec = cap.one("execve", cat)
    assert cat_exec.params["exe"] == "cat"
    assert cat_exec.params["args"] == ("/etc/hostname",)
    assert cat_exec.params["trusted_exepath"] == os.path.realpath("/usr/bin/cat")
    assert cat_exec.params["ptid"] == sh

    opens = [e for e in cap.of("openat", cat) if e.params.get("name") == "/etc/hostname"]
    assert len(opens) == 1
    op = opens[0].params
    assert op["fd"] == 3 and names("file", op["flags"]) == {"O_RDONLY"}
    assert op["ino"] == os.stat("/etc/hostname").st_ino
    assert op["dev"] == os.stat("/etc/hostname").st_dev

    assert cap.one("procexit", cat).params["status"] == 0
    sh_exit = cap.one("procexit", sh)
    assert sh_exit.dir == ">"
    assert sh_exit.params["status"] == 3 << 8 and sh_exit.params["ret"] == 3


def test_relative_paths_are_made_absolute(sensor: Sensor, tmp_path: Path) -> None:
    script = (
        "import os\n"
        f"os.chdir({str(tmp_path)!r})\n"
        "fd = os.open('rel.txt', os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o640)\n"
        "d = os.open('.', os.O_RDONLY)\n"
        "g = os.open('sub/../at.txt', os.O_CREAT | os.O_WRONLY, 0o600, dir_fd=d)\n"
        "os.mkdir('sub2', 0o700)\n"
        "os.rename('rel.txt', 'renamed.txt')\n"
        "os.symlink('renamed.txt', 'link')\n"
        "os.chmod('renamed.txt', 0o600)\n"
        "os.unlink('link')\n"
    )
    (tmp_path / "sub").mkdir()
    cap, done = run_captured(sensor, [sys.executable, "-c", script])
    assert done.returncode == 0, done.stderr
    pid = cap.root
    by_name = {e.params.get("name"): e for e in cap.of("openat", pid)}
    rel = by_name[str(tmp_path / "rel.txt")].params
    assert {"O_CREAT", "O_WRONLY", "O_TRUNC"} <= names("file", rel["flags"])
    assert rel["mode"] == 0o640
    assert rel["ino"] == os.stat(tmp_path / "renamed.txt").st_ino
    at = by_name[str(tmp_path / "at.txt")].params
    assert at["dirfd"] >= 0 and at["mode"] == 0o600
    mkdir = next(e for e in cap.events if e.name in ("mkdir", "mkdirat")).params
    assert mkdir["path"] == str(tmp_path / "sub2") and mkdir["res"] == 0
    rename = next(e for e in cap.events if e.name.startswith("rename")).params
    assert rename["oldpath"] == str(tmp_path / "rel.txt")
    assert rename["newpath"] == str(tmp_path / "renamed.txt")
    link = next(e for e in cap.events if e.name.startswith("symlink")).params
    assert link["target"] == "renamed.txt" and link["linkpath"] == str(tmp_path / "link")
    chmod = next(e for e in cap.events if e.name in ("chmod", "fchmodat")).params
    assert chmod["filename"] == str(tmp_path / "renamed.txt") and chmod["mode"] == 0o600
    unlink = next(e for e in cap.events if e.name.startswith("unlink")).params
    assert unlink.get("path", unlink.get("name")) == str(tmp_path / "link")


def test_fork_chain_and_thread_exit_status(sensor: Sensor) -> None:
    script = (
        "import os, threading\n"
        "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    pid2 = os.fork()\n"
        "    if pid2 == 0:\n"
        "        os._exit(7)\n"
        "    os.waitpid(pid2, 0)\n"
        "    os._exit(5)\n"
        "os.waitpid(pid, 0)\n"
    )
    cap, done = run_captured(sensor, [sys.executable, "-c", script])
    assert done.returncode == 0
    parent = cap.root
    clones = [e for e in cap.events if e.name in ("clone", "clone3", "fork", "vfork")]
    thread = [
        e
        for e in clones
        if e.tid == parent and "CLONE_THREAD" in names("clone", e.params.get("flags", 0))
    ]
    assert len(thread) == 1, clones
    procs = [
        e
        for e in clones
        if e.params["res"] > 0 and "CLONE_THREAD" not in names("clone", e.params.get("flags", 0))
    ]
    child = next(e.params["res"] for e in procs if e.tid == parent)
    grandchild = next(e.params["res"] for e in procs if e.tid == child)
    assert isinstance(child, int) and isinstance(grandchild, int)
    assert cap.one("procexit", child).params["status"] == 5 << 8
    assert cap.one("procexit", grandchild).params["status"] == 7 << 8
    gc_side = [e for e in clones if e.tid == grandchild]
    assert gc_side and gc_side[0].params["res"] == 0
    assert gc_side[0].params["ptid"] == child
    assert gc_side[0].ctx is not None and gc_side[0].ctx.ppid == child


def test_privileges_memfd_and_fd_calls(sensor: Sensor) -> None:
    script = (
        "import ctypes, os\n"
        "fd = os.memfd_create('mamori-test', os.MFD_CLOEXEC)\n"
        "r, w = os.pipe()\n"
        "d = ctypes.CDLL(None).dup(r)\n"
        "e = os.dup(r)\n"
        "os.dup2(w, 40)\n"
        "os.close(d)\n"
        "os.setgid(0)\n"
        "os.setuid(0)\n"
        "os.kill(os.getpid(), 0)\n"
    )
    cap, done = run_captured(sensor, [sys.executable, "-c", script])
    assert done.returncode == 0, done.stderr
    pid = cap.root
    memfd = cap.one("memfd_create", pid).params
    assert memfd["name"] == "mamori-test" and memfd["flags"] == os.MFD_CLOEXEC
    assert isinstance(memfd["fd"], int) and memfd["fd"] >= 3
    pipe = [e for e in cap.events if e.name in ("pipe", "pipe2")][-1].params
    assert pipe["res"] == 0 and pipe["fd1"] != pipe["fd2"]
    dup = cap.one("dup", pid).params
    assert dup["oldfd"] == pipe["fd1"] and isinstance(dup["res"], int)
    # the spawning child dup2()s the pipes of stdout/stderr before exec: pick ours
    dup2 = [e.params for e in cap.of("dup2", pid) if e.params["newfd"] == 40]
    assert dup2 == [{"res": 40, "oldfd": pipe["fd2"], "newfd": 40}]
    dupfd = [e.params for e in cap.of("fcntl", pid) if e.params["fd"] == pipe["fd1"]]
    assert dupfd and render("fcntl", dupfd[0]["cmd"]) == "F_DUPFD_CLOEXEC"  # os.dup
    assert any(e.params["fd"] == dup["res"] for e in cap.of("close", pid))
    assert cap.one("setuid", pid).params == {"res": 0, "uid": 0}
    assert cap.one("setgid", pid).params == {"res": 0, "gid": 0}
    assert cap.one("kill", pid).params == {"res": 0, "pid": pid, "sig": 0}


def test_every_table_entry_decodes(sensor: Sensor) -> None:
    """The table is self-consistent: each event's sources compile for its spec."""
    from mamori.sensor.decode import compile_params

    for spec in BY_NAME.values():
        assert callable(compile_params(spec))


def test_exec_tty_is_the_controlling_terminal_encoded_as_falco(sensor: Sensor) -> None:
    """proc.tty: a process on a pseudo-terminal reports the pty's device number in the
    kernel's new_encode_dev form (Falco's drivers' encoding); one without a terminal 0.
    The oracle is the pty slave's st_rdev, read in the child itself."""
    script = (
        "import os, pty, sys\n"
        "pid, master = pty.fork()\n"
        "if pid == 0:\n"
        "    os.execv('/bin/sh', ['sh', '-c', 'stat -L -c %t:%T /proc/self/fd/0'])\n"
        "out = b''\n"
        "while True:\n"
        "    try:\n"
        "        chunk = os.read(master, 100)\n"
        "    except OSError:\n"
        "        break\n"
        "    if not chunk:\n"
        "        break\n"
        "    out += chunk\n"
        "os.waitpid(pid, 0)\n"
        "own = open('/proc/self/stat').read().rsplit(')', 1)[1].split()[4]\n"
        "sys.stdout.write(out.decode().strip() + ' ' + own)\n"
    )
    cap, done = run_captured(sensor, [sys.executable, "-c", script])
    pty_dev, own_tty = done.stdout.decode().split()
    major, minor = (int(x, 16) for x in pty_dev.split(":"))
    expected = (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)
    child = [e for e in cap.of("execve") if e.ctx is not None and e.ctx.pid != cap.root]
    assert [e.params["exe"] for e in child] in (["sh", "stat"], ["sh"])  # dash may exec
    assert all(e.params["tty"] == expected != 0 for e in child)
    # the python parent: its own tty_nr from /proc (same encoding; 0 without a terminal)
    parent = cap.one("execve", cap.root)
    assert parent.params["tty"] == int(own_tty)


def test_open_mode_counts_only_when_the_call_can_create(sensor: Sensor, tmp_path: Path) -> None:
    """Falco's drivers report an open's mode only with O_CREAT or O_TMPFILE (the kernel
    ignores it otherwise); raw syscalls pass a mode glibc would have zeroed."""
    made = tmp_path / "made"
    script = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def openat(path, flags, mode):\n"
        "    fd = libc.syscall(257, -100, path.encode(), flags, mode)\n"
        "    assert fd >= 0, ctypes.get_errno()\n"
        "    os.close(fd)\n"
        "openat('/etc/hostname', os.O_RDONLY, 0o644)\n"
        f"openat({str(made)!r}, os.O_WRONLY | os.O_CREAT, 0o4640)\n"
        f"openat({str(tmp_path)!r}, os.O_WRONLY | os.O_TMPFILE, 0o600)\n"
    )
    cap, done = run_captured(sensor, [sys.executable, "-c", script])
    assert done.returncode == 0, done.stderr
    opens = {e.params.get("name"): e for e in cap.of("openat", cap.root)}
    assert opens["/etc/hostname"].params["mode"] == 0
    assert opens[str(made)].params["mode"] == 0o4640
    assert opens[str(tmp_path)].params["mode"] == 0o600
