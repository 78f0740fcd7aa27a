"""Helpers shared by tests: locating ../shared and skipping (or failing in CI) on absence."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MAMORI_SHARED", ROOT.parent / "shared"))
CACHE = Path(os.environ.get("MAMORI_TEST_CACHE", ROOT / ".cache" / "tests"))
IN_CI = bool(os.environ.get("CI"))


def need(condition: bool, reason: str) -> None:
    """Skip with `reason` when `condition` is false; in CI the test fails instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def need_shared(relative: str) -> Path:
    path = SHARED / relative
    need(path.exists(), f"{path} is absent (the project's shared data)")
    return path


def need_tool(name: str) -> str:
    found = shutil.which(name)
    need(found is not None, f"{name} is not installed (scripts/test-deps installs it as root)")
    assert found is not None
    return found


def oracle_tool(name: str, why: str) -> str:
    """An oracle binary the project's scripts cannot install (not in Debian's archive or
    PyPI): the test skips without it, in CI too, saying so."""
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed and no package registry here has it ({why})")
    return found


def need_root() -> None:
    need(os.geteuid() == 0, "needs root")


@contextmanager
def kernel_audit() -> Iterator[None]:
    """Hold the kernel's one audit socket for this test process: the tests that register
    as the audit daemon run one at a time across xdist workers (a file lock, since
    another worker owning the socket makes the audit source refuse to start)."""
    lock_dir = ROOT / ".cache" / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / "kernel-audit.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
