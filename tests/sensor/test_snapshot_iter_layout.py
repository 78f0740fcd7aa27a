"""The start-up snapshot's choice (iterator or /proc) and the iterator's record layout:
REC against the compiler's own layout (DWARF of snapshot.bpf.o), and the decoder under
fuzzing. The live comparisons are in test_snapshot_iter.py."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.sensor.snapshot import last_snapshot, snapshot_threads
from mamori.sensor.snapshot_iter import (
    REC,
    IterUnavailableError,
    _proc_details,
    decode_records,
    object_path,
    read_tasks,
)
from tests.sensor.conftest import need_sensor
from tests.support import need, need_tool


@pytest.fixture(scope="module")
def built() -> Path:
    need_sensor()  # root, BTF, clang, bpftool; runs scripts/build-bpf
    need(object_path().is_file(), "snapshot.bpf.o was not built")
    return object_path()


def test_snapshot_threads_chooses_and_reports(
    built: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    threads = snapshot_threads()
    report = last_snapshot()
    assert report is not None and report.method == "iter" and report.reason == ""
    assert report.threads == len(threads) and "BPF task iterator" in report.describe()
    assert os.getpid() in {t.tid for t in threads}
    monkeypatch.setenv("MAMORI_SNAPSHOT_OBJECT", str(tmp_path / "absent.bpf.o"))
    threads = snapshot_threads()
    report = last_snapshot()
    assert report is not None and report.method == "proc" and "not built" in report.reason
    assert os.getpid() in {t.tid for t in threads}
    with pytest.raises(IterUnavailableError):
        snapshot_threads(method="iter")
    monkeypatch.delenv("MAMORI_SNAPSHOT_OBJECT")
    monkeypatch.setenv("MAMORI_SNAPSHOT", "proc")
    snapshot_threads()
    report = last_snapshot()
    assert report is not None and report.method == "proc" and report.reason == "asked for"
    monkeypatch.setenv("MAMORI_SNAPSHOT", "bogus")  # a bad setting never stops the agent
    snapshot_threads()
    report = last_snapshot()
    assert report is not None and report.method == "iter"
    with pytest.raises(ValueError):
        snapshot_threads(method="bogus")


_C_FIELDS = [
    "size", "tid", "pid", "ptid", "uid", "gid", "euid", "egid", "loginuid", "sessionid",
    "pidns", "mntns", "netns", "vtid", "vpid", "vpgid", "sid", "tty", "flags", "exe_dev",
    "pidns_level", "pad", "start_boottime", "cgroup_id", "exe_ino", "cap_inheritable",
    "cap_permitted", "cap_effective", "fdlimit", "pidns_init_start_ts", "comm",
]  # fmt: skip


def test_record_layout_matches_the_objects_debug_info(built: Path) -> None:
    """REC's offsets against the compiler's own layout of struct snap_rec (DWARF)."""
    tool = need_tool("llvm-dwarfdump")
    dump = subprocess.run(
        [tool, "--name=snap_rec", "--show-children", str(built)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    size = re.search(r"DW_AT_byte_size\s+\((0x[0-9a-f]+)\)", dump)
    assert size is not None and int(size.group(1), 16) == REC.size
    members, name = [], ""
    for line in dump.splitlines():
        if m := re.search(r'DW_AT_name\s+\("(\w+)"\)', line):
            name = m.group(1)
        elif m := re.search(r"DW_AT_data_member_location\s+\((0x[0-9a-f]+)\)", line):
            members.append((name, m.group(1)))
    offsets = [4 * i for i in range(22)] + [88 + 8 * i for i in range(8)] + [152]
    assert [(n, int(o, 16)) for n, o in members] == list(zip(_C_FIELDS, offsets, strict=True))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4 * REC.size + 7))
def test_decode_never_raises(data: bytes) -> None:
    records, malformed = decode_records(data)
    assert len(records) * REC.size + malformed == len(data)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**64 - 1), st.binary(max_size=16)),
        max_size=4,
    )
)
def test_decode_round_trip(rows: list[tuple[int, int, bytes]]) -> None:
    data = b"".join(
        REC.pack(REC.size, *([u32] * 18), 0x12345, 0, 0, *([u64] * 8), comm)
        for u32, u64, comm in rows
    )
    records, malformed = decode_records(data + b"\x01\x02")
    assert malformed == 2 and len(records) == len(rows)
    for rec, (u32, u64, comm) in zip(records, rows, strict=True):
        assert rec.tid == rec.sid == rec.flags == u32
        assert rec.start_boottime == rec.pidns_init_start_ts == u64
        assert rec.exe_dev == os.makedev(0, 0x12345)
        assert rec.comm == comm.split(b"\0")[0].decode("utf-8", "replace")


def test_a_record_of_another_layout_stops_decoding() -> None:
    good = REC.pack(REC.size, *([7] * 21), *([0] * 8), b"x")
    bad = REC.pack(REC.size + 8, *([7] * 21), *([0] * 8), b"x")
    records, malformed = decode_records(good + bad + good)
    assert len(records) == 1 and malformed == 2 * REC.size
    with pytest.raises(IterUnavailableError):
        read_tasks(Path("/nonexistent/snapshot.bpf.o"))


def test_what_proc_could_not_give_is_marked(built: Path) -> None:
    """A process gone after the walk, and a pid reused since (another start time), get
    nothing from /proc and say so; a live one gets everything."""
    mine = next(r for r in read_tasks(built) if r.tid == os.getpid())
    gone = dataclasses.replace(mine, tid=10**7, pid=10**7)  # above any pid_max
    reused = dataclasses.replace(mine, start_boottime=mine.start_boottime + 10**10)
    ticks = os.sysconf("SC_CLK_TCK")
    everything = ("args", "env", "exepath", "cwd", "root", "cgroups")
    for rec in (gone, reused):
        details = _proc_details(rec, ticks)
        assert details.unread == everything and details.argv == () and details.cwd == ""
    details = _proc_details(mine, ticks)
    assert details.unread == () and details.cwd == os.getcwd()
    assert details.argv == tuple(Path("/proc/self/cmdline").read_bytes().decode().split("\0")[:-1])
