"""Live: the rules of process.yaml, each made to happen on the host under the agent, next
to a benign neighbour of the same family that must not alert."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.detections.live import (
    LiveAgent,
    any_field_has,
    build_probe,
    field_has,
    field_is,
    run,
    unique,
)
from tests.support import need_tool

pytestmark = [pytest.mark.root, pytest.mark.slow]


@pytest.fixture(scope="module")
def tmp() -> Iterator[Path]:
    """A directory other users can traverse (the setuid test runs as nobody)."""
    path = Path(tempfile.mkdtemp(prefix="mamori-live-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def named(tmp: Path, name: str, target: str = sys.executable) -> str:
    """`target` under another name: its comm (`proc.name`) is `name`."""
    link = tmp / name
    if not link.exists():
        link.symlink_to(os.path.realpath(target))
    return str(link)


def test_shell_spawned_by_web_server(live: LiveAgent, tmp: Path) -> None:
    rule = "Shell spawned by a web server or database"
    nginx = named(tmp, "nginx")
    bad, good = unique("websh"), unique("webok")
    shell = "import subprocess, sys; subprocess.run(['/bin/sh', '-c', ': ' + sys.argv[1]])"
    plain = "import subprocess, sys; subprocess.run(['/bin/echo', sys.argv[1]])"
    run([nginx, "-c", plain, good])
    run([nginx, "-c", shell, bad])
    alert = live.wait(rule, field_has("proc.cmdline", bad))
    assert (alert.fields["proc.name"], alert.fields["proc.pname"]) == ("sh", "nginx")
    assert alert.priority == "Error" and "T1505.003" in alert.tags
    live.quiet(any_field_has(good))
    # PHP's mail() running sendmail through sh is an excepted helper command line
    php = named(tmp, "php-fpm8.2")
    mail = unique("mail")
    helper = "import subprocess, sys; subprocess.run(['/bin/sh', '-c', sys.argv[1]])"
    run([php, "-c", helper, f"/usr/sbin/sendmail -t {mail}"])
    live.quiet(any_field_has(mail))
    run([php, "-c", helper, f": {mail}-other"])
    assert live.wait(rule, field_has("proc.cmdline", f"{mail}-other")).fields["proc.pname"] == (
        "php-fpm8.2"
    )


def test_netcat_or_socat_remote_code_execution(live: LiveAgent) -> None:
    rule = "Netcat or socat remote code execution"
    socat = need_tool("socat")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        port = server.getsockname()[1]
        good = run([socat, "-T1", "-", f"TCP:127.0.0.1:{port}"], stdin=subprocess.DEVNULL)
        bad = run([socat, "-T1", f"TCP:127.0.0.1:{port}", "EXEC:/bin/true"])
    alert = live.wait(rule, field_is("proc.pid", bad.pid))
    assert alert.fields["proc.name"] == "socat"
    assert alert.fields["proc.cmdline"] == f"socat -T1 TCP:127.0.0.1:{port} EXEC:/bin/true"
    live.quiet(field_is("proc.pid", good.pid))


def test_search_for_credentials(live: LiveAgent, tmp: Path) -> None:
    rule = "Search for credentials or private keys"
    where = tmp / unique("search")
    where.mkdir()
    good = run(["find", str(where), "-name", "*.txt"])
    bad = run(["find", str(where), "-name", "id_rsa"])
    alert = live.wait(rule, field_is("proc.pid", bad.pid))
    assert alert.fields["proc.name"] == "find"
    assert alert.fields["proc.cmdline"] == f"find {where} -name id_rsa"
    live.quiet(field_is("proc.pid", good.pid))


LOGIN = """
import os, sys
with open("/proc/self/loginuid", "w") as f:
    f.write("4242")
os.execv(sys.argv[1], sys.argv[1:])
"""


def test_setuid_binary_and_switch_to_root_in_a_user_session(live: LiveAgent, tmp: Path) -> None:
    """A setuid-root copy of the probe run as nobody from a shell of login session 4242:
    exec with euid 0 and setuid(0) both alert; the same probe without the setuid bit
    (setuid(0) refused) does neither."""
    setpriv = need_tool("setpriv")
    probe = build_probe(tmp)
    suid, plain = tmp / "msuid", tmp / "mplain"
    shutil.copy2(probe, suid)
    shutil.copy2(probe, plain)
    os.chown(suid, 0, 0)
    suid.chmod(0o4755)
    plain.chmod(0o755)
    bad, good = unique("suid"), unique("nosuid")
    script = f"{suid} setuid 0 {bad}; {plain} setuid 0 {good}"
    drop = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", script]
    done = run([sys.executable, "-c", LOGIN, *drop])
    assert done.returncode == 0 and "setuid 0: 0 euid=0" in done.stdout, done
    assert "setuid 0: -1 euid=65534" in done.stdout, done

    exe = live.wait("Setuid program gave root to a user session", field_has("proc.cmdline", bad))
    assert exe.fields["user.uid"] == 0 and exe.fields["user.loginuid"] == 4242
    assert (exe.fields["proc.name"], exe.fields["proc.pname"]) == ("msuid", "sh")
    rule = "Process in a user session switched to uid 0"
    switch = live.wait(rule, field_has("proc.cmdline", bad))
    assert switch.fields["evt.type"] == "setuid" and switch.fields["user.loginuid"] == 4242
    live.quiet(field_has("proc.cmdline", good))


PTRACE = """
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
child = os.fork()
if child == 0:
    if sys.argv[1] == "traceme":
        libc.ptrace(0, 0, None, None)  # PTRACE_TRACEME: the child asks to be traced
    time.sleep(2)
    os._exit(0)
print(child, flush=True)
if sys.argv[1] == "attach":
    assert libc.ptrace(16, child, None, None) == 0, ctypes.get_errno()  # PTRACE_ATTACH
    os.waitpid(child, 0)
    libc.ptrace(17, child, None, None)  # PTRACE_DETACH
os.kill(child, 9)
os.waitpid(child, 0)
"""


def test_ptrace_attach(live: LiveAgent, tmp: Path) -> None:
    rule = "Process attached to another with ptrace"
    tracer = named(tmp, "mtracer")
    good = run([tracer, "-c", PTRACE, "traceme"])
    strace = shutil.which("strace")  # a debugger attaching is a second neighbour, if present
    debugger = run([strace, "-f", "-o", os.devnull, "/bin/true"]) if strace else None
    bad = run([tracer, "-c", PTRACE, "attach"])
    assert bad.returncode == 0, bad.stderr
    alert = live.wait(rule, field_is("proc.pid", bad.pid))
    assert alert.fields["evt.arg[request]"] == "PTRACE_ATTACH"
    assert alert.fields["evt.arg[pid]"] == bad.stdout.strip()  # the child it attached to
    assert alert.fields["proc.name"] == "mtracer"
    assert alert.fields["evt.res"] == "SUCCESS"
    live.quiet(field_is("proc.pid", good.pid))
    if debugger is not None:
        live.quiet(field_is("proc.pid", debugger.pid))
