"""The tables of the store, as SQLAlchemy ORM models (the migrations must agree with them).

Keys are chosen for what comes next: a central server merging data from many scanners and
streaming agents. Assets are keyed by `Asset.key` and findings by `Finding.fingerprint`,
both content-derived, so two producers that see the same thing write the same row without
coordinating on a sequence. Scan ids are UUIDs made by the producer.

    assets 1--* scans 1--* scan_packages
       |          |
       |          +--* finding_sightings *--1 findings *--1 assets
       +----------------------------------------------+

`findings` holds the current state of each finding (status, first/last seen); history is
`finding_sightings`, one row per finding per scan that saw it. A finding's `scope_key` is
the asset whose scans produce it (the scanned image), `asset_key` the asset it is about
(equal for vulnerability scans; different for a cloud account scan that reports on
buckets). A scan of a scope may mark that scope's findings FIXED.

Runtime events and alerts (next steps) fit beside these, not inside them: an `events`
table (append-only, partitioned by time on PostgreSQL) keyed by a UUID with `asset_key`,
identity columns and a JSON payload; an `alerts` table referencing the triggering events
and, when an alert concerns a known weakness, the `findings.fingerprint` it relates to, so
risk ranking can join runtime activity to agentless findings through `assets.key`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

IDENTITY_COLUMNS = (
    "account",
    "region",
    "host",
    "container",
    "image",
    "image_digest",
    "cluster",
    "namespace",
    "pod",
)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC and always read back aware.

    PostgreSQL keeps the zone (timestamptz); SQLite keeps text without one, so values
    are converted to UTC on the way in and tagged UTC on the way out. Naive input is
    taken to be UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AssetRow(Base):
    __tablename__ = "assets"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String, index=True)
    account: Mapped[str | None] = mapped_column(String, index=True)
    region: Mapped[str | None] = mapped_column(String, index=True)
    host: Mapped[str | None] = mapped_column(String, index=True)
    container: Mapped[str | None] = mapped_column(String, index=True)
    image: Mapped[str | None] = mapped_column(String, index=True)
    image_digest: Mapped[str | None] = mapped_column(String, index=True)
    cluster: Mapped[str | None] = mapped_column(String, index=True)
    namespace: Mapped[str | None] = mapped_column(String, index=True)
    pod: Mapped[str | None] = mapped_column(String, index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)


class ScanRow(Base):
    __tablename__ = "scans"
    __table_args__ = (Index("ix_scans_asset_key_started_at", "asset_key", "started_at"),)

    id: Mapped[str] = mapped_column(Uuid(as_uuid=False), primary_key=True)
    asset_key: Mapped[str] = mapped_column(ForeignKey("assets.key", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32), index=True)  # "vuln", later "posture", ...
    status: Mapped[str] = mapped_column(String(32))  # "completed", "partial"
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime)
    tool_version: Mapped[str] = mapped_column(String)
    producer: Mapped[str] = mapped_column(String)
    producer_version: Mapped[str] = mapped_column(String)
    source: Mapped[str | None] = mapped_column(String)
    distro: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    layers: Mapped[list[str]] = mapped_column(JSON)
    database: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    stats: Mapped[dict[str, float]] = mapped_column(JSON)
    notices: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    package_count: Mapped[int] = mapped_column(Integer)
    finding_count: Mapped[int] = mapped_column(Integer)


class PackageRow(Base):
    """One package of one scan. `seq` is its position in the SBOM (no sequence needed)."""

    __tablename__ = "scan_packages"

    scan_id: Mapped[str] = mapped_column(
        Uuid(as_uuid=False), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    package_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String, index=True)
    version: Mapped[str] = mapped_column(String)
    type: Mapped[str] = mapped_column(String(32))
    purl: Mapped[str] = mapped_column(String, index=True)
    cataloger: Mapped[str] = mapped_column(String)
    layer: Mapped[str | None] = mapped_column(String)
    locations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    source_name: Mapped[str | None] = mapped_column(String)
    source_version: Mapped[str | None] = mapped_column(String)
    arch: Mapped[str | None] = mapped_column(String)
    licenses: Mapped[list[str]] = mapped_column(JSON)
    metadata_: Mapped[dict[str, str]] = mapped_column("metadata", JSON)


class FindingRow(Base):
    """The current state of one finding; `finding_sightings` keeps its history."""

    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_scope_key_status", "scope_key", "status"),
        Index("ix_findings_asset_key_status", "asset_key", "status"),
    )

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    asset_key: Mapped[str] = mapped_column(ForeignKey("assets.key", ondelete="CASCADE"))
    scope_key: Mapped[str] = mapped_column(ForeignKey("assets.key", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String, index=True)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String)
    evidence: Mapped[dict[str, str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    fixed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_scan_id: Mapped[str | None] = mapped_column(
        Uuid(as_uuid=False), ForeignKey("scans.id", ondelete="SET NULL"), index=True
    )


class SightingRow(Base):
    """That scan `scan_id` saw finding `fingerprint`, with its status and severity then."""

    __tablename__ = "finding_sightings"

    scan_id: Mapped[str] = mapped_column(
        Uuid(as_uuid=False), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(
        ForeignKey("findings.fingerprint", ondelete="CASCADE"), primary_key=True, index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)


# -- cloud inventory snapshots (revision 0002) ---------------------------------------------
#
# Retention (not implemented yet; the keys are laid out for it): a pruning job deletes
# whole `scans` rows, never resources one by one. Per (asset_key, kind) it keeps the
# newest scans (say 30 days) plus a thinned tail (the first scan of each week), and always
# the latest scan, so `previous_scan` and finding history keep working. `ON DELETE
# CASCADE` from `scans.id` then removes the snapshot's `cloud_inventories`,
# `cloud_resources` and `collection_errors` rows in the same transaction; `findings` keep
# their first/last seen. A central server holding thousands of accounts would batch that
# delete by scan id and, on PostgreSQL, could range-partition `cloud_resources` by a
# stored-at column (a later revision) so pruning drops partitions instead of rows.


class CloudInventoryRow(Base):
    """The header of one scan's inventory snapshot; its presence marks that one was stored
    (an empty inventory is a snapshot too, unlike a scan that stored none)."""

    __tablename__ = "cloud_inventories"

    scan_id: Mapped[str] = mapped_column(
        Uuid(as_uuid=False), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(32))
    accounts: Mapped[list[str]] = mapped_column(JSON)
    regions: Mapped[list[str]] = mapped_column(JSON)
    collected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resource_count: Mapped[int] = mapped_column(Integer)
    error_count: Mapped[int] = mapped_column(Integer)


class CloudResourceRow(Base):
    """One resource as one scan saw it. `key` is `CloudResource.key` (the ARN, else
    type:account:region:id), stable across scans, so the history of a resource is the rows
    with its key (`ix_cloud_resources_key`) joined to their scans' times; "every IAM user of
    account X over time" uses `ix_cloud_resources_account_type`. `seq` keeps the order the
    collector reported."""

    __tablename__ = "cloud_resources"
    __table_args__ = (Index("ix_cloud_resources_account_type", "account", "type"),)

    scan_id: Mapped[str] = mapped_column(
        Uuid(as_uuid=False), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String, primary_key=True, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(128))
    id: Mapped[str] = mapped_column(String)
    name: Mapped[str] = mapped_column(String)
    arn: Mapped[str | None] = mapped_column(String)
    account: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    exposure: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class CollectionErrorRow(Base):
    """A resource type one scan could not collect in one account and region."""

    __tablename__ = "collection_errors"
    __table_args__ = (Index("ix_collection_errors_account_type", "account", "type"),)

    scan_id: Mapped[str] = mapped_column(
        Uuid(as_uuid=False), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(128))
    account: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
