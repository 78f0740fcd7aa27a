"""``kill_container`` on kernels without ``cgroup.kill`` (before 5.14): pidfd SIGKILL
per pid of ``cgroup.procs``, in rounds, until a throwaway cgroup is empty."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from mamori.response.container import _kill_rounds, _populated, _procs

pytestmark = pytest.mark.root


def test_the_pre_cgroup_kill_fallback_empties_a_cgroup(cgroup: Path) -> None:
    """``kill_container`` without ``cgroup.kill`` (kernels before 5.14): pidfd SIGKILL
    per pid of ``cgroup.procs``, in rounds, until the cgroup is empty."""
    script = f"echo $$ > {cgroup}/cgroup.procs && sleep 60 & sleep 60 & wait"
    proc = subprocess.Popen(["sh", "-c", f"echo $$ > {cgroup}/cgroup.procs; {script}"])
    try:
        deadline = time.monotonic() + 5
        while len(_procs(cgroup)) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(_procs(cgroup)) >= 3
        _kill_rounds(cgroup)
        assert proc.wait(5) == -9
        deadline = time.monotonic() + 3
        while _populated(cgroup) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _procs(cgroup) == [] and not _populated(cgroup)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
