"""Detection latency and agent cost with mamori's default ruleset, on the real kernel.

A realistic workload (the C project of bench_sensor built with ``make -j2`` in a loop)
runs while a trigger process reads /etc/shadow every ``--interval`` seconds (the default
rule "Shadow password file read" fires on it). The agent (eBPF sensor -> state engine
-> `RuleAlerts` with the default ruleset: exactly what ``mamori agent`` runs) runs in
this process, its alert sink recording when each alert was emitted. For each trigger
the latency is the time from the syscall (the kernel's event timestamp) to the alert's
emission. Also printed: agent CPU% and RSS, events/s
through the rules, drops, and the alerts raised by anything other than the triggers
(false positives of the default rules on a build).

    sudo .venv/bin/python bench/bench_detect.py [--seconds 30] [--interval 0.2]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sensor import make_project

from mamori.alerts import Alert
from mamori.app.agent import LIFECYCLE_EVENTS, Agent
from mamori.app.agent_alerts import RuleAlerts
from mamori.rules import load_files
from mamori.rules.default import default_rule_files
from mamori.sensor import Sensor

RULE = "Shadow password file read"


def build_loop(proj: Path, stop: threading.Event) -> None:
    while not stop.is_set():
        subprocess.run(["make", "-s", "clean"], cwd=proj, check=True)
        subprocess.run(["make", "-s", "-j2"], cwd=proj, check=True, capture_output=True)


TRIGGER = "mtrigger"  # cat under another name: its alerts are told apart by proc.name


def trigger_loop(interval: float, stop: threading.Event, pids: set[int]) -> None:
    cat = Path(__file__).resolve().parents[1] / ".cache" / "bench" / TRIGGER
    cat.parent.mkdir(parents=True, exist_ok=True)
    if not cat.is_symlink():
        cat.symlink_to("/bin/cat")
    while not stop.is_set():
        proc = subprocess.Popen([str(cat), "/etc/shadow"], stdout=subprocess.DEVNULL)
        pids.add(proc.pid)
        proc.wait()
        stop.wait(interval)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--no-copier", action="store_true", help="drain the ring inline")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_detect needs root", file=sys.stderr)
        return 2
    ruleset = load_files(default_rule_files())
    latencies: list[float] = []
    trigger_pids: set[int] = set()
    seen_pids: set[int] = set()
    others: Counter[str] = Counter()
    matched = [0]

    class Sink:
        """Where `mamori agent` would write alerts: here, the latency of each."""

        def emit(self, alert: Alert) -> None:
            now = time.time_ns()
            matched[0] += 1
            pid, name = alert.fields.get("proc.pid"), alert.fields.get("proc.name")
            if alert.rule == RULE and name == TRIGGER and pid not in seen_pids:
                seen_pids.add(pid)
                latencies.append((now - alert.ts) / 1e6)
            elif name != TRIGGER:
                others[f"{alert.rule} ({name})"] += 1

        def close(self) -> None:
            return None

    types = ruleset.event_types("syscall") | LIFECYCLE_EVENTS
    proj = make_project()
    subprocess.run(["make", "-s", "-j2"], cwd=proj, check=True, capture_output=True)  # warm
    rules = RuleAlerts(ruleset, Sink(), hostname="bench")
    agent = Agent(Sensor(types, copier=not args.no_copier), rules=rules)
    agent.start()
    stop = threading.Event()
    workers = [
        threading.Thread(target=build_loop, args=(proj, stop)),
        threading.Thread(target=trigger_loop, args=(args.interval, stop, trigger_pids)),
    ]
    cpu0, t0 = time.process_time(), time.monotonic()
    for w in workers:
        w.start()
    try:
        agent.run(duration=args.seconds)
    finally:
        stop.set()
        for w in workers:
            w.join()
        agent.run(duration=1.0)  # the tail
        cpu, wall = time.process_time() - cpu0, time.monotonic() - t0
        agent.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lat = sorted(latencies)
    print(f"default ruleset: {len(ruleset.rules)} rules, {len(types)} event types captured; "
          f"load average {os.getloadavg()}")  # fmt: skip
    print(f"triggers {len(trigger_pids)}  alerted {len(lat)}  missed "
          f"{len(trigger_pids) - len(lat)}")  # fmt: skip
    if lat:
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(f"latency syscall -> rule match: p50 {statistics.median(lat):.1f} ms  "
              f"p99 {p99:.1f} ms  max {lat[-1]:.1f} ms")  # fmt: skip
    print(
        f"agent: CPU {100 * cpu / wall:.1f}% of one core, max RSS {rss:.0f} MB, "
        f"{agent.events / wall:,.0f} events/s through the rules, {agent.drops} drops"
    )
    print(f"alerts from the workload (false positives): {sum(others.values())} {dict(others)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
