"""Initial schema: assets, scans, scan packages, findings and their per-scan sightings.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Frozen: this file describes the schema as of this revision and must not import the ORM
models (they move on; a migration must not).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IDENTITY = (
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


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _uuid(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Uuid(as_uuid=False), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        *(sa.Column(column, sa.String(), nullable=True) for column in _IDENTITY),
        sa.Column("attributes", sa.JSON(), nullable=False),
        _ts("first_seen"),
        _ts("last_seen"),
        sa.PrimaryKeyConstraint("key", name="pk_assets"),
    )
    for column in ("kind", "name", *_IDENTITY):
        op.create_index(f"ix_assets_{column}", "assets", [column])

    op.create_table(
        "scans",
        _uuid("id"),
        sa.Column("asset_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        _ts("started_at"),
        _ts("finished_at"),
        _ts("stored_at"),
        sa.Column("tool_version", sa.String(), nullable=False),
        sa.Column("producer", sa.String(), nullable=False),
        sa.Column("producer_version", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("distro", sa.JSON(), nullable=True),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column("database", sa.JSON(), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("notices", sa.JSON(), nullable=False),
        sa.Column("package_count", sa.Integer(), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_key"], ["assets.key"], name="fk_scans_asset_key_assets", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scans"),
    )
    op.create_index("ix_scans_asset_key_started_at", "scans", ["asset_key", "started_at"])
    op.create_index("ix_scans_kind", "scans", ["kind"])

    op.create_table(
        "scan_packages",
        _uuid("scan_id"),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("version", sa.String(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("purl", sa.String(), nullable=False),
        sa.Column("cataloger", sa.String(), nullable=False),
        sa.Column("layer", sa.String(), nullable=True),
        sa.Column("locations", sa.JSON(), nullable=False),
        sa.Column("source_name", sa.String(), nullable=True),
        sa.Column("source_version", sa.String(), nullable=True),
        sa.Column("arch", sa.String(), nullable=True),
        sa.Column("licenses", sa.JSON(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name="fk_scan_packages_scan_id_scans", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("scan_id", "seq", name="pk_scan_packages"),
    )
    op.create_index("ix_scan_packages_name", "scan_packages", ["name"])
    op.create_index("ix_scan_packages_purl", "scan_packages", ["purl"])

    op.create_table(
        "findings",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("asset_key", sa.String(length=64), nullable=False),
        sa.Column("scope_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("rule_id", sa.String(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _ts("first_seen"),
        _ts("last_seen"),
        _ts("fixed_at", nullable=True),
        _uuid("last_scan_id", nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_key"], ["assets.key"], name="fk_findings_asset_key_assets", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["scope_key"], ["assets.key"], name="fk_findings_scope_key_assets", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["last_scan_id"],
            ["scans.id"],
            name="fk_findings_last_scan_id_scans",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("fingerprint", name="pk_findings"),
    )
    op.create_index("ix_findings_asset_key_status", "findings", ["asset_key", "status"])
    op.create_index("ix_findings_scope_key_status", "findings", ["scope_key", "status"])
    op.create_index("ix_findings_rule_id", "findings", ["rule_id"])
    op.create_index("ix_findings_last_scan_id", "findings", ["last_scan_id"])

    op.create_table(
        "finding_sightings",
        _uuid("scan_id"),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["scans.id"],
            name="fk_finding_sightings_scan_id_scans",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["fingerprint"],
            ["findings.fingerprint"],
            name="fk_finding_sightings_fingerprint_findings",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scan_id", "fingerprint", name="pk_finding_sightings"),
    )
    op.create_index("ix_finding_sightings_fingerprint", "finding_sightings", ["fingerprint"])


def downgrade() -> None:
    # Dropping a table drops its indexes; children before parents for the foreign keys.
    for table in ("finding_sightings", "findings", "scan_packages", "scans", "assets"):
        op.drop_table(table)
