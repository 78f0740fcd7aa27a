"""Safe file reading for protection: no symlink is followed below a root, special files
never block, sizes are bounded. The oracle is hashlib over the bytes the test wrote."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mamori.protect.hashing import read_file, state_under


def test_a_regular_file_is_hashed_with_its_metadata(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    f = tmp_path / "etc" / "passwd"
    f.write_bytes(b"root:x:0:0::/root:/bin/sh\n")
    f.chmod(0o640)
    state = state_under(str(tmp_path), "/etc/passwd")
    assert state.kind == "file"
    assert state.sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert state.mode & 0o7777 == 0o640 and state.size == f.stat().st_size
    assert state.key == (f.stat().st_dev, f.stat().st_ino, f.stat().st_mtime_ns, state.size)
    assert read_file(str(tmp_path), "/etc/passwd") == f.read_bytes()


def test_no_symlink_is_followed_out_of_the_root(tmp_path: Path) -> None:
    """A container whose /etc points at the host's /etc must not make the walk read
    the host's files; neither may a final-component symlink."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("host secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "etc").symlink_to(outside)
    assert state_under(str(root), "/etc/passwd").kind == "symlink"
    assert read_file(str(root), "/etc/passwd") is None
    (root / "shadow").symlink_to(outside / "passwd")
    state = state_under(str(root), "/shadow")
    assert state.kind == "symlink" and state.sha256 is None
    assert read_file(str(root), "/shadow") is None
    assert state_under(str(root), "/../outside/passwd").kind == "unreadable"


def test_special_files_never_block_and_sizes_are_bounded(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    assert state_under(str(tmp_path), "/fifo").kind == "other"  # opened O_NONBLOCK
    assert read_file(str(tmp_path), "/fifo") is None
    (tmp_path / "big").write_bytes(b"x" * 5000)
    big = state_under(str(tmp_path), "/big", max_bytes=4096)
    assert big.kind == "file" and big.sha256 is None and big.size == 5000
    assert read_file(str(tmp_path), "/big", max_bytes=4096) is None
    assert state_under(str(tmp_path), "/missing").kind == "absent"
    assert state_under(str(tmp_path), "/missing/deeper").kind == "absent"
    assert state_under(str(tmp_path), "/").kind == "unreadable"


def test_a_magic_link_is_followed_only_when_asked() -> None:
    exe = os.path.realpath(f"/proc/{os.getpid()}/exe")
    state = state_under(None, f"/proc/{os.getpid()}/exe")
    assert state.kind == "file" and state.ino == os.stat(exe).st_ino
    assert state_under("/", f"/proc/{os.getpid()}/exe").kind == "symlink"


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="/.ab\0x", max_size=30))
def test_any_path_gives_a_state_never_an_exception(
    tmp_path_factory: pytest.TempPathFactory, path: str
) -> None:
    root = tmp_path_factory.getbasetemp() / "fuzz-root"
    (root / "a").mkdir(parents=True, exist_ok=True)
    (root / "a" / "b").write_text("x")
    if not (root / "x").is_symlink():
        (root / "x").symlink_to("/etc")
    state = state_under(str(root), path)
    assert state.kind in {"absent", "unreadable", "file", "dir", "symlink"}
    assert read_file(str(root), path) in (None, b"x")
