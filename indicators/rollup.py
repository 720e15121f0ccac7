"""Counts of statuses per group (dimension, unit, stage, scheme) and a completion index.

Completion index (docs/status-method.md, "Rollups"): the mean, over due
indicators (status other than not_due), of a score in 0..1, times 100:
achieved 1; achieved_late (逾期完成) 1; on_track 1; warning, behind and missed min(max(p, 0), 1) (0 when p
is unknown); no_data 0. share_achieved is achieved / due: a milestone done
after its deadline counts as complete but not as 达标 (on time). Both are None when
nothing in the group is due yet.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Sequence

from .registry import Registry
from .status import Result
from .statuses import Status


@dataclass(frozen=True)
class Rollup:
    key: str
    counts: dict[Status, int] = field(default_factory=dict)   # all eight statuses, zeros included
    total: int = 0
    due: int = 0                              # total minus not_due
    share_achieved: Optional[float] = None    # 0..1, achieved / due
    completion_index: Optional[float] = None  # 0..100

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "counts": {s.value: n for s, n in self.counts.items()},
            "total": self.total,
            "due": self.due,
            "share_achieved": self.share_achieved,
            "completion_index": self.completion_index,
        }


def score(result: Result) -> Optional[float]:
    """A due indicator's contribution to the completion index (None when not due)."""
    s = result.status
    if s is Status.not_due:
        return None
    if s in (Status.achieved, Status.achieved_late, Status.on_track):
        return 1.0
    if s is Status.no_data or result.p is None:
        return 0.0
    return min(max(result.p, 0.0), 1.0)


def completion_index(scores: Iterable[Optional[float]]) -> Optional[float]:
    """The completion index of results' :func:`score` values (None: not due), None if none is due."""
    due = [x for x in scores if x is not None]
    return round(100 * sum(due) / len(due), 1) if due else None


def summarise(key: str, results: Sequence[Result], scores: Optional[Sequence[Optional[float]]] = None) -> Rollup:
    """``scores``: the results' :func:`score` values, if the caller has them (the status snapshot
    scores a region's results once for the whole and each dimension)."""
    counts = dict.fromkeys(Status, 0)
    for r in results:   # the status snapshot summarises millions of results
        counts[r.status] += 1
    if scores is None:
        scores = [score(r) for r in results]
    due = len(results) - counts[Status.not_due]
    return Rollup(
        key=key, counts=counts, total=len(results), due=due,
        share_achieved=round(counts[Status.achieved] / due, 4) if due else None,
        completion_index=completion_index(scores),
    )


def _group(results: Sequence[Result], keys: Callable[[Result], Iterable[str]],
           order: Sequence[str] = ()) -> dict[str, Rollup]:
    groups: dict[str, list[Result]] = {k: [] for k in order}
    for r in results:
        for k in keys(r):
            groups.setdefault(k, []).append(r)
    return {k: summarise(k, rs) for k, rs in groups.items() if rs}


def rollup(results: Sequence[Result], key: Callable[[Result], str]) -> dict[str, Rollup]:
    """One Rollup per key value, in order of first appearance."""
    return _group(results, lambda r: [key(r)])


def _indicator(registry: Registry, r: Result):
    return registry.indicators.get(r.indicator_id)


def by_dimension(results: Sequence[Result], registry: Registry) -> dict[str, Rollup]:
    """Grouped by indicator dimension, in the scheme's dimension order."""
    order = [d for sid in dict.fromkeys(r.scheme_id for r in results)
             if sid in registry.schemes for d in registry.schemes[sid].dimensions]
    return _group(results, lambda r: [ind.dimension] if (ind := _indicator(registry, r)) else [""],
                  list(dict.fromkeys(order)))


def by_unit(results: Sequence[Result], registry: Registry) -> dict[str, Rollup]:
    """An indicator counts once for each of its responsible units."""
    return _group(results, lambda r: ind.responsible_units if (ind := _indicator(registry, r)) else [""])


def by_stage(results: Sequence[Result], registry: Optional[Registry] = None) -> dict[str, Rollup]:
    """Without a registry: by the stage the evaluation quarter falls in (Result.stage, "" if none).
    With a registry: by the stage each indicator's task belongs to (Indicator.stage)."""
    if registry is None:
        return rollup(results, lambda r: r.stage or "")
    return _group(results, lambda r: [ind.stage] if (ind := _indicator(registry, r)) else [r.stage or ""])


def by_scheme(results: Sequence[Result]) -> dict[str, Rollup]:
    return rollup(results, lambda r: r.scheme_id)
