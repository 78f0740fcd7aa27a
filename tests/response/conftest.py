"""Shared pieces of the response tests: a synthetic alert, a throwaway cgroup, a tmpfs."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mamori.alerts import Alert
from mamori.response.container import unified_root
from mamori.rules import Priority
from tests.support import need, need_root

RULE = "Test response rule"


def alert(rule: str = RULE, tags: tuple[str, ...] = ("mamori_test",), ts: int = 0) -> Alert:
    return Alert(ts=ts or time.time_ns(), rule=rule, priority=Priority.WARNING,
                 output="synthetic", source="syscall", tags=tags)  # fmt: skip


@pytest.fixture
def cgroup() -> Iterator[Path]:
    """A fresh cgroup v2 directory, emptied and removed afterwards."""
    need_root()
    root = unified_root()
    need((root / "cgroup.procs").exists(), "no cgroup v2 hierarchy")
    path = root / f"mamori-response-test-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            (path / "cgroup.kill").write_text("1")
        for _ in range(100):
            try:
                path.rmdir()
                break
            except OSError:
                time.sleep(0.02)


@pytest.fixture
def tmpfs() -> Iterator[Path]:
    """A small tmpfs mounted for the test (its own mount: marks on it touch nothing else)."""
    need_root()
    where = Path(tempfile.mkdtemp(prefix="mamori-resp-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m,mode=0755", "mamori-test", where],
                   check=True)  # fmt: skip
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", where], check=False)
        with contextlib.suppress(OSError):
            os.rmdir(where)
