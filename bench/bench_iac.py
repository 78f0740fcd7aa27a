"""IaC scanning (issue 8): mamori vs Checkov on the shared corpus, same machine, same run.

    .venv/bin/python bench/bench_iac.py [--runs 3] [--kinds terraform,cloudformation,...]

For each corpus kind (terraform, cloudformation, and kubernetes/dockerfile when mamori
has those scanners) it runs `mamori scan <kind>` (median of --runs) and Checkov once
(`checkov --skip-download -d <dir> --framework <kind> --quiet -o json`, from its own venv
in .cache/bench/checkov-venv, never the project's), and prints wall time and the peak RSS
of the whole process tree (children summed, sampled from /proc every 20 ms: Checkov
forks workers), then the agreement on failures for the checks that mean the same thing
(`SAME` below). With --quiet Checkov lists failures only, so agreement is counted on
failing resources: both fail / only Checkov fails (mamori passed it, or left it not
applicable, or has no such resource) / only mamori fails.
"""

from __future__ import annotations

import argparse
import json
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

# mamori check -> the Checkov checks that judge the same property (any failing = fail)
SAME: dict[str, tuple[str, ...]] = {
    "s3_bucket_server_access_logging_enabled": ("CKV_AWS_18",),
    "s3_bucket_mfa_delete_enabled": ("CKV_AWS_52",),
    "s3_bucket_public_access_block": ("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
    "ec2_securitygroup_admin_ports": ("CKV_AWS_24", "CKV_AWS_25"),  # mamori: ipv4 or ipv6
    "ec2_securitygroup_default_restricts_all": ("CKV2_AWS_12",),
    "cloudtrail_log_file_validation_enabled": ("CKV_AWS_36",),
    "cloudtrail_kms_encryption_enabled": ("CKV_AWS_35",),
    "kms_cmk_rotation_enabled": ("CKV_AWS_7",),
    "ec2_ebs_volume_encrypted": ("CKV_AWS_3",),
    "ec2_ebs_default_encryption": ("CKV_AWS_106",),
    "rds_instance_storage_encrypted": ("CKV_AWS_16",),
    "rds_instance_not_publicly_accessible": ("CKV_AWS_17",),
    "rds_instance_minor_version_upgrade_enabled": ("CKV_AWS_226",),
    "eks_cluster_endpoint_not_public": ("CKV_AWS_38",),
    "eks_cluster_control_plane_logging_enabled": ("CKV_AWS_37",),
    "iam_policy_no_full_admin_attached": ("CKV_AWS_62",),
    "efs_encryption_at_rest_enabled": ("CKV_AWS_42",),
    "ec2_instance_imdsv2_required": ("CKV_AWS_79",),
    "ecr_repository_scan_on_push_enabled": ("CKV_AWS_163",),
}
MERGED = {
    "ec2_securitygroup_no_admin_ports_ipv4": "ec2_securitygroup_admin_ports",
    "ec2_securitygroup_no_admin_ports_ipv6": "ec2_securitygroup_admin_ports",
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


def mamori(kind: str, out: Path, runs: int) -> tuple[float, float]:
    cmd = [str(MAMORI), "scan", SCANNER[kind], str(CORPUS / kind), "-f", "json", "-o", str(out)]
    measured = [run_tree(cmd) for _ in range(runs)]
    return statistics.median(m[0] for m in measured), max(m[1] for m in measured)


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


def _name(address: str) -> str:
    """type.name of a Terraform address (module path and index dropped), or a logical id."""
    bare = re.sub(r"\[[^\]]*\]", "", address)
    parts = bare.split(".")
    if bare.startswith("AWS::"):
        return parts[-1]
    return ".".join(parts[-2:]) if len(parts) >= 2 else bare


def checkov_failures(path: Path) -> dict[str, set[tuple[str, str]]]:
    data = json.loads(path.read_text() or "[]")
    reports = data if isinstance(data, list) else [data]
    failed: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for report in reports:
        for result in (report.get("results") or {}).get("failed_checks") or []:
            key = (result["file_path"].lstrip("/"), _name(result["resource"]))
            failed[result["check_id"]].add(key)
    return failed


def mamori_verdicts(path: Path) -> dict[str, dict[tuple[str, str], str]]:
    report = json.loads(path.read_text())
    out: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
    for finding in report["findings"]:
        ev = finding["evidence"]
        check = MERGED.get(finding["rule_id"], finding["rule_id"])
        key = (ev.get("file", ""), _name(ev.get("address", "")))
        status = "fail" if finding["status"] in ("open", "ignored") else finding["status"]
        if out[check].get(key) != "fail":
            out[check][key] = status
    return out


def agreement(kind: str, ours: Path, theirs: Path) -> list[dict[str, Any]]:
    failed = checkov_failures(theirs)
    verdicts = mamori_verdicts(ours)
    rows = []
    for check, ckv in SAME.items():
        their_fail = set().union(*(failed.get(c, set()) for c in ckv))
        mine = verdicts.get(check, {})
        my_fail = {k for k, v in mine.items() if v == "fail"}
        both = their_fail & my_fail
        only_theirs = their_fail - my_fail
        rows.append(
            {
                "kind": kind,
                "check": check,
                "ckv": "+".join(ckv),
                "both_fail": len(both),
                "only_checkov": len(only_theirs),
                "of_which_mamori_pass": sum(1 for k in only_theirs if mine.get(k) == "pass"),
                "of_which_mamori_unjudged": sum(1 for k in only_theirs if k not in mine),
                "only_mamori": len(my_fail - their_fail),
            }
        )
    return [r for r in rows if r["both_fail"] or r["only_checkov"] or r["only_mamori"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kinds", default="terraform,cloudformation,kubernetes,dockerfile")
    args = parser.parse_args()
    if not CHECKOV.exists():
        print(f"Checkov is not installed in {CHECKOV_VENV} (python -m venv; pip install checkov)")
        return 2
    version = subprocess.run([str(CHECKOV), "--version"], capture_output=True, text=True)
    print(f"checkov {version.stdout.strip()}; mamori {MAMORI}; corpus {CORPUS}")
    help_text = subprocess.run([str(MAMORI), "scan", "--help"], capture_output=True, text=True)
    kinds = [k for k in args.kinds.split(",") if f" {SCANNER[k]} " in help_text.stdout]
    rows: list[dict[str, Any]] = []
    totals = {"m_s": 0.0, "c_s": 0.0, "m_rss": 0.0, "c_rss": 0.0}
    print(
        f"\n{'kind':<15}{'mamori s':>10}{'checkov s':>11}{'speed-up':>10}"
        f"{'mamori MiB':>12}{'checkov MiB':>13}{'memory':>9}"
    )
    with tempfile.TemporaryDirectory(dir=ROOT / ".cache" / "tmp") as tmp:
        for kind in kinds:
            ours, theirs = Path(tmp) / f"mamori-{kind}.json", Path(tmp) / f"ck-{kind}" / "ck.json"
            theirs.parent.mkdir()
            m_s, m_rss = mamori(kind, ours, args.runs)
            c_s, c_rss = checkov(kind, theirs)
            totals["m_s"] += m_s
            totals["c_s"] += c_s
            totals["m_rss"] = max(totals["m_rss"], m_rss)
            totals["c_rss"] = max(totals["c_rss"], c_rss)
            print(
                f"{kind:<15}{m_s:>10.2f}{c_s:>11.2f}{c_s / m_s:>9.1f}x"
                f"{m_rss:>12.0f}{c_rss:>13.0f}{'1/' + format(c_rss / m_rss, '.1f'):>9}"
            )
            if kind in ("terraform", "cloudformation"):
                rows.extend(agreement(kind, ours, theirs))
    print(
        f"{'total':<15}{totals['m_s']:>10.2f}{totals['c_s']:>11.2f}"
        f"{totals['c_s'] / totals['m_s']:>9.1f}x{totals['m_rss']:>12.0f}"
        f"{totals['c_rss']:>13.0f}{'1/' + format(totals['c_rss'] / totals['m_rss'], '.1f'):>9}"
    )
    print("\nagreement on failures (resources):")
    print(
        f"{'kind':<15}{'mamori check':<44}{'checkov':<24}{'both':>5}{'ck only':>8}"
        f"{'(m pass':>8}{' m n/a)':>8}{'m only':>7}"
    )
    for r in rows:
        print(
            f"{r['kind']:<15}{r['check']:<44}{r['ckv']:<24}{r['both_fail']:>5}"
            f"{r['only_checkov']:>8}{r['of_which_mamori_pass']:>8}"
            f"{r['of_which_mamori_unjudged']:>8}{r['only_mamori']:>7}"
        )
    both = sum(r["both_fail"] for r in rows)
    either = both + sum(r["only_checkov"] + r["only_mamori"] for r in rows)
    share = 100 * both / max(either, 1)
    print(f"\nfailing resources both tools flag: {both} of {either} ({share:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
