"""已核验 marks of the acceptance checklist (验收清单): who checked which indicator of a region, when.

Only the office (admins) may mark or undo a mark. Rows are never deleted: undoing sets
``undone_by``/``undone_at``, so the record of who checked what stays. The write runs in the
store's write transaction (its data_version lock serialises two offices clicking at once, so
an indicator never has two current marks).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import select

from .errors import StoreError
from .evidence import CurrentRegistry
from .models import AcceptanceMark, Region

__all__ = ["AcceptanceMarks", "Mark", "MarkRefused"]


class MarkRefused(StoreError):
    """Refused; ``str(exc)`` is the Chinese message. Nothing was changed."""


@dataclass(frozen=True)
class Mark:
    indicator_id: str
    verified_by: str
    verified_at: datetime
    undone_by: Optional[str] = None
    undone_at: Optional[datetime] = None

    @property
    def current(self) -> bool:
        return self.undone_at is None


def _utc(dt: Optional[datetime]) -> Optional[datetime]:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _mark(m: AcceptanceMark) -> Mark:
    return Mark(m.indicator_id, m.verified_by, _utc(m.verified_at), m.undone_by, _utc(m.undone_at))


class AcceptanceMarks(CurrentRegistry):
    def __init__(self, store, registry):
        self.store = store
        self.registry = registry

    def _query(self, scheme_id: str, region: str):
        return (select(AcceptanceMark).join(Region, AcceptanceMark.region_id == Region.id)
                .where(AcceptanceMark.scheme_id == scheme_id, Region.name == region))

    def current(self, scheme_id: str, region: str) -> dict[str, Mark]:
        """Indicator id -> its current 已核验 mark (indicators not marked are absent). One query."""
        q = self._query(scheme_id, region).where(AcceptanceMark.undone_at.is_(None))
        with self.store._read() as s:
            return {m.indicator_id: _mark(m) for m in s.scalars(q.order_by(AcceptanceMark.id))}

    def history(self, scheme_id: str, region: str, indicator_id: Optional[str] = None) -> list[Mark]:
        """Every mark, undone ones too, oldest first."""
        q = self._query(scheme_id, region)
        if indicator_id:
            q = q.where(AcceptanceMark.indicator_id == indicator_id)
        with self.store._read() as s:
            return [_mark(m) for m in s.scalars(q.order_by(AcceptanceMark.id))]

    def set(self, actor, scheme_id: str, region: str, indicator_id: str, verified: bool,
            now: Optional[datetime] = None) -> Optional[Mark]:
        """Mark (``verified``) or undo; the indicator's current mark afterwards (None: not marked).
        Idempotent: marking a marked indicator keeps the first mark (who and when)."""
        if actor is None:
            raise MarkRefused("请先登录。")
        if not getattr(actor, "is_admin", False):
            raise MarkRefused("只有领导小组办公室管理员可以标记或撤销“已核验”。")
        ind = self.registry.indicators.get(indicator_id)
        if ind is None or ind.scheme != scheme_id:
            raise MarkRefused(f"方案“{scheme_id}”中没有指标“{indicator_id}”。")
        scheme = self.registry.schemes[scheme_id]
        if region != scheme.region and region not in self.store.regions(scheme_id):
            raise MarkRefused(f"未知地区“{region}”。")
        now = now or datetime.now(timezone.utc)

        with self.store._write() as s:
            rid = self.store._ensure_region_in(s, scheme_id, region)
            found = s.scalar(select(AcceptanceMark).where(
                AcceptanceMark.scheme_id == scheme_id, AcceptanceMark.region_id == rid,
                AcceptanceMark.indicator_id == indicator_id, AcceptanceMark.undone_at.is_(None)))
            if verified:
                if found is None:
                    found = AcceptanceMark(scheme_id=scheme_id, region_id=rid, indicator_id=indicator_id,
                                           verified_by=actor.username, verified_at=now)
                    s.add(found)
                    s.flush()
                return _mark(found)
            if found is not None:
                found.undone_by, found.undone_at = actor.username, now
                s.flush()
            return None
