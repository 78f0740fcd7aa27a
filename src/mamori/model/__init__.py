"""The core data model: pure, typed data with no I/O.

Every layer above imports from here; this package imports nothing of mamori's but itself.
"""

from mamori.model.advisory import (
    Advisory,
    Affected,
    CvssScore,
    RangeEvent,
    RangeType,
    VersionRange,
    VulnerabilityMatch,
)
from mamori.model.asset import Asset, AssetKind
from mamori.model.cloud import (
    GLOBAL_REGION,
    CloudResource,
    CollectionError,
    ErrorKind,
    Exposure,
    Inventory,
)
from mamori.model.common import Frozen, Identity, Provenance, Severity, utcnow
from mamori.model.finding import Finding, FindingKind, FindingStatus
from mamori.model.package import Distro, Location, Package, PackageType, Sbom
from mamori.model.report import DatabaseInfo, Notice, NoticeLevel, ScanReport

__all__ = [
    "GLOBAL_REGION",
    "Advisory",
    "Affected",
    "Asset",
    "AssetKind",
    "CloudResource",
    "CollectionError",
    "CvssScore",
    "DatabaseInfo",
    "Distro",
    "ErrorKind",
    "Exposure",
    "Finding",
    "FindingKind",
    "FindingStatus",
    "Frozen",
    "Identity",
    "Inventory",
    "Location",
    "Notice",
    "NoticeLevel",
    "Package",
    "PackageType",
    "Provenance",
    "RangeEvent",
    "RangeType",
    "Sbom",
    "ScanReport",
    "Severity",
    "VersionRange",
    "VulnerabilityMatch",
    "utcnow",
]
