"""sessions that end, sign-in throttling, demo accounts, reporters' regions

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

users: session_gen (bumped by sign-out, password change and disabling), demo (demo
accounts sign in only in demo mode), regions (JSON list, NULL/empty = every region).
login_throttle: failed sign-ins per client address, name and pair.
login_event.at indexed for pruning the log.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_gen", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("demo", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("regions", sa.JSON(), nullable=True))
    # A database that the demo loader marked holds only demo accounts (there was no other way to get users
    # into it before this revision without also running the real app on it).
    users, meta = sa.table("users", sa.column("demo", sa.Boolean())), sa.table("meta", sa.column("key"),
                                                                              sa.column("value"))
    is_demo = sa.select(meta.c.key).where(meta.c.key == "demo", meta.c.value == "1").exists()
    op.execute(users.update().where(is_demo).values(demo=True))

    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("until", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )
    op.create_index("ix_login_throttle_updated_at", "login_throttle", ["updated_at"])
    op.create_index("ix_login_event_at", "login_event", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_event_at", table_name="login_event")
    op.drop_index("ix_login_throttle_updated_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("regions")
        batch.drop_column("demo")
        batch.drop_column("session_gen")
