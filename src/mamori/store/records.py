"""What the store hands back: typed, immutable records built on the core model."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mamori.model import Asset, DatabaseInfo, Distro, Finding, Frozen, Notice, Package


class ScanSummary(Frozen):
    """One stored scan without its packages and findings (what listings show)."""

    id: str
    asset: Asset
    kind: str
    status: str  # "completed", or "partial" when the scan reported errors
    started_at: datetime
    finished_at: datetime
    stored_at: datetime
    tool_version: str
    producer: str
    producer_version: str
    source: str | None = None
    package_count: int
    finding_count: int
    stats: dict[str, float] = Field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    database: DatabaseInfo | None = None
    distro: Distro | None = None
    layers: tuple[str, ...] = ()


class StoredScan(Frozen):
    """A stored scan in full. `findings` carry the status each had in this scan."""

    summary: ScanSummary
    packages: tuple[Package, ...]
    findings: tuple[Finding, ...]


class PackageChange(Frozen):
    """The same package (type and name) at another version."""

    before: Package
    after: Package


class ScanDiff(Frozen):
    """What changed from scan `before` to scan `after`."""

    before: str
    after: str
    new: tuple[Finding, ...] = ()  # seen by `after` only
    fixed: tuple[Finding, ...] = ()  # seen by `before` only
    unchanged: tuple[Finding, ...] = ()  # seen by both (status as in `after`)
    added: tuple[Package, ...] = ()
    removed: tuple[Package, ...] = ()
    changed: tuple[PackageChange, ...] = ()
