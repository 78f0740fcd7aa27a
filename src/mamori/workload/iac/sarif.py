"""SARIF 2.1.0 for IaC findings: the Kubernetes manifest writer, with AWS check help.

`workload.k8s.sarif` already renders misconfiguration findings with file, line and
suppressions; the IaC scan's findings carry the same evidence keys (`file`, `line`) and
asset attributes (`kind` = the IaC type, `object_name` = the address). Only the rules'
help comes from the AWS check registry here, and the tags say "iac".
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from mamori.model import ScanReport
from mamori.posture.check import checks
from mamori.registry import RegistryError
from mamori.workload.k8s.sarif import sarif_document


def iac_sarif_document(report: ScanReport) -> dict[str, Any]:
    document = sarif_document(report)
    for run in document["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            try:
                meta = checks.get(rule["id"]).metadata
            except RegistryError:
                continue
            rationale = " ".join(meta.rationale.split())
            remediation = " ".join(meta.remediation.split())
            rule["fullDescription"] = {"text": rationale}
            rule["help"] = {"text": f"{rationale}\n\nRemediation: {remediation}"}
            rule["properties"]["tags"] = ["security", "misconfiguration", "iac", "aws"]
            if meta.references:
                rule["helpUri"] = meta.references[0]
    return document


def render_iac_sarif(report: ScanReport, out: TextIO) -> None:
    json.dump(iac_sarif_document(report), out, indent=2, ensure_ascii=False)
    out.write("\n")
