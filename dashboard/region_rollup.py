"""Every region of a scheme ranked by completion index (the 地区排名 page).

The ranking is read from the status snapshot (``status_snapshot``, see
:mod:`indicators.snapshot` and :meth:`data.store.Store.ranking`): the store keeps it
up to date on every write, for the region and quarters the write touches, so a
request never evaluates a province. One indexed query returns a page of the
ranking (rank, search, order and paging in SQL), another the province-wide
figures. Rows that are missing (a database restored or bulk-loaded, a changed
registry) are computed once, by the first request that needs them, for every
worker (:meth:`data.store.Store.fill_snapshot`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import median
from typing import Optional

from indicators.periods import Quarter
from indicators.statuses import SEVERITY, Status


@dataclass(frozen=True)
class RegionSummary:
    region: str
    counts: dict[Status, int]
    total: int
    due: int
    share_achieved: Optional[float]
    completion_index: Optional[float]
    dimensions: dict[str, Optional[float]]   # completion index per dimension, scheme order
    rank: int = 0                             # 1 = best; equal indexes share a rank


@dataclass(frozen=True)
class Totals:
    """The 全部地区汇总 figures."""

    regions: int
    counts: dict[str, int]          # status value -> indicators, all regions
    mean_index: Optional[float]
    median_index: Optional[float]
    lagging: int                    # regions with an indicator behind or missed


def rank_key(s: RegionSummary):
    """Best first: higher completion index, then higher share achieved, then name."""
    ci = -1.0 if s.completion_index is None else s.completion_index
    sa = -1.0 if s.share_achieved is None else s.share_achieved
    return (-ci, -sa, s.region)


def ranked(summaries: list[RegionSummary]) -> list[RegionSummary]:
    """Sorted best first with competition ranks (1, 1, 3): ties on the completion index share a rank.
    The rule :meth:`data.store.Store.ranking` implements in SQL (tests compare the two)."""
    out, prev, rank = [], object(), 0
    for i, s in enumerate(sorted(summaries, key=rank_key), start=1):
        if s.completion_index != prev:
            rank, prev = i, s.completion_index
        out.append(RegionSummary(s.region, s.counts, s.total, s.due, s.share_achieved, s.completion_index,
                                 s.dimensions, rank))
    return out


def totals(rows: list[RegionSummary]) -> Totals:
    """The province-wide figures of ranked rows (the rule :meth:`RegionRanking.totals` reads in SQL)."""
    indexes = [r.completion_index for r in rows if r.completion_index is not None]
    counts = {s.value: sum(r.counts.get(s, 0) for r in rows) for s in Status}
    lagging = sum(1 for r in rows if r.counts.get(SEVERITY[0], 0) + r.counts.get(SEVERITY[1], 0) > 0)
    return Totals(len(rows), counts, sum(indexes) / len(indexes) if indexes else None,
                  median(indexes) if indexes else None, lagging)


class RegionRanking:
    """The ranking's reads for the page, through the service's store."""

    def __init__(self, service):
        self.service = service

    @property
    def _store(self):
        # The snapshot evaluator of the registry versions now published (once per request).
        if hasattr(self.service, "registry_history"):
            self.service.registry_history()
        return self.service.store

    def _version(self, scheme_id: str) -> str:
        return self._store.snapshot_evaluator.version(scheme_id)

    def _summary(self, scheme_id: str, row) -> RegionSummary:
        dims = self.service.scheme(scheme_id).dimensions
        values = list(row.dimensions) + [None] * (len(dims) - len(row.dimensions))
        return RegionSummary(row.region, {Status(s): n for s, n in row.counts.items()}, row.total, row.due,
                             row.share_achieved, row.completion_index, dict(zip(dims, values)), row.rank)

    def _empty(self, scheme_id: str, quarter: Quarter) -> list[RegionSummary]:
        """No region stored yet: the scheme's own region, nothing reported (not written to the snapshot)."""
        ev = self._store.snapshot_evaluator
        r = ev.evaluate(scheme_id, self.service.default_region(scheme_id), [quarter], {}, {}, {})[0]
        return [RegionSummary(r.region, r.counts, r.total, r.due, r.share_achieved, r.completion_index,
                              r.dimensions, 1)]

    def page(self, scheme_id: str, quarter: Quarter, search: str = "", order: Optional[str] = "desc",
             offset: int = 0, limit: Optional[int] = None) -> tuple[int, list[RegionSummary]]:
        """(regions whose name contains ``search``, the page of them from ``offset``), best first
        (``order`` "asc": worst first)."""
        store = self._store
        store.fill_snapshot(scheme_id, quarter)
        matched, rows = store.ranking(scheme_id, self._version(scheme_id), quarter, search, order == "asc",
                                      offset, limit)
        if not matched and not store.regions(scheme_id):
            rows = self._empty(scheme_id, quarter)
            shown = [r for r in rows if (search or "").strip().lower() in r.region.lower()]
            return len(shown), shown[offset:None if limit is None else offset + limit]
        return matched, [self._summary(scheme_id, r) for r in rows]

    def rows(self, scheme_id: str, quarter: Quarter) -> list[RegionSummary]:
        """Every region of the scheme, ranked best first, as evaluated at ``quarter``."""
        return self.page(scheme_id, quarter)[1]

    def totals(self, scheme_id: str, quarter: Quarter) -> Totals:
        store = self._store
        store.fill_snapshot(scheme_id, quarter)
        t = store.ranking_totals(scheme_id, self._version(scheme_id), quarter)
        if not t.regions:
            return totals(self._empty(scheme_id, quarter))
        return Totals(t.regions, t.counts, t.mean_index, median(t.indexes) if t.indexes else None, t.lagging)

    def default_quarter(self, scheme_id: str, today: Optional[date] = None) -> Quarter:
        """The latest quarter with data in any region, else the latest ended quarter."""
        ended = Quarter.latest_ended(today or date.today())
        found = self._store.latest_reported_period(scheme_id, self._version(scheme_id), ended)
        if found is not None:
            return found
        seen = [q for q in self._store.observed_periods(scheme_id) if q <= ended]   # no snapshot yet
        return seen[-1] if seen else ended
