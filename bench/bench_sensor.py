"""Benchmark of the eBPF sensor, as root: what it captures and what it costs the host.

For each workload it prints events/s generated, captured by the kernel side, delivered to
Python, drops, the agent's CPU% and RSS, and the workload's slowdown. The machine is
shared and noisy: runs with and without the agent are interleaved, repeated, and the
median is kept; the load average is printed with the results.

- storm 25k/50k/100k: openat+close at a fixed rate (goal: zero drops up to 100k/s); the
  generator aims at its rate either way, so its slowdown is its CPU time per syscall with
  the agent over that without (the BPF program runs in the generator's context);
- storm max: the same as fast as one core allows (slowdown: rate without / rate with);
- uncaptured: a getppid storm the sensor filters out in the kernel (the tracepoint's cost
  on every syscall the rules do not ask for);
- build: ``make -j2`` of a small generated C project (default event set; goal <= 5%);
- http: ``python -m http.server`` on loopback under a keep-busy urllib client (requests/s);
- decode: records captured once, then replayed through the decoder from memory.

    sudo .venv/bin/python bench/bench_sensor.py [--seconds 2] [--reps 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mamori.sensor import Sensor  # noqa: E402
from mamori.sensor.decode import Decoder  # noqa: E402

CACHE = ROOT / ".cache" / "bench"
STORM_SRC = ROOT / "bench" / "storm.c"
STORM_EVENTS = ["openat", "close"]


def build_storm() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / "storm"
    if not out.exists() or out.stat().st_mtime < STORM_SRC.stat().st_mtime:
        subprocess.run(["gcc", "-O2", "-Wall", "-o", str(out), str(STORM_SRC)], check=True)
    return out


@dataclass
class Agent:
    """What the sensor saw and cost during one run (the agent is this process)."""

    captured: int = 0
    delivered: int = 0
    drops: int = 0
    unaccounted: int = 0  # captured - delivered - drops - malformed after the last drain
    cpu: float = 0.0
    wall: float = 0.0  # the agent's window: the workload, then draining its tail
    busy: float = 0.0  # the workload's own duration
    rss_mb: float = 0.0


@dataclass
class Row:
    name: str
    unit: str
    base: list[float] = field(default_factory=list)  # workload figure without the agent
    with_agent: list[float] = field(default_factory=list)
    generated: list[float] = field(default_factory=list)  # events/s the workload made
    agents: list[Agent] = field(default_factory=list)
    lower_is_better: bool = False  # the figure is a cost (CPU s), not a rate
    cpu_base: list[float] = field(default_factory=list)  # workload CPU s per unit
    cpu_with: list[float] = field(default_factory=list)  # the same plus the agent's

    def print(self) -> None:
        a = self.agents
        med = statistics.median
        base, witha = med(self.base), med(self.with_agent)
        # interleaved pairs: the median of the per-pair ratios (each pair ran back to back)
        pairs = list(zip(self.base, self.with_agent, strict=True))
        ratios = [w / b if self.lower_is_better else b / w for b, w in pairs]
        slowdown = med(ratios)
        wall, busy = sum(x.wall for x in a), sum(x.busy for x in a)
        made = f"{med(self.generated):>9,.0f}/s" if self.generated else "        -  "
        print(
            f"{self.name:<12} generated {made}  "
            f"captured {sum(x.captured for x in a) / busy:>9,.0f}/s  "
            f"delivered {sum(x.delivered for x in a) / busy:>9,.0f}/s  "
            f"drops {sum(x.drops for x in a):>7,}  unaccounted {sum(x.unaccounted for x in a)}  "
            f"agent CPU {100 * sum(x.cpu for x in a) / wall:5.1f}%  "
            f"RSS {max(x.rss_mb for x in a):5.1f} MB  "
            f"slowdown {100 * (slowdown - 1):+5.1f}% (median of pairs) "
            f"({self.unit} {base:,.3g} without, {witha:,.3g} with; "
            f"runs {', '.join(f'{b:.3g}/{w:.3g}' for b, w in pairs)})"
        )
        if self.cpu_base:
            cost = med([w / b for b, w in zip(self.cpu_base, self.cpu_with, strict=True)]) - 1
            print(
                f"{'':<12} CPU cost: {100 * cost:+.1f}% (workload + agent CPU per "
                f"{self.unit.split('/')[0][:-1]} with the agent, over the workload's without: "
                f"{med(self.cpu_with):.4g} s vs {med(self.cpu_base):.4g} s; less sensitive "
                "to the other tenants than wall time)"
            )


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


RING_BYTES = [32 << 20]
AGENT_ON = [False]  # workloads record what they generated only in runs with the agent
TYPICAL: list[list[str] | None] = [None]  # event types of the typical rows (None: default)
RULES: list[object] = []  # --agent rules: the RuleAlerts every batch goes through


class _NullSink:
    def emit(self, alert: object) -> None:
        return None

    def close(self) -> None:
        return None


def rules_mode() -> list[str]:
    """Make the typical-workload rows run what `mamori agent` runs by default: the state
    engine and the default ruleset over the event types those rules need (plus the
    process life cycle and socket calls), instead of the sensor's whole default set."""
    from mamori.app.agent import capture_types
    from mamori.app.agent_alerts import RuleAlerts
    from mamori.rules import load_files
    from mamori.rules.default import default_rule_files

    rules = RuleAlerts(load_files(default_rule_files()), _NullSink(), hostname="bench")
    RULES.append(rules)
    return sorted(capture_types([], False, rule_types=rules.event_types or ()) or ())


