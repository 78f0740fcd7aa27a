"""The fanotify source on the real kernel: the files a process opened, how (read, write,
exec), their inodes, and no event fd ever left open."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.runtime.flags import render
from mamori.sensor.fallback import FallbackSensor
from mamori.sensor.fallback.fanotify import FMODE_EXEC
from tests.sensor.test_fallback_helpers import fd_count, run_seen
from tests.support import need_root

pytestmark = [pytest.mark.root]

FILES = """
import os, sys
d = sys.argv[1]
with open(os.path.join(d, "written.txt"), "w") as fh:
    fh.write("x")
with open(os.path.join(d, "read.txt")) as fh:
    fh.read()
fd = os.open(os.path.join(d, "opened-only.txt"), os.O_WRONLY)
os.close(fd)
"""


@pytest.fixture(scope="module")
def sensor() -> Iterator[FallbackSensor]:
    need_root()
    with FallbackSensor(["openat"], sources=("fanotify",), reorder=0.05) as s:
        assert [x.name for x in s.running] == ["fanotify"], s.skipped
        yield s


def test_opens_with_approximate_flags_and_inodes(sensor: FallbackSensor, tmp_path: Path) -> None:
    (tmp_path / "read.txt").write_text("r")
    (tmp_path / "opened-only.txt").write_text("")
    seen, done = run_seen(sensor, [sys.executable, "-c", FILES, str(tmp_path)])
    assert done.returncode == 0, done.stderr
    opens = {e.params["name"]: e for e in seen.of("openat", seen.root)}
    written = opens[str(tmp_path / "written.txt")].params
    assert render("file", written["flags"]) == "O_WRONLY"  # Falco's encoding
    assert written["ino"] == os.stat(tmp_path / "written.txt").st_ino
    assert written["dev"] == os.stat(tmp_path / "written.txt").st_dev
    assert "fd" not in written  # fanotify cannot know the caller's fd number
    assert render("file", opens[str(tmp_path / "read.txt")].params["flags"]) == "O_RDONLY"
    # opened for writing, closed without a write: FAN_CLOSE_WRITE still says "write"
    assert render("file", opens[str(tmp_path / "opened-only.txt")].params["flags"]) == "O_WRONLY"
    python = os.path.realpath(sys.executable)
    exec_flags = opens[python].params["flags"]
    assert exec_flags & FMODE_EXEC and render("file", exec_flags) == "O_RDONLY"
    ev = opens[str(tmp_path / "written.txt")]
    assert ev.tid == seen.root and ev.dir == "<"


def test_exec_opens_name_the_binary_and_its_interpreter(sensor: FallbackSensor) -> None:
    true = shutil.which("true")
    assert true is not None
    seen, done = run_seen(sensor, [true])
    assert done.returncode == 0
    execs = [e.params["name"] for e in seen.of("openat") if e.params["flags"] & FMODE_EXEC]
    assert execs[0] == os.path.realpath(true)
    assert any("ld-linux" in str(n) for n in execs[1:])


def test_an_open_held_past_the_hold_time_has_unknown_flags(
    sensor: FallbackSensor, tmp_path: Path
) -> None:
    (tmp_path / "held.txt").write_text("h")
    script = f"import time; fh = open({str(tmp_path / 'held.txt')!r}); time.sleep(1.2)"
    seen, done = run_seen(sensor, [sys.executable, "-c", script])
    assert done.returncode == 0
    held = [e for e in seen.of("openat") if e.params["name"] == str(tmp_path / "held.txt")]
    assert len(held) == 1 and "flags" not in held[0].params


def test_no_event_fd_leaks(sensor: FallbackSensor, tmp_path: Path) -> None:
    before = fd_count()
    script = (
        "import os, sys\n"
        "for i in range(300):\n"
        "    with open(os.path.join(sys.argv[1], f'f{i}'), 'w') as fh: fh.write('x')\n"
    )
    seen, done = run_seen(sensor, [sys.executable, "-c", script, str(tmp_path)])
    assert done.returncode == 0
    names = {e.params["name"] for e in seen.of("openat", seen.root)}
    assert {str(tmp_path / f"f{i}") for i in range(300)} <= names
    assert fd_count() == before


def test_stop_closes_the_group_fd(tmp_path: Path) -> None:
    need_root()
    before = fd_count()
    with FallbackSensor(["openat"], sources=("fanotify",), paths=(str(tmp_path),)) as s:
        assert fd_count() == before + 1
        (tmp_path / "a").write_text("a")
        s.poll(0.1)
    assert fd_count() == before
