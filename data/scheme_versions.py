"""Published registry versions in the database (方案版本): the SQL of issue 17's versions.

A publication is one write transaction (the store's writers' lock, data_version bumped)
that checks the version it was based on (optimistic concurrency: a second admin who
publishes from the same version is refused), checks the effective date against the
previous version, appends the row (the audit history: rows are never changed) and
deletes the scheme's status snapshot rows (derived from the old definitions; readers
fill them again with the new version's fingerprint).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from sqlalchemy import delete, func, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from indicators.registry import Registry
from indicators.versions import (ADJUST, PUBLISH, SHIPPED, RegistryHistory, VersionRefused, adjusted_definition,
                                 dump_definition, effective_problem, parse_definition, publication_problems)

from .errors import ConflictError, StoreError
from .models import SchemeVersionRow, StatusSnapshot, utcnow
from .store import Store


@dataclass(frozen=True)
class VersionRecord:
    scheme_id: str
    version: int
    definition: str
    effective_from: date
    reason: str
    action: str
    published_by: str
    published_at: datetime


def _record(r: SchemeVersionRow) -> VersionRecord:
    return VersionRecord(r.scheme_id, r.version, r.definition, r.effective_from, r.reason, r.action,
                         r.published_by, r.published_at)


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else ""


class SchemeVersions:
    def __init__(self, store: Store):
        self.store = store

    def counter(self) -> int:
        """Changes whenever a version is published (the highest row id): the cheap check that
        tells every worker its registry is out of date."""
        try:
            with self.store.engine.connect() as c:
                return int(c.execute(select(func.max(SchemeVersionRow.id))).scalar() or 0)
        except (OperationalError, ProgrammingError):
            # A database not yet migrated to 0006 (e.g. the report command on an older file): the
            # shipped registry. Any other failure is real.
            if inspect(self.store.engine).has_table(SchemeVersionRow.__tablename__):
                raise
            return 0

    def rows(self, scheme_id: Optional[str] = None) -> list[VersionRecord]:
        q = select(SchemeVersionRow).order_by(SchemeVersionRow.scheme_id, SchemeVersionRow.version)
        if scheme_id is not None:
            q = q.where(SchemeVersionRow.scheme_id == scheme_id)
        with self.store._read() as s:
            return [_record(r) for r in s.scalars(q)]

    def publish(self, scheme_id: str, definition: str, effective_from: date, reason: str, user: str,
                expected_version: int, action: str = PUBLISH,
                shipped: Optional[tuple[str, date]] = None) -> VersionRecord:
        """Append version ``expected_version + 1`` of ``scheme_id`` (``definition``: YAML already
        validated by :func:`indicators.versions.parse_definition`).

        ``shipped``: (YAML text, effective date) of the shipped file, stored as version 1 when the
        database has no version of the scheme yet (it then counts as the current version 1).
        Raises ConflictError when the current version is not ``expected_version``, StoreError for an
        effective date before the previous version's or a missing reason or user."""
        problems = publication_problems(reason, user)
        if problems:
            raise StoreError(";".join(problems))
        try:
            with self.store._write() as s:
                last = s.scalars(select(SchemeVersionRow).where(SchemeVersionRow.scheme_id == scheme_id)
                                 .order_by(SchemeVersionRow.version.desc()).limit(1)).first()
                if last is not None:
                    current, current_from = last.version, last.effective_from
                elif shipped is not None:
                    current, current_from = 1, shipped[1]
                else:
                    current, current_from = 0, None
                if expected_version != current:
                    who = f"(由{last.published_by}于{_when(last.published_at)}发布)" if last is not None else ""
                    raise ConflictError(f"方案 {scheme_id} 当前已是第{current}版{who},而您是在第{expected_version}版"
                                        "的基础上修改的:可能有其他管理员刚刚发布。请刷新页面查看最新版本后重新发布,"
                                        "本次未发布")
                bad = effective_problem(effective_from, current, current_from)
                if bad:
                    raise StoreError(bad)
                now = utcnow()
                if last is None and shipped is not None:
                    s.add(SchemeVersionRow(scheme_id=scheme_id, version=1, definition=shipped[0],
                                           effective_from=shipped[1], reason="随系统发布的方案文件", action=SHIPPED,
                                           published_by="系统", published_at=now))
                row = SchemeVersionRow(scheme_id=scheme_id, version=current + 1, definition=definition,
                                       effective_from=effective_from, reason=reason.strip(), action=action,
                                       published_by=user.strip(), published_at=now)
                s.add(row)
                s.flush()
                # Statuses derived from the old definitions: gone in the same transaction.
                s.execute(delete(StatusSnapshot).where(StatusSnapshot.scheme_id == scheme_id)
                          .execution_options(synchronize_session=False))
                return _record(row)
        except IntegrityError:
            # The same version number written at once by another transaction (the lock makes this rare).
            raise ConflictError(f"方案 {scheme_id} 的第{expected_version + 1}版刚刚已由其他管理员发布,"
                                "请刷新页面查看最新版本后重新发布,本次未发布") from None


