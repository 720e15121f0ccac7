"""initial schema: every table of the monitor

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Written to run unchanged on SQLite and PostgreSQL (no ALTERs).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

VALUE = sa.Numeric(precision=20, scale=6, asdecimal=False)
TS = sa.DateTime(timezone=True)


def _region_fk(table: str):
    return sa.ForeignKeyConstraint(["region_id"], ["region.id"], name=f"fk_{table}_region_id_region")


def upgrade() -> None:
    meta = op.create_table(
        "meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_meta"),
    )
    op.bulk_insert(meta, [{"key": "data_version", "value": "0"}])

    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_region"),
        sa.UniqueConstraint("scheme_id", "name", name="uq_region_scheme_name"),
    )
    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(128), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(6), nullable=False),
        sa.Column("value", VALUE, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.String(128), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _region_fk("observation"),
        sa.PrimaryKeyConstraint("id", name="pk_observation"),
        sa.UniqueConstraint("indicator_id", "region_id", "period", name="uq_observation_key"),
    )
    op.create_index("ix_observation_scheme_region_period", "observation", ["scheme_id", "region_id", "period"])

    op.create_table(
        "revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=True),
        sa.Column("indicator_id", sa.String(140), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("old_value", VALUE, nullable=True),
        sa.Column("new_value", VALUE, nullable=True),
        sa.Column("old_note", sa.Text(), nullable=False),
        sa.Column("new_note", sa.Text(), nullable=False),
        sa.Column("user_name", sa.String(128), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["observation_id"], ["observation.id"], name="fk_revision_observation_id_observation"),
        _region_fk("revision"),
        sa.PrimaryKeyConstraint("id", name="pk_revision"),
    )
    op.create_index("ix_revision_indicator_region_period", "revision", ["indicator_id", "region_id", "period"])

    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(128), nullable=False),
        sa.Column("period", sa.String(6), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("submitted_by", sa.String(128), nullable=True),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("approved_by", sa.String(128), nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _region_fk("submission"),
        sa.PrimaryKeyConstraint("id", name="pk_submission"),
        sa.UniqueConstraint("scheme_id", "region_id", "unit", "period", name="uq_submission_key"),
    )
    op.create_table(
        "submission_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("user_name", sa.String(128), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"],
                                name="fk_submission_event_submission_id_submission"),
        sa.PrimaryKeyConstraint("id", name="pk_submission_event"),
    )
    op.create_index("ix_submission_event_submission_id", "submission_event", ["submission_id"])

    op.create_table(
        "reference_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.String(128), nullable=False),
        sa.Column("period", sa.String(6), nullable=False),
        sa.Column("value", VALUE, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entered_by", sa.String(128), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _region_fk("reference_value"),
        sa.PrimaryKeyConstraint("id", name="pk_reference_value"),
        sa.UniqueConstraint("scheme_id", "region_id", "series_id", "period", name="uq_reference_value_key"),
    )
    op.create_table(
        "baseline_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(64), nullable=False),
        sa.Column("indicator_id", sa.String(128), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("value", VALUE, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.String(128), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        _region_fk("baseline_value"),
        sa.PrimaryKeyConstraint("id", name="pk_baseline_value"),
        sa.UniqueConstraint("indicator_id", "region_id", name="uq_baseline_value_key"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.Column("schemes", sa.JSON(), nullable=False),
        sa.Column("password_hash", sa.String(512), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("locked_until", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "login_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_event"),
    )
    op.create_index("ix_login_event_username", "login_event", ["username"])


def downgrade() -> None:
    for table in ("login_event", "users", "baseline_value", "reference_value", "submission_event",
                  "submission", "revision", "observation", "region", "meta"):
        op.drop_table(table)
