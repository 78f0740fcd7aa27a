"""The store: scans and their results kept as history, in SQLite or PostgreSQL.

with Store.open() as store:             # MAMORI_DB_URL, else the XDG SQLite file
    scan_id = store.save_scan(report, ignored=suppressed)
    open_now = store.findings(report.target.key, status=FindingStatus.OPEN)
    changes = store.diff(previous_id, scan_id)
    store.save_inventory(scan_id, inventory)   # cloud scans: the snapshot
    since = store.diff_previous(scan_id)      # what changed since the account's last scan
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Self

from sqlalchemy import Engine, or_, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from mamori.model import Asset, Finding, FindingKind, FindingStatus, Inventory, ScanReport, utcnow
from mamori.store import migrate
from mamori.store._url import StoreError, mask_url, resolve_url, scrub
from mamori.store.convert import report_findings
from mamori.store.diff import diff_scans
from mamori.store.engine import make_engine, writer
from mamori.store.history import DuplicateScanError, scan_uuid, write_scan
from mamori.store.inventory import (
    only_account,
    read_inventory,
    read_snapshot,
    to_resource,
    write_inventory,
)
from mamori.store.inventory_diff import diff_resources, finding_changes
from mamori.store.queries import scan_findings, scan_packages
from mamori.store.records import InventoryDiff, ScanDiff, ScanSummary, SnapshotDiff, StoredScan
from mamori.store.rows import asset_from_row, finding_from_row, scan_summary
from mamori.store.schema import AssetRow, FindingRow, ScanRow
from mamori.store.snapshots import has_inventory, previous_scan_id, sighting_statuses
from mamori.vuln.suppress import Suppressed


class Store:
    """A handle on the database. Safe to share between threads; one per process is enough."""

    def __init__(self, engine: Engine, url: URL) -> None:
        self._engine = engine
        self._writer = writer(engine)
        self._url = url

    @classmethod
    def open(cls, url: str | URL | None = None, *, migrate_schema: bool = True) -> Store:
        """Open (creating an SQLite file if needed) and migrate to the newest schema."""
        resolved = resolve_url(url)
        engine: Engine | None = None
        try:
            engine = make_engine(resolved)
            if migrate_schema:
                migrate.upgrade(engine)
        except (SQLAlchemyError, OSError, StoreError) as exc:
            if engine is not None:
                engine.dispose()
            message = scrub(str(getattr(exc, "orig", None) or exc), resolved)
            raise StoreError(f"cannot open store {mask_url(resolved)}: {message}") from None
        return cls(engine, resolved)

    @property
    def url(self) -> str:
        """The database URL, password masked."""
        return mask_url(self._url)

    @property
    def engine(self) -> Engine:
        return self._engine

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _fail(self, action: str, exc: Exception) -> StoreError:
        message = scrub(str(getattr(exc, "orig", None) or exc), self._url)
        return StoreError(f"{action} failed on {self.url}: {message}")

    # -- writing -------------------------------------------------------------------------

    def save_scan(
        self,
        report: ScanReport,
        *,
        kind: str = "vuln",
        ignored: Iterable[Suppressed] = (),
        producer: str | None = None,
    ) -> str:
        """Store a scan, its packages and findings; returns the scan's id (a UUID).

        Matches become OPEN findings and `ignored` matches IGNORED ones with their reason.
        A fingerprint seen before keeps its `first_seen`; the scope's live findings this
        scan did not see become FIXED. Raises DuplicateScanError for a stored scan id.
        """
        producer = producer or f"mamori.scan.{kind}"
        findings = report_findings(report, ignored, producer=producer)
        try:
            with Session(self._writer) as session, session.begin():
                return write_scan(
                    session, report, findings, kind=kind, producer=producer, stored_at=utcnow()
                )
        except DuplicateScanError:
            raise
        except IntegrityError as exc:
            if self.get_scan(scan_uuid(report.scan_id)) is not None:
                raise DuplicateScanError(f"scan {report.scan_id} is already stored") from None
            raise self._fail("save_scan", exc) from None
        except SQLAlchemyError as exc:
            raise self._fail("save_scan", exc) from None

    # -- reading -------------------------------------------------------------------------

    def list_scans(
        self, asset_key: str | None = None, *, kind: str | None = None, limit: int = 50
    ) -> list[ScanSummary]:
        """The newest scans first, optionally of one asset and one kind."""
        query = select(ScanRow, AssetRow).join(AssetRow, AssetRow.key == ScanRow.asset_key)
        if asset_key is not None:
            query = query.where(ScanRow.asset_key == asset_key)
        if kind is not None:
            query = query.where(ScanRow.kind == kind)
        query = query.order_by(ScanRow.started_at.desc(), ScanRow.id).limit(limit)
        with Session(self._engine) as session:
            return [scan_summary(s, asset_from_row(a)) for s, a in session.execute(query)]

    def get_scan(self, scan_id: str) -> StoredScan | None:
        """A stored scan with its packages and the findings it saw, or None."""
        key = scan_uuid(scan_id)
        with Session(self._engine) as session:
            pair = session.execute(
                select(ScanRow, AssetRow)
                .join(AssetRow, AssetRow.key == ScanRow.asset_key)
                .where(ScanRow.id == key)
            ).first()
            if pair is None:
                return None
            scan, asset_row = pair
            summary = scan_summary(scan, asset_from_row(asset_row))
            return StoredScan(
                summary=summary,
                packages=tuple(scan_packages(session, key)),
                findings=tuple(scan_findings(session, key)),
            )

    def findings(
        self,
        asset_key: str | None = None,
        *,
        status: FindingStatus | Sequence[FindingStatus] | None = None,
        kind: FindingKind | None = None,
        limit: int | None = None,
    ) -> list[Finding]:
        """Current findings of an asset (as subject or as scanned scope), newest first."""
        query = select(FindingRow, AssetRow, ScanRow).join(
            AssetRow, AssetRow.key == FindingRow.asset_key
        )
        query = query.outerjoin(ScanRow, ScanRow.id == FindingRow.last_scan_id)
        if asset_key is not None:
            query = query.where(
                or_(FindingRow.asset_key == asset_key, FindingRow.scope_key == asset_key)
            )
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            query = query.where(FindingRow.status.in_([str(s) for s in wanted]))
        if kind is not None:
            query = query.where(FindingRow.kind == str(kind))
        query = query.order_by(FindingRow.last_seen.desc(), FindingRow.fingerprint)
        if limit is not None:
            query = query.limit(limit)
        with Session(self._engine) as session:
            assets: dict[str, Asset] = {}
            result = []
            for row, asset_row, scan in session.execute(query):
                asset = assets.setdefault(asset_row.key, asset_from_row(asset_row))
                result.append(finding_from_row(row, asset, scan))
            return result

    def assets(self) -> list[Asset]:
        with Session(self._engine) as session:
            rows = session.scalars(select(AssetRow).order_by(AssetRow.last_seen.desc()))
            return [asset_from_row(row) for row in rows]

    def diff(self, scan_a: str, scan_b: str) -> ScanDiff:
        """New, fixed and unchanged findings and added/removed/changed packages, a -> b."""
        with Session(self._engine) as session:
            keys = (scan_uuid(scan_a), scan_uuid(scan_b))
            for key in keys:
                if session.get(ScanRow, key) is None:
                    raise StoreError(f"no stored scan {key}")
            return diff_scans(session, *keys)

    # -- inventory snapshots ---------------------------------------------------------------

    def save_inventory(
        self, scan_id: str, inventory: Inventory, *, account: str | None = None
    ) -> int:
        """Store the inventory a stored scan collected (only `account`'s part when given:
        a multi-account scan stores one report per account); returns the resources stored.

        One snapshot per scan: a second one raises DuplicateScanError."""
        key = scan_uuid(scan_id)
        if account is not None:
            inventory = only_account(inventory, account)
        try:
            with Session(self._writer) as session, session.begin():
                if session.get(ScanRow, key) is None:
                    raise StoreError(f"no stored scan {key}")
                return write_inventory(session, key, inventory)
        except StoreError:
            raise
        except IntegrityError as exc:  # a concurrent save of the same snapshot won
            with Session(self._engine) as session:
                if has_inventory(session, key):
                    message = f"the inventory of scan {key} is already stored"
                    raise DuplicateScanError(message) from None
            raise self._fail("save_inventory", exc) from None
        except SQLAlchemyError as exc:
            raise self._fail("save_inventory", exc) from None

    def get_inventory(self, scan_id: str, *, account: str | None = None) -> Inventory | None:
        """The inventory stored with a scan (only `account`'s part when given), or None."""
        with Session(self._engine) as session:
            return read_inventory(session, scan_uuid(scan_id), account)

    def previous_scan(
        self,
        asset_key: str,
        kind: str,
        *,
        before: str | None = None,
        with_inventory: bool = False,
    ) -> ScanSummary | None:
        """The latest scan of an asset and kind before scan `before` (or the latest)."""
        anchor = scan_uuid(before) if before is not None else None
        with Session(self._engine) as session:
            found = previous_scan_id(
                session, asset_key, kind, before=anchor, with_inventory=with_inventory
            )
        return self.get_summary(found) if found is not None else None

    def get_summary(self, scan_id: str) -> ScanSummary | None:
        """A stored scan without its packages and findings, or None."""
        query = (
            select(ScanRow, AssetRow)
            .join(AssetRow, AssetRow.key == ScanRow.asset_key)
            .where(ScanRow.id == scan_uuid(scan_id))
        )
        with Session(self._engine) as session:
            pair = session.execute(query).first()
            return scan_summary(pair[0], asset_from_row(pair[1])) if pair else None

    def diff_inventory(
        self, scan_a: str, scan_b: str, *, account: str | None = None
    ) -> InventoryDiff:
        """Resources added, removed and changed from scan a's snapshot to scan b's."""
        keys = (scan_uuid(scan_a), scan_uuid(scan_b))
        with Session(self._engine) as session:
            before, after = (read_snapshot(session, k, account) for k in keys)
        for key, snapshot in zip(keys, (before, after), strict=True):
            if snapshot is None:
                raise StoreError(f"scan {key} has no stored inventory")
        assert before is not None and after is not None
        return diff_resources(
            {r.key: r for r in before.resources},
            {r.key: r for r in after.resources},
            before.errors,
            after.errors,
            load=to_resource,
            same=operator.eq,  # same row: same text, same exposure, same name...
            before_id=keys[0],
            after_id=keys[1],
        )

    def snapshot_diff(
        self, scan_a: str, scan_b: str, *, account: str | None = None
    ) -> SnapshotDiff:
        """Inventory changes (when both scans stored one) and findings new and resolved."""
        scan = self.diff(scan_a, scan_b)
        keys = (scan_uuid(scan_a), scan_uuid(scan_b))
        with Session(self._engine) as session:
            statuses = sighting_statuses(session, keys[0])
            has = [has_inventory(session, k) for k in keys]
        inventory = self.diff_inventory(*keys, account=account) if all(has) else None
        unseen = {r.key for r in inventory.unseen} if inventory is not None else set()
        new, resolved, unverified = finding_changes(scan, statuses, unseen)
        return SnapshotDiff(
            before=keys[0],
            after=keys[1],
            inventory=inventory,
            new_findings=tuple(new),
            resolved_findings=tuple(resolved),
            unverified_findings=tuple(unverified),
            scan=scan,
        )

    def diff_previous(self, scan_id: str) -> SnapshotDiff | None:
        """What changed since the previous scan of the same asset and kind (None for the
        first). A scan with a snapshot is compared with the previous one that has one, or,
        when none has (scans stored before snapshots existed), findings only."""
        summary = self.get_summary(scan_id)
        if summary is None:
            raise StoreError(f"no stored scan {scan_uuid(scan_id)}")
        with Session(self._engine) as session:
            asset, kind = summary.asset.key, summary.kind
            previous = None
            if has_inventory(session, summary.id):
                previous = previous_scan_id(
                    session, asset, kind, before=summary.id, with_inventory=True
                )
            if previous is None:
                previous = previous_scan_id(session, asset, kind, before=summary.id)
        return self.snapshot_diff(previous, summary.id) if previous is not None else None
