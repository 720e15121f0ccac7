"""Ledgers (台账): the named things behind a count target, stored and guarded.

* A row belongs to an indicator with a ``ledger:`` block in the registry, of a region, in the
  ledger of one of the indicator's units (its lead and responsible units: each may list what it
  cultivated; the count is over all of them), and is entered *for a quarter* (the one the page
  shows). Who may enter it, as for values and evidence (:func:`data.evidence.add_refusal`):
  reporters for their units and regions while the quarter is a draft, the office always
  (recorded in ``state_at_entry``), viewers never. The quarter is locked by the submission of
  the unit that reports the indicator's figure (the figure the ledger proves).
* The rules of a row (credit code check digit, name, dates, lengths) and of counting are
  :mod:`indicators.ledger`'s; this module only stores, in the store's write transaction.
* Rows are never deleted: a removal is a correction with a reason, and an optional end date
  (the designation lapsed then: counted before it); without one the row was entered in error
  and counts for no quarter.
* Several rows (a spreadsheet) are written all or none.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from indicators import ledger as rules
from indicators.limits import reason_problem
from indicators.model import Indicator
from indicators.periods import Quarter

from .errors import StoreError
from .evidence import Actor, CurrentRegistry, add_refusal, region_and_quarter, submission_state
from .models import LedgerRow, Region

__all__ = ["Ledgers", "LedgerEntry", "LedgerRefused", "MAX_ROWS_PER_WRITE"]

MAX_ROWS_PER_WRITE = 2000


class LedgerRefused(StoreError):
    """Refused; ``str(exc)`` is the Chinese message (several lines for a spreadsheet). Nothing was stored."""


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    scheme_id: str
    region: str
    indicator_id: str
    unit: str
    period: Quarter
    name: str
    credit_code: Optional[str]
    valid_from: date
    values: dict
    source: str
    entered_by: str
    entered_at: datetime
    state_at_entry: str
    removed_at: Optional[datetime]
    removed_by: Optional[str]
    remove_reason: str
    valid_until: Optional[date]

    @property
    def removed(self) -> bool:
        return self.removed_at is not None

    def entry(self) -> rules.Entry:
        return rules.Entry(self.id, self.name, self.credit_code, self.valid_from, self.region, self.removed,
                           self.valid_until, self.unit)

    def to_dict(self, ind: Optional[Indicator] = None) -> dict:
        """Columns by label (as the registry names them) and the record of the row."""
        out: dict = {}
        if ind is not None and ind.ledger is not None:
            out.update({c.label: self.values.get(c.key, "") for c in ind.ledger.columns})
        out.update({"id": self.id, "indicator_id": self.indicator_id, "region": self.region, "unit": self.unit,
                    "period": str(self.period), "valid_from": self.valid_from.isoformat(),
                    "values": dict(self.values), "source": self.source, "entered_by": self.entered_by,
                    "entered_at": self.entered_at.isoformat(), "state_at_entry": self.state_at_entry,
                    "removed_at": self.removed_at.isoformat() if self.removed_at else None,
                    "removed_by": self.removed_by, "remove_reason": self.remove_reason,
                    "valid_until": self.valid_until.isoformat() if self.valid_until else None})
        return out


def _utc(dt: Optional[datetime]) -> Optional[datetime]:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _row(r: LedgerRow) -> LedgerEntry:
    return LedgerEntry(r.id, r.scheme_id, r.region.name, r.indicator_id, r.unit, Quarter.parse(r.period), r.name,
                       r.credit_code, r.valid_from, dict(r.data or {}), r.source, r.entered_by, _utc(r.entered_at),
                       r.state_at_entry or "draft", _utc(r.removed_at), r.removed_by, r.remove_reason or "",
                       r.valid_until)


def ledger_refusal(actor: Optional[Actor], scheme_id: str, unit: str, region: str, q: Quarter, state: str,
                   reporting_unit: Optional[str] = None) -> Optional[str]:
    """Why ``actor`` may not add to or correct ``unit``'s ledger of ``region`` for ``q``, whose
    figure (reported by ``reporting_unit``, default ``unit``) is in ``state``; None if it may.
    As for evidence (data.evidence.add_refusal), in the ledger's words."""
    locked = state in ("submitted", "approved")
    refusal = add_refusal(actor, scheme_id, unit, region, q, "draft")
    if refusal is None and locked and not actor.is_admin:
        refusal = add_refusal(actor, scheme_id, unit, region, q, state).replace(
            f"{unit}{q.label}", f"{reporting_unit or unit}{q.label}", 1)
    if refusal is None:
        return None
    return (refusal.replace("上传或移除佐证材料", "登记或更正台账")
            .replace("添加或移除佐证材料", "登记或更正台账").replace("如需补充", "如需补登"))


