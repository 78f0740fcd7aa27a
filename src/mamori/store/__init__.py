"""The persistent store: scans and their results kept as history (SQLite or PostgreSQL).

Import the public API from here; the modules behind it are private by convention.
"""

from mamori.store._url import ENV_VAR, StoreError, default_path, mask_url, resolve_url
from mamori.store.convert import match_finding, report_findings
from mamori.store.history import SCAN_COVERS, DuplicateScanError
from mamori.store.records import (
    AttributeChange,
    ChangeOp,
    ExposureChange,
    IdStep,
    InventoryDiff,
    PackageChange,
    ResourceChange,
    ScanDiff,
    ScanSummary,
    SnapshotDiff,
    StoredScan,
)
from mamori.store.repository import Store

__all__ = [
    "ENV_VAR",
    "SCAN_COVERS",
    "AttributeChange",
    "ChangeOp",
    "DuplicateScanError",
    "ExposureChange",
    "IdStep",
    "InventoryDiff",
    "PackageChange",
    "ResourceChange",
    "ScanDiff",
    "ScanSummary",
    "SnapshotDiff",
    "Store",
    "StoreError",
    "StoredScan",
    "default_path",
    "mask_url",
    "match_finding",
    "report_findings",
    "resolve_url",
]
