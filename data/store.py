"""The Store: the only place pages and commands touch SQL.

Every data write runs in one transaction that first bumps ``meta.data_version``.
That UPDATE takes the write lock at the start (a row lock on PostgreSQL, the
database write lock on SQLite), so writers are serialised and the optimistic
version checks below cannot race. Every value change appends a :class:`Revision`.
User and login writes do not bump ``data_version`` (they never change a status).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Optional, Union

from sqlalchemy import Engine, Integer, String, case, cast, delete, func, insert, select, update
from sqlalchemy.orm import Session

from indicators.limits import display_name_problem
from indicators.model import Baseline, Indicator
from indicators.periods import Quarter
from indicators.values import check_value, same_value

from .db import make_engine
from .errors import (ConflictError, DuplicateError, ImportRejected, InvalidValueError, LockedError, NotFoundError,
                     StoreError, TransitionError)
from .models import (SNAPSHOT_STATUSES, BaselineValue, LoginEvent, LoginThrottle, Meta, Observation, ReferenceValue,
                     Region, Revision, StatusSnapshot, Submission, SubmissionEvent, User)

__all__ = [
    "Store", "ObservationRow", "RevisionRow", "SubmissionRow", "SubmissionEventRow", "ReferenceRow", "BaselineRow",
    "UserRow", "LoginRow", "ImportRow", "Change", "RankingRow", "RankingTotals", "StoreError", "ConflictError", "LockedError", "TransitionError",
    "InvalidValueError", "NotFoundError", "DuplicateError", "ImportRejected", "SOURCES", "ROLES", "STATES",
]

PeriodLike = Union[Quarter, str]
SOURCES = ("form", "import", "correction", "demo")
ROLES = ("admin", "reporter", "viewer")
STATES = ("draft", "submitted", "approved")
STATE_LABELS = {"draft": "草稿", "submitted": "已报送", "approved": "已审核"}
REF_PREFIX = "ref:"
BASELINE_PREFIX = "baseline:"
LAST_BACKUP_KEY = "last_backup"  # meta key: the last backup, recorded by `python -m data backup`


# ---------------------------------------------------------------- row types

@dataclass(frozen=True)
class ObservationRow:
    indicator_id: str
    period: Quarter
    value: Optional[float]
    note: str
    version: int
    entered_by: str
    updated_at: datetime
    region: str = ""


@dataclass(frozen=True)
class RevisionRow:
    id: int
    indicator_id: str           # "ref:<series>" / "baseline:<indicator>" for those values
    region: str
    period: Optional[Quarter]   # None for baselines
    old_value: Optional[float]
    new_value: Optional[float]
    old_note: str
    new_note: str
    user: str
    at: datetime
    reason: str
    source: str


@dataclass(frozen=True)
class SubmissionRow:
    scheme_id: str
    region: str
    unit: str
    period: Quarter
    state: str                  # draft | submitted | approved
    submitted_by: Optional[str]
    submitted_at: Optional[datetime]
    approved_by: Optional[str]
    approved_at: Optional[datetime]
    version: int

    @property
    def locked(self) -> bool:
        return self.state == "approved"

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass(frozen=True)
class SubmissionEventRow:
    action: str                 # submit | approve | reopen
    user: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class ReferenceRow:
    scheme_id: str
    region: str
    series_id: str
    period: Quarter
    value: Optional[float]
    version: int
    entered_by: str
    updated_at: datetime


@dataclass(frozen=True)
class BaselineRow:
    indicator_id: str
    region: str
    value: float
    as_of: date
    version: int
    note: str
    entered_by: str
    updated_at: datetime


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    units: list[str]
    schemes: list[str]
    password_hash: str
    active: bool
    failed_count: int
    locked_until: Optional[datetime]
    created_at: datetime
    session_gen: int = 0
    demo: bool = False
    regions: list[str] = field(default_factory=list)   # empty: every region


@dataclass(frozen=True)
class LoginRow:
    username: str
    at: datetime
    success: bool
    ip: str


@dataclass(frozen=True)
class ImportRow:
    """One value to import. ``note`` None keeps the stored note; ``row`` is the
    line in the source file, used in messages."""

    indicator: Indicator
    region: str
    period: Quarter
    value: Optional[float]
    note: Optional[str] = None
    row: Optional[int] = None
    reason: str = ""


@dataclass(frozen=True)
class Change:
    """A planned (or made) change of one observation by an import."""

    row: Optional[int]
    indicator_id: str
    region: str
    period: Quarter
    old_value: Optional[float]
    new_value: Optional[float]
    old_note: str
    new_note: str
    action: str                 # new | update | unchanged


@dataclass(frozen=True)
class RankingRow:
    """One region of a quarter's ranking, read from the status snapshot."""

    rank: int                   # 1 = best; equal completion indexes share a rank
    region: str
    counts: dict[str, int]      # status value -> indicators
    total: int
    due: int
    share_achieved: Optional[float]
    completion_index: Optional[float]
    dimensions: list            # completion index per dimension, scheme order


@dataclass(frozen=True)
class RankingTotals:
    """Province-wide figures of a quarter's snapshot."""

    regions: int
    counts: dict[str, int]      # status value -> indicators, all regions
    mean_index: Optional[float]
    lagging: int                # regions with an indicator behind or missed
    indexes: list[float]        # every completion index, ascending (for the median)


# ---------------------------------------------------------------- helpers

@dataclass
class _ImportPlan:
    changes: list[Change]
    errors: list[str]
    targets: list[tuple]  # (ImportRow, region id, stored Observation or None), parallel to changes


class _NoChange(Exception):
    """Raised inside a write to roll it back (data_version included) and return ``result``."""

    def __init__(self, result: Any):
        self.result = result


def _q(period: PeriodLike) -> Quarter:
    return period if isinstance(period, Quarter) else Quarter.parse(str(period))


def _utc(dt: Optional[datetime]) -> Optional[datetime]:
    if dt is None:
        return None
    # SQLite returns naive datetimes; everything is stored in UTC.
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _round(v: Optional[float]) -> Optional[float]:
    # The columns keep 6 decimals; round first so SQLite and PostgreSQL store the same number.
    return None if v is None else round(float(v), 6)


def _fmt(v: Optional[float]) -> str:
    return "空" if v is None else f"{v:g}"


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"unknown revision source {source!r} (expected one of {', '.join(SOURCES)})")


def _obs_row(o: Observation) -> ObservationRow:
    return ObservationRow(o.indicator_id, Quarter.parse(o.period), o.value, o.note or "", o.version,
                          o.entered_by or "", _utc(o.updated_at), o.region.name)


def _rev_row(r: Revision) -> RevisionRow:
    period = Quarter.parse(r.period) if r.period else None
    return RevisionRow(r.id, r.indicator_id, r.region.name, period, r.old_value, r.new_value, r.old_note or "",
                       r.new_note or "", r.user, _utc(r.at), r.reason or "", r.source)


def _sub_row(s: Submission) -> SubmissionRow:
    return SubmissionRow(s.scheme_id, s.region.name, s.unit, Quarter.parse(s.period), s.state, s.submitted_by,
                         _utc(s.submitted_at), s.approved_by, _utc(s.approved_at), s.version)


def _ref_row(r: ReferenceValue, region: str) -> ReferenceRow:
    return ReferenceRow(r.scheme_id, region, r.series_id, Quarter.parse(r.period), r.value, r.version,
                        r.entered_by or "", _utc(r.updated_at))


def _base_row(b: BaselineValue, region: str) -> BaselineRow:
    return BaselineRow(b.indicator_id, region, b.value, b.as_of, b.version, b.note or "", b.entered_by or "",
                       _utc(b.updated_at))


def _baseline(b) -> Baseline:
    """A stored baseline (row or ORM object) as the status engine takes it."""
    return Baseline(value=b.value, as_of=b.as_of, source=b.note or f"{b.entered_by}录入")


def _user_row(u: User) -> UserRow:
    return UserRow(u.id, u.username, u.display_name or "", u.role, list(u.units or []), list(u.schemes or []),
                   u.password_hash or "", bool(u.active), u.failed_count or 0, _utc(u.locked_until),
                   _utc(u.created_at), u.session_gen or 0, bool(u.demo), list(u.regions or []))


def _conflict_message(current: ObservationRow) -> str:
    when = current.updated_at.astimezone().strftime("%Y-%m-%d %H:%M") if current.updated_at else ""
    return (f"保存冲突:该数据已被{current.entered_by or '他人'}于{when}修改为{_fmt(current.value)},"
            "请核对当前值后重新保存")


