"""Shared value types: severity, identity and provenance carried by every record."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Severity(enum.StrEnum):
    """Severity of a finding, ordered from least to most severe."""

    UNKNOWN = "unknown"
    NEGLIGIBLE = "negligible"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Parse a severity name case-insensitively; unknown names give UNKNOWN."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            aliases = {"moderate": cls.MEDIUM, "important": cls.HIGH, "none": cls.NEGLIGIBLE}
            return aliases.get(value.strip().lower(), cls.UNKNOWN)

    @classmethod
    def from_cvss_score(cls, score: float) -> Severity:
        """Map a CVSS base score to its qualitative rating (CVSS v3/v4 scale)."""
        if score <= 0.0:
            return cls.NEGLIGIBLE
        if score < 4.0:
            return cls.LOW
        if score < 7.0:
            return cls.MEDIUM
        if score < 9.0:
            return cls.HIGH
        return cls.CRITICAL


_SEVERITY_ORDER = list(Severity)


class Frozen(BaseModel):
    """Base for immutable value objects."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Identity(Frozen):
    """Where something lives. Every asset, finding, event and alert carries one.

    Fields are optional: an image scan has no account, a cloud resource no host.
    """

    account: str | None = None
    region: str | None = None
    host: str | None = None
    container: str | None = None
    image: str | None = None
    image_digest: str | None = None
    cluster: str | None = None
    namespace: str | None = None
    pod: str | None = None


class Provenance(Frozen):
    """Who produced a record, when, and from what."""

    producer: str  # e.g. "mamori.scan.fs", "mamori.sensor", "mamori.posture.aws"
    producer_version: str
    scan_id: str | None = None
    observed_at: datetime
    source: str | None = None  # the input read: a path, an image ref, an API endpoint
