"""mamori's side: the command (the CLI, or the use case when the CLI has no `scan aws` yet),
its JSON findings, and the CIS v3.0 requirement ids each check maps to.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from _common import MAMORI, ROOT
from _prowler import Verdict

FRAMEWORK = "cis_aws_3.0"
FRAMEWORK_FILE = ROOT / "src" / "mamori" / "posture" / "frameworks" / f"{FRAMEWORK}.yaml"
STATUS = {"pass": "PASS", "open": "FAIL", "manual": "MANUAL"}

# Used only while `mamori scan aws` does not exist: the same use case the CLI calls.
_USE_CASE = (
    "import json,sys\n"
    "from mamori.app.posture import PostureRequest, run_posture_scan\n"
    "from mamori.outputs.json_output import report_document\n"
    "o = run_posture_scan(PostureRequest(regions=sys.argv[2].split(','), framework=sys.argv[3]))\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    json.dump([report_document(r) for r in o.reports], f)\n"
)


def cli_help() -> str | None:
    """`mamori scan aws --help`, or None when the CLI does not have the command yet."""
    proc = subprocess.run(
        [str(MAMORI), "scan", "aws", "--help"], capture_output=True, text=True, check=False
    )
    return proc.stdout if proc.returncode == 0 else None


def command(
    out: Path, regions: tuple[str, ...], help_text: str | None, skip: frozenset[str] = frozenset()
) -> tuple[list[str], str]:
    """(command, label): the CLI if it has `scan aws`, else the use case in a fresh python.

    `skip`: check ids not to run (the framework's other registered checks run by id).
    """
    if help_text is None:
        return [sys.executable, "-c", _USE_CASE, str(out), ",".join(regions), FRAMEWORK], (
            "use case run_posture_scan (no `mamori scan aws` yet)"
        )
    # `--region R [R ...]` (nargs) or a repeatable `--region R`
    if "REGION [REGION ...]" in help_text or "R [R ...]" in help_text:
        where = ["--region", *regions]
    else:
        where = [arg for r in regions for arg in ("--region", r)]
    store = ["--no-store"] if "--no-store" in help_text else []
    select = ["--framework", FRAMEWORK]
    if skip:
        from mamori.posture.compliance import checks_for
        from mamori.posture.frameworks import load_framework

        kept = [c for c in checks_for(load_framework(FRAMEWORK)) if c not in skip]
        select = ["--framework", "", *(arg for c in kept for arg in ("--check", c))]
    cmd = [str(MAMORI), "scan", "aws", *where, *select, "-f", "json"]
    label = "mamori scan aws" + (f" without {', '.join(sorted(skip))}" if skip else "")
    return [*cmd, "-o", str(out), *store], label


def controls_of_checks() -> tuple[dict[str, list[str]], dict[str, bool]]:
    """(check id -> requirement ids, requirement id -> automated?) from mamori's framework."""
    data = yaml.safe_load(FRAMEWORK_FILE.read_text(encoding="utf-8"))
    by_check: dict[str, list[str]] = defaultdict(list)
    automated = {}
    for req in data["requirements"]:
        automated[str(req["id"])] = bool(req.get("automated", True))
        for check in req.get("checks") or []:
            by_check[check].append(str(req["id"]))
    return dict(by_check), automated


def _reports(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, list):
        return [d for d in doc if isinstance(d, dict)]
    if isinstance(doc, dict):
        if isinstance(doc.get("reports"), list):
            return _reports(doc["reports"])
        return [doc]
    return []


def findings(out: Path) -> list[Verdict]:
    """Verdicts from mamori's JSON report(s): one per finding of a posture check."""
    if not out.is_file():
        return []
    verdicts = []
    for report in _reports(json.loads(out.read_text(encoding="utf-8") or "null")):
        for f in report.get("findings") or []:
            resource = f.get("resource") or {}
            attrs = resource.get("attributes") or {}
            ident = resource.get("identity") or {}
            verdicts.append(
                Verdict(
                    check=f.get("rule_id", ""),
                    status=STATUS.get(f.get("status", ""), ""),
                    uid=attrs.get("arn") or attrs.get("id") or resource.get("name", ""),
                    region=attrs.get("region") or ident.get("region") or "",
                )
            )
    return verdicts


def notices(out: Path) -> list[str]:
    """mamori's warnings (collection errors and the like), as one line each."""
    if not out.is_file():
        return []
    lines = []
    for report in _reports(json.loads(out.read_text(encoding="utf-8") or "null")):
        for n in report.get("notices") or []:
            if n.get("level") in ("warning", "error"):
                lines.append(str(n.get("message", ""))[:160])
    return sorted(set(lines))


def stats(out: Path) -> dict[str, float]:
    """The scan's own figures (resources, collect_seconds, check_seconds...), first report."""
    if not out.is_file():
        return {}
    reports = _reports(json.loads(out.read_text(encoding="utf-8") or "null"))
    return dict(reports[0].get("stats") or {}) if reports else {}
