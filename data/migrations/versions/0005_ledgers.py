"""ledgers (台账)

Revision ID: 0005_ledgers
Revises: 0004
Create Date: 2026-12-02

ledger_rows: one row per named thing (an enterprise, a platform, a patent…) in the ledger a
unit (one of the indicator's units) keeps for an indicator of a region. ``period`` is the quarter it was entered for (its submission state
decides who may enter it, recorded in ``state_at_entry``); ``valid_from`` the row's date (认定日期),
by which counts at quarter end are taken. Rows are never deleted: removal sets removed_*,
``valid_until`` (the date it stopped being valid; NULL: entered in error, counts nowhere).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_ledgers"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ledger_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(128), nullable=False),
        sa.Column("unit", sa.String(128), nullable=False),
        sa.Column("period", sa.String(6), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("entered_by", sa.String(128), nullable=False),
        sa.Column("entered_at", TS, nullable=False),
        sa.Column("state_at_entry", sa.String(16), nullable=False),
        sa.Column("removed_at", TS, nullable=True),
        sa.Column("removed_by", sa.String(128), nullable=True),
        sa.Column("remove_reason", sa.Text(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name="fk_ledger_rows_region_id_region"),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_rows"),
    )
    op.create_index("ix_ledger_rows_key", "ledger_rows", ["scheme_id", "indicator_id", "region_id"])
    op.create_index("ix_ledger_rows_credit_code", "ledger_rows", ["credit_code"])


def downgrade() -> None:
    op.drop_index("ix_ledger_rows_credit_code", table_name="ledger_rows")
    op.drop_index("ix_ledger_rows_key", table_name="ledger_rows")
    op.drop_table("ledger_rows")
