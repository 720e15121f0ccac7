"""acceptance marks (验收清单: 已核验)

Revision ID: 0007_acceptance
Revises: 0004
Create Date: 2026-12-02

acceptance_marks: one row each time the office marks an indicator of a region 已核验;
undoing it sets undone_by/undone_at (rows are never deleted, so who checked what and
when stays on record).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_acceptance"
down_revision = "0006_registry_versions"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "acceptance_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(128), nullable=False),
        sa.Column("verified_by", sa.String(128), nullable=False),
        sa.Column("verified_at", TS, nullable=False),
        sa.Column("undone_by", sa.String(128), nullable=True),
        sa.Column("undone_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name="fk_acceptance_marks_region_id_region"),
        sa.PrimaryKeyConstraint("id", name="pk_acceptance_marks"),
    )
    op.create_index("ix_acceptance_marks_key", "acceptance_marks", ["scheme_id", "region_id", "indicator_id"])


def downgrade() -> None:
    op.drop_index("ix_acceptance_marks_key", table_name="acceptance_marks")
    op.drop_table("acceptance_marks")
