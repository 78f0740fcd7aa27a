from __future__ import annotations

import os
from pathlib import Path

import pytest

from mamori.sources import DirectoryTree, EntryKind, TreeError, normalize


def make_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('ID=debian\nVERSION_ID="12"\n')
    (root / "usr" / "lib").mkdir(parents=True)
    (root / "usr" / "lib" / "real").write_text("inside")
    # An absolute link: must resolve relative to the root, not the host.
    os.symlink("/usr/lib/real", root / "etc" / "abs-link")
    os.symlink("../usr/lib/real", root / "etc" / "rel-link")
    # Links that try to leave the root.
    outside = tmp_path / "outside-secret"
    outside.write_text("secret")
    os.symlink(str(outside), root / "etc" / "escape-abs")
    os.symlink("../../../../../../" + str(outside), root / "etc" / "escape-rel")
    os.symlink("loop-b", root / "etc" / "loop-a")
    os.symlink("loop-a", root / "etc" / "loop-b")
    return root


def test_normalize_never_climbs_above_root() -> None:
    assert normalize("/../../etc/./passwd") == "/etc/passwd"
    assert normalize("a/b/../c") == "/a/c"
    assert normalize("") == "/"


def test_symlinks_resolve_inside_root(tmp_path: Path) -> None:
    tree = DirectoryTree(make_root(tmp_path))
    assert tree.read_text("/etc/abs-link") == "inside"
    assert tree.read_text("/etc/rel-link") == "inside"


def test_symlinks_never_leave_root(tmp_path: Path) -> None:
    tree = DirectoryTree(make_root(tmp_path))
    for link in ("/etc/escape-abs", "/etc/escape-rel"):
        with pytest.raises(TreeError):
            tree.read_text(link)
        resolved = tree.resolve(link)
        assert resolved is None or not resolved.startswith(str(tmp_path))


def test_symlink_loops_end(tmp_path: Path) -> None:
    tree = DirectoryTree(make_root(tmp_path))
    assert tree.resolve("/etc/loop-a") is None
    with pytest.raises(TreeError):
        tree.read_bytes("/etc/loop-a")


def test_walk_lists_links_without_following(tmp_path: Path) -> None:
    tree = DirectoryTree(make_root(tmp_path))
    entries = {e.path: e for e in tree.walk()}
    assert entries["/etc/abs-link"].kind is EntryKind.SYMLINK
    assert entries["/etc/abs-link"].link == "/usr/lib/real"
    assert entries["/usr/lib/real"].kind is EntryKind.FILE
    assert all(not p.startswith(str(tmp_path)) for p in entries)


def test_read_limit(tmp_path: Path) -> None:
    tree = DirectoryTree(make_root(tmp_path))
    with pytest.raises(TreeError, match="limit"):
        tree.read_bytes("/usr/lib/real", limit=3)


def test_nul_bytes_are_missing_paths_not_crashes(tmp_path: Path) -> None:
    tree = DirectoryTree(make_root(tmp_path))
    assert tree.lstat("/etc/os-release\0x") is None
    assert tree.resolve("/etc\0/os-release") is None
    with pytest.raises(TreeError):
        tree.read_bytes("/etc/os-release\0")
