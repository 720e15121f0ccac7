"""What the status snapshot holds for one region and quarter, computed from its values.

The snapshot (table ``status_snapshot``, kept by :mod:`data.store`) is derived data:
per (scheme, region, quarter) the counts of statuses, the completion index, the
share achieved, the completion index per dimension and every indicator's status.
This module is the one rule that computes a row: pure Python, no SQL. The store
is handed an :class:`Evaluator` (the registry bound to these functions) and calls
it for the regions and quarters a write touches.

A row records the ``version`` of the scheme's registry definition it was computed
with: after the registry changes, rows of the old version count as missing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Mapping, Optional, Sequence

from .model import Baseline
from .periods import Quarter, quarter_range
from .registry import Registry
from .rollup import completion_index, score, summarise
from .status import classify_quarters
from .statuses import Status
from .versions import RegistryHistory, evaluate_quarters_versioned


@dataclass(frozen=True)
class RegionStatus:
    """One snapshot row: a region's statuses as evaluated at the end of ``quarter``."""

    region: str
    quarter: Quarter
    counts: dict[Status, int]                # all statuses, zeros included
    total: int
    due: int
    share_achieved: Optional[float]          # 0..1
    completion_index: Optional[float]        # 0..100
    dimensions: dict[str, Optional[float]]   # completion index per dimension, scheme order
    statuses: tuple[str, ...]                # each indicator's status value, registry order
    reported: int = 0                        # indicators with a value for this very quarter


def scheme_version(registry: Registry, scheme_id: str) -> str:
    """A fingerprint of everything in the registry that a scheme's statuses depend on."""
    scheme = registry.schemes[scheme_id]
    parts = [scheme.model_dump(mode="json")] + [i.model_dump(mode="json") for i in registry.scheme_indicators(scheme_id)]
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def snapshot_quarters(registry: Registry, scheme_id: str, today: Optional[date] = None) -> list[Quarter]:
    """Quarters the snapshot keeps: from the scheme's start to its end or the latest ended
    quarter, whichever is later (every quarter the pages offer, and those the scheme still
    has ahead, so a new quarter needs no computing when it begins)."""
    scheme = registry.schemes[scheme_id]
    first = Quarter.containing(scheme.period.start.first_day)
    last = max(Quarter.containing(scheme.period.end.first_day), Quarter.latest_ended(today or date.today()))
    return quarter_range(first, last)


def evaluate_region(registry: Registry, scheme_id: str, region: str, quarters: Sequence[Quarter],
                    observations: Mapping[str, Mapping[Quarter, float]],
                    references: Mapping[str, Mapping[Quarter, float]],
                    baselines: Mapping[str, Baseline], history: Optional[RegistryHistory] = None
                    ) -> list[RegionStatus]:
    """The snapshot rows of one region for ``quarters`` (same rule as the service's per-indicator path;
    with ``history``, each quarter judged by the registry version in force at its end)."""
    scheme = registry.schemes[scheme_id]
    inds = registry.scheme_indicators(scheme_id)
    series = [observations.get(ind.id) or {} for ind in inds]
    by_ind = [evaluate_quarters_versioned(history, ind, scheme, obs, quarters, references, baselines.get(ind.id),
                                          judge=classify_quarters)
              for ind, obs in zip(inds, series)]
    # by_dimension's groups (indicators by dimension, scheme order), found once for all quarters.
    groups = [(d, [i for i, ind in enumerate(inds) if ind.dimension == d]) for d in scheme.dimensions]
    # Each indicator's verdicts in quarter order, read across: no quarter lookups per indicator.
    columns = zip(*[[by_q[q] for q in quarters] for by_q in by_ind]) if inds else ([] for _ in quarters)
    reported = [sum(1 for obs in series if obs.get(q) is not None) for q in quarters]
    out = []
    for q, results, n_reported in zip(quarters, columns, reported):
        scores = [score(r) for r in results]
        overall = summarise(region, results, scores)
        out.append(RegionStatus(region, q, overall.counts, overall.total, overall.due, overall.share_achieved,
                                overall.completion_index,
                                {d: completion_index([scores[i] for i in idx]) if idx else None
                                 for d, idx in groups},
                                tuple(r.status.value for r in results), n_reported))
    return out


class Evaluator:
    """The registry bound to the snapshot rule, for the store (which knows no registry)."""

    def __init__(self, registry: Registry, history: Optional[RegistryHistory] = None):
        # With a history (registry versions), the registry is its current one and each quarter
        # is judged by the version in force; the fingerprint covers every version.
        self.history = history
        self.registry = history.registry if history is not None else registry
        self._versions: dict[str, str] = {}

    def schemes(self) -> list[str]:
        return list(self.registry.schemes)

    def version(self, scheme_id: str) -> str:
        if scheme_id not in self._versions:
            version = scheme_version(self.registry, scheme_id)
            if self.history is not None and self.history.fingerprint(scheme_id):
                version = hashlib.sha1((version + self.history.fingerprint(scheme_id)).encode()).hexdigest()[:16]
            self._versions[scheme_id] = version
        return self._versions[scheme_id]

    def dimensions(self, scheme_id: str) -> list[str]:
        return list(self.registry.schemes[scheme_id].dimensions)

    def quarters(self, scheme_id: str, today: Optional[date] = None) -> list[Quarter]:
        return snapshot_quarters(self.registry, scheme_id, today)

    def evaluate(self, scheme_id: str, region: str, quarters: Sequence[Quarter], observations, references,
                 baselines) -> list[RegionStatus]:
        return evaluate_region(self.registry, scheme_id, region, quarters, observations, references, baselines,
                               self.history)