def _locked_message(unit: str, period: Quarter, state: str = "approved") -> str:
    if state == "submitted":
        return f"{unit}{period.label}的数据已报送、等待审核,如需修改请先由办公室退回"
    return f"{unit}{period.label}的数据已审核锁定,如需修改请先由办公室退回"


# ---------------------------------------------------------------- the store

_TOUCHED = "snapshot_touched"   # Session.info key: (scheme, region id) -> earliest quarter written (None: all)


def _touch(s: Session, scheme_id: str, rid: int, since: Optional[Quarter]) -> None:
    """Note that a write changed values of a region from ``since`` on: its snapshot rows of
    that quarter and later are recomputed before the transaction commits (a status as of a
    quarter depends on values up to that quarter only)."""
    touched = s.info.setdefault(_TOUCHED, {})
    key = (scheme_id, rid)
    if key in touched:
        old = touched[key]
        since = None if old is None or since is None else min(old, since)
    touched[key] = since


def _snapshot_rows(ev, scheme_id: str, quarters: list[Quarter], items: list[tuple]) -> list[dict]:
    """Snapshot rows (column -> value) of [(region id, name, observations, references, baselines)],
    by the evaluator's rule. Module-level: the rebuild runs it in worker processes."""
    version, rows = ev.version(scheme_id), []
    for rid, name, obs, refs, bases in items:
        for r in ev.evaluate(scheme_id, name, quarters, obs, refs, bases):
            row = {"scheme_id": scheme_id, "region_id": rid, "period": str(r.quarter), "scheme_version": version,
                   "total": r.total, "due": r.due, "share_achieved": r.share_achieved,
                   "completion_index": r.completion_index, "dimensions": list(r.dimensions.values()),
                   "statuses": " ".join(r.statuses), "reported": r.reported}
            row.update({f"n_{st}": r.counts.get(st, 0) for st in SNAPSHOT_STATUSES})
            rows.append(row)
    return rows


def snapshot_pool(workers: int):
    """Processes that evaluate snapshot rows (:func:`_snapshot_rows`), or None for ``workers`` <= 1."""
    if workers <= 1:
        return None
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: a forked child would share (and might close) this process's connections.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


