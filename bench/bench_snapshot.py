"""Benchmark of the start-up thread snapshot, as root: BPF task iterator vs /proc.

Times, per full snapshot of this host (median of --reps, runs interleaved):

- iter (kernel part): load + verify snapshot.bpf.o, attach, read and decode every task;
- iter (full): the above plus argv/env/cwd/root/exe path/cgroup paths from /proc per
  process, i.e. what ``snapshot_threads`` gives the agent;
- proc: ``proc_threads``, everything from /proc (about fifteen files per process and one
  per thread).

With ``--processes N --threads M`` it first starts N ``sleep`` processes and one process
with M idle threads, to see how each way scales on a busier host (all killed at the end).

    sudo .venv/bin/python bench/bench_snapshot.py [--reps 7] [--processes 500 --threads 2000]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sized
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mamori.sensor.snapshot import proc_threads  # noqa: E402
from mamori.sensor.snapshot_iter import iter_threads, read_tasks  # noqa: E402


def _time(fn: Callable[[], Sized]) -> tuple[float, int]:
    gc.collect()
    start = time.perf_counter()
    n = len(fn())
    return time.perf_counter() - start, n


_THREADS = """
import sys, threading
stop = threading.Event()
for _ in range(int(sys.argv[1])):
    threading.Thread(target=stop.wait, daemon=True).start()
print("ready", flush=True)
sys.stdin.read()
"""


def _load(processes: int, threads: int) -> list[subprocess.Popen[bytes]]:
    """Idle processes and threads that make the host look busier."""
    procs = [subprocess.Popen(["sleep", "600"]) for _ in range(processes)]
    if threads:
        many = subprocess.Popen(
            [sys.executable, "-c", _THREADS, str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert many.stdout is not None
        many.stdout.readline()
        procs.append(many)
    return procs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--processes", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_snapshot: needs root", file=sys.stderr)
        return 2
    load = _load(args.processes, args.threads)
    try:
        return _run(args.reps)
    finally:
        for proc in load:
            proc.kill()
            proc.wait()


def _run(reps: int) -> int:
    runs: dict[str, list[float]] = {"iter_kernel": [], "iter_full": [], "proc": []}
    counts: dict[str, int] = {}
    fns: dict[str, Callable[[], Sized]] = {
        "iter_kernel": read_tasks,
        "iter_full": iter_threads,
        "proc": proc_threads,
    }
    iter_threads()  # warm the page cache and imports once
    proc_threads()
    for _ in range(reps):
        for name, fn in fns.items():
            seconds, n = _time(fn)
            runs[name].append(seconds)
            counts[name] = n
    result = {
        "threads": counts,
        "median_ms": {k: round(statistics.median(v) * 1000, 1) for k, v in runs.items()},
        "min_ms": {k: round(min(v) * 1000, 1) for k, v in runs.items()},
        "speedup_full_vs_proc": round(
            statistics.median(runs["proc"]) / statistics.median(runs["iter_full"]), 2
        ),
        "loadavg": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
