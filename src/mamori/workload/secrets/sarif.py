"""SARIF 2.1.0 for secret findings: the shared writer (`workload.sarif`) with the
detectors' titles; results carry only the masked value (the finding's reason)."""

from __future__ import annotations

from typing import Any, TextIO

from mamori.model import ScanReport
from mamori.workload import sarif
from mamori.workload.secrets.detectors import RULES

REMEDIATION = (
    "Revoke and rotate the secret now (it is in the history of every copy of this file), "
    "remove it from the file, and load it at run time from a secret store or environment."
)


def describe_secret(rule_id: str) -> sarif.RuleHelp | None:
    rule = RULES.get(rule_id)
    if rule is None:
        return None
    text = f"A {rule.title} appears in a file: anyone who can read the file can use it."
    return sarif.RuleHelp(text, REMEDIATION)


PROFILE = sarif.SarifProfile(tags=("secret",), describe=describe_secret)


def secrets_sarif_document(report: ScanReport) -> dict[str, Any]:
    return sarif.sarif_document(report, PROFILE)


def render_secrets_sarif(report: ScanReport, out: TextIO) -> None:
    sarif.render_document(report, out, PROFILE)
