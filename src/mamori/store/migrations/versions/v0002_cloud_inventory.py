"""Cloud inventory snapshots: each scan's resources, collection errors and their header.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

Frozen: this file describes the schema as of this revision and must not import the ORM
models. Only new tables: nothing of revision 0001 changes, so no table is copied on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _scan_id(table: str) -> tuple[sa.Column[object], sa.ForeignKeyConstraint]:
    column: sa.Column[object] = sa.Column("scan_id", sa.Uuid(as_uuid=False), nullable=False)
    fk = sa.ForeignKeyConstraint(
        ["scan_id"], ["scans.id"], name=f"fk_{table}_scan_id_scans", ondelete="CASCADE"
    )
    return column, fk


def upgrade() -> None:
    column, fk = _scan_id("cloud_inventories")
    op.create_table(
        "cloud_inventories",
        column,
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resource_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        fk,
        sa.PrimaryKeyConstraint("scan_id", name="pk_cloud_inventories"),
    )

    column, fk = _scan_id("cloud_resources")
    op.create_table(
        "cloud_resources",
        column,
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("arn", sa.String(), nullable=True),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("exposure", sa.JSON(), nullable=True),
        fk,
        sa.PrimaryKeyConstraint("scan_id", "key", name="pk_cloud_resources"),
    )
    op.create_index("ix_cloud_resources_key", "cloud_resources", ["key"])
    op.create_index("ix_cloud_resources_account_type", "cloud_resources", ["account", "type"])

    column, fk = _scan_id("collection_errors")
    op.create_table(
        "collection_errors",
        column,
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=128), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        fk,
        sa.PrimaryKeyConstraint("scan_id", "seq", name="pk_collection_errors"),
    )
    op.create_index("ix_collection_errors_account_type", "collection_errors", ["account", "type"])


def downgrade() -> None:
    for table in ("collection_errors", "cloud_resources", "cloud_inventories"):
        op.drop_table(table)