class Ledgers(CurrentRegistry):
    """The ledgers of a store (the only SQL about them)."""

    def __init__(self, store, registry):
        self.store = store
        self.registry = registry

    # -- reads

    def rows(self, scheme_id: Optional[str] = None, indicator_id: Optional[str] = None,
             region: Optional[str] = None, include_removed: bool = True) -> list[LedgerEntry]:
        q = select(LedgerRow).join(Region, LedgerRow.region_id == Region.id)
        if scheme_id:
            q = q.where(LedgerRow.scheme_id == scheme_id)
        if indicator_id:
            q = q.where(LedgerRow.indicator_id == indicator_id)
        if region:
            q = q.where(Region.name == region)
        if not include_removed:
            q = q.where(LedgerRow.removed_at.is_(None))
        with self.store._read() as s:
            return [_row(r) for r in s.scalars(q.order_by(LedgerRow.valid_from, LedgerRow.id))]

    def get(self, row_id: int) -> Optional[LedgerEntry]:
        with self.store._read() as s:
            r = s.get(LedgerRow, int(row_id))
            return _row(r) if r else None

    def indicators(self, scheme_id: str) -> list[Indicator]:
        return [i for i in self.registry.scheme_indicators(scheme_id) if i.ledger is not None]

    def entries_by_region(self, scheme_id: str, indicator_id: Optional[str] = None
                          ) -> dict[str, dict[str, list[rules.Entry]]]:
        """indicator id -> region -> entries (removed ones included: they count before their end)."""
        out: dict[str, dict[str, list[rules.Entry]]] = {}
        for r in self.rows(scheme_id, indicator_id):
            out.setdefault(r.indicator_id, {}).setdefault(r.region, []).append(r.entry())
        return out

    def counts(self, scheme_id: str, region: str, q: Quarter) -> dict[str, int]:
        """indicator id -> the ledger's figure for ``q`` (every ledger indicator, 0 when empty)."""
        found = self.entries_by_region(scheme_id)
        return {i.id: rules.count_for(i.reporting, found.get(i.id, {}).get(region, []), q)
                for i in self.indicators(scheme_id)}

    def flags(self, scheme_id: str, region: str, q: Quarter,
              reported: Mapping[str, Optional[float]]) -> dict[str, list[str]]:
        """indicator id -> what to look at (mismatch with ``reported``, duplicates, invalid codes)."""
        found = self.entries_by_region(scheme_id)
        return {i.id: rules.flags(i, region, found.get(i.id, {}), q, reported.get(i.id))
                for i in self.indicators(scheme_id)}

    def unit_state(self, scheme_id: str, region: str, unit: str, q: Quarter) -> str:
        sub = self.store.submission(scheme_id, region, unit, q)
        return sub.state if sub else "draft"

    # -- checks before a write

    def _indicator(self, indicator_id: str) -> Indicator:
        ind = self.registry.indicators.get(indicator_id)
        if ind is None:
            raise LedgerRefused(f"未知指标编号“{indicator_id}”。")
        if ind.ledger is None:
            raise LedgerRefused(f"指标“{ind.name}”没有台账。")
        return ind

    def _target(self, ind: Indicator, region: Optional[str], period, today: Optional[date]) -> tuple[str, Quarter]:
        return region_and_quarter(self.registry, self.store, ind, region, period, today, "登记台账", LedgerRefused)

    _state = staticmethod(submission_state)

    def check_rows(self, ind: Indicator, rows: Iterable[Mapping], q: Quarter,
                   numbers: Optional[Iterable[int]] = None) -> list[rules.CheckedRow]:
        """Every row checked; LedgerRefused listing every problem (by row number when given)."""
        rows = list(rows)
        numbers = list(numbers) if numbers is not None else None
        if len(rows) > MAX_ROWS_PER_WRITE:
            raise LedgerRefused(f"一次最多登记{MAX_ROWS_PER_WRITE}行,本次{len(rows)}行,请分批导入。")
        checked, problems = [], []
        for k, raw in enumerate(rows):
            row, errs = rules.check_row(ind.ledger, raw, latest=q.end)
            if errs:
                where = f"第{numbers[k]}行:" if numbers is not None else ""
                problems.append(where + ";".join(errs) + "。")
            else:
                checked.append(row)
        if problems:
            raise LedgerRefused("\n".join(problems[:200]) + (f"\n……另有{len(problems) - 200}行有问题。"
                                                           if len(problems) > 200 else ""))
        return checked

    # -- writes

    def add(self, actor: Optional[Actor], indicator_id: str, region: Optional[str], period, values: Mapping,
            today: Optional[date] = None, source: str = "form", unit: Optional[str] = None) -> LedgerEntry:
        """Check and store one row (values by column key); LedgerRefused (nothing stored) otherwise."""
        return self.add_many(actor, indicator_id, region, period, [values], today=today, source=source, unit=unit)[0]

    @staticmethod
    def ledger_unit(ind: Indicator, unit: Optional[str]) -> str:
        """The unit whose ledger is meant: one of the indicator's units (default: its reporting unit)."""
        unit = (unit or "").strip() if isinstance(unit, str) or unit is None else None
        if unit is None:
            raise LedgerRefused("登记单位无效,请刷新页面后重试。")
        unit = unit or ind.reporting_unit
        if unit not in ind.all_units:
            raise LedgerRefused(f"“{unit}”不是指标“{ind.name}”的责任单位,不能登记它的台账"
                                f"(责任单位:{'、'.join(ind.all_units)})。")
        return unit

    def add_many(self, actor: Optional[Actor], indicator_id: str, region: Optional[str], period,
                 rows: Iterable[Mapping], today: Optional[date] = None, source: str = "form",
                 numbers: Optional[Iterable[int]] = None, unit: Optional[str] = None) -> list[LedgerEntry]:
        """Check every row, then store them all in one transaction, or none."""
        ind = self._indicator(indicator_id)
        region, q = self._target(ind, region, period, today)
        unit, reporting = self.ledger_unit(ind, unit), ind.reporting_unit
        early = ledger_refusal(actor, ind.scheme, unit, region, q,
                               self.unit_state(ind.scheme, region, reporting, q), reporting)
        if early:
            raise LedgerRefused(early)
        checked = self.check_rows(ind, rows, q, numbers)
        if not checked:
            raise LedgerRefused("没有要登记的行。")

        def do(s: Session) -> list[LedgerEntry]:
            rid = self.store._ensure_region_in(s, ind.scheme, region)
            state = self._state(s, ind.scheme, rid, reporting, q)
            refusal = ledger_refusal(actor, ind.scheme, unit, region, q, state, reporting)  # again, under the lock
            if refusal:
                raise LedgerRefused(refusal)
            now = datetime.now(timezone.utc)
            made = [LedgerRow(scheme_id=ind.scheme, region_id=rid, indicator_id=ind.id, unit=unit, period=str(q),
                              name=c.name,
                              credit_code=c.code, valid_from=c.valid_from, data=c.values, source=source,
                              entered_by=actor.username, entered_at=now, state_at_entry=state, remove_reason="")
                    for c in checked]
            s.add_all(made)
            s.flush()
            return [_row(r) for r in made]

        with self.store._write() as s:
            return do(s)

    def remove(self, actor: Optional[Actor], row_id: int, period, reason: str,
               valid_until: Optional[date | str] = None, today: Optional[date] = None) -> LedgerEntry:
        """A correction, in the quarter ``period``: the row stays, marked removed with the reason.
        ``valid_until``: the date it stopped being valid (counted before it); None: entered in error."""
        reason = (reason or "").strip()
        if not reason:
            raise LedgerRefused("请填写移除原因(移除是一次更正,原因会记入记录)。")
        problem = reason_problem(reason, "移除原因")
        if problem:
            raise LedgerRefused(problem + "。")
        until = None
        if valid_until not in (None, ""):
            until = rules.parse_date(valid_until)
            if until is None:
                raise LedgerRefused(f"失效日期“{valid_until}”不是有效日期(应如2025-03-31)。")

        def do(s: Session) -> LedgerEntry:
            r = s.get(LedgerRow, int(row_id))
            if r is None:
                raise LedgerRefused("该台账条目不存在,请刷新页面。")
            if r.removed_at is not None:
                raise LedgerRefused(f"“{r.name}”已于之前被移除,无需再次移除。")
            ind = self._indicator(r.indicator_id)
            region, q = self._target(ind, r.region.name, period, today)
            if until is not None and not r.valid_from < until <= q.end:
                raise LedgerRefused(f"失效日期应晚于{r.valid_from.isoformat()}(登记的日期),"
                                    f"且不晚于{q.end.isoformat()}(所选季度末)。")
            state = self._state(s, ind.scheme, r.region_id, ind.reporting_unit, q)
            refusal = ledger_refusal(actor, ind.scheme, r.unit, region, q, state, ind.reporting_unit)
            if refusal:
                raise LedgerRefused(refusal)
            r.removed_at = datetime.now(timezone.utc)
            r.removed_by = actor.username
            r.remove_reason = reason
            r.valid_until = until
            s.flush()
            return _row(r)

        with self.store._write() as s:
            return do(s)
