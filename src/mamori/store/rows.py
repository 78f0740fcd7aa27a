"""Translation between model objects and table rows (plain dicts for bulk statements)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mamori.model import (
    Asset,
    AssetKind,
    DatabaseInfo,
    Distro,
    Finding,
    FindingKind,
    FindingStatus,
    Identity,
    Location,
    Notice,
    Package,
    PackageType,
    Provenance,
    Severity,
)
from mamori.store.records import ScanSummary
from mamori.store.schema import IDENTITY_COLUMNS, AssetRow, FindingRow, PackageRow, ScanRow


def asset_values(asset: Asset, seen: datetime) -> dict[str, Any]:
    identity = asset.identity.model_dump()
    return {
        "key": asset.key,
        "kind": str(asset.kind),
        "name": asset.name,
        **{column: identity[column] for column in IDENTITY_COLUMNS},
        "attributes": dict(asset.attributes),
        "first_seen": seen,
        "last_seen": seen,
    }


def asset_from_row(row: AssetRow) -> Asset:
    identity = Identity(**{column: getattr(row, column) for column in IDENTITY_COLUMNS})
    return Asset(
        kind=AssetKind(row.kind),
        name=row.name,
        identity=identity,
        attributes=dict(row.attributes or {}),
    )


def package_values(scan_id: str, seq: int, package: Package) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "seq": seq,
        "package_id": package.id,
        "name": package.name,
        "version": package.version,
        "type": str(package.type),
        "purl": package.purl,
        "cataloger": package.cataloger,
        "layer": package.layer,
        "locations": [loc.model_dump(exclude_none=True) for loc in package.locations],
        "source_name": package.source_name,
        "source_version": package.source_version,
        "arch": package.arch,
        "licenses": list(package.licenses),
        "metadata_": dict(package.metadata),
    }


def package_from_row(row: PackageRow) -> Package:
    return Package(
        name=row.name,
        version=row.version,
        type=PackageType(row.type),
        purl=row.purl,
        cataloger=row.cataloger,
        locations=tuple(Location(**loc) for loc in row.locations),
        source_name=row.source_name,
        source_version=row.source_version,
        arch=row.arch,
        licenses=tuple(row.licenses),
        metadata=dict(row.metadata_),
    )


def finding_values(finding: Finding, scope_key: str, scan_id: str) -> dict[str, Any]:
    return {
        "fingerprint": finding.fingerprint,
        "asset_key": finding.resource.key,
        "scope_key": scope_key,
        "kind": str(finding.kind),
        "rule_id": finding.rule_id,
        "severity": str(finding.severity),
        "status": str(finding.status),
        "title": finding.title,
        "subject": finding.evidence.get("subject", ""),
        "evidence": dict(finding.evidence),
        "reason": finding.reason,
        "first_seen": finding.first_seen,
        "last_seen": finding.last_seen,
        "fixed_at": None,
        "last_scan_id": scan_id,
    }


def finding_from_row(
    row: FindingRow,
    asset: Asset,
    scan: ScanRow | None,
    *,
    status: str | None = None,
    severity: str | None = None,
    reason: str | None = None,
) -> Finding:
    """A finding as stored; `status`/`severity`/`reason` override it with a sighting's."""
    return Finding(
        kind=FindingKind(row.kind),
        rule_id=row.rule_id,
        title=row.title,
        severity=Severity(severity or row.severity),
        resource=asset,
        status=FindingStatus(status or row.status),
        evidence=dict(row.evidence),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        provenance=Provenance(
            producer=scan.producer if scan else "mamori.store",
            producer_version=scan.producer_version if scan else "",
            scan_id=row.last_scan_id,
            observed_at=row.last_seen,
            source=scan.source if scan else None,
        ),
        reason=row.reason if reason is None else reason,
    )


def scan_summary(row: ScanRow, asset: Asset) -> ScanSummary:
    return ScanSummary(
        id=row.id,
        asset=asset,
        kind=row.kind,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        stored_at=row.stored_at,
        tool_version=row.tool_version,
        producer=row.producer,
        producer_version=row.producer_version,
        source=row.source,
        package_count=row.package_count,
        finding_count=row.finding_count,
        stats=dict(row.stats),
        notices=tuple(Notice.model_validate(n) for n in row.notices),
        database=DatabaseInfo.model_validate(row.database) if row.database else None,
        distro=Distro.model_validate(row.distro) if row.distro else None,
        layers=tuple(row.layers),
    )
