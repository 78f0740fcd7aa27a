"""Inventory snapshots in the store: one scan's resources and collection errors, in bulk.

A snapshot is written once, beside its scan row (`Store.save_scan` first, then
`Store.save_inventory`), with three bulk statements: the header, every resource, every
error. Rows are plain dicts handed to one `insert()` (an executemany), except the
resources on PostgreSQL, which go through COPY (`pgcopy`).

Attributes are stored as JSON (made JSON-safe first: `jsonsafe`). Reading for a diff
fetches them as text, so resources whose stored text is identical in both snapshots (most
of them, hour to hour) are never decoded: only what differs is parsed and compared.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Table, Text, cast, insert, select
from sqlalchemy.orm import Session

from mamori.model import CloudResource, CollectionError, ErrorKind, Exposure, Inventory
from mamori.store.history import DuplicateScanError
from mamori.store.jsonsafe import jsonable
from mamori.store.pgcopy import copy_rows
from mamori.store.schema import CloudInventoryRow, CloudResourceRow, CollectionErrorRow

log = logging.getLogger(__name__)


def resource_values(scan_id: str, seq: int, resource: CloudResource) -> dict[str, Any]:
    exposure = resource.exposure
    return {
        "scan_id": scan_id,
        "key": resource.key,
        "seq": seq,
        "type": resource.type,
        "id": resource.id,
        "name": resource.name,
        "arn": resource.arn,
        "account": resource.account,
        "region": resource.region,
        "attributes": jsonable(resource.attributes),
        "exposure": exposure.model_dump(mode="json") if exposure is not None else None,
    }


def only_account(inventory: Inventory, account: str) -> Inventory:
    """One account's part of a multi-account inventory."""
    return inventory.model_copy(
        update={
            "accounts": (account,),
            "resources": tuple(r for r in inventory.resources if r.account == account),
            "errors": tuple(e for e in inventory.errors if e.account == account),
        }
    )


def write_inventory(session: Session, scan_id: str, inventory: Inventory) -> int:
    """Insert the snapshot of `scan_id` in the session's transaction; returns the number
    of resources stored. A key reported twice keeps its last description (one row per key
    and scan, as the diff matches them)."""
    if session.get(CloudInventoryRow, scan_id) is not None:
        raise DuplicateScanError(f"the inventory of scan {scan_id} is already stored")
    unique = {r.key: r for r in inventory.resources}
    if len(unique) != len(inventory.resources):
        dropped = len(inventory.resources) - len(unique)
        log.warning("scan %s: %d resources repeat a key; the last is kept", scan_id, dropped)
    header = {
        "scan_id": scan_id,
        "provider": inventory.provider,
        "accounts": list(inventory.accounts),
        "regions": list(inventory.regions),
        "collected_at": inventory.collected_at,
        "resource_count": len(unique),
        "error_count": len(inventory.errors),
    }
    session.execute(insert(CloudInventoryRow), [header])
    rows = [resource_values(scan_id, i, r) for i, r in enumerate(unique.values())]
    if rows and session.get_bind().dialect.name == "postgresql":
        table = CloudResourceRow.__table__
        assert isinstance(table, Table)
        copy_rows(session, table, rows)
    elif rows:
        session.execute(insert(CloudResourceRow), rows)
    errors = [
        {
            "scan_id": scan_id,
            "seq": i,
            "type": e.type,
            "account": e.account,
            "region": e.region,
            "kind": str(e.kind),
            "message": e.message,
        }
        for i, e in enumerate(inventory.errors)
    ]
    if errors:
        session.execute(insert(CollectionErrorRow), errors)
    return len(rows)


class StoredResource(NamedTuple):
    """A resource row as read for a diff: attributes still JSON text."""

    key: str
    type: str
    id: str
    name: str
    arn: str | None
    account: str
    region: str
    attributes: str
    exposure: dict[str, Any] | None


def to_resource(row: StoredResource) -> CloudResource:
    return CloudResource(
        type=row.type,
        id=row.id,
        name=row.name,
        arn=row.arn,
        account=row.account,
        region=row.region,
        attributes=json.loads(row.attributes),
        exposure=Exposure.model_validate(row.exposure) if row.exposure is not None else None,
    )


def _error_kind(value: str) -> ErrorKind:
    try:
        return ErrorKind(value)
    except ValueError:  # written by a newer mamori
        return ErrorKind.ERROR


@dataclass
class Snapshot:
    header: CloudInventoryRow
    resources: list[StoredResource]
    errors: list[CollectionError]

    def inventory(self) -> Inventory:
        return Inventory(
            provider=self.header.provider,
            accounts=tuple(self.header.accounts),
            regions=tuple(self.header.regions),
            resources=tuple(to_resource(r) for r in self.resources),
            errors=tuple(self.errors),
            collected_at=self.header.collected_at,
        )


def read_snapshot(session: Session, scan_id: str, account: str | None = None) -> Snapshot | None:
    """The snapshot stored for `scan_id` (one account's part when given), or None."""
    header = session.get(CloudInventoryRow, scan_id)
    if header is None:
        return None
    table = CloudResourceRow
    query = select(
        table.key,
        table.type,
        table.id,
        table.name,
        table.arn,
        table.account,
        table.region,
        cast(table.attributes, Text),  # the stored text, verbatim on both databases
        table.exposure,
    ).where(table.scan_id == scan_id)
    errors = select(CollectionErrorRow).where(CollectionErrorRow.scan_id == scan_id)
    if account is not None:
        query = query.where(table.account == account)
        errors = errors.where(CollectionErrorRow.account == account)
    rows = [StoredResource(*row) for row in session.execute(query.order_by(table.seq))]
    found = [
        CollectionError(
            type=e.type,
            account=e.account,
            region=e.region,
            kind=_error_kind(e.kind),
            message=e.message,
        )
        for e in session.scalars(errors.order_by(CollectionErrorRow.seq))
    ]
    return Snapshot(header=header, resources=rows, errors=found)


def read_inventory(session: Session, scan_id: str, account: str | None = None) -> Inventory | None:
    snapshot = read_snapshot(session, scan_id, account)
    return snapshot.inventory() if snapshot is not None else None
