"""Findings: anything mamori reports about an asset, from every engine."""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime

from pydantic import Field

from mamori.model.asset import Asset
from mamori.model.common import Frozen, Provenance, Severity


class FindingKind(enum.StrEnum):
    VULNERABILITY = "vulnerability"
    MISCONFIGURATION = "misconfiguration"
    THREAT = "threat"
    DRIFT = "drift"
    MALWARE = "malware"
    SECRET = "secret"


class FindingStatus(enum.StrEnum):
    OPEN = "open"
    FIXED = "fixed"  # seen before, not seen in the latest scan
    IGNORED = "ignored"  # suppressed by an ignore rule or a VEX statement
    PASS = "pass"  # posture checks: evaluated and compliant
    MANUAL = "manual"


class Finding(Frozen):
    """One result. `fingerprint` identifies the same finding across scans."""

    kind: FindingKind
    rule_id: str  # advisory id, check id, rule name
    title: str
    severity: Severity
    resource: Asset
    status: FindingStatus = FindingStatus.OPEN
    evidence: dict[str, str] = Field(default_factory=dict)
    first_seen: datetime
    last_seen: datetime
    provenance: Provenance
    # Free-text reason: for ignores, the ignore rule's reason; for checks, the verdict.
    reason: str = ""

    @property
    def fingerprint(self) -> str:
        subject = self.evidence.get("subject", "")
        raw = f"{self.kind}|{self.rule_id}|{self.resource.key}|{subject}"
        return hashlib.sha256(raw.encode()).hexdigest()[:32]
