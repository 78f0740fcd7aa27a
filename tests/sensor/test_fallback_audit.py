"""The audit source on the real kernel: exact exec arguments, loopback TCP addresses, the
rules it adds removed on stop (read back with AUDIT_LIST_RULES), and stepping aside when
another audit daemon is registered."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from mamori.model.events import AF_INET, SockAddr, SockTuple
from mamori.sensor.fallback import FallbackSensor
from mamori.sensor.fallback import audit_netlink as an
from mamori.sensor.fallback.audit import AuditSource, AuditUnavailableError
from mamori.sensor.fallback.procinfo import ContextCache
from tests.sensor.test_fallback_helpers import run_seen
from tests.support import kernel_audit, need_root

pytestmark = [pytest.mark.root]


@pytest.fixture(scope="module", autouse=True)
def _one_audit_user_at_a_time() -> Iterator[None]:
    with kernel_audit():  # the kernel has one audit socket
        yield


TYPES = ["execve", "execveat", "connect", "accept", "accept4", "bind"]


def audit_state() -> tuple[an.AuditStatus, list[an.Rule]]:
    with an.AuditControl() as ctl:
        return ctl.status(), [rule for rule, _ in ctl.list_rules()]


@pytest.fixture(scope="module")
def before() -> tuple[an.AuditStatus, list[an.Rule]]:
    need_root()
    return audit_state()


@pytest.fixture
def sensor(before: object) -> Iterator[FallbackSensor]:
    with FallbackSensor(TYPES, sources=("audit",)) as s:
        assert [x.name for x in s.running] == ["audit"], s.skipped
        yield s


def test_exec_arguments_are_exact(sensor: FallbackSensor) -> None:
    long = "L" * 20000  # split into a1[0], a1[1]... records
    odd = 'two words "quoted" tab\tand ünïcode'
    seen, done = run_seen(sensor, ["/bin/echo", odd, long, ""], cwd="/tmp")
    assert done.returncode == 0
    ev = seen.one("execve", seen.root)
    p = ev.params
    assert p["res"] == 0 and p["exe"] == "/bin/echo" and p["args"] == (odd, long, "")
    assert p["trusted_exepath"] == os.path.realpath("/bin/echo")
    assert p["cwd"] == "/tmp" and p["comm"] == "echo"
    assert p["ptid"] == os.getpid() and p["uid"] == os.geteuid()
    assert "missed" not in p


def test_failed_exec_is_reported(sensor: FallbackSensor) -> None:
    script = "import os\ntry:\n    os.execv('/nonexistent/x', ['x'])\nexcept OSError:\n    pass"
    seen, done = run_seen(sensor, [sys.executable, "-c", script])
    assert done.returncode == 0
    failed = [e.params for e in seen.of("execve", seen.root) if e.params["res"] == -2]
    assert failed == [{"res": -2, "tid": seen.root, "pid": seen.root}]


TCP = """
import json, socket
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
cli = socket.socket(); cli.connect(srv.getsockname())
conn, peer = srv.accept()
print(json.dumps({"srv": srv.getsockname(), "cli": cli.getsockname(),
                  "srv_fd": srv.fileno(), "cli_fd": cli.fileno(), "conn_fd": conn.fileno()}))
"""


def test_tcp_bind_connect_accept_on_loopback(sensor: FallbackSensor) -> None:
    seen, done = run_seen(sensor, [sys.executable, "-c", TCP])
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    (shost, sport), (chost, cport) = info["srv"], info["cli"]
    pid = seen.root
    bind = seen.one("bind", pid).params
    assert bind == {"res": 0, "fd": info["srv_fd"], "addr": SockAddr(AF_INET, shost, 0)}
    connect = seen.one("connect", pid).params
    assert connect["res"] == 0 and connect["fd"] == info["cli_fd"]
    assert connect["addr"] == SockAddr(AF_INET, shost, sport)
    assert connect["tuple"] == SockTuple(AF_INET, "", 0, shost, sport)  # local side unknown
    accepts = [e for e in seen.events if e.name in ("accept", "accept4")]
    assert len(accepts) == 1
    assert accepts[0].params["fd"] == info["conn_fd"]
    assert accepts[0].params["tuple"] == SockTuple(AF_INET, chost, cport, "", 0)


def test_connect_to_a_listener_in_another_process(sensor: FallbackSensor) -> None:
    with socket.socket() as srv:  # this process is excluded from the rules: no events
        srv.bind(("127.0.0.1", 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        script = f"import socket; socket.create_connection(('127.0.0.1', {port})).close()"
        seen, done = run_seen(sensor, [sys.executable, "-c", script])
    assert done.returncode == 0
    connects = [e.params for e in seen.of("connect", seen.root) if e.params["res"] == 0]
    assert [c["addr"] for c in connects] == [SockAddr(AF_INET, "127.0.0.1", port)]
    assert not [e for e in sensor.poll(0.01) if e.tid == os.getpid()]


def test_rules_are_removed_and_settings_restored_on_stop(
    before: tuple[an.AuditStatus, list[an.Rule]],
) -> None:
    with FallbackSensor(TYPES, sources=("audit",)) as s:
        status, rules = audit_state()
        assert status.pid == os.getpid()
        ours = [r for r in rules if r.key == an.KEY]
        assert len(ours) == 1
        assert {42, 43, 49, 59, 288, 322} == set(ours[0].syscalls)
        assert (an.AUDIT_PID, an.AUDIT_NOT_EQUAL, os.getpid()) in ours[0].fields
        s.poll(0.01)
    status, rules = audit_state()
    assert rules == before[1]
    assert not [r for r in rules if r.key == an.KEY]
    assert status.pid == 0 and status.enabled == before[0].enabled
    assert status.backlog_limit == before[0].backlog_limit
    assert status.backlog_wait_time == before[0].backlog_wait_time


def test_rules_left_by_a_crashed_run_are_removed(before: object) -> None:
    leftover = an.Rule((59,), ((an.AUDIT_ARCH, an.AUDIT_EQUAL, an.AUDIT_ARCH_X86_64),), an.KEY)
    with an.AuditControl() as ctl:
        ctl.add_rule(leftover)
        assert len(ctl.rules_with_key()) == 1
    source = AuditSource(ContextCache(), frozenset({"execve"}))
    source.start()
    source.stop()
    with an.AuditControl() as ctl:
        assert ctl.rules_with_key() == []


OTHER_DAEMON = """
import os, sys
from mamori.sensor.fallback import audit_netlink as an, netlink
sock = netlink.open_socket(an.NETLINK_AUDIT, 0)
an.exchange(sock, 1, an.AUDIT_SET, an.pack_status(an.STATUS_PID, pid=os.getpid()), 2.0)
print("registered", flush=True)
sys.stdin.read()
an.exchange(sock, 2, an.AUDIT_SET, an.pack_status(an.STATUS_PID, pid=0), 2.0)
"""


def test_an_audit_daemon_in_place_is_left_alone(before: object) -> None:
    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_DAEMON], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert other.stdout is not None and other.stdout.readline() == "registered\n"
        with pytest.raises(AuditUnavailableError, match=f"pid {other.pid}"):
            AuditSource(ContextCache(), frozenset({"execve"})).start()
        with FallbackSensor(["execve", "procexit"], sources=("audit", "proc")) as s:
            assert [x.name for x in s.running] == ["proc connector"]
            assert f"pid {other.pid}" in s.skipped["audit"]
        status, rules = audit_state()
        assert status.pid == other.pid and not [r for r in rules if r.key == an.KEY]
    finally:
        other.communicate("", timeout=10)
    assert audit_state()[0].pid == 0
