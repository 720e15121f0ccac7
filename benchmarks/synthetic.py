"""Synthetic province: N regions, each with its own values for every indicator of
the Anning scheme over a run of quarters, loaded with :func:`data.bulk.bulk_load`.

Values start from the demo dataset's plan (plausible by kind) and are scaled per
region and indicator, so regions differ in progress and every status occurs;
a few values are left out (no data). Deterministic for a given seed.
"""
from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass

from data.bulk import BulkSummary, bulk_load
from data.db import make_engine, upgrade
from data.demo import DEMO_USER, plan_scheme
from data.store import Store
from indicators.model import Indicator, Kind
from indicators.periods import Quarter, quarter_range
from indicators.registry import Registry
from indicators.snapshot import Evaluator

SCHEME = "anning"
MISSING_SHARE = 0.03


def region_name(i: int) -> str:
    return f"示例县{i:04d}"


def quarters_for(registry: Registry, n: int, scheme_id: str = SCHEME) -> list[Quarter]:
    """``n`` quarters from the scheme's first quarter."""
    first = Quarter.containing(registry.schemes[scheme_id].period.start.first_day)
    return quarter_range(first, first + (n - 1))


def _round(ind: Indicator, x: float) -> float:
    v = max(round(x, ind.decimals), 0.0)
    return min(v, 100.0) if ind.unit == "%" else v


def region_values(registry: Registry, n_regions: int, n_quarters: int, seed: int = 1,
                  scheme_id: str = SCHEME) -> tuple[dict, dict]:
    """(values, references) for ``bulk_load``: region -> id -> quarter -> value."""
    qs = quarters_for(registry, n_quarters, scheme_id)
    plan = plan_scheme(registry, scheme_id, first=qs[0], last=qs[-1])
    inds = {i.id: i for i in registry.scheme_indicators(scheme_id)}
    values: dict = {}
    references: dict = {}
    for r in range(1, n_regions + 1):
        rng = random.Random(seed * 1_000_003 + r)
        pace = rng.uniform(0.55, 1.3)  # the region's overall progress
        per_region: dict = {}
        for ind_id, series in plan.values.items():
            ind = inds[ind_id]
            if ind.kind is Kind.milestone:
                # Slow regions sometimes have not done a milestone at all.
                if pace < 0.8 and rng.random() < 0.5:
                    out = {q: 0.0 for q in series}
                else:
                    out = dict(series)
            else:
                f = pace * rng.uniform(0.9, 1.1)
                out = {q: _round(ind, v * f) for q, v in series.items()}
            for q in list(out):
                if rng.random() < MISSING_SHARE:
                    del out[q]
            per_region[ind_id] = out
        name = region_name(r)
        values[name] = per_region
        references[name] = plan.references
    return values, references


@dataclass(frozen=True)
class Dataset:
    url: str
    regions: list[str]
    quarters: list[Quarter]
    summary: BulkSummary
    bulk_s: float = 0.0       # bulk_load: values, revisions and the status snapshot of every region
    snapshot_s: float = 0.0   # the snapshot computed after the load (0: bulk_load computes it)


def build(url: str, registry: Registry, n_regions: int, n_quarters: int = 16, seed: int = 1) -> Dataset:
    """Migrate the (empty) database at ``url``, load the synthetic province, mark it demo."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        values, references = region_values(registry, n_regions, n_quarters, seed)
        # The status snapshot of the new regions is computed by the load itself, in worker
        # processes while the database takes the values, and committed with them.
        t = time.perf_counter()
        summary = bulk_load(engine, SCHEME, registry.indicators, values, DEMO_USER, references=references,
                            source="demo", reason="基准测试合成数据", snapshot=Evaluator(registry),
                            workers=int(os.environ.get("SNAPSHOT_WORKERS", os.cpu_count() or 1)))
        bulk_s = time.perf_counter() - t
        store = Store(engine)
        snapshot_s = 0.0   # within bulk_s
        store.set_meta("demo", "1")
        store.set_meta("demo_schemes", SCHEME)  # so a demo start does not load the Anning demo on top
    finally:
        engine.dispose()
    return Dataset(url, sorted(values), quarters_for(registry, n_quarters), summary, round(bulk_s, 1),
                   round(snapshot_s, 1))
