"""IaC scanning (issue 8): mamori vs Checkov on the shared corpus, same machine, same run.

    .venv/bin/python bench/bench_iac.py [--runs 3] [--kinds terraform,cloudformation,...]
                                        [--examples]

For each corpus kind (terraform, cloudformation, kubernetes, dockerfile, when mamori has
the scanner) it times `mamori scan <kind>` as a user runs it (failures only: the fair
match for Checkov's --quiet; median of --runs) and Checkov once (`checkov --skip-download
-d <dir> --framework <kind> --quiet -o json`, from its own venv in .cache/bench/checkov-venv,
never the project's), and prints wall time and the peak RSS of the whole process tree
(children summed, sampled from /proc every 20 ms: Checkov forks workers).

Then, from one more untimed mamori run with --include-passed (so mamori's passes are
known), the agreement on failing resources for the checks that mean the same thing
(_iac_agree.py): both fail / only Checkov fails (mamori passed it, or did not judge it) /
only mamori fails, with how many disagreements are differences the tests document as
deliberate. --examples prints a few disagreeing resources per check.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from _iac_agree import agreement

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "iac-corpus"
MAMORI = ROOT / ".venv" / "bin" / "mamori"
CHECKOV_VENV = ROOT / ".cache" / "bench" / "checkov-venv"
CHECKOV = CHECKOV_VENV / "bin" / "checkov"
SCANNER = {
    "terraform": "iac",
    "cloudformation": "iac",
    "kubernetes": "k8s",
    "dockerfile": "dockerfile",
}


def _tree_rss_kb(root: int) -> int:
    """Resident KB of `root` and every descendant, from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children[ppid].append(int(entry))
    total, stack, page_kb = 0, [root], os.sysconf("SC_PAGE_SIZE") // 1024
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, ()))
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page_kb
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_tree(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB of the process tree, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})}
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        err = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err}")
    return seconds, peak / 1024, proc.returncode


def _mamori_cmd(kind: str, out: Path) -> list[str]:
    return [str(MAMORI), "scan", SCANNER[kind], str(CORPUS / kind), "-f", "json", "-o", str(out)]


def mamori(kind: str, out: Path, runs: int) -> tuple[float, float]:
    """Timed: the default command (failures listed, passes only counted in the stats)."""
    measured = [run_tree(_mamori_cmd(kind, out)) for _ in range(runs)]
    return statistics.median(m[0] for m in measured), max(m[1] for m in measured)


def mamori_verdicts(kind: str, out: Path) -> None:
    """Untimed: one more run listing passes too, which the agreement needs."""
    run_tree([*_mamori_cmd(kind, out), "--include-passed"])


def checkov(kind: str, out: Path) -> tuple[float, float]:
    cmd = [
        str(CHECKOV),
        "--skip-download",
        "-d",
        str(CORPUS / kind),
        "--framework",
        kind,
        "--quiet",
        "-o",
        "json",
        "--output-file-path",
        str(out.parent),
    ]
    env = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    seconds, rss, _ = run_tree(cmd, env)
    (out.parent / "results_json.json").replace(out)
    return seconds, rss


