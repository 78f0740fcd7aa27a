"""SARIF for Dockerfile and secret findings: the Kubernetes scan's SARIF writer
(`mamori.workload.k8s.sarif`), with each rule's description, help and tags filled in
from this scan's own rule metadata (that writer only knows the k8s checks).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from mamori.model import ScanReport
from mamori.posture.checks.dockerfile import dockerfile_checks
from mamori.registry import RegistryError
from mamori.workload.k8s.sarif import sarif_document

# rule id -> (description, remediation, help URL) or None when unknown
Describe = Callable[[str], tuple[str, str, str] | None]


def describe_check(rule_id: str) -> tuple[str, str, str] | None:
    try:
        meta = dockerfile_checks.get(rule_id).metadata
    except RegistryError:
        return None
    refs = meta.references
    return (
        " ".join(meta.rationale.split()),
        " ".join(meta.remediation.split()),
        (refs[0] if refs else ""),
    )


def document(report: ScanReport, describe: Describe, tags: list[str]) -> dict[str, Any]:
    doc = sarif_document(report)
    for run in doc["runs"]:
        for rule in run["tool"]["driver"]["rules"]:
            rule["properties"]["tags"] = ["security", *tags]
            known = describe(rule["id"])
            if known is None:
                continue
            rationale, remediation, url = known
            rule["fullDescription"] = {"text": rationale}
            rule["help"] = {"text": f"{rationale}\n\nRemediation: {remediation}".strip()}
            if url:
                rule["helpUri"] = url
    return doc


def render(report: ScanReport, out: TextIO, describe: Describe, tags: list[str]) -> None:
    json.dump(document(report, describe, tags), out, indent=2, ensure_ascii=False)
    out.write("\n")


def render_dockerfile_sarif(report: ScanReport, out: TextIO) -> None:
    render(report, out, describe_check, ["misconfiguration", "dockerfile"])