# ---------------------------------------------------------------- the history and publishing, for service and commands

def load_history(store: Store, base: Registry, counter: Optional[int] = None) -> RegistryHistory:
    """The shipped registry overridden by the versions stored (see indicators.versions)."""
    sv = SchemeVersions(store)
    counter = sv.counter() if counter is None else counter
    rows = sv.rows() if counter else []
    return RegistryHistory.from_rows(base, rows, counter=counter)


def publish_text(store: Store, base: Registry, text: str, effective_from: date, reason: str, user: str,
                 expected_version: Optional[int] = None, action: str = PUBLISH, name: str = "方案文件",
                 scheme_id: Optional[str] = None) -> VersionRecord:
    """Validate a scheme's YAML with the registry loader's rules and publish it as the scheme's next
    version. ``expected_version``: the version the author started from (None: the current one,
    for commands). Raises VersionRefused (validation) or StoreError (date, concurrency)."""
    history = load_history(store, base)
    sf = parse_definition(text, name, scheme_id=scheme_id, others=history.registry)
    sid = sf.scheme.id
    current = history.current(sid).version if sid in history.versions_by_scheme else 0
    shipped = (base.file_text(sid) or dump_definition(base.schemes[sid], base.scheme_indicators(sid)),
               base.schemes[sid].period.start.first_day) if sid in base.schemes else None
    return SchemeVersions(store).publish(sid, text, effective_from, reason, user,
                                         current if expected_version is None else expected_version, action, shipped)


def adjust_target(store: Store, base: Registry, indicator_id: str, value: float, effective_from: date, reason: str,
                  user: str, expected_version: Optional[int] = None) -> VersionRecord:
    """方案调整: a new version equal to the current one but for one indicator's target value."""
    history = load_history(store, base)
    ind = history.registry.indicators.get(indicator_id)
    if ind is None:
        raise VersionRefused(f"没有指标 {indicator_id}")
    text = adjusted_definition(history.current(ind.scheme), indicator_id, value)
    return publish_text(store, base, text, effective_from, reason, user, expected_version, ADJUST,
                        name=f"方案 {ind.scheme} 的调整", scheme_id=ind.scheme)


def export_text(history: RegistryHistory, scheme_id: str, version: Optional[int] = None) -> str:
    """The YAML of a version (default: the current one); the shipped file as written when it is version 1."""
    if scheme_id not in history.versions_by_scheme:
        raise VersionRefused(f"没有方案 {scheme_id}(现有:{'、'.join(history.versions_by_scheme)})")
    v = history.current(scheme_id) if version is None else history.version(scheme_id, version)
    if v is None:
        numbers = "、".join(str(x.version) for x in history.versions(scheme_id))
        raise VersionRefused(f"方案 {scheme_id} 没有第{version}版(现有:第{numbers}版)")
    return v.text or dump_definition(v.scheme, v.indicators)
