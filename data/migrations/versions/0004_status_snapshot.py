"""status snapshot: statuses per scheme, region and quarter (derived data)

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02

status_snapshot: one row per (scheme, region, quarter) with the counts of statuses, the
completion index, the share achieved, the index per dimension and every indicator's
status, as computed by indicators/snapshot.py. Kept up to date by the store's writes;
empty after this migration: rows are filled when first read, or by
``python -m data snapshot --rebuild``.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003_evidence"
branch_labels = None
depends_on = None

STATUSES = ("achieved", "achieved_late", "on_track", "warning", "behind", "missed", "no_data", "not_due")


def upgrade() -> None:
    op.create_table(
        "status_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(6), nullable=False),
        sa.Column("scheme_version", sa.String(32), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("share_achieved", sa.Float(), nullable=True),
        sa.Column("completion_index", sa.Float(), nullable=True),
        *[sa.Column(f"n_{s}", sa.Integer(), nullable=False) for s in STATUSES],
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("statuses", sa.Text(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name="fk_status_snapshot_region_id_region"),
        sa.PrimaryKeyConstraint("id", name="pk_status_snapshot"),
        sa.UniqueConstraint("scheme_id", "period", "region_id", name="uq_status_snapshot_key"),
    )
    op.create_index("ix_status_snapshot_rank", "status_snapshot", ["scheme_id", "period", "completion_index"])
    op.create_index("ix_status_snapshot_region", "status_snapshot", ["region_id"])


def downgrade() -> None:
    op.drop_index("ix_status_snapshot_region", table_name="status_snapshot")
    op.drop_index("ix_status_snapshot_rank", table_name="status_snapshot")
    op.drop_table("status_snapshot")
