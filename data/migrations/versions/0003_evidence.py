"""evidence files (佐证材料)

Revision ID: 0003_evidence
Revises: 0002
Create Date: 2026-12-02

evidence_files: one row per file attached to an indicator of a region for a quarter;
the bytes are stored content-addressed (SHA-256) in EVIDENCE_DIR. Rows are never
deleted: removal sets removed_at/removed_by/remove_reason.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_evidence"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("original_name", sa.String(255), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(128), nullable=False),
        sa.Column("period", sa.String(6), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.String(128), nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.Column("state_at_upload", sa.String(16), nullable=False),
        sa.Column("removed_at", TS, nullable=True),
        sa.Column("removed_by", sa.String(128), nullable=True),
        sa.Column("remove_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["region.id"], name="fk_evidence_files_region_id_region"),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_files"),
    )
    op.create_index("ix_evidence_files_sha256", "evidence_files", ["sha256"])
    op.create_index("ix_evidence_files_key", "evidence_files", ["scheme_id", "indicator_id", "region_id", "period"])


def downgrade() -> None:
    op.drop_index("ix_evidence_files_key", table_name="evidence_files")
    op.drop_index("ix_evidence_files_sha256", table_name="evidence_files")
    op.drop_table("evidence_files")
