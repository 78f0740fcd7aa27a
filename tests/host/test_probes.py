from __future__ import annotations

import os
import socket
from pathlib import Path

from mamori.host import probes
from tests.support import need_root


def test_every_probe_answers_with_a_reason() -> None:
    results = probes.run_all()
    assert len(results) == len(probes.ALL_PROBES)
    for r in results:
        assert r.detail, r


def test_btf_probe_matches_the_file() -> None:
    assert probes.probe_btf().available == Path("/sys/kernel/btf/vmlinux").exists()


def test_bpf_load_as_root() -> None:
    need_root()
    # The kernels this project targets all allow socket filters for root.
    assert probes.probe_bpf_load().available


def test_proc_connector_probe_agrees_with_a_real_bind() -> None:
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, probes.NETLINK_CONNECTOR)
    try:
        sock.bind((os.getpid(), probes.CN_IDX_PROC))
        expected = True
    except OSError:
        expected = False
    finally:
        sock.close()
    assert probes.probe_proc_connector().available == expected
