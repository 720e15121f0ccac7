"""index baseline_value by region

Revision ID: 0008_baseline_region_index
Revises: 0007_acceptance
Create Date: 2026-12-02

A region's baselines are read on every overview and detail of that region
(Store.baseline_rows); the unique key (indicator_id, region_id) cannot serve a
lookup by region, so without this index every read scanned the whole table
(docs/performance.md, "Left to do").
"""
from __future__ import annotations

from alembic import op

revision = "0008_baseline_region_index"
down_revision = "0007_acceptance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_baseline_value_region", "baseline_value", ["region_id"])


def downgrade() -> None:
    op.drop_index("ix_baseline_value_region", table_name="baseline_value")