def checkov_entities(kind: str) -> dict[str, set[str]]:
    """CKV id -> the resource types (Entity column) it judges, from `checkov --list`."""
    done = subprocess.run(
        [str(CHECKOV), "--list", "--framework", kind, "--skip-download"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"},
    )
    out: dict[str, set[str]] = defaultdict(set)
    for line in done.stdout.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 4 and re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", cells[2]):
            out[cells[2]].add(cells[4])
    return out


def _share(rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(both fail, either fails, both fail + disagreements on resources both judge that
    are not documented deliberate differences)."""
    both = sum(r["both_fail"] for r in rows)
    either = both + sum(r["only_checkov"] + r["only_mamori"] for r in rows)
    return both, either, both + sum(r["disagree_judged"] for r in rows)


def print_agreement(
    rows: list[dict[str, Any]], absent: list[str], kinds: list[str], examples: bool
) -> None:
    print("\nagreement on failures (resources):")
    print(
        f"{'kind':<15}{'mamori check':<44}{'checkov':<20}{'both':>5}{'ck only':>8}"
        f"{'(m pass':>8}{' m n/a)':>8}{'m only':>7}{'(ck n/a)':>9}{'documented':>11}"
    )
    for r in rows:
        ck_na = r["of_which_checkov_unjudged"]
        print(
            f"{r['kind']:<15}{r['check']:<44}{r['ckv']:<20}{r['both_fail']:>5}"
            f"{r['only_checkov']:>8}{r['of_which_mamori_pass']:>8}"
            f"{r['of_which_mamori_unjudged']:>8}{r['only_mamori']:>7}"
            f"{'-' if ck_na is None else ck_na:>9}{r['documented']:>11}"
        )
        if examples:
            for side in ("only_checkov", "only_mamori"):
                for key in r[f"examples_{side}"]:
                    print(f"{'':<15}  {side}: {' | '.join(key)}")
    if absent:
        print("not compared (this Checkov has no such check for the framework):")
        for line in absent:
            print(f"  {line}")
    print(
        "\nfailing resources both tools flag, of those either flags"
        " / of those both judge (one tool's n/a and documented differences left out):"
    )
    for kind in [*kinds, "total"]:
        both, either, judged = _share([r for r in rows if kind in ("total", r["kind"])])
        print(
            f"{kind:<15}{both:>5} of {either:<5} ({100 * both / max(either, 1):5.1f}%)"
            f"   {both:>5} of {judged:<5} ({100 * both / max(judged, 1):5.1f}%)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kinds", default="terraform,cloudformation,kubernetes,dockerfile")
    parser.add_argument("--examples", action="store_true", help="show disagreeing resources")
    args = parser.parse_args()
    if not CHECKOV.exists():
        print(f"Checkov is not installed in {CHECKOV_VENV} (python -m venv; pip install checkov)")
        return 2
    version = subprocess.run([str(CHECKOV), "--version"], capture_output=True, text=True)
    print(f"checkov {version.stdout.strip()}; mamori {MAMORI}; corpus {CORPUS}")
    help_text = subprocess.run([str(MAMORI), "scan", "--help"], capture_output=True, text=True)
    kinds = [k for k in args.kinds.split(",") if f" {SCANNER[k]} " in help_text.stdout]
    rows: list[dict[str, Any]] = []
    absent: list[str] = []
    totals = {"m_s": 0.0, "c_s": 0.0, "m_rss": 0.0, "c_rss": 0.0}
    print(
        f"\n{'kind':<15}{'mamori s':>10}{'checkov s':>11}{'speed-up':>10}"
        f"{'mamori MiB':>12}{'checkov MiB':>13}{'memory':>9}"
    )
    (ROOT / ".cache" / "tmp").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / ".cache" / "tmp") as tmp:
        for kind in kinds:
            timed, ours = Path(tmp) / f"mamori-{kind}.json", Path(tmp) / f"mamori-all-{kind}.json"
            theirs = Path(tmp) / f"ck-{kind}" / "ck.json"
            theirs.parent.mkdir()
            m_s, m_rss = mamori(kind, timed, args.runs)
            c_s, c_rss = checkov(kind, theirs)
            totals["m_s"] += m_s
            totals["c_s"] += c_s
            totals["m_rss"] = max(totals["m_rss"], m_rss)
            totals["c_rss"] = max(totals["c_rss"], c_rss)
            print(
                f"{kind:<15}{m_s:>10.2f}{c_s:>11.2f}{c_s / m_s:>9.1f}x"
                f"{m_rss:>12.0f}{c_rss:>13.0f}{'1/' + format(c_rss / m_rss, '.1f'):>9}",
                flush=True,
            )
            mamori_verdicts(kind, ours)
            kind_rows, kind_absent = agreement(
                kind, ours, theirs, CORPUS / kind, checkov_entities(kind)
            )
            rows.extend(kind_rows)
            absent.extend(f"{kind}: {a}" for a in kind_absent)
    print(
        f"{'total':<15}{totals['m_s']:>10.2f}{totals['c_s']:>11.2f}"
        f"{totals['c_s'] / totals['m_s']:>9.1f}x{totals['m_rss']:>12.0f}"
        f"{totals['c_rss']:>13.0f}{'1/' + format(totals['c_rss'] / totals['m_rss'], '.1f'):>9}"
    )
    print_agreement(rows, absent, kinds, args.examples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
