"""Writing one scan: the asset, the scan row, its packages, and the findings' history.

Bulk statements (one `insert()` with a list of rows) keep a scan of thousands of packages
to a few round trips. Finding state advances only forwards in time: a scan older than a
finding's last sighting (an agent's late upload) adds its sightings and may move
`first_seen` back, but never reopens or fixes anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mamori.model import Asset, Finding, FindingKind, FindingStatus, NoticeLevel, ScanReport
from mamori.store._url import StoreError
from mamori.store.rows import asset_values, finding_values, package_values
from mamori.store.schema import AssetRow, FindingRow, PackageRow, ScanRow, SightingRow

# Statuses a finding can leave by not being seen again.
_LIVE = (str(FindingStatus.OPEN), str(FindingStatus.IGNORED))
# Which finding kinds a scan kind reports on, hence may declare fixed when absent.
SCAN_COVERS: dict[str, tuple[FindingKind, ...]] = {
    "vuln": (FindingKind.VULNERABILITY,),
    "secret": (FindingKind.SECRET,),
    "posture": (FindingKind.MISCONFIGURATION,),
    "malware": (FindingKind.MALWARE,),
}
_CHUNK = 500  # bound for IN (...) lists


class DuplicateScanError(StoreError):
    """The scan id is already stored."""


def scan_uuid(scan_id: str) -> str:
    """The UUID a scan is stored under: its own id, or a UUID derived from it."""
    try:
        return str(uuid.UUID(scan_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mamori:scan:{scan_id}"))


def _upsert_assets(session: Session, assets: Iterable[Asset], seen: datetime) -> None:
    dialect = session.get_bind().dialect.name
    unique = {asset.key: asset for asset in assets}
    for key in sorted(unique):  # a fixed order: concurrent writers lock rows alike
        values = asset_values(unique[key], seen)
        if dialect == "postgresql":
            pg = postgresql.insert(AssetRow).values(values)
            later = func.greatest(AssetRow.last_seen, pg.excluded.last_seen)
            stmt: Any = pg.on_conflict_do_update(
                index_elements=["key"],
                set_={"last_seen": later, "attributes": pg.excluded.attributes},
            )
        else:
            lite = sqlite.insert(AssetRow).values(values)
            later = func.max(AssetRow.last_seen, lite.excluded.last_seen)
            stmt = lite.on_conflict_do_update(
                index_elements=["key"],
                set_={"last_seen": later, "attributes": lite.excluded.attributes},
            )
        session.execute(stmt)


def _scan_values(
    report: ScanReport, scan_id: str, kind: str, producer: str, stored_at: datetime, count: int
) -> dict[str, Any]:
    errors = any(n.level is NoticeLevel.ERROR for n in report.notices)
    sbom = report.sbom
    return {
        "id": scan_id,
        "asset_key": report.target.key,
        "kind": kind,
        "status": "partial" if errors else "completed",
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "stored_at": stored_at,
        "tool_version": report.tool_version,
        "producer": producer,
        "producer_version": report.tool_version,
        "source": report.target.name,
        "distro": sbom.distro.model_dump(mode="json") if sbom.distro else None,
        "layers": list(sbom.layers),
        "database": report.database.model_dump(mode="json") if report.database else None,
        "stats": dict(report.stats),
        "notices": [n.model_dump(mode="json") for n in report.notices],
        "package_count": len(sbom.packages),
        "finding_count": count,
    }


class _Known(NamedTuple):
    first_seen: datetime
    last_seen: datetime
    fixed_at: datetime | None
    status: str
    kind: str
    rule_id: str


def _existing(session: Session, scope: str, fingerprints: Sequence[str]) -> dict[str, _Known]:
    """The stored state of the scope's findings and of this scan's fingerprints stored
    under another scope."""
    columns = (
        FindingRow.fingerprint,
        FindingRow.first_seen,
        FindingRow.last_seen,
        FindingRow.fixed_at,
        FindingRow.status,
        FindingRow.kind,
        FindingRow.rule_id,
    )
    found = session.execute(select(*columns).where(FindingRow.scope_key == scope))
    rows = {r[0]: _Known(*r[1:]) for r in found}
    missing = [fp for fp in fingerprints if fp not in rows]
    for start in range(0, len(missing), _CHUNK):
        chunk = missing[start : start + _CHUNK]
        found = session.execute(select(*columns).where(FindingRow.fingerprint.in_(chunk)))
        rows.update({r[0]: _Known(*r[1:]) for r in found})
    return rows


def write_scan(
    session: Session,
    report: ScanReport,
    findings: Sequence[Finding],
    *,
    kind: str,
    producer: str,
    stored_at: datetime,
) -> str:
    """Store `report` with its `findings` in the session's transaction; returns the scan id."""
    scan_id = scan_uuid(report.scan_id)
    scope = report.target.key
    _upsert_assets(session, [report.target, *(f.resource for f in findings)], report.finished_at)
    # Writers of one scope queue here (PostgreSQL row lock; SQLite holds its write lock).
    session.execute(select(AssetRow.key).where(AssetRow.key == scope).with_for_update())
    if session.get(ScanRow, scan_id) is not None:
        raise DuplicateScanError(f"scan {scan_id} is already stored")
    values = _scan_values(report, scan_id, kind, producer, stored_at, len(findings))
    session.execute(insert(ScanRow), [values])
    packages = [package_values(scan_id, i, p) for i, p in enumerate(report.sbom.packages)]
    if packages:
        session.execute(insert(PackageRow), packages)
    _merge_findings(session, report, scan_id, kind, findings)
    sightings = [
        {
            "scan_id": scan_id,
            "fingerprint": f.fingerprint,
            "status": str(f.status),
            "severity": str(f.severity),
            "reason": f.reason,
        }
        for f in findings
    ]
    if sightings:
        session.execute(insert(SightingRow), sightings)
    return scan_id


