"""The result of one scan, handed from the engines to the store and the outputs."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import Field

from mamori.model.advisory import VulnerabilityMatch
from mamori.model.asset import Asset
from mamori.model.common import Frozen
from mamori.model.finding import Finding
from mamori.model.package import Sbom


class NoticeLevel(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Notice(Frozen):
    """Something the user should know about a scan: a skipped entry, an offline database."""

    level: NoticeLevel
    source: str  # the component that raised it, e.g. "sources.docker_archive"
    message: str
    path: str | None = None


class DatabaseInfo(Frozen):
    """The state of the advisory database a scan matched against."""

    path: str
    advisories: int
    ecosystems: tuple[str, ...] = ()
    updated_at: datetime | None = None
    available: bool = True


class ScanReport(Frozen):
    scan_id: str
    target: Asset
    started_at: datetime
    finished_at: datetime
    sbom: Sbom
    matches: tuple[VulnerabilityMatch, ...] = ()
    findings: tuple[Finding, ...] = ()
    notices: tuple[Notice, ...] = ()
    database: DatabaseInfo | None = None
    tool_version: str = ""
    stats: dict[str, float] = Field(default_factory=dict)
    # The rules this scan evaluated (posture: its check ids). When set, a stored finding
    # of another rule is outside this scan's view: its absence fixes nothing. Empty: the
    # scan covers every rule of its kind (a vulnerability scan matches all advisories).
    evaluated: tuple[str, ...] = ()
