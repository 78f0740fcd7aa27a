"""Read queries shared by the repository and the diff."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mamori.model import Asset, Finding, Package
from mamori.store.rows import asset_from_row, finding_from_row, package_from_row
from mamori.store.schema import AssetRow, FindingRow, PackageRow, ScanRow, SightingRow


def scan_packages(session: Session, scan_id: str) -> list[Package]:
    """A scan's packages, in SBOM order."""
    rows = session.scalars(
        select(PackageRow).where(PackageRow.scan_id == scan_id).order_by(PackageRow.seq)
    )
    return [package_from_row(row) for row in rows]


def scan_findings(session: Session, scan_id: str) -> list[Finding]:
    """The findings one scan saw, each with the status, severity and reason it had then."""
    query = (
        select(SightingRow, FindingRow, AssetRow, ScanRow)
        .join(FindingRow, FindingRow.fingerprint == SightingRow.fingerprint)
        .join(AssetRow, AssetRow.key == FindingRow.asset_key)
        .outerjoin(ScanRow, ScanRow.id == FindingRow.last_scan_id)
        .where(SightingRow.scan_id == scan_id)
        .order_by(FindingRow.rule_id, FindingRow.fingerprint)
    )
    assets: dict[str, Asset] = {}
    found = []
    for sighting, row, asset_row, scan in session.execute(query):
        asset = assets.setdefault(asset_row.key, asset_from_row(asset_row))
        found.append(
            finding_from_row(
                row,
                asset,
                scan,
                status=sighting.status,
                severity=sighting.severity,
                reason=sighting.reason,
            )
        )
    return found
