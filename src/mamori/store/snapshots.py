"""Finding a scan's predecessor, and what the monitoring diff reads beside `diff_scans`."""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from mamori.store._url import StoreError
from mamori.store.schema import CloudInventoryRow, ScanRow, SightingRow


def previous_scan_id(
    session: Session,
    asset_key: str,
    kind: str,
    *,
    before: str | None = None,
    with_inventory: bool = False,
) -> str | None:
    """The newest scan of `asset_key` and `kind` that started before scan `before` (the
    newest of all without it). Scans are ordered by (started_at, id), so two scans started
    in the same instant still have one order. `with_inventory` skips scans that stored no
    inventory snapshot (one that failed between saving the scan and its inventory)."""
    query = select(ScanRow.id).where(ScanRow.asset_key == asset_key, ScanRow.kind == kind)
    if before is not None:
        anchor = session.get(ScanRow, before)
        if anchor is None:
            raise StoreError(f"no stored scan {before}")
        query = query.where(
            or_(
                ScanRow.started_at < anchor.started_at,
                and_(ScanRow.started_at == anchor.started_at, ScanRow.id < anchor.id),
            )
        )
    if with_inventory:
        query = query.where(exists().where(CloudInventoryRow.scan_id == ScanRow.id))
    query = query.order_by(ScanRow.started_at.desc(), ScanRow.id.desc()).limit(1)
    return session.scalar(query)


def sighting_statuses(session: Session, scan_id: str) -> dict[str, str]:
    """fingerprint -> the status that scan gave it."""
    query = select(SightingRow.fingerprint, SightingRow.status).where(
        SightingRow.scan_id == scan_id
    )
    return {fingerprint: status for fingerprint, status in session.execute(query)}


def has_inventory(session: Session, scan_id: str) -> bool:
    return session.get(CloudInventoryRow, scan_id) is not None