class Store:
    def __init__(self, engine: Engine):
        self.engine = engine
        # indicators.snapshot.Evaluator, handed in by the service (the store knows no registry).
        # Without one, a write deletes the snapshot rows it makes stale; readers fill them again.
        self.snapshot_evaluator = None
        # Write transactions run through this object (counted, not exact under threads: any change
        # tells a request that memoised data_version to read it again, see dashboard/service.py).
        self.writes = 0

    def set_snapshot_evaluator(self, evaluator) -> None:
        self.snapshot_evaluator = evaluator

    @classmethod
    def from_url(cls, url: str) -> "Store":
        """A store on ``url`` (no migration: call :func:`data.db.upgrade` first)."""
        return cls(make_engine(url))

    def dispose(self) -> None:
        self.engine.dispose()

    # -- sessions

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine) as s:
            yield s

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction that bumps data_version first (taking the write lock)."""
        try:
            with Session(self.engine, expire_on_commit=False) as s, s.begin():
                res = s.execute(update(Meta).where(Meta.key == "data_version")
                                .values(value=cast(cast(Meta.value, Integer) + 1, String)))
                if res.rowcount == 0:
                    s.add(Meta(key="data_version", value="1"))
                    s.flush()
                s.info[_TOUCHED] = {}
                yield s
                self._refresh_touched(s)
        finally:
            self.writes += 1

    def _run_write(self, fn):
        try:
            with self._write() as s:
                return fn(s)
        except _NoChange as nc:
            return nc.result

    @staticmethod
    def _region_id(s: Session, scheme_id: str, name: str) -> Optional[int]:
        return s.scalar(select(Region.id).where(Region.scheme_id == scheme_id, Region.name == name))

    def _ensure_region_in(self, s: Session, scheme_id: str, name: str) -> int:
        name = (name or "").strip()
        if not name:
            raise StoreError("地区名称不能为空")
        rid = self._region_id(s, scheme_id, name)
        if rid is None:
            region = Region(scheme_id=scheme_id, name=name)
            s.add(region)
            s.flush()
            rid = region.id
            _touch(s, scheme_id, rid, None)  # listed in the ranking from now on
        return rid

    @staticmethod
    def _frozen(s: Session, region_ids: Iterable[int]) -> dict[tuple[str, int, str, str], str]:
        """(scheme, region id, unit, period) -> "submitted" | "approved" for every quarter a
        unit has handed in. Read inside the write transaction, after the data_version lock:
        a save racing a 报送 sees the submission (store tests race them)."""
        rids = sorted(set(region_ids))
        if not rids:
            return {}
        return {(sch, rid, unit, per): state for sch, rid, unit, per, state in s.execute(
            select(Submission.scheme_id, Submission.region_id, Submission.unit, Submission.period, Submission.state)
            .where(Submission.region_id.in_(rids), Submission.state.in_(("submitted", "approved"))))}

    # -- meta

    def data_version(self) -> int:
        with self.engine.connect() as c:
            v = c.execute(select(Meta.value).where(Meta.key == "data_version")).scalar()
        return int(v or 0)

    def meta(self, key: str) -> Optional[str]:
        with self.engine.connect() as c:
            return c.execute(select(Meta.value).where(Meta.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        if key == "data_version":
            raise ValueError("data_version is maintained by the store")

        def do(s: Session):
            m = s.get(Meta, key)
            if m is None:
                s.add(Meta(key=key, value=value))
            elif m.value == value:
                raise _NoChange(None)
            else:
                m.value = value

        self._run_write(do)

    def record_backup(self, info: dict) -> None:
        """Note the last backup ({"at", "bytes", "file"}) for the admin page. Not a data write:
        data_version stays, so no page reloads its figures because a backup ran."""
        with Session(self.engine) as s, s.begin():
            m = s.get(Meta, LAST_BACKUP_KEY)
            if m is None:
                s.add(Meta(key=LAST_BACKUP_KEY, value=json.dumps(info, ensure_ascii=False)))
            else:
                m.value = json.dumps(info, ensure_ascii=False)

    def last_backup(self) -> Optional[dict]:
        raw = self.meta(LAST_BACKUP_KEY)
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def is_demo(self) -> bool:
        return self.meta("demo") == "1"

    def has_non_demo_data(self) -> bool:
        """True when any value was entered other than by the demo loader."""
        with self.engine.connect() as c:
            return c.execute(select(Revision.id).where(Revision.source != "demo").limit(1)).first() is not None

    # -- regions

    def regions(self, scheme_id: str) -> list[str]:
        with self._read() as s:
            # sorted in Python: the same order whatever the database collation
            return sorted(s.scalars(select(Region.name).where(Region.scheme_id == scheme_id)))

    def ensure_region(self, scheme_id: str, name: str) -> None:
        with self._read() as s:
            if self._region_id(s, scheme_id, name.strip()) is not None:
                return
        self._run_write(lambda s: self._ensure_region_in(s, scheme_id, name))

    # -- observations: reads

    def observations(self, scheme_id: str, region: str,
                     indicator_ids: Optional[Iterable[str]] = None) -> dict[str, dict[Quarter, float]]:
        """Stored values (empty values left out), by indicator id and quarter."""
        q = (select(Observation.indicator_id, Observation.period, Observation.value)
             .join(Region, Observation.region_id == Region.id)
             .where(Observation.scheme_id == scheme_id, Region.scheme_id == scheme_id, Region.name == region,
                    Observation.value.is_not(None)))
        if indicator_ids is not None:
            ids = list(indicator_ids)
            if not ids:
                return {}
            q = q.where(Observation.indicator_id.in_(ids))
        out: dict[str, dict[Quarter, float]] = {}
        with self.engine.connect() as c:
            for ind, period, value in c.execute(q.order_by(Observation.indicator_id, Observation.period)):
                out.setdefault(ind, {})[Quarter.parse(period)] = value
        return out

    def observation_rows(self, indicator_id: str, region: str) -> list[ObservationRow]:
        with self._read() as s:
            rows = s.scalars(select(Observation).join(Region, Observation.region_id == Region.id)
                             .where(Observation.indicator_id == indicator_id, Region.name == region)
                             .order_by(Observation.period))
            return [_obs_row(o) for o in rows]

    def observation(self, indicator_id: str, region: str, period: PeriodLike) -> Optional[ObservationRow]:
        with self._read() as s:
            o = s.scalar(select(Observation).join(Region, Observation.region_id == Region.id)
                         .where(Observation.indicator_id == indicator_id, Region.name == region,
                                Observation.period == str(_q(period))))
            return _obs_row(o) if o else None

    def observations_at(self, scheme_id: str, region: str, period: PeriodLike) -> dict[str, ObservationRow]:
        """Every stored row of one quarter (with versions, for an entry form)."""
        with self._read() as s:
            rows = s.scalars(select(Observation).join(Region, Observation.region_id == Region.id)
                             .where(Observation.scheme_id == scheme_id, Region.scheme_id == scheme_id,
                                    Region.name == region, Observation.period == str(_q(period))))
            return {o.indicator_id: _obs_row(o) for o in rows}

    def latest_period(self, scheme_id: str, region: str) -> Optional[Quarter]:
        with self.engine.connect() as c:
            p = c.execute(select(func.max(Observation.period)).join(Region, Observation.region_id == Region.id)
                          .where(Observation.scheme_id == scheme_id, Region.scheme_id == scheme_id,
                                 Region.name == region, Observation.value.is_not(None))).scalar()
        return Quarter.parse(p) if p else None

    def history(self, indicator_id: str, region: Optional[str] = None,
                period: Optional[PeriodLike] = None) -> list[RevisionRow]:
        """Revisions, oldest first. ``indicator_id`` may be ``ref:<series>`` or ``baseline:<id>``."""
        q = select(Revision).join(Region, Revision.region_id == Region.id).where(Revision.indicator_id == indicator_id)
        if region is not None:
            q = q.where(Region.name == region)
        if period is not None:
            q = q.where(Revision.period == str(_q(period)))
        with self._read() as s:
            return [_rev_row(r) for r in s.scalars(q.order_by(Revision.at, Revision.id))]

    # -- observations: writes

    def save_value(self, indicator: Indicator, region: str, period: PeriodLike, value: Optional[float],
                   note: Optional[str], user: str, expected_version: Optional[int], source: str = "form",
                   reason: str = "") -> ObservationRow:
        """Save one value. ``expected_version`` is the version the user edited
        (None: "I believe there is no row yet"). Saving the stored value and note
        again is a no-op. Raises ConflictError, LockedError, InvalidValueError.
        The same path as :meth:`save_values`."""
        try:
            return self.save_values([ValueEdit(indicator, region, period, value, note, expected_version, reason)],
                                    user, source)[0]
        except EditsRejected as exc:
            raise exc.problems[0][1] from None

    def import_rows(self, rows: Iterable[ImportRow], user: str, source: str = "import",
                    dry_run: bool = False) -> list[Change]:
        """Import many values all-or-nothing (no version check: the file wins, with
        a revision for each change). Returns the planned changes; on any problem
        raises ImportRejected listing all of them and writes nothing."""
        _check_source(source)
        rows = list(rows)
        if dry_run:
            with self._read() as s:
                plan = self._plan(s, rows, create_regions=False)
            if plan.errors:
                raise ImportRejected(plan.errors)
            return plan.changes

        def do(s: Session) -> list[Change]:
            plan = self._plan(s, rows, create_regions=True)
            if plan.errors:
                raise ImportRejected(plan.errors)
            if not any(c.action != "unchanged" for c in plan.changes):
                raise _NoChange(plan.changes)
            self._apply(s, plan, user, source)
            return plan.changes

        return self._run_write(do)

    def _plan(self, s: Session, rows: list[ImportRow], create_regions: bool) -> "_ImportPlan":
        errors: list[str] = []
        region_ids: dict[tuple[str, str], Optional[int]] = {}
        for r in rows:
            key = (r.indicator.scheme, r.region)
            if key not in region_ids:
                region_ids[key] = (self._ensure_region_in(s, *key) if create_regions
                                   else self._region_id(s, *key))
        existing: dict[tuple[str, int, str], Observation] = {}
        ids = sorted({r.indicator.id for r in rows})
        rids = sorted({v for v in region_ids.values() if v is not None})
        if ids and rids:
            for o in s.scalars(select(Observation).where(Observation.indicator_id.in_(ids),
                                                         Observation.region_id.in_(rids))):
                existing[(o.indicator_id, o.region_id, o.period)] = o
        frozen = self._frozen(s, rids)
        seen: dict[tuple[str, str, str], Optional[int]] = {}
        changes: list[Change] = []
        targets: list[tuple[ImportRow, Optional[int], Optional[Observation]]] = []
        for r in rows:
            ind, per = r.indicator, str(r.period)
            where = f"第{r.row}行:" if r.row is not None else f"{ind.id} {per}:"
            key = (ind.id, r.region, per)
            if key in seen:
                other = f"第{seen[key]}行" if seen[key] is not None else "前面的行"
                errors.append(f"{where}指标{ind.id}在{per}重复出现(与{other}重复)")
                continue
            seen[key] = r.row
            value = r.value
            if value is not None:
                checked = check_value(ind, value)
                if checked.errors:
                    errors.append(f"{where}{';'.join(checked.errors)}")
                    continue
                value = _round(checked.value)
            rid = region_ids[(ind.scheme, r.region)]
            obs = existing.get((ind.id, rid, per)) if rid is not None else None
            old_value = obs.value if obs is not None else None
            old_note = (obs.note or "") if obs is not None else ""
            new_note = old_note if r.note is None else r.note.strip()
            if obs is None and value is None and not new_note:
                continue  # nothing to store
            if obs is None:
                action = "new"
            elif same_value(old_value, value) and old_note == new_note:
                action = "unchanged"
            else:
                action = "update"
            state = frozen.get((ind.scheme, rid, ind.reporting_unit, per)) if rid is not None else None
            if action != "unchanged" and state:
                errors.append(f"{where}{_locked_message(ind.reporting_unit, r.period, state)}")
                continue
            changes.append(Change(r.row, ind.id, r.region, r.period, old_value, value, old_note, new_note, action))
            targets.append((r, rid, obs))
        return _ImportPlan(changes, errors, targets)

    @staticmethod
    def _apply(s: Session, plan: "_ImportPlan", user: str, source: str) -> None:
        Store._write_observations(s, [(r.indicator, rid, c.period, obs, c.new_value, c.new_note, r.reason)
                                      for c, (r, rid, obs) in zip(plan.changes, plan.targets)
                                      if c.action != "unchanged"], user, source)

    @staticmethod
    def _write_observations(s: Session, todo: list[tuple], user: str, source: str) -> list[Observation]:
        """The one place an observation is written: insert or update each
        (indicator, region id, quarter, stored row or None, value, note, reason) and
        append its revision. Callers have checked state, versions and values."""
        now = _now()
        pending: list[tuple[Observation, Optional[float], str, tuple]] = []
        for t in todo:
            ind, rid, q, obs, value, note, _reason = t
            if obs is None:
                obs = Observation(indicator_id=ind.id, scheme_id=ind.scheme, region_id=rid, period=str(q),
                                  value=value, note=note, version=1, entered_by=user, updated_at=now)
                s.add(obs)
                pending.append((obs, None, "", t))
            else:
                pending.append((obs, obs.value, obs.note or "", t))
                obs.value, obs.note, obs.version = value, note, obs.version + 1
                obs.entered_by, obs.updated_at = user, now
        s.flush()  # one batched INSERT: the new observations get their ids
        for ind, rid, q, *_ in todo:
            _touch(s, ind.scheme, rid, q)
        s.add_all([Revision(observation_id=obs.id, indicator_id=ind.id, region_id=rid, period=str(q),
                            old_value=old_value, new_value=value, old_note=old_note, new_note=note, user=user,
                            at=now, reason=reason or "", source=source)
                   for obs, old_value, old_note, (ind, rid, q, _, value, note, reason) in pending])
        s.flush()
        return [obs for obs, *_ in pending]

    # -- reference series

    def references(self, scheme_id: str, region: str) -> dict[str, dict[Quarter, float]]:
        """Stored reference values (empty ones left out), by series id and quarter: a Core query
        as :meth:`observations` (every overview of a region not in the service's cache reads them)."""
        q = (select(ReferenceValue.series_id, ReferenceValue.period, ReferenceValue.value)
             .join(Region, ReferenceValue.region_id == Region.id)
             .where(ReferenceValue.scheme_id == scheme_id, Region.scheme_id == scheme_id, Region.name == region,
                    ReferenceValue.value.is_not(None))
             .order_by(ReferenceValue.series_id, ReferenceValue.period))
        out: dict[str, dict[Quarter, float]] = {}
        with self.engine.connect() as c:
            for series_id, period, value in c.execute(q):
                out.setdefault(series_id, {})[Quarter.parse(period)] = value
        return out

    def reference_rows(self, scheme_id: str, region: str, series_id: Optional[str] = None) -> list[ReferenceRow]:
        # Region.scheme_id too: with it SQLite finds the region by its unique (scheme, name) index
        # and then its rows; without it, it scanned the scheme's rows of every region (2.5 ms at 1,000).
        q = (select(ReferenceValue).join(Region, ReferenceValue.region_id == Region.id)
             .where(ReferenceValue.scheme_id == scheme_id, Region.scheme_id == scheme_id, Region.name == region))
        if series_id is not None:
            q = q.where(ReferenceValue.series_id == series_id)
        with self._read() as s:
            return [_ref_row(r, region) for r in s.scalars(q.order_by(ReferenceValue.series_id, ReferenceValue.period))]

    def save_reference(self, scheme_id: str, region: str, series_id: str, period: PeriodLike,
                       value: Optional[float], user: str, expected_version: Optional[int], reason: str = "",
                       source: str = "form") -> ReferenceRow:
        """Save a reference-series value (e.g. the provincial average) for a quarter;
        same rules as :meth:`save_value` (revision ``ref:<series_id>``), no lock."""
        _check_source(source)
        q = _q(period)
        value = _round(value)

        def do(s: Session) -> ReferenceRow:
            rid = self._ensure_region_in(s, scheme_id, region)
            ref = s.scalar(select(ReferenceValue).where(
                ReferenceValue.scheme_id == scheme_id, ReferenceValue.region_id == rid,
                ReferenceValue.series_id == series_id, ReferenceValue.period == str(q)))
            if ref is not None and same_value(ref.value, value):
                raise _NoChange(_ref_row(ref, region))
            if ref is None and value is None:
                raise InvalidValueError("未填写数值")
            if ref is None and expected_version is not None:
                raise ConflictError("保存冲突:该参照值已不存在,请刷新后重试", None)
            if ref is not None and expected_version != ref.version:
                current = _ref_row(ref, region)
                raise ConflictError(f"保存冲突:该参照值已被{current.entered_by or '他人'}修改为"
                                    f"{_fmt(current.value)},请核对后重新保存", current)
            now = _now()
            old = None
            if ref is None:
                ref = ReferenceValue(scheme_id=scheme_id, region_id=rid, series_id=series_id, period=str(q),
                                     value=value, version=1, entered_by=user, updated_at=now)
                s.add(ref)
            else:
                old = ref.value
                ref.value, ref.version, ref.entered_by, ref.updated_at = value, ref.version + 1, user, now
            _touch(s, scheme_id, rid, q)
            s.add(Revision(observation_id=None, indicator_id=REF_PREFIX + series_id, region_id=rid, period=str(q),
                           old_value=old, new_value=value, user=user, at=now, reason=reason or "",
                           source=source, old_note="", new_note=""))
            s.flush()
            return _ref_row(ref, region)

        return self._run_write(do)

    # -- baselines

    def baselines(self, scheme_id: str, region: str) -> dict[str, Baseline]:
        """Stored baselines (overriding the registry's), by indicator id."""
        return {i: _baseline(b) for i, b in self.baseline_rows(scheme_id, region).items()}

    def baseline_rows(self, scheme_id: str, region: str) -> dict[str, BaselineRow]:
        with self._read() as s:
            rows = s.scalars(select(BaselineValue).join(Region, BaselineValue.region_id == Region.id)
                             .where(BaselineValue.scheme_id == scheme_id, Region.scheme_id == scheme_id,
                                    Region.name == region))
            return {b.indicator_id: _base_row(b, region) for b in rows}

    def save_baseline(self, indicator: Indicator, region: str, value: float, as_of: date, user: str,
                      expected_version: Optional[int], note: str = "", source: str = "form",
                      reason: str = "") -> BaselineRow:
        """Set a region's baseline for an indicator (revision ``baseline:<id>``)."""
        _check_source(source)
        checked = check_value(indicator, value)
        if value is None or checked.errors:
            raise InvalidValueError(f"{indicator.name}:{';'.join(checked.errors) or '未填写基期值'}",
                                    checked.errors or ["未填写基期值"])
        value = _round(checked.value)
        note = (note or "").strip()

        def do(s: Session) -> BaselineRow:
            rid = self._ensure_region_in(s, indicator.scheme, region)
            b = s.scalar(select(BaselineValue).where(BaselineValue.indicator_id == indicator.id,
                                                     BaselineValue.region_id == rid))
            if b is not None and same_value(b.value, value) and b.as_of == as_of and (b.note or "") == note:
                raise _NoChange(_base_row(b, region))
            if b is None and expected_version is not None:
                raise ConflictError("保存冲突:该基期值已不存在,请刷新后重试", None)
            if b is not None and expected_version != b.version:
                current = _base_row(b, region)
                raise ConflictError(f"保存冲突:该基期值已被{current.entered_by or '他人'}修改为"
                                    f"{_fmt(current.value)}({current.as_of}),请核对后重新保存", current)
            now = _now()
            old_value, old_note, old_as_of = (None, "", None) if b is None else (b.value, b.note or "", b.as_of)
            if b is None:
                b = BaselineValue(scheme_id=indicator.scheme, indicator_id=indicator.id, region_id=rid, value=value,
                                  as_of=as_of, version=1, note=note, entered_by=user, updated_at=now)
                s.add(b)
            else:
                b.value, b.as_of, b.note, b.version = value, as_of, note, b.version + 1
                b.entered_by, b.updated_at = user, now
            _touch(s, indicator.scheme, rid, None)  # a baseline counts for every quarter
            why = reason or (f"基期日期 {as_of}" if old_as_of in (None, as_of) else f"基期日期 {old_as_of} → {as_of}")
            s.add(Revision(observation_id=None, indicator_id=BASELINE_PREFIX + indicator.id, region_id=rid,
                           period="", old_value=old_value, new_value=value, old_note=old_note, new_note=note,
                           user=user, at=now, reason=why, source=source))
            s.flush()
            return _base_row(b, region)

        return self._run_write(do)

    # -- submissions (报送 / 审核 / 退回)

    def submission(self, scheme_id: str, region: str, unit: str, period: PeriodLike) -> Optional[SubmissionRow]:
        with self._read() as s:
            sub = s.scalar(select(Submission).join(Region, Submission.region_id == Region.id)
                           .where(Submission.scheme_id == scheme_id, Region.name == region,
                                  Submission.unit == unit, Submission.period == str(_q(period))))
            return _sub_row(sub) if sub else None

    def submissions(self, scheme_id: str, region: str, period: PeriodLike) -> list[SubmissionRow]:
        with self._read() as s:
            rows = s.scalars(select(Submission).join(Region, Submission.region_id == Region.id)
                             .where(Submission.scheme_id == scheme_id, Region.name == region,
                                    Submission.period == str(_q(period))))
            return sorted((_sub_row(x) for x in rows), key=lambda r: r.unit)

    def submission_events(self, scheme_id: str, region: str, unit: str,
                          period: PeriodLike) -> list[SubmissionEventRow]:
        with self._read() as s:
            rows = s.scalars(select(SubmissionEvent).join(Submission).join(Region, Submission.region_id == Region.id)
                             .where(Submission.scheme_id == scheme_id, Region.name == region,
                                    Submission.unit == unit, Submission.period == str(_q(period)))
                             .order_by(SubmissionEvent.at, SubmissionEvent.id))
            return [SubmissionEventRow(e.action, e.user, _utc(e.at), e.reason or "") for e in rows]

    def last_events(self, scheme_id: str, region: str, period: PeriodLike) -> dict[str, SubmissionEventRow]:
        """The latest submission event of each unit in the quarter (one query): is a draft a returned one?"""
        out: dict[str, SubmissionEventRow] = {}
        with self._read() as s:
            rows = s.execute(select(Submission.unit, SubmissionEvent)
                             .join(SubmissionEvent, SubmissionEvent.submission_id == Submission.id)
                             .join(Region, Submission.region_id == Region.id)
                             .where(Submission.scheme_id == scheme_id, Region.name == region,
                                    Submission.period == str(_q(period)))
                             .order_by(SubmissionEvent.at, SubmissionEvent.id))
            for unit, e in rows:
                out[unit] = SubmissionEventRow(e.action, e.user, _utc(e.at), e.reason or "")
        return out

    def submissions_in_state(self, scheme_id: str, state: str,
                             period: Optional[PeriodLike] = None) -> list[SubmissionRow]:
        """Every region's submissions of a scheme in ``state`` (optionally of one quarter), oldest quarter first."""
        q = select(Submission).where(Submission.scheme_id == scheme_id, Submission.state == state)
        if period is not None:
            q = q.where(Submission.period == str(_q(period)))
        with self._read() as s:
            return sorted((_sub_row(x) for x in s.scalars(q)), key=lambda r: (r.period, r.region, r.unit))

    def submit(self, scheme_id: str, region: str, unit: str, period: PeriodLike, user: str) -> SubmissionRow:
        """draft → submitted."""
        return self._transition(scheme_id, region, unit, _q(period), user, "submit", "")

    def approve(self, scheme_id: str, region: str, unit: str, period: PeriodLike, user: str,
                expected_version: Optional[int] = None) -> SubmissionRow:
        """submitted → approved (locks the unit's quarter). ``expected_version``: the
        submission's version the reviewer saw; a different one is refused (ConflictError)."""
        return self._transition(scheme_id, region, unit, _q(period), user, "approve", "", expected_version)

    def reopen(self, scheme_id: str, region: str, unit: str, period: PeriodLike, user: str,
               reason: str, expected_version: Optional[int] = None) -> SubmissionRow:
        """approved (or submitted) → draft; a reason is required."""
        reason = (reason or "").strip()
        if not reason:
            raise TransitionError("退回须填写原因")
        return self._transition(scheme_id, region, unit, _q(period), user, "reopen", reason, expected_version)

    def transitions(self, scheme_id: str, region: str, steps: Iterable[tuple[str, PeriodLike, str]], user: str,
                    reason: str = "") -> list[SubmissionRow]:
        """Several (unit, period, action) steps in one transaction, all or none
        (bulk approval; the demo loader)."""
        steps = [(unit, _q(period), action) for unit, period, action in steps]
        for _, _, action in steps:
            if action not in ("submit", "approve", "reopen"):
                raise ValueError(f"unknown action {action!r}")
            if action == "reopen" and not (reason or "").strip():
                raise TransitionError("退回须填写原因")

        def do(s: Session) -> list[SubmissionRow]:
            rid = self._ensure_region_in(s, scheme_id, region)
            return [self._transition_in(s, scheme_id, rid, unit, q, user, action, (reason or "").strip())
                    for unit, q, action in steps]

        return self._run_write(do)

    def _transition(self, scheme_id: str, region: str, unit: str, q: Quarter, user: str, action: str,
                    reason: str, expected_version: Optional[int] = None) -> SubmissionRow:
        def do(s: Session) -> SubmissionRow:
            rid = self._ensure_region_in(s, scheme_id, region)
            return self._transition_in(s, scheme_id, rid, unit, q, user, action, reason, expected_version)

        return self._run_write(do)

    @staticmethod
    def _transition_in(s: Session, scheme_id: str, rid: int, unit: str, q: Quarter, user: str, action: str,
                       reason: str, expected_version: Optional[int] = None) -> SubmissionRow:
        what = f"{unit}{q.label}的报送"
        sub = s.scalar(select(Submission).where(Submission.scheme_id == scheme_id, Submission.region_id == rid,
                                                Submission.unit == unit, Submission.period == str(q)))
        state = sub.state if sub else "draft"
        if expected_version is not None and (sub.version if sub else 0) != expected_version:
            # The reviewer saw another version: it was returned, changed and handed in again meanwhile.
            raise ConflictError(f"{what}在您打开后已有变化(现为{STATE_LABELS[state]}),请核对最新内容后再操作",
                                _sub_row(sub) if sub else None)
        now = _now()
        if action == "submit":
            if state == "submitted":
                raise TransitionError(f"{what}已提交,正在等待审核")
            if state == "approved":
                raise TransitionError(f"{what}已审核锁定,不能重复提交")
            if sub is None:
                sub = Submission(scheme_id=scheme_id, region_id=rid, unit=unit, period=str(q), version=0)
                s.add(sub)
            sub.state, sub.submitted_by, sub.submitted_at = "submitted", user, now
            sub.approved_by = sub.approved_at = None
        elif action == "approve":
            if state == "draft":
                raise TransitionError(f"{what}尚未提交,不能审核")
            if state == "approved":
                raise TransitionError(f"{what}已审核,无需重复审核")
            sub.state, sub.approved_by, sub.approved_at = "approved", user, now
        else:  # reopen
            if state == "draft":
                raise TransitionError(f"{what}尚未提交,无需退回")
            sub.state = "draft"
            sub.approved_by = sub.approved_at = None
        sub.version = (sub.version or 0) + 1
        s.flush()
        s.add(SubmissionEvent(submission_id=sub.id, action=action, user=user, at=now, reason=reason))
        s.flush()
        s.refresh(sub)
        return _sub_row(sub)

    # -- users (hashing and sign-in rules belong to the caller)

    def get_user(self, username: str) -> Optional[UserRow]:
        with self._read() as s:
            u = s.scalar(select(User).where(User.username == username))
            return _user_row(u) if u else None

    def list_users(self) -> list[UserRow]:
        with self._read() as s:
            return sorted((_user_row(u) for u in s.scalars(select(User))), key=lambda u: u.username)

    def add_user(self, username: str, role: str, password_hash: str = "", display_name: str = "",
                 units: Iterable[str] = (), schemes: Iterable[str] = (), active: bool = True,
                 regions: Iterable[str] = (), demo: bool = False) -> UserRow:
        username = (username or "").strip()
        if not username:
            raise StoreError("用户名不能为空")
        if role not in ROLES:
            raise StoreError(f"未知角色:{role}")
        if problem := display_name_problem(display_name):
            raise StoreError(problem)
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                raise DuplicateError(f"用户名“{username}”已存在")
            u = User(username=username, display_name=display_name or username, role=role, units=list(units),
                     schemes=list(schemes), password_hash=password_hash, active=active, failed_count=0,
                     created_at=_now(), session_gen=0, demo=demo, regions=list(regions))
            s.add(u)
            s.flush()
            return _user_row(u)

    _USER_FIELDS = {"display_name", "role", "units", "schemes", "regions", "password_hash", "active", "failed_count",
                    "locked_until"}

    def update_user(self, username: str, **changes: Any) -> UserRow:
        unknown = set(changes) - self._USER_FIELDS
        if unknown:
            raise TypeError(f"update_user: unknown fields {sorted(unknown)}")
        if "role" in changes and changes["role"] not in ROLES:
            raise StoreError(f"未知角色:{changes['role']}")
        if problem := display_name_problem(changes.get("display_name")):
            raise StoreError(problem)
        for key in ("units", "schemes", "regions"):
            if key in changes:
                changes[key] = list(changes[key] or [])
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            u = s.scalar(select(User).where(User.username == username))
            if u is None:
                raise NotFoundError(f"用户“{username}”不存在")
            # A new password or disabling ends every open session of the user, whoever changes it.
            ends_sessions = ("password_hash" in changes and changes["password_hash"] != u.password_hash) \
                or ("active" in changes and not changes["active"] and u.active)
            for k, v in changes.items():
                setattr(u, k, v)
            if ends_sessions:
                u.session_gen = (u.session_gen or 0) + 1
            s.flush()
            return _user_row(u)

    def end_sessions(self, username: str) -> UserRow:
        """Invalidate every session of ``username`` (sign-out ends all copies of the cookie)."""
        with Session(self.engine, expire_on_commit=False) as s, s.begin():
            u = s.scalar(select(User).where(User.username == username))
            if u is None:
                raise NotFoundError(f"用户“{username}”不存在")
            u.session_gen = (u.session_gen or 0) + 1
            s.flush()
            return _user_row(u)

    def record_login(self, username: str, success: bool, ip: str = "", at: Optional[datetime] = None,
                     keep_days: int = 90, keep_rows: int = 100_000) -> None:
        """Log one sign-in attempt and keep the log bounded: rows older than ``keep_days``
        and all but the newest ``keep_rows`` go (both deletes use an index)."""
        at = at or _now()
        with Session(self.engine) as s, s.begin():
            e = LoginEvent(username=username[:64], success=success, ip=(ip or "")[:64], at=at)
            s.add(e)
            s.flush()
            s.execute(delete(LoginEvent).where(LoginEvent.at < at - timedelta(days=keep_days)))
            s.execute(delete(LoginEvent).where(LoginEvent.id <= e.id - keep_rows))

    def login_event_count(self) -> int:
        with self._read() as s:
            return s.scalar(select(func.count()).select_from(LoginEvent)) or 0

    def throttles(self, keys: Iterable[str], since: datetime) -> dict[str, tuple[int, Optional[datetime]]]:
        """{key: (failures, until)} of the sign-in throttle rows updated since ``since``."""
        keys = list(keys)
        with self._read() as s:
            rows = s.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys),
                                                         LoginThrottle.updated_at >= since))
            return {t.key: (t.failures, _utc(t.until)) for t in rows}

    def throttle_fail(self, keys: Iterable[str], now: datetime, since: datetime,
                      until: Callable[[str, int], Optional[datetime]]) -> dict[str, int]:
        """Count one more failure for each key (a row older than ``since`` starts again
        from 0), set ``until(key, failures)``, drop rows older than ``since``. Returns the counts."""
        counts = {}
        with Session(self.engine) as s, s.begin():
            s.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < since))
            for key in keys:
                t = s.get(LoginThrottle, key, with_for_update=True)
                if t is None:
                    t = LoginThrottle(key=key, failures=0)
                    s.add(t)
                t.failures = (t.failures or 0) + 1
                t.until, t.updated_at = until(key, t.failures), now
                counts[key] = t.failures
        return counts

    def throttle_clear(self, keys: Iterable[str]) -> None:
        with Session(self.engine) as s, s.begin():
            s.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(list(keys))))

    def login_events(self, username: Optional[str] = None, limit: int = 100) -> list[LoginRow]:
        """Newest first."""
        q = select(LoginEvent)
        if username is not None:
            q = q.where(LoginEvent.username == username)
        with self._read() as s:
            return [LoginRow(e.username, _utc(e.at), bool(e.success), e.ip or "")
                    for e in s.scalars(q.order_by(LoginEvent.at.desc(), LoginEvent.id.desc()).limit(limit))]

    # -- several form values at once (the entry page's 保存草稿)

    def save_values(self, edits: Iterable["ValueEdit"], user: str, source: str = "form") -> list[ObservationRow]:
        """Save several values in one transaction: all of them, or none.

        Each edit follows :meth:`save_value`'s rules (value check, lock, optimistic
        version). Every refusal is collected first; if there is any, nothing is
        written (data_version included) and :class:`EditsRejected` is raised with
        ``.problems`` = [(index of the edit, ConflictError | LockedError |
        InvalidValueError), ...]. Returns the stored rows, in the edits' order."""
        _check_source(source)
        edits = list(edits)
        keys = [(e.indicator.id, e.region, str(_q(e.period))) for e in edits]
        if len(set(keys)) != len(keys):
            raise ValueError("save_values: the same value appears twice")
        prepared: list[tuple[int, ValueEdit, Quarter, Optional[float], str]] = []
        problems: list[tuple[int, StoreError]] = []
        for i, e in enumerate(edits):
            value = e.value
            if value is not None:
                checked = check_value(e.indicator, value)
                if checked.errors:
                    problems.append((i, InvalidValueError(f"{e.indicator.name}:{';'.join(checked.errors)}",
                                                          checked.errors)))
                    continue
                value = _round(checked.value)
            prepared.append((i, e, _q(e.period), value, (e.note or "").strip()))
        if problems:
            raise EditsRejected(problems)

        def do(s: Session) -> list[ObservationRow]:
            out: dict[int, ObservationRow] = {}
            todo, where = [], []
            rids = {i: self._ensure_region_in(s, e.indicator.scheme, e.region) for i, e, *_ in prepared}
            frozen = self._frozen(s, rids.values())
            for i, e, q, value, note in prepared:
                ind, rid = e.indicator, rids[i]
                obs = s.scalar(select(Observation).where(Observation.indicator_id == ind.id,
                                                         Observation.region_id == rid, Observation.period == str(q)))
                if obs is not None and same_value(obs.value, value) and (obs.note or "") == note:
                    out[i] = _obs_row(obs)
                    continue
                state = frozen.get((ind.scheme, rid, ind.reporting_unit, str(q)))
                if obs is None and value is None and not note:
                    problems.append((i, InvalidValueError(f"{ind.name}:未填写数值")))
                elif state:
                    problems.append((i, LockedError(_locked_message(ind.reporting_unit, q, state))))
                elif obs is None and e.expected_version is not None:
                    problems.append((i, ConflictError("保存冲突:该数据已不存在,请刷新后重试", None)))
                elif obs is not None and e.expected_version != obs.version:
                    current = _obs_row(obs)
                    problems.append((i, ConflictError(_conflict_message(current), current)))
                else:
                    todo.append((ind, rid, q, obs, value, note, e.reason))
                    where.append(i)
            if problems:
                raise EditsRejected(problems)  # rolls the whole transaction back
            if not todo:
                raise _NoChange([out[i] for i in sorted(out)])
            for i, obs in zip(where, self._write_observations(s, todo, user, source)):
                out[i] = _obs_row(obs)
            return [out[i] for i in sorted(out)]

        return self._run_write(do)

    # -- every region of a scheme at once (the regions roll-up page)

    def observations_all_regions(self, scheme_id: str, regions: Optional[Iterable[str]] = None
                                 ) -> dict[str, dict[str, dict[Quarter, float]]]:
        """:meth:`observations` of every region (or of ``regions``) in one query:
        region -> indicator id -> quarter -> value."""
        q = (select(Region.name, Observation.indicator_id, Observation.period, Observation.value)
             .join(Region, Observation.region_id == Region.id)
             .where(Observation.scheme_id == scheme_id, Region.scheme_id == scheme_id,
                    Observation.value.is_not(None)))
        return self._by_region(q, regions)

    def references_all_regions(self, scheme_id: str, regions: Optional[Iterable[str]] = None
                               ) -> dict[str, dict[str, dict[Quarter, float]]]:
        """:meth:`references` of every region (or of ``regions``): region -> series id -> quarter -> value."""
        q = (select(Region.name, ReferenceValue.series_id, ReferenceValue.period, ReferenceValue.value)
             .join(Region, ReferenceValue.region_id == Region.id)
             .where(ReferenceValue.scheme_id == scheme_id, ReferenceValue.value.is_not(None)))
        return self._by_region(q, regions)

    def baselines_all_regions(self, scheme_id: str, regions: Optional[Iterable[str]] = None
                              ) -> dict[str, dict[str, Baseline]]:
        """:meth:`baselines` of every region (or of ``regions``)."""
        q = (select(Region.name, BaselineValue).join(Region, BaselineValue.region_id == Region.id)
             .where(BaselineValue.scheme_id == scheme_id))
        if regions is not None:
            q = q.where(Region.name.in_(list(regions)))
        out: dict[str, dict[str, Baseline]] = {}
        with self._read() as s:
            for name, b in s.execute(q):
                out.setdefault(name, {})[b.indicator_id] = _baseline(b)
        return out

    def changed_regions(self, scheme_id: str, after_revision: int) -> tuple[int, set[str]]:
        """(latest revision id, regions of ``scheme_id`` with a revision after
        ``after_revision``): every value change appends a revision, so a cache can
        reload just those regions."""
        with self.engine.connect() as c:
            last = c.execute(select(func.max(Revision.id))).scalar() or 0
            names = set(c.execute(select(Region.name).distinct().join(Revision, Revision.region_id == Region.id)
                                  .where(Region.scheme_id == scheme_id, Revision.id > after_revision,
                                         Revision.id <= last)).scalars())
        return last, names

    def observed_periods(self, scheme_id: str) -> list[Quarter]:
        """Every quarter holding a value in some region of ``scheme_id``, ascending."""
        with self.engine.connect() as c:
            found = c.execute(select(Observation.period).distinct()
                              .where(Observation.scheme_id == scheme_id, Observation.value.is_not(None))).scalars()
            return sorted(Quarter.parse(p) for p in found)

    def _by_region(self, q, regions: Optional[Iterable[str]]) -> dict[str, dict[str, dict[Quarter, float]]]:
        if regions is not None:
            names = list(regions)
            if not names:
                return {}
            q = q.where(Region.name.in_(names))
        out: dict[str, dict[str, dict[Quarter, float]]] = {}
        # Streamed in chunks: 700,000 rows held at once cost ~100 MB on PostgreSQL. Quarter.parse
        # is cached, so all rows of a period share one Quarter: far less memory at 1,000 regions.
        with self.engine.connect().execution_options(yield_per=20_000) as c:
            for name, key, period, value in c.execute(q):
                out.setdefault(name, {}).setdefault(key, {})[Quarter.parse(period)] = value
        return out

    def submission_states(self, scheme_id: str, region: str) -> list[tuple[SubmissionRow, Optional[str]]]:
        """Every submission of the region (all quarters), each with the action of its last event
        (submit | approve | reopen; a draft whose last event is a reopen was returned), in one query:
        the data status of shown figures (dashboard/datastatus.py)."""
        last = (select(SubmissionEvent.action).where(SubmissionEvent.submission_id == Submission.id)
                .order_by(SubmissionEvent.at.desc(), SubmissionEvent.id.desc()).limit(1)
                .correlate(Submission).scalar_subquery())
        with self._read() as s:
            # Region.scheme_id: the region first, by its unique index (see reference_rows).
            rows = s.execute(select(Submission, last).join(Region, Submission.region_id == Region.id)
                             .where(Submission.scheme_id == scheme_id, Region.scheme_id == scheme_id,
                                    Region.name == region))
            return sorted(((_sub_row(sub), action) for sub, action in rows), key=lambda r: (r[0].period, r[0].unit))

    def recent_revisions(self, scheme_id: str, region: str, limit: int = 100) -> list[RevisionRow]:
        """The region's newest revisions (values, references, baselines), newest first: the
        wall screen's latest changes and last update time (dashboard/screen/rules.py)."""
        with self._read() as s:
            q = (select(Revision).join(Region, Revision.region_id == Region.id)
                 .where(Region.scheme_id == scheme_id, Region.name == region)
                 .order_by(Revision.at.desc(), Revision.id.desc()).limit(max(0, int(limit))))
            return [_rev_row(r) for r in s.scalars(q)]


    # -- the status snapshot (derived data; indicators/snapshot.py computes a row)

    def _region_inputs(self, s: Session, scheme_id: str, rids: list[int]) -> dict[int, tuple[dict, dict, dict]]:
        """(observations, references, baselines) of each region id, read in ``s`` (so a write
        sees its own changes): the inputs of :meth:`indicators.snapshot.Evaluator.evaluate`."""
        out: dict[int, tuple[dict, dict, dict]] = {rid: ({}, {}, {}) for rid in rids}
        for rid, key, period, value in s.execute(
                select(Observation.region_id, Observation.indicator_id, Observation.period, Observation.value)
                .where(Observation.scheme_id == scheme_id, Observation.region_id.in_(rids),
                       Observation.value.is_not(None))):
            out[rid][0].setdefault(key, {})[Quarter.parse(period)] = value
        for rid, key, period, value in s.execute(
                select(ReferenceValue.region_id, ReferenceValue.series_id, ReferenceValue.period, ReferenceValue.value)
                .where(ReferenceValue.scheme_id == scheme_id, ReferenceValue.region_id.in_(rids),
                       ReferenceValue.value.is_not(None))):
            out[rid][1].setdefault(key, {})[Quarter.parse(period)] = value
        for b in s.execute(select(BaselineValue.region_id, BaselineValue.indicator_id, BaselineValue.value,
                                  BaselineValue.as_of, BaselineValue.note, BaselineValue.entered_by)
                           .where(BaselineValue.scheme_id == scheme_id, BaselineValue.region_id.in_(rids))):
            out[b.region_id][2][b.indicator_id] = _baseline(b)
        return out

    def _put_snapshot(self, s: Session, scheme_id: str, rids: list[int], quarters: list[Quarter]) -> int:
        """Replace the snapshot rows of ``rids`` × ``quarters`` by fresh ones (only delete them
        when no evaluator is set: readers then fill them)."""
        if not rids or not quarters:
            return 0
        periods = [str(q) for q in quarters]
        s.execute(delete(StatusSnapshot).where(StatusSnapshot.scheme_id == scheme_id,
                                               StatusSnapshot.region_id.in_(rids),
                                               StatusSnapshot.period.in_(periods))
                  .execution_options(synchronize_session=False))
        rows = self._fresh_rows(s, scheme_id, rids, quarters)
        if rows:
            s.execute(insert(StatusSnapshot), rows)
        return len(rows)

    def _batch_inputs(self, s: Session, scheme_id: str, rids: list[int]) -> list[tuple]:
        """[(region id, name, observations, references, baselines)] of ``rids``, read in ``s``."""
        names = dict(s.execute(select(Region.id, Region.name).where(Region.id.in_(rids))).all())
        inputs = self._region_inputs(s, scheme_id, list(names))
        return [(rid, name, *inputs[rid]) for rid, name in names.items()]

    def _fresh_rows(self, s: Session, scheme_id: str, rids: list[int], quarters: list[Quarter]) -> list[dict]:
        """The snapshot rows of ``rids`` × ``quarters`` evaluated from the values now (none without an evaluator)."""
        ev = self.snapshot_evaluator
        if ev is None or scheme_id not in ev.schemes():
            return []
        return _snapshot_rows(ev, scheme_id, quarters, self._batch_inputs(s, scheme_id, rids))

    def snapshot_check(self, scheme_id: str, batch: int = 250) -> list[str]:
        """Every difference between the stored snapshot of a scheme and a fresh evaluation of all its
        regions and quarters (``python -m data snapshot --check``; empty: they agree exactly)."""
        ev = self.snapshot_evaluator
        if ev is None:
            raise StoreError("status snapshot: no evaluator set")
        ss = StatusSnapshot
        cols = [c.name for c in ss.__table__.columns if c.name != "id"]
        problems = []
        with self._read() as s:
            names = dict(s.execute(select(Region.id, Region.name).where(Region.scheme_id == scheme_id)).all())
            stored = {(r.region_id, r.period): {c: getattr(r, c) for c in cols}
                      for r in s.scalars(select(ss).where(ss.scheme_id == scheme_id))}
            rids = sorted(names)
            for i in range(0, len(rids), batch):
                for row in self._fresh_rows(s, scheme_id, rids[i:i + batch], ev.quarters(scheme_id)):
                    key = (row["region_id"], row["period"])
                    have = stored.pop(key, None)
                    if have != row:
                        what = "缺少" if have is None else "与重新评价不一致"
                        problems.append(f"{names[key[0]]} {key[1]}:状态快照{what}")
        problems += [f"{names.get(rid, rid)} {period}:状态快照多余" for rid, period in stored]
        return problems

    def _refresh_touched(self, s: Session) -> None:
        """Bring the snapshot rows of the regions and quarters this transaction wrote up to date,
        before it commits: no reader ever sees values and statuses disagree."""
        touched = s.info.pop(_TOUCHED, None)
        if not touched:
            return
        ev = self.snapshot_evaluator
        groups: dict[tuple[str, Optional[Quarter]], list[int]] = {}
        for (scheme_id, rid), since in touched.items():
            groups.setdefault((scheme_id, since), []).append(rid)
        for (scheme_id, since), rids in groups.items():
            if ev is None or scheme_id not in ev.schemes():
                stale = delete(StatusSnapshot).where(StatusSnapshot.scheme_id == scheme_id,
                                                     StatusSnapshot.region_id.in_(rids))
                if since is not None:
                    stale = stale.where(StatusSnapshot.period >= str(since))
                s.execute(stale.execution_options(synchronize_session=False))
                continue
            quarters = [q for q in ev.quarters(scheme_id) if since is None or q >= since]
            self._put_snapshot(s, scheme_id, sorted(rids), quarters)

    @staticmethod
    def _lock_writers(s: Session) -> None:
        """Take the writers' lock (the data_version row) without bumping data_version."""
        s.execute(select(Meta.value).where(Meta.key == "data_version").with_for_update())

    def _snapshot_missing(self, c, scheme_id: str, version: str, period: str) -> list[int]:
        ss = StatusSnapshot
        return list(c.execute(
            select(Region.id).outerjoin(ss, (ss.region_id == Region.id) & (ss.scheme_id == scheme_id)
                                        & (ss.period == period) & (ss.scheme_version == version))
            .where(Region.scheme_id == scheme_id, ss.id.is_(None)).order_by(Region.id)).scalars())

    def fill_snapshot(self, scheme_id: str, quarter: Quarter, batch: int = 250) -> int:
        """Compute the rows of ``quarter`` that are missing or of another registry version (a
        restored database, a changed registry, values written without an evaluator), once for
        every worker: the writers' lock makes the others wait, then find nothing to do.
        Returns the rows written (0 when the snapshot was complete: one indexed query)."""
        ev = self.snapshot_evaluator
        if ev is None:
            raise StoreError("status snapshot: no evaluator set (the service sets one)")
        version, period = ev.version(scheme_id), str(quarter)
        with self.engine.connect() as c:
            if not self._snapshot_missing(c, scheme_id, version, period):
                return 0
        written = 0
        with Session(self.engine) as s, s.begin():
            self._lock_writers(s)
            missing = self._snapshot_missing(s, scheme_id, version, period)
            for i in range(0, len(missing), batch):
                written += self._put_snapshot(s, scheme_id, missing[i:i + batch], [quarter])
        return written

    def rebuild_snapshot(self, scheme_ids: Optional[Iterable[str]] = None, batch: int = 100, workers: int = 1,
                         progress: Optional[Callable[[str, int, int], None]] = None) -> int:
        """Recompute every snapshot row from the values (``python -m data snapshot --rebuild``),
        one transaction per scheme (writers wait meanwhile). ``workers`` > 1 evaluates batches of
        regions in that many processes while this one reads and writes. Returns the rows written."""
        ev = self.snapshot_evaluator
        if ev is None:
            raise StoreError("status snapshot: no evaluator set")
        written = 0
        pool = snapshot_pool(workers)
        try:
            for scheme_id in (list(scheme_ids) if scheme_ids is not None else ev.schemes()):
                with Session(self.engine) as s, s.begin():
                    self._lock_writers(s)
                    s.execute(delete(StatusSnapshot).where(StatusSnapshot.scheme_id == scheme_id)
                              .execution_options(synchronize_session=False))
                    rids = list(s.scalars(select(Region.id).where(Region.scheme_id == scheme_id)
                                          .order_by(Region.id)))
                    quarters = ev.quarters(scheme_id)
                    pending: list = []
                    done = 0

                    def put(rows: list[dict]) -> None:
                        nonlocal written, done
                        if rows:
                            s.execute(insert(StatusSnapshot), rows)
                        written += len(rows)
                        done += len(rows) // max(1, len(quarters))
                        if progress:
                            progress(scheme_id, done, len(rids))

                    for i in range(0, len(rids), batch):
                        items = self._batch_inputs(s, scheme_id, rids[i:i + batch])
                        if pool is None:
                            put(_snapshot_rows(ev, scheme_id, quarters, items))
                            continue
                        pending.append(pool.submit(_snapshot_rows, ev, scheme_id, quarters, items))
                        while len(pending) > workers:   # bounded: values of a few batches in memory
                            put(pending.pop(0).result())
                    for f in pending:
                        put(f.result())
        finally:
            if pool is not None:
                pool.shutdown()
        return written

    def snapshot_rows(self, scheme_id: str) -> dict[tuple[str, str], tuple]:
        """Every stored snapshot row of a scheme: (region, period) -> (version, total, due, share,
        index, counts by status, dimensions, statuses, reported). For the rebuild check and tests."""
        ss = StatusSnapshot
        out = {}
        with self._read() as s:
            for r, name in s.execute(select(ss, Region.name).join(Region, ss.region_id == Region.id)
                                     .where(ss.scheme_id == scheme_id)):
                out[(name, r.period)] = (r.scheme_version, r.total, r.due, r.share_achieved, r.completion_index,
                                         {st: getattr(r, f"n_{st}") for st in SNAPSHOT_STATUSES}, list(r.dimensions),
                                         r.statuses, r.reported)
        return out

    def region_statuses(self, scheme_id: str, version: str, region: str, quarters: Iterable[Quarter]) -> dict[str, str]:
        """Period -> every indicator's status (space-separated, registry order) of one region from the
        snapshot, for the quarters it holds at ``version`` (one indexed query: the overview's heatmap)."""
        ss = StatusSnapshot
        periods = [str(q) for q in quarters]
        with self.engine.connect() as c:
            return dict(c.execute(select(ss.period, ss.statuses).join(Region, ss.region_id == Region.id)
                                  .where(ss.scheme_id == scheme_id, Region.scheme_id == scheme_id, Region.name == region,
                                         ss.scheme_version == version, ss.period.in_(periods))).all())

    def latest_reported_period(self, scheme_id: str, version: str, upto: Quarter) -> Optional[Quarter]:
        """The latest quarter up to ``upto`` with a value in some region, from the snapshot
        (None when the snapshot holds no row of ``version``: ask :meth:`observed_periods`)."""
        ss = StatusSnapshot
        where = (ss.scheme_id == scheme_id, ss.scheme_version == version)
        with self.engine.connect() as c:
            if c.execute(select(ss.id).where(*where).limit(1)).first() is None:
                return None
            p = c.execute(select(func.max(ss.period)).where(*where, ss.reported > 0,
                                                             ss.period <= str(upto))).scalar()
        return Quarter.parse(p) if p else upto

    def _ranked(self, scheme_id: str, version: str, period: str):
        ss = StatusSnapshot
        counts = [getattr(ss, f"n_{st}") for st in SNAPSHOT_STATUSES]
        return (select(Region.name.label("region"), ss.total, ss.due, ss.share_achieved, ss.completion_index,
                       ss.dimensions, *counts,
                       func.rank().over(order_by=func.coalesce(ss.completion_index, -1.0).desc()).label("rank"))
                .join(Region, ss.region_id == Region.id)
                .where(ss.scheme_id == scheme_id, ss.period == period, ss.scheme_version == version)).subquery()

    def ranking(self, scheme_id: str, version: str, quarter: Quarter, search: str = "", ascending: bool = False,
                offset: int = 0, limit: Optional[int] = None) -> tuple[int, list[RankingRow]]:
        """(regions matching ``search``, one page of them) of a quarter's ranking, from the snapshot in
        one query: ranked on all regions by completion index (ties share a rank), then filtered by name,
        best first (then share achieved, then name; ``ascending``: exactly reversed), paginated."""
        r = self._ranked(scheme_id, version, str(quarter))
        q = select(r, func.count().over().label("matched"))
        text = (search or "").strip().lower()
        if text:
            q = q.where(func.lower(r.c.region).contains(text, autoescape=True))
        # Names in code-point order on both databases (Python's order; PostgreSQL's collation may differ).
        name = r.c.region.collate("C") if self.engine.dialect.name == "postgresql" else r.c.region
        ci, sa = func.coalesce(r.c.completion_index, -1.0), func.coalesce(r.c.share_achieved, -1.0)
        q = q.order_by(ci.asc(), sa.asc(), name.desc()) if ascending else q.order_by(ci.desc(), sa.desc(), name.asc())
        if limit is not None:
            q = q.limit(limit)
        if offset:
            q = q.offset(offset)
        with self.engine.connect() as c:
            rows = c.execute(q).all()
            if rows:
                matched = rows[0].matched
            else:
                count = select(func.count()).select_from(r)
                if text:
                    count = count.where(func.lower(r.c.region).contains(text, autoescape=True))
                matched = c.execute(count).scalar() or 0
        return matched, [RankingRow(x.rank, x.region, {st: getattr(x, f"n_{st}") for st in SNAPSHOT_STATUSES},
                                    x.total, x.due, x.share_achieved, x.completion_index, list(x.dimensions))
                         for x in rows]

    def ranking_totals(self, scheme_id: str, version: str, quarter: Quarter) -> RankingTotals:
        """Province-wide figures of a quarter from the snapshot: one aggregate query (and the
        indexes, ascending, for the median)."""
        ss = StatusSnapshot
        where = (ss.scheme_id == scheme_id, ss.period == str(quarter), ss.scheme_version == version)
        counts = [func.coalesce(func.sum(getattr(ss, f"n_{st}")), 0) for st in SNAPSHOT_STATUSES]
        with self.engine.connect() as c:
            n, mean, lagging, *sums = c.execute(
                select(func.count(), func.avg(ss.completion_index),
                       func.coalesce(func.sum(case((ss.n_missed + ss.n_behind > 0, 1), else_=0)), 0), *counts)
                .where(*where)).one()
            indexes = list(c.execute(select(ss.completion_index).where(*where, ss.completion_index.is_not(None))
                                     .order_by(ss.completion_index)).scalars())
        return RankingTotals(int(n), {st: int(v) for st, v in zip(SNAPSHOT_STATUSES, sums)},
                             None if mean is None else float(mean), int(lagging), indexes)


@dataclass(frozen=True)
class ValueEdit:
    """One value of :meth:`Store.save_values`; ``expected_version`` as in ``save_value``."""

    indicator: Indicator
    region: str
    period: PeriodLike
    value: Optional[float]
    note: Optional[str]
    expected_version: Optional[int]
    reason: str = ""


class EditsRejected(StoreError):
    """:meth:`Store.save_values` refused; ``problems`` = [(edit index, StoreError)]."""

    def __init__(self, problems: list[tuple[int, StoreError]]):
        super().__init__(";".join(str(exc) for _, exc in problems))
        self.problems = problems
