"""SQLAlchemy 2 declarative models. Only :mod:`data.store` and the migrations use them.

Periods are stored as ``YYYYQn`` strings (they sort correctly as text).
Times are stored in UTC.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional

from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, MetaData, Numeric,
                        String, Text, TypeDecorator, UniqueConstraint, Index)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so later migrations can address them on both back ends.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

class _Value(TypeDecorator):
    """Exact decimal on PostgreSQL, read back as float everywhere (SQLite would
    hand back an int for 12.0)."""

    impl = Numeric(20, 6, asdecimal=False)
    cache_ok = True

    def process_result_value(self, value, dialect):
        return None if value is None else float(value)


Value = _Value()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Meta(Base):
    """Key/value settings: ``data_version`` (bumped by every data write), ``demo``."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class Region(Base):
    __tablename__ = "region"
    __table_args__ = (UniqueConstraint("scheme_id", "name", name="uq_region_scheme_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))


class Observation(Base):
    __tablename__ = "observation"
    __table_args__ = (
        UniqueConstraint("indicator_id", "region_id", "period", name="uq_observation_key"),
        Index("ix_observation_scheme_region_period", "scheme_id", "region_id", "period"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(128))
    scheme_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    period: Mapped[str] = mapped_column(String(6))
    value: Mapped[Optional[float]] = mapped_column(Value, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    entered_by: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    region: Mapped[Region] = relationship(lazy="joined")


class Revision(Base):
    """One change of a stored value. ``indicator_id`` is the indicator's id for
    observations, ``ref:<series_id>`` for reference values and
    ``baseline:<indicator_id>`` for baseline overrides (period empty)."""

    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_indicator_region_period", "indicator_id", "region_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[Optional[int]] = mapped_column(ForeignKey("observation.id"), nullable=True)
    indicator_id: Mapped[str] = mapped_column(String(140))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    period: Mapped[str] = mapped_column(String(10), default="")
    old_value: Mapped[Optional[float]] = mapped_column(Value, nullable=True)
    new_value: Mapped[Optional[float]] = mapped_column(Value, nullable=True)
    old_note: Mapped[str] = mapped_column(Text, default="")
    new_note: Mapped[str] = mapped_column(Text, default="")
    user: Mapped[str] = mapped_column("user_name", String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))  # form | import | correction | demo
    region: Mapped[Region] = relationship(lazy="joined")


class Submission(Base):
    __tablename__ = "submission"
    __table_args__ = (UniqueConstraint("scheme_id", "region_id", "unit", "period", name="uq_submission_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    unit: Mapped[str] = mapped_column(String(128))
    period: Mapped[str] = mapped_column(String(6))
    state: Mapped[str] = mapped_column(String(16), default="draft")  # draft | submitted | approved
    submitted_by: Mapped[Optional[str]] = mapped_column(String(128), nullable=True)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    approved_by: Mapped[Optional[str]] = mapped_column(String(128), nullable=True)
    approved_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    region: Mapped[Region] = relationship(lazy="joined")


class SubmissionEvent(Base):
    __tablename__ = "submission_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # submit | approve | reopen
    user: Mapped[str] = mapped_column("user_name", String(128))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")


class ReferenceValue(Base):
    __tablename__ = "reference_value"
    __table_args__ = (UniqueConstraint("scheme_id", "region_id", "series_id", "period", name="uq_reference_value_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    series_id: Mapped[str] = mapped_column(String(128))
    period: Mapped[str] = mapped_column(String(6))
    value: Mapped[Optional[float]] = mapped_column(Value, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    entered_by: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BaselineValue(Base):
    """A region's baseline for an indicator, overriding the registry's."""

    __tablename__ = "baseline_value"
    # By region: every overview and detail reads one region's baselines (migration 0008).
    __table_args__ = (UniqueConstraint("indicator_id", "region_id", name="uq_baseline_value_key"),
                      Index("ix_baseline_value_region", "region_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[str] = mapped_column(String(64))
    indicator_id: Mapped[str] = mapped_column(String(128))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    value: Mapped[float] = mapped_column(Value)
    as_of: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str] = mapped_column(Text, default="")
    entered_by: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Status values with a count column in status_snapshot (tests check they match indicators.statuses.Status).
SNAPSHOT_STATUSES = ("achieved", "achieved_late", "on_track", "warning", "behind", "missed", "no_data", "not_due")


class StatusSnapshot(Base):
    """Derived data: a region's statuses as evaluated at the end of a quarter
    (indicators/snapshot.py computes a row; the store keeps it up to date on every
    write; ``python -m data snapshot --rebuild`` recomputes all). ``scheme_version``
    fingerprints the registry definition used: rows of another version count as missing."""

    __tablename__ = "status_snapshot"
    __table_args__ = (
        UniqueConstraint("scheme_id", "period", "region_id", name="uq_status_snapshot_key"),
        # The ranking: one quarter's rows best first.
        Index("ix_status_snapshot_rank", "scheme_id", "period", "completion_index"),
        Index("ix_status_snapshot_region", "region_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    period: Mapped[str] = mapped_column(String(6))
    scheme_version: Mapped[str] = mapped_column(String(32))
    total: Mapped[int] = mapped_column(Integer)
    due: Mapped[int] = mapped_column(Integer)
    share_achieved: Mapped[Optional[float]] = mapped_column(Float, nullable=True)
    completion_index: Mapped[Optional[float]] = mapped_column(Float, nullable=True)
    n_achieved: Mapped[int] = mapped_column(Integer, default=0)
    n_achieved_late: Mapped[int] = mapped_column(Integer, default=0)
    n_on_track: Mapped[int] = mapped_column(Integer, default=0)
    n_warning: Mapped[int] = mapped_column(Integer, default=0)
    n_behind: Mapped[int] = mapped_column(Integer, default=0)
    n_missed: Mapped[int] = mapped_column(Integer, default=0)
    n_no_data: Mapped[int] = mapped_column(Integer, default=0)
    n_not_due: Mapped[int] = mapped_column(Integer, default=0)
    dimensions: Mapped[list] = mapped_column(JSON, default=list)   # completion index per dimension, scheme order
    statuses: Mapped[str] = mapped_column(Text, default="")        # status values, registry order, space-separated
    reported: Mapped[int] = mapped_column(Integer, default=0)      # indicators with a value for the quarter itself


class User(Base):
    __tablename__ = "users"  # "user" is reserved in PostgreSQL
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(16))  # admin | reporter | viewer
    units: Mapped[list] = mapped_column(JSON, default=list)
    schemes: Mapped[list] = mapped_column(JSON, default=list)
    password_hash: Mapped[str] = mapped_column(String(512), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Bumped by sign-out, a new password and disabling: every session cookie carries
    # the generation it began with, so all older copies stop working at once.
    session_gen: Mapped[int] = mapped_column(Integer, default=0)
    # Created by the demo loader: may sign in only on a server running in demo mode.
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # Regions a reporter may report for; None or empty: every region.
    regions: Mapped[Optional[list]] = mapped_column(JSON, nullable=True)


class LoginEvent(Base):
    __tablename__ = "login_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    success: Mapped[bool] = mapped_column(Boolean)
    ip: Mapped[str] = mapped_column(String(64), default="")


class LoginThrottle(Base):
    """Failed sign-ins per key ("ip:<address>", "name:<username>", "pair:<address>|<username>"),
    for the growing delays of dashboard.accounts; a row not updated for a day is forgotten."""

    __tablename__ = "login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    until: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class EvidenceFile(Base):
    """One evidence file (佐证材料) attached to an indicator of a region for a quarter
    (a milestone's evidence: the quarter it was reported in). The bytes live in the
    evidence directory under their SHA-256 (data.evidence); rows are never deleted:
    a removal is a correction that sets ``removed_*``."""

    __tablename__ = "evidence_files"
    __table_args__ = (Index("ix_evidence_files_key", "scheme_id", "indicator_id", "region_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(128))
    original_name: Mapped[str] = mapped_column(String(255))
    scheme_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    indicator_id: Mapped[str] = mapped_column(String(128))
    period: Mapped[str] = mapped_column(String(6))
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[str] = mapped_column(String(128))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The quarter's submission state when the file was added: "submitted"/"approved" records
    # that the office added it to a handed-in quarter.
    state_at_upload: Mapped[str] = mapped_column(String(16), default="draft")
    removed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    removed_by: Mapped[Optional[str]] = mapped_column(String(128), nullable=True)
    remove_reason: Mapped[str] = mapped_column(Text, default="")
    region: Mapped[Region] = relationship(lazy="joined")


class SchemeVersionRow(Base):
    """One published version of a scheme's registry definition (方案版本). Rows are never changed
    or deleted: the table is the audit history of publications (who, when, why). Version 1 is
    the shipped YAML, stored on the first publication of the scheme (until then the shipped file
    is version 1 implicitly). ``definition`` is the YAML text, the exchange format."""

    __tablename__ = "scheme_version"
    __table_args__ = (UniqueConstraint("scheme_id", "version", name="uq_scheme_version_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(String(16))   # shipped | publish | adjust
    published_by: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AcceptanceMark(Base):
    """已核验: the office checked an indicator's evidence for acceptance (验收清单). Rows are
    never deleted: undoing a mark sets ``undone_*``; the current mark is the row not undone."""

    __tablename__ = "acceptance_marks"
    __table_args__ = (Index("ix_acceptance_marks_key", "scheme_id", "region_id", "indicator_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    indicator_id: Mapped[str] = mapped_column(String(128))
    verified_by: Mapped[str] = mapped_column(String(128))
    verified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    undone_by: Mapped[Optional[str]] = mapped_column(String(128), nullable=True)
    undone_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)


class LedgerRow(Base):
    """One named thing in the ledger (台账) a unit keeps for an indicator of a region (data.ledger).
    Never deleted: a removal is a correction that sets ``removed_*`` and ``valid_until``
    (the date it stopped being valid; None: entered in error, counted nowhere)."""

    __tablename__ = "ledger_rows"
    __table_args__ = (Index("ix_ledger_rows_key", "scheme_id", "indicator_id", "region_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    indicator_id: Mapped[str] = mapped_column(String(128))
    unit: Mapped[str] = mapped_column(String(128))            # the unit whose ledger it is (one of the indicator's)
    period: Mapped[str] = mapped_column(String(6))            # the quarter it was entered for
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[Optional[str]] = mapped_column(String(18), nullable=True, index=True)
    valid_from: Mapped[date] = mapped_column(Date)            # the row's date column (认定日期)
    data: Mapped[dict] = mapped_column(JSON, default=dict)    # every column by key
    source: Mapped[str] = mapped_column(String(16), default="form")  # form | import | demo
    entered_by: Mapped[str] = mapped_column(String(128))
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    state_at_entry: Mapped[str] = mapped_column(String(16), default="draft")
    removed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), nullable=True)
    removed_by: Mapped[Optional[str]] = mapped_column(String(128), nullable=True)
    remove_reason: Mapped[str] = mapped_column(Text, default="")
    valid_until: Mapped[Optional[date]] = mapped_column(Date, nullable=True)
    region: Mapped[Region] = relationship(lazy="joined")
