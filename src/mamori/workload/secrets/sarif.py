"""SARIF for secret findings: the shared writer (`workload.dockerfile.sarif`, itself the
k8s scan's) with the detectors' titles; results carry only the masked value."""

from __future__ import annotations

from typing import TextIO

from mamori.model import ScanReport
from mamori.workload.dockerfile.sarif import render
from mamori.workload.secrets.detectors import RULES

REMEDIATION = (
    "Revoke and rotate the secret now (it is in the history of every copy of this file), "
    "remove it from the file, and load it at run time from a secret store or environment."
)


def describe_secret(rule_id: str) -> tuple[str, str, str] | None:
    rule = RULES.get(rule_id)
    if rule is None:
        return None
    text = f"A {rule.title} appears in a file: anyone who can read the file can use it."
    return text, REMEDIATION, ""


def render_secrets_sarif(report: ScanReport, out: TextIO) -> None:
    render(report, out, describe_secret, ["secret"])
