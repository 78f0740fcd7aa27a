"""Frameworks meet checks: which checks a framework needs, and which requirements a finding
evidences.

A finding carries the framework requirements its check maps to in its evidence, so every
output (CSV, OCSF, JSON) can show them without loading the framework again:

    evidence["framework"]    = "cis_aws_3.0"
    evidence["requirements"] = "2.1.4,3.1"     (comma-separated requirement ids, file order)
"""

from __future__ import annotations

from collections.abc import Iterable

from mamori.model import Finding
from mamori.posture.check import checks
from mamori.posture.frameworks import Framework

FRAMEWORK_KEY = "framework"
REQUIREMENTS_KEY = "requirements"


def mapped_checks(framework: Framework) -> list[str]:
    """Every check id the framework names, in first-mention order, without duplicates."""
    seen: dict[str, None] = {}
    for requirement in framework.requirements:
        for check_id in requirement.checks:
            seen.setdefault(check_id, None)
    return list(seen)


def checks_for(framework: Framework) -> list[str]:
    """The registered checks a framework maps to: what a scan for it runs (sorted)."""
    known = set(checks.names())
    return sorted(c for c in mapped_checks(framework) if c in known)


def missing_checks(framework: Framework) -> list[str]:
    """Check ids the framework names that no registered check provides (yet)."""
    known = set(checks.names())
    return sorted(c for c in mapped_checks(framework) if c not in known)


def requirements_by_check(framework: Framework) -> dict[str, list[str]]:
    """check id -> the ids of the requirements it evidences, in framework order."""
    out: dict[str, list[str]] = {}
    for requirement in framework.requirements:
        for check_id in requirement.checks:
            ids = out.setdefault(check_id, [])
            if requirement.id not in ids:
                ids.append(requirement.id)
    return out


def annotate(findings: Iterable[Finding], framework: Framework) -> list[Finding]:
    """Copies of `findings` whose evidence names the framework and the mapped requirements.

    Findings of checks the framework does not map get `framework` and an empty
    `requirements`, so a reader can tell "not part of this framework" from "not annotated".
    """
    mapping = requirements_by_check(framework)
    out = []
    for finding in findings:
        evidence = dict(finding.evidence)
        evidence[FRAMEWORK_KEY] = framework.id
        evidence[REQUIREMENTS_KEY] = ",".join(mapping.get(finding.rule_id, ()))
        out.append(finding.model_copy(update={"evidence": evidence}))
    return out


def finding_requirements(finding: Finding) -> list[str]:
    """The requirement ids recorded on a finding by `annotate` (none if not annotated)."""
    raw = finding.evidence.get(REQUIREMENTS_KEY, "")
    return [r for r in raw.split(",") if r]
