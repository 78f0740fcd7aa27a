"""Building one-rule Sigma documents and evaluating them on records."""

from __future__ import annotations

from typing import Any

import yaml

import mamori.rules.sources.aws_cloudtrail
import mamori.rules.sources.k8s_audit  # noqa: F401 - registers the sources
from mamori.rules.rule import Rule
from mamori.rules.sigma import load_sigma_text

LOGSOURCES = {
    "aws_cloudtrail": {"product": "aws", "service": "cloudtrail"},
    "k8s_audit": {"product": "kubernetes", "service": "audit"},
}


def sigma_rule(detection: dict[str, Any] | str, source: str = "aws_cloudtrail") -> Rule:
    """A compiled rule from a detection (a mapping, or YAML text of one)."""
    det = yaml.safe_load(detection) if isinstance(detection, str) else detection
    doc = {
        "title": "test rule",
        "id": "5f0c7c53-5d41-4f38-9f0e-1a4f1c0d1e2f",
        "status": "test",
        "level": "high",
        "logsource": LOGSOURCES[source],
        "detection": det,
    }
    result = load_sigma_text(yaml.safe_dump(doc, sort_keys=False), "test.yml")
    assert not result.errors, result.errors
    assert len(result.rules) == 1, result.warnings
    return result.rules[0]


def matches(
    detection: dict[str, Any] | str, record: dict[str, Any], source: str = "aws_cloudtrail"
) -> bool:
    return bool(sigma_rule(detection, source).check(record))
