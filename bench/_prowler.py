"""Prowler as the anchor: install (once), command line, OCSF findings, its errors.

Prowler's own compliance file (prowler/compliance/aws/cis_3.0_aws.json in the installed
package) maps its check ids to CIS v3.0 requirement ids; the benchmark uses that mapping
rather than one of its own so Prowler is judged by what it claims to evaluate.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from _common import anchor_venv

FRAMEWORK = "cis_3.0_aws"
# the --log-file format (one JSON-ish object per record; messages may span lines):
# {"timestamp": "...", "filename": "rds_service.py:186", "level": "ERROR",
#  "module": "rds_service", "message": "us-east-1 -- ResponseParserError[156]: ..."}
_ERROR = re.compile(r'"level": "ERROR", "module": "(?P<module>\w+)", "message": "(?P<msg>.*)')
_OPERATION = re.compile(r"when calling the (\w+) operation")
_KIND = re.compile(r"(?:^|-- )(\w+(?:Error|Exception))\b")


@dataclass(frozen=True)
class Verdict:
    """One scanner verdict, before normalisation: check, PASS/FAIL/MANUAL, resource, region."""

    check: str
    status: str
    uid: str  # an ARN when the scanner has one, else its resource id
    region: str


def prowler() -> Path:
    """The prowler executable (pip install prowler into .cache/bench/prowler-venv once)."""
    return anchor_venv("prowler", "prowler") / "prowler"


def _package(binary: Path) -> Path:
    found = sorted(binary.parent.parent.glob("lib/python3*/site-packages/prowler"))
    if not found:
        raise FileNotFoundError(f"no prowler package beside {binary}")
    return found[0]


def compliance(binary: Path) -> tuple[dict[str, list[str]], dict[str, bool]]:
    """(check id -> CIS v3.0 requirement ids, requirement id -> automated?) from Prowler."""
    path = _package(binary) / "compliance" / "aws" / f"{FRAMEWORK}.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    by_check: dict[str, list[str]] = defaultdict(list)
    automated: dict[str, bool] = {}
    for req in data["Requirements"]:
        attrs = req.get("Attributes") or [{}]
        automated[req["Id"]] = attrs[0].get("AssessmentStatus") == "Automated"
        for check in req.get("Checks", []):
            by_check[check].append(req["Id"])
    return dict(by_check), automated


def command(
    binary: Path, out_dir: Path, name: str, regions: tuple[str, ...], skip: tuple[str, ...] = ()
) -> list[str]:
    """Prowler scoped like mamori: the CIS v3.0 checks, the seeded regions, unused services
    included (Prowler skips e.g. unattached security groups otherwise), OCSF output."""
    excluded = ["--excluded-check", *skip] if skip else []
    return [
        str(binary),
        "aws",
        "--compliance",
        FRAMEWORK,
        "--scan-unused-services",
        "--region",
        *regions,
        "--output-formats",
        "json-ocsf",
        "--output-directory",
        str(out_dir),
        "--output-filename",
        name,
        "--no-banner",
        "--ignore-exit-code-3",
        "--log-level",
        "ERROR",
        "--log-file",
        str(out_dir / f"{name}.log"),
        *excluded,
    ]


def findings(out_dir: Path, name: str) -> list[Verdict]:
    """Prowler's findings from its OCSF output (a JSON array of Detection Findings)."""
    path = out_dir / f"{name}.ocsf.json"
    if not path.is_file():
        return []
    verdicts = []
    for item in json.loads(path.read_text(encoding="utf-8") or "[]"):
        resource = (item.get("resources") or [{}])[0]
        verdicts.append(
            Verdict(
                check=item["metadata"]["event_code"],
                status=item.get("status_code", ""),
                uid=resource.get("uid") or resource.get("name", ""),
                region=resource.get("region") or item.get("cloud", {}).get("region", ""),
            )
        )
    return verdicts


def errors(out_dir: Path, name: str) -> dict[str, list[str]]:
    """Prowler's logged errors, grouped per service: `{service: ["Kind Operation x N"]}`."""
    path = out_dir / f"{name}.log"
    if not path.is_file():
        return {}
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _ERROR.search(line)
        if match is None:
            continue
        service, msg = match["module"].removesuffix("_service"), match["msg"]
        if service == "check":  # a check that raised: name it
            service = "check " + msg.split(" --", 1)[0]
        op, kind = _OPERATION.search(msg), _KIND.search(msg)
        label = " ".join(x for x in ((kind[1] if kind else ""), (op[1] if op else "")) if x)
        counts[service][label or msg[:80]] += 1
    return {
        svc: [f"{label} x{n}" for label, n in sorted(labels.items())]
        for svc, labels in sorted(counts.items())
    }