def with_agent(events: list[str] | None, workload: Callable[[], float]) -> tuple[float, Agent]:
    """Run ``workload`` in a thread while this process drains the sensor."""
    result: list[float] = []
    AGENT_ON[0] = True
    with Sensor(events, ring_bytes=RING_BYTES[0]) as sensor:
        settle = time.monotonic() + 2
        while True:  # what the host made before the run: delivered (or counted) first
            sensor.poll(0.01)
            before = sensor.stats()
            accounted = before.delivered + before.drops + before.malformed
            if before.captured == accounted or time.monotonic() > settle:
                break
        poll = sensor.poll
        if RULES:  # the agent as deployed: state engine + default rules on every batch
            from mamori.app.agent import Agent as MamoriAgent

            agent = MamoriAgent(sensor, rules=RULES[0], snapshot=False)  # type: ignore[arg-type]
            agent._load_snapshot()  # the start-up snapshot (start() would restart the sensor)

            def poll(timeout: float | None = None) -> list[Any]:
                batch = sensor.poll(timeout)
                agent.process(batch)
                return batch

        t0, c0 = time.monotonic(), time.process_time()
        worker = threading.Thread(target=lambda: result.append(workload()))
        worker.start()
        delivered = 0
        while worker.is_alive():
            delivered += sum(e.name != "drop" for e in poll())  # default interval
        worker.join()
        busy = time.monotonic() - t0  # the workload's duration: the rates' denominator
        deadline = time.monotonic() + 3
        while True:  # the tail: until all captured is delivered or counted as dropped
            delivered += sum(e.name != "drop" for e in poll(0.005))
            after = sensor.stats()
            done = after.captured - before.captured - delivered
            if done <= after.drops - before.drops or time.monotonic() > deadline:
                break
        wall, cpu = time.monotonic() - t0, time.process_time() - c0
        captured = after.captured - before.captured
        drops = after.drops - before.drops
        lost = captured - delivered - drops - (after.malformed - before.malformed)
    AGENT_ON[0] = False
    return result[0], Agent(captured, delivered, drops, lost, cpu, wall, busy, rss_mb())


LAST_CPU = [0.0, 0.0]  # (CPU seconds, work units) of the last build/http run


