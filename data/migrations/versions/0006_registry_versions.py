"""registry versions: published versions of each scheme (方案版本, 方案调整)

Revision ID: 0006_registry_versions
Revises: 0004
Create Date: 2026-12-02

scheme_version: one row per published version of a scheme (YAML text, effective date,
reason, who, when); unique (scheme_id, version). Never updated or deleted: it is the
audit history of publications. Empty after this migration: the shipped YAML files are
version 1 until a scheme's first publication stores them.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_registry_versions"
down_revision = "0005_ledgers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheme_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("published_by", sa.String(128), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scheme_version"),
        sa.UniqueConstraint("scheme_id", "version", name="uq_scheme_version_key"),
    )


def downgrade() -> None:
    op.drop_table("scheme_version")
