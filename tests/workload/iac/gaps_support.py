"""Shared by the tests of the inline-IAM, launch-template and SAM mappings: scan a folder
of fixtures/gaps and index verdicts; run Checkov once over the same folders."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from mamori.model import FindingStatus
from mamori.workload.iac.scan import IacScanOutcome, IacScanRequest, run_iac_scan
from tests.support import need
from tests.workload.checkov_oracle import CHECKOV, install_checkov
from tests.workload.iac.test_iac_checkov import _name

GAPS = Path(__file__).parent / "fixtures" / "gaps"
OPEN, PASS, IGNORED = FindingStatus.OPEN, FindingStatus.PASS, FindingStatus.IGNORED


def scan(folder: str, *checks: str) -> IacScanOutcome:
    request = IacScanRequest(GAPS / folder, include_passed=True, checks=list(checks) or None)
    return run_iac_scan(request)


def verdicts(outcome: IacScanOutcome, check: str) -> dict[str, FindingStatus]:
    return {f.evidence["address"]: f.status for f in outcome.report.findings if f.rule_id == check}


def dropped(outcome: IacScanOutcome, check: str) -> set[str]:
    return {rid.split("#", 1)[1] for cid, rid, _ in outcome.not_applicable if cid == check}


def checkov(folder: str, framework: str, check_id: str, tmp: Path) -> dict[str, bool]:
    """resource name -> passed, for one Checkov check on one fixture folder."""
    need(install_checkov(), "Checkov could not be installed (PyPI unreachable)")
    args = [str(CHECKOV), "--skip-download", "-o", "json", "--output-file-path", str(tmp)]
    args += ["-d", str(GAPS / folder), "--framework", framework, "-c", check_id]
    env = {**os.environ, "LOG_LEVEL": "ERROR", "BC_SKIP_MAPPING": "TRUE"}
    subprocess.run(args, capture_output=True, timeout=600, env=env, check=False)
    data = json.loads((tmp / "results_json.json").read_text())
    out: dict[str, bool] = {}
    for part in data if isinstance(data, list) else [data]:
        results = part.get("results") or {}
        for passed, key in ((True, "passed_checks"), (False, "failed_checks")):
            for item in results.get(key) or []:
                name = _name(item["resource"])
                out[name] = out.get(name, True) and passed
    return out


def ours(outcome: IacScanOutcome, check: str) -> dict[str, bool]:
    return {_name(a): s == PASS for a, s in verdicts(outcome, check).items()}