def interleaved(row: Row, reps: int, events: list[str] | None, run: Callable[[], float]) -> Row:
    for _ in range(reps):
        row.base.append(run())
        if LAST_CPU[1]:
            row.cpu_base.append(LAST_CPU[0] / LAST_CPU[1])
        value, agent = with_agent(events, run)
        row.with_agent.append(value)
        row.agents.append(agent)
        if LAST_CPU[1]:  # the workload's CPU per unit plus the agent's
            row.cpu_with.append((LAST_CPU[0] + agent.cpu) / LAST_CPU[1])
        LAST_CPU[:] = [0.0, 0.0]
    return row


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def storm_rows(binary: Path, seconds: float, reps: int, rates: list[int]) -> list[Row]:
    rows = []
    for rate in rates:
        name = f"storm {rate // 1000}k/s" if rate else "storm max"
        row = Row(name, "CPU us/syscall" if rate else "syscalls/s", lower_is_better=bool(rate))

        def run(rate: int = rate, row: Row = row) -> float:
            out = subprocess.run(
                [str(binary), "open", str(seconds), str(rate)], capture_output=True, check=True
            ).stdout
            data = json.loads(out)
            if AGENT_ON[0]:
                row.generated.append(float(data["rate"]))
            if rate:  # the generator's CPU per syscall: the agent's cost in its context
                return 1e6 * float(data["cpu"]) / max(1, int(data["syscalls"]))
            return float(data["rate"])

        rows.append(interleaved(row, reps, STORM_EVENTS, run))
    row = Row("uncaptured", "getppid/s")

    def getppid() -> float:
        out = subprocess.run([str(binary), "getpid", str(seconds)], capture_output=True).stdout
        data = json.loads(out)
        if AGENT_ON[0]:
            row.generated.append(float(data["rate"]))
        return float(data["rate"])

    if 0 in rates:
        rows.append(interleaved(row, reps, STORM_EVENTS, getppid))
    return rows


def make_project(files: int = 24) -> Path:
    """A small C project: `files` units with a few hundred lines of real code each."""
    proj = CACHE / "cproj"
    proj.mkdir(parents=True, exist_ok=True)
    storm = STORM_SRC.read_text().replace("int main(", "static int storm_main(")
    for i in range(files):
        body = storm + "".join(
            f"int f{i}_{k}(int x) {{ int s = 0; for (int j = 0; j < x; j++) s += j * {k}"
            f" ^ (s >> 3); return s + storm_main(0, 0); }}\n"
            for k in range(40)
        )
        (proj / f"u{i}.c").write_text(body)
    (proj / "main.c").write_text("int main(void) { return 0; }\n")
    objs = " ".join(f"u{i}.o" for i in range(files))
    (proj / "Makefile").write_text(
        f"all: prog\nprog: main.o {objs}\n\tgcc -o $@ $^\n%.o: %.c\n\tgcc -O2 -c -o $@ $<\n"
        "clean:\n\trm -f *.o prog\n"
    )
    return proj


def build_row(reps: int) -> Row:
    proj = make_project()
    row = Row("build -j2", "builds/s")

    def build() -> float:
        subprocess.run(["make", "-s", "clean"], cwd=proj, check=True)
        t0, c0 = time.monotonic(), children_cpu()
        subprocess.run(["make", "-s", "-j2"], cwd=proj, check=True, capture_output=True)
        took = time.monotonic() - t0
        LAST_CPU[:] = [children_cpu() - c0, 1.0]
        return 1 / took

    build()  # warm the page cache
    return interleaved(row, reps, TYPICAL[0], build)


def http_row(seconds: float, reps: int) -> Row:
    """python -m http.server (one process) under 4 client threads in another process."""
    row = Row("http", "requests/s")
    www = CACHE / "www"
    www.mkdir(parents=True, exist_ok=True)
    (www / "index.html").write_text("<p>hello</p>\n" * 200)
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=www, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = (
        "import sys,threading,time,urllib.request\n"
        "end=time.monotonic()+float(sys.argv[2]);n=[0]\n"
        "def go():\n"
        "    while time.monotonic()<end:\n"
        "        urllib.request.urlopen(sys.argv[1]).read();n[0]+=1\n"
        "ts=[threading.Thread(target=go) for _ in range(4)]\n"
        "[t.start() for t in ts];[t.join() for t in ts];print(n[0]/float(sys.argv[2]))\n"
    )
    url = f"http://127.0.0.1:{port}/index.html"
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(url).read()
                break
            except OSError:
                time.sleep(0.1)

        def load() -> float:
            c0, s0 = children_cpu(), proc_cpu(server.pid)
            out = subprocess.run(
                [sys.executable, "-c", client, url, str(seconds)], capture_output=True, check=True
            ).stdout
            cpu = children_cpu() - c0 + proc_cpu(server.pid) - s0
            LAST_CPU[:] = [cpu, float(out) * seconds]
            return float(out)

        return interleaved(row, reps, TYPICAL[0], load)
    finally:
        server.terminate()
        server.wait()


