"""Host hardening scan time: `mamori scan host --hardening /` against Lynis on this machine.

Runs, in the same invocation and one after the other (median of --runs each):

- `mamori scan host --hardening / -f json` (live: /proc, the mount table, running programs) and
  `mamori scan host --hardening <rootfs> -f json` on the bookworm rootfs the tests build, if present
  (directory mode: the agentless way);
- `lynis audit system --quick --no-colors`, when Lynis is installed (Debian `lynis`; this
  script never installs it: it says so and goes on).

Reported per tool: wall time, peak memory of the whole process tree (RSS of the command
and every descendant summed, sampled every 10 ms from /proc; Lynis is a shell script that
forks thousands of short processes, so the largest single process says little), and what
was judged (mamori: checks and verdicts; Lynis: tests performed and hardening index).

    .venv/bin/python bench/bench_host.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAMORI = ROOT / ".venv" / "bin" / "mamori"
ROOTFS = ROOT / ".cache" / "tests" / "bookworm-rootfs"
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    seconds: float
    peak_mb: float
    stdout: str
    returncode: int


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found  # exited meanwhile
    for task in tasks:
        try:
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def _tree_rss(pid: int) -> int:
    total, stack, seen = 0, [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        stack += _children(current)
    return total


def measure(cmd: list[str]) -> Run:
    env = {**os.environ, "TMPDIR": str(ROOT / ".cache" / "tmp"), "COLUMNS": "200"}
    out_path = ROOT / ".cache" / "tmp" / f"bench-host-{os.getpid()}.out"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with out_path.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.01)
    seconds = time.perf_counter() - start
    text = out_path.read_text(errors="replace")
    out_path.unlink(missing_ok=True)
    return Run(seconds, peak / 2**20, text, proc.returncode)


def median(cmd: list[str], runs: int) -> tuple[float, float, Run]:
    done = [measure(cmd) for _ in range(runs)]
    return (
        statistics.median(r.seconds for r in done),
        max(r.peak_mb for r in done),
        done[-1],
    )


def mamori_summary(run: Run) -> str:
    stats = json.loads(run.stdout)["stats"]
    return (
        f"{int(stats['checks'])} checks: {int(stats['results_pass'])} pass, "
        f"{int(stats['results_fail'])} fail, {int(stats['results_not_applicable'])} n/a, "
        f"{int(stats['results_error'])} errors"
    )


def lynis_summary(run: Run) -> str:
    tests = re.search(r"Tests performed\s*:\s*(\d+)", run.stdout)
    index = re.search(r"Hardening index\s*:\s*(\d+)", run.stdout)
    warnings = re.search(r"Warnings \((\d+)\)", run.stdout)
    suggestions = re.search(r"Suggestions \((\d+)\)", run.stdout)
    parts = []
    if tests:
        parts.append(f"{tests.group(1)} tests")
    if index:
        parts.append(f"hardening index {index.group(1)}")
    if warnings:
        parts.append(f"{warnings.group(1)} warnings")
    if suggestions:
        parts.append(f"{suggestions.group(1)} suggestions")
    return ", ".join(parts) or f"exit {run.returncode}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, float, float, str]] = []
    cmd = [str(MAMORI), "scan", "host", "--hardening", "/", "-f", "json"]
    measure(cmd)  # warm the page cache for both tools alike: the walk reads /usr
    seconds, peak, last = median(cmd, args.runs)
    rows.append(("mamori scan host / (live)", seconds, peak, mamori_summary(last)))
    if ROOTFS.is_dir():
        cmd = [str(MAMORI), "scan", "host", "--hardening", str(ROOTFS), "-f", "json"]
        seconds, peak, last = median(cmd, args.runs)
        rows.append(("mamori scan host <bookworm rootfs>", seconds, peak, mamori_summary(last)))
    lynis = shutil.which("lynis")
    if lynis is None:
        print(
            "Lynis is not installed (Debian package `lynis`); only mamori was timed.",
            file=sys.stderr,
        )
    else:
        cmd = [lynis, "audit", "system", "--quick", "--no-colors"]
        seconds, peak, last = median(cmd, args.runs)
        rows.append(("lynis audit system --quick", seconds, peak, lynis_summary(last)))
    print(f"median of {args.runs} runs, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print("| run | wall (s) | peak RSS, process tree (MB) | judged |")
    print("|---|---|---|---|")
    for name, secs, mb, what in rows:
        print(f"| {name} | {secs:.2f} | {mb:.0f} | {what} |")
    if lynis is not None and len(rows) >= 2:
        print(f"mamori (live) is {rows[-1][1] / rows[0][1]:.1f}x faster than Lynis")


if __name__ == "__main__":
    main()
