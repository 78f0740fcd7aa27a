"""What the store hands back: typed, immutable records built on the core model."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import Field

from mamori.model import (
    Asset,
    CloudResource,
    CollectionError,
    DatabaseInfo,
    Distro,
    Exposure,
    Finding,
    Frozen,
    Notice,
    Package,
)


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


# -- inventory snapshots -------------------------------------------------------------------


class IdStep(Frozen):
    """A step into a list of objects matched by a natural id, e.g. `[rule_number=100]`."""

    fields: tuple[str, ...]
    values: tuple[bool | int | float | str | None, ...]


# A step into a value: a dict key, a list position, or a list element by natural id.
Step = str | int | IdStep


class ChangeOp(enum.StrEnum):
    ADDED = "added"  # `new` only
    REMOVED = "removed"  # `old` only
    CHANGED = "changed"  # `old` -> `new`


class AttributeChange(Frozen):
    """One difference at `path` ("ingress[2].ipv4_ranges[0]", "rules[id=sgr-1].to_port").

    `steps` is the same path as data; `[n]` means compared by position, `[field=value]`
    by natural id (see `mamori.store.deep_diff`)."""

    path: str
    steps: tuple[Step, ...]
    op: ChangeOp
    old: Any = None
    new: Any = None


class ExposureChange(Frozen):
    before: Exposure | None
    after: Exposure | None


class ResourceChange(Frozen):
    """A resource present in both snapshots whose description differs."""

    key: str
    type: str
    id: str
    name: str
    arn: str | None = None
    account: str
    region: str
    fields: tuple[AttributeChange, ...] = ()  # top-level: name, arn, id
    attributes: tuple[AttributeChange, ...] = ()
    exposure: ExposureChange | None = None


class InventoryDiff(Frozen):
    """What changed in the inventory from snapshot `before` to snapshot `after`.

    A resource missing on one side where that side failed to collect its type (a
    CollectionError for its type, account and region) is not claimed removed or added: it
    is `unseen` (in `before`, hidden from `after`) or `newly_visible` (in `after`, hidden
    from `before`)."""

    before: str
    after: str
    added: tuple[CloudResource, ...] = ()
    removed: tuple[CloudResource, ...] = ()
    changed: tuple[ResourceChange, ...] = ()
    unseen: tuple[CloudResource, ...] = ()
    newly_visible: tuple[CloudResource, ...] = ()
    new_errors: tuple[CollectionError, ...] = ()
    cleared_errors: tuple[CollectionError, ...] = ()
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.unseen
            or self.newly_visible
            or self.new_errors
            or self.cleared_errors
        )


class SnapshotDiff(Frozen):
    """Everything that changed between two scans of one account: the monitoring view.

    `new_findings` are OPEN in `after` and were not OPEN in `before` (new, or a PASS that
    now fails); `resolved_findings` were OPEN in `before` and are not in `after`, with the
    status they have now (FIXED when no longer reported, else e.g. PASS or IGNORED).
    `unverified_findings` were OPEN in `before` and are about a resource `after` could not
    collect (`inventory.unseen`): not reported, but not known to be fixed either.
    `scan` is the plain fingerprint comparison (`Store.diff`) they are derived from."""

    before: str
    after: str
    inventory: InventoryDiff | None  # None when either scan stored no inventory
    new_findings: tuple[Finding, ...] = ()
    resolved_findings: tuple[Finding, ...] = ()
    unverified_findings: tuple[Finding, ...] = ()
    scan: ScanDiff