def decode_bench(binary: Path) -> None:
    """Real records (an openat/close storm at 100k/s plus execs) captured once, then
    replayed through the decoder; rates per CPU-second (best of 5, the machine is shared)."""
    chunks: list[bytes] = []
    with Sensor([*STORM_EVENTS, "execve", "clone", "procexit"]) as sensor:
        ring = sensor._ring
        assert ring is not None
        proc = subprocess.Popen([str(binary), "open", "1.5", "100000"], stdout=subprocess.PIPE)
        subprocess.run(["sh", "-c", "for i in $(seq 100); do /bin/true; done"], check=True)
        while proc.poll() is None or ring.pending():
            ring.wait(0.01)
            chunk, _ = ring.read(1 << 20)
            if chunk:
                chunks.append(chunk)
        proc.communicate()
    count = sum(len(Decoder(0).decode_batch(c)) for c in chunks)
    modes: dict[str, Callable[[Decoder, bytes], object]] = {
        "delivery (header fields, params on access)": lambda d, c: d.decode_batch(c),
        "delivery + every params read": lambda d, c: [e.params for e in d.decode_batch(c)],
        "eager (params decoded in the batch)": lambda d, c: d.decode_batch(c, lazy=False),
    }
    for label, fn in modes.items():
        best_cpu = best_wall = 0.0
        for _ in range(5):
            decoder = Decoder(0)
            gc.disable()  # as Sensor.poll does
            c0, w0 = time.process_time(), time.perf_counter()
            for chunk in chunks:
                fn(decoder, chunk)
            cpu, wall = time.process_time() - c0, time.perf_counter() - w0
            gc.enable()
            best_cpu, best_wall = max(best_cpu, count / cpu), max(best_wall, count / wall)
        print(
            f"decode {label}: {best_cpu:,.0f} events/CPU-s ({best_wall:,.0f}/s wall), "
            f"{count:,} records"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", default="storm,build,http,decode")
    parser.add_argument("--rates", default="25000,50000,100000,0", help="0: max, uncaptured")
    parser.add_argument("--ring-mb", type=int, default=32, help="the sensor's ring size")
    parser.add_argument(
        "--agent", choices=("sensor", "rules"), default="sensor",
        help="typical rows: drain the sensor's default set, or run the default rules' agent",
    )  # fmt: skip
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_sensor needs root", file=sys.stderr)
        return 2
    binary = build_storm()
    RING_BYTES[0] = args.ring_mb << 20
    if args.agent == "rules":
        TYPICAL[0] = rules_mode()
    subprocess.run([str(ROOT / "scripts" / "build-bpf")], check=True, stdout=subprocess.DEVNULL)
    print(f"eBPF sensor benchmark ({os.cpu_count()} CPUs, kernel {os.uname().release}, "
          f"ring {args.ring_mb} MiB), load average before {os.getloadavg()}")  # fmt: skip
    only = args.only.split(",")
    rows: list[Row] = []
    if "storm" in only:
        rates = [int(r) for r in args.rates.split(",")]
        rows += storm_rows(binary, args.seconds, args.reps, rates)
    if "build" in only:
        rows.append(build_row(args.reps))
    if "http" in only:
        rows.append(http_row(args.seconds, args.reps))
    for row in rows:
        row.print()
    if "decode" in only:
        decode_bench(binary)
    print(f"load average after {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
