"""The configuration scans leave without the interpreter's teardown (cli/_exit.py):
what they print or write must still be complete, the exit status right, and the
atexit handlers run; with another thread alive the normal exit is kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

MAMORI = ROOT / ".venv" / "bin" / "mamori"
FIXTURE = ROOT / "tests" / "workload" / "dockerfile" / "fixtures" / "dockerfile_user_not_root"


def test_scan_output_complete_through_a_pipe_and_status_kept() -> None:
    target = FIXTURE / "fail.Dockerfile"
    done = subprocess.run([MAMORI, "scan", "dockerfile", str(target), "-f", "json"],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)  # the whole document reached the pipe
    assert any(f["rule_id"] == "dockerfile_user_not_root" for f in report["findings"])
    failing = subprocess.run(
        [MAMORI, "scan", "dockerfile", str(target), "-f", "json", "--fail-on", "low"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert failing.returncode == 1 and json.loads(failing.stdout) is not None


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = (
        "import atexit, pathlib, sys, threading, time\n"
        "from mamori.cli._exit import allow_fast_exit, exit_now\n"
        f"mark = pathlib.Path({str(tmp_path / 'atexit')!r})\n"
        "atexit.register(mark.write_text, 'ran')\n"
        "sys.stdout.write('buffered, not flushed')\n" + code
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


def test_exit_now_flushes_runs_atexit_and_keeps_the_status(tmp_path: Path) -> None:
    done = _run("allow_fast_exit()\nexit_now(3)\nprint('not reached')\n", tmp_path)
    assert done.returncode == 3 and done.stdout == "buffered, not flushed"
    assert (tmp_path / "atexit").read_text() == "ran"


def test_exit_now_returns_when_not_allowed_or_unsafe(tmp_path: Path) -> None:
    for code in (
        "exit_now(0)\nprint(' and went on')\n",  # not allowed
        "allow_fast_exit()\nexit_now('a message')\nprint(' and went on')\n",  # not an int
        "allow_fast_exit()\nt = threading.Thread(target=time.sleep, args=(0.5,))\nt.start()\n"
        "exit_now(0)\nprint(' and went on')\n",  # another thread alive
    ):
        done = _run(code, tmp_path)
        assert done.returncode == 0 and done.stdout.endswith(" and went on\n"), done


def test_gc_tuning_only_in_the_commands_own_process(tmp_path: Path) -> None:
    import gc

    from mamori.cli._exit import tune_for_batch

    before = gc.get_threshold()
    tune_for_batch()  # under pytest: not the command's own process
    assert gc.get_threshold() == before
    done = _run(
        "import gc\nfrom mamori.cli._exit import own_process, tune_for_batch\n"
        "own_process()\ntune_for_batch()\n"
        "print('', gc.get_threshold()[0], gc.get_freeze_count() > 0)\n",
        tmp_path,
    )
    assert done.stdout.endswith(" 20000 True\n"), done