def _merge_findings(
    session: Session, report: ScanReport, scan_id: str, kind: str, findings: Sequence[Finding]
) -> None:
    """Fold one scan's sightings into the findings' state.

    The state is a function of the set of stored scans, whatever order they arrived in:
    first_seen is the earliest sighting, last_seen the latest; the latest sighting sets
    status, severity and evidence, unless a newer scan of the scope did not see the
    finding, which makes it FIXED as of the first such scan.
    """
    scope = report.target.key
    seen = report.finished_at
    covers = {str(k) for k in SCAN_COVERS.get(kind, ())} | {str(f.kind) for f in findings}
    evaluated = set(report.evaluated)  # empty: every rule of the covered kinds
    # The first scan of this scope and kind after this one, if this one arrived late.
    next_scan = session.scalar(
        select(func.min(ScanRow.finished_at)).where(
            ScanRow.asset_key == scope,
            ScanRow.kind == kind,
            ScanRow.finished_at > seen,
            ScanRow.id != scan_id,
        )
    )
    by_fp = {f.fingerprint: f for f in findings}
    existing = _existing(session, scope, list(by_fp))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for fp, finding in by_fp.items():
        row = finding_values(finding, scope, scan_id)
        row["last_seen"] = seen
        if next_scan is not None:  # a newer scan already ran without seeing it
            row.update(status=str(FindingStatus.FIXED), fixed_at=next_scan)
        old = existing.get(fp)
        if old is None:
            row["first_seen"] = min(finding.first_seen, seen)
            inserts.append(row)
            continue
        first = min(old.first_seen, finding.first_seen, seen)
        if seen >= old.last_seen:  # the latest sighting: it speaks for the finding
            row["first_seen"] = first
            row.pop("scope_key")
            updates.append(row)
        elif first < old.first_seen:
            updates.append({"fingerprint": fp, "first_seen": first})
    fixed = str(FindingStatus.FIXED)
    for fp, known in existing.items():
        if fp in by_fp or known.kind not in covers or known.last_seen >= seen:
            continue
        if evaluated and known.rule_id not in evaluated:  # another framework's check
            continue
        if known.status in _LIVE or (
            known.status == fixed and known.fixed_at is not None and seen < known.fixed_at
        ):
            updates.append({"fingerprint": fp, "status": fixed, "fixed_at": seen})
    if inserts:
        session.execute(insert(FindingRow), inserts)
    _bulk_update(session, updates)


def _bulk_update(session: Session, updates: list[dict[str, Any]]) -> None:
    """ORM bulk UPDATE by primary key, grouped by the set of columns each row changes."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in updates:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for rows in groups.values():
        session.execute(update(FindingRow), rows)
