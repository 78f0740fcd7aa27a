"""Benchmark: CIS AWS Foundations v3.0 posture of a seeded (moto) account, mamori against
Prowler in the same run, judged against the seeded truth.

For each size, the moto account is reset and seeded once (bench/_aws_seed*.py: IAM, S3,
EC2/VPC, KMS, RDS, EFS, Lambda, CloudTrail, Config, monitoring, Security Hub, in three
regions, good and bad configurations), then both scanners run against that same state,
each as a fresh process (wall time and peak RSS from `measure`). Prints per control how
many of each tool's verdicts match what the seeder built, where the tools agree, each
tool's errors, and the cost per size.

    .venv/bin/python bench/bench_aws.py [--sizes 100 1000 5000] [--no-prowler] [--explain]

Prowler (about 2.5 GB) is pip-installed into .cache/bench/prowler-venv on first use.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import _aws_mamori as mamori
import _prowler
from _aws_agree import compare, control_order, tabulate
from _aws_moto import REGIONS, client_env, moto_server, reset
from _aws_report import SizeResult, print_agreement, print_costs, print_errors
from _aws_seed import seed
from _common import BENCH_CACHE, Run, measure

# CIS 1.20: mamori's check id, then Prowler's
ANALYZER_CHECKS = ("accessanalyzer_enabled_all_regions", "accessanalyzer_enabled")


def _measure(cmd: list[str], env: dict[str, str], label: str) -> Run | None:
    """A tool that crashes is reported, not fatal: the other tool's figures still count."""
    try:
        return measure(cmd, env)
    except RuntimeError as exc:
        print(f"{label} failed: {str(exc)[-800:]}")
        return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--no-prowler", action="store_true", help="mamori and the truth only")
    parser.add_argument("--explain", action="store_true", help="list wrong verdicts per control")
    parser.add_argument("--keep", action="store_true", help="keep both tools' outputs")
    parser.add_argument(
        "--no-access-analyzer",
        action="store_true",
        help="run neither tool's Access Analyzer check (CIS 1.20): moto has no such API, and "
        "its HTTP 500 answers cost retries",
    )
    args = parser.parse_args()
    os.environ.pop("CI", None)
    prowler_bin = None if args.no_prowler else _prowler.prowler()
    p_map, p_auto = _prowler.compliance(prowler_bin) if prowler_bin else ({}, {})
    m_map, m_auto = mamori.controls_of_checks()
    help_text = mamori.cli_help()
    m_skip = frozenset(ANALYZER_CHECKS[0:1]) if args.no_access_analyzer else frozenset()
    p_skip = ANALYZER_CHECKS[1:] if args.no_access_analyzer else ()
    BENCH_CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="aws-", dir=BENCH_CACHE))
    env = {
        "HOME": str(work / "home"),
        "XDG_DATA_HOME": str(work / "data"),
        "XDG_CACHE_HOME": str(work / "cache"),
    }
    print(f"regions: {', '.join(REGIONS)}; load average {os.getloadavg()[0]:.2f}")
    results = []
    with moto_server() as url:
        env.update(client_env(url))
        for size in args.sizes:
            reset(url)
            started = time.perf_counter()
            truth = seed(size)
            seed_s = time.perf_counter() - started
            print(f"\n=== size {size}: seeded {truth.total} resources in {seed_s:.1f}s")
            out = work / f"mamori-{size}.json"
            cmd, label = mamori.command(out, REGIONS, help_text, m_skip)
            m_run = _measure(cmd, env, "mamori")
            m_table = tabulate(mamori.findings(out), m_map)
            p_run, p_table = None, {}
            if prowler_bin is not None:
                name = f"prowler-{size}"
                p_cmd = _prowler.command(prowler_bin, work, name, REGIONS, p_skip)
                p_run = _measure(p_cmd, env, "prowler")
                p_table = tabulate(_prowler.findings(work, name), p_map)
            controls = control_order(
                [c for cs in m_map.values() for c in cs]
                + [c for cs in p_map.values() for c in cs]
                + list(truth.verdicts)
            )
            st = mamori.stats(out)
            collect_s, check_s = st.get("collect_seconds", 0), st.get("check_seconds", 0)
            print(
                f"mamori ran as: {label}; it collected {st.get('resources', 0):.0f} resources "
                f"in {collect_s:.1f}s, checks took {check_s:.2f}s"
            )
            rows = compare(truth, m_table, p_table, controls)
            print_agreement(rows, (m_auto, p_auto), args.explain)
            print_errors("mamori warnings", mamori.notices(out))
            if prowler_bin is not None:
                print_errors("prowler errors per service", _prowler.errors(work, name))
            results.append(
                SizeResult(
                    size=size,
                    resources=truth.total,
                    seed_s=seed_s,
                    mamori_s=m_run.seconds if m_run else float("nan"),
                    mamori_mb=m_run.max_rss_mb if m_run else float("nan"),
                    prowler_s=p_run.seconds if p_run else None,
                    prowler_mb=p_run.max_rss_mb if p_run else None,
                )
            )
            print_costs(results[-1:])
    print("\n=== cost per size")
    print_costs(results)
    if args.keep:
        print(f"outputs kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
