"""Connect deny in a throwaway cgroup: a process in it gets EPERM connecting to a denied
loopback port while another port works; the same connects from outside the cgroup work;
wildcards (any port of an address, a port on any address) and IPv6 / IPv4-mapped
destinations are matched; after stop nothing is denied. The oracle is connect()'s
own result in a child process moved into the cgroup before it connects."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.response.connect_deny import OBJECT, ConnectDeny
from tests.support import need

pytestmark = pytest.mark.root

PROBE = """
import json, socket, sys
out = {}
for spec in json.loads(sys.argv[1]):
    family, addr, port = spec
    s = socket.socket(socket.AF_INET6 if family == 6 else socket.AF_INET)
    s.settimeout(5)
    try:
        s.connect((addr, port))
        out[f"{addr}:{port}"] = "ok"
    except OSError as exc:
        out[f"{addr}:{port}"] = exc.errno
    finally:
        s.close()
print(json.dumps(out))
"""


def _probe(targets: list[tuple[int, str, int]], cgroup: Path | None) -> dict[str, object]:
    cmd = [sys.executable, "-c", PROBE, json.dumps(targets)]
    if cgroup is not None:  # the shell moves itself in, then becomes the probe
        cmd = ["sh", "-c", f'echo $$ > {cgroup}/cgroup.procs && exec "$@"', "sh", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True)
    result: dict[str, object] = json.loads(done.stdout)
    return result


@pytest.fixture
def listeners() -> Iterator[list[int]]:
    """Three IPv4 loopback ports and one IPv6 loopback port, listening."""
    socks = []
    for family, addr in ((socket.AF_INET, "127.0.0.1"),) * 3 + ((socket.AF_INET6, "::1"),):
        s = socket.socket(family)
        s.bind((addr, 0))
        s.listen(16)
        socks.append(s)
    yield [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()


def test_denied_in_the_cgroup_only(cgroup: Path, listeners: list[int]) -> None:
    need(OBJECT.exists(), "connect_deny.bpf.o is not built (scripts/build-bpf-response)")
    p1, p2, p3, p6 = listeners
    targets = [(4, "127.0.0.1", p1), (4, "127.0.0.1", p2), (4, "127.0.0.1", p3),
               (6, "::1", p6), (6, "::ffff:127.0.0.1", p1)]  # fmt: skip
    with ConnectDeny(cgroup) as deny:
        deny.deny("127.0.0.1", p1)
        deny.deny(None, p3)  # any address
        deny.deny("::1", 0)  # any port
        inside = _probe(targets, cgroup)
        outside = _probe(targets, None)
        denied = deny.denied()
    assert inside == {
        f"127.0.0.1:{p1}": 1, f"127.0.0.1:{p2}": "ok", f"127.0.0.1:{p3}": 1,
        f"::1:{p6}": 1, f"::ffff:127.0.0.1:{p1}": 1,  # IPv4-mapped: the IPv4 entry holds
    }  # fmt: skip
    assert set(outside.values()) == {"ok"}
    assert denied == 4
    assert set(_probe(targets, cgroup).values()) == {"ok"}  # detached on stop


def test_allow_removes_an_entry(cgroup: Path, listeners: list[int]) -> None:
    need(OBJECT.exists(), "connect_deny.bpf.o is not built (scripts/build-bpf-response)")
    port = listeners[0]
    with ConnectDeny(cgroup) as deny:
        deny.deny("127.0.0.1", port)
        assert _probe([(4, "127.0.0.1", port)], cgroup) == {f"127.0.0.1:{port}": 1}
        deny.allow("127.0.0.1", port)
        assert _probe([(4, "127.0.0.1", port)], cgroup) == {f"127.0.0.1:{port}": "ok"}
        with pytest.raises(ValueError):
            deny.deny(None, 0)


def test_not_a_cgroup(tmp_path: Path) -> None:
    need(OBJECT.exists(), "connect_deny.bpf.o is not built (scripts/build-bpf-response)")
    from mamori.sensor._libbpf import BpfError

    with pytest.raises(BpfError, match="not a cgroup"):
        ConnectDeny(tmp_path).start()


def test_policy_cgroup_names() -> None:
    from mamori.response.container import cgroup_dir, unified_root

    assert cgroup_dir("/system.slice/web.service") == unified_root() / "system.slice/web.service"
    assert cgroup_dir("system.slice/web.service") == unified_root() / "system.slice/web.service"
    assert cgroup_dir("/sys/fs/cgroup/unified/x") == Path("/sys/fs/cgroup/unified/x")
