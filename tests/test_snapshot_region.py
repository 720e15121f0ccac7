"""The snapshot's per-region evaluation (indicators.snapshot.evaluate_region, the classify-only
path) equals the full per-quarter evaluation (indicators.status.evaluate_quarters with every
Result, then the roll-ups) on random synthetic data: many regions, gaps, values before the
start, recorded baselines or none, references missing, and quarters past the deadlines."""
from __future__ import annotations

import random
from datetime import date

import pytest

from benchmarks import synthetic
from data.demo import plan_scheme
from indicators.model import Baseline, Kind
from indicators.periods import Quarter, quarter_range
from indicators.registry import load_registry
from indicators.rollup import by_dimension, summarise
from indicators.snapshot import evaluate_region, snapshot_quarters
from indicators.status import evaluate_quarters

SCHEME = "anning"


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _per_quarter(registry, region, quarters, observations, references, baselines):
    """The old way: every quarter fully evaluated (wording and all), then rolled up."""
    scheme = registry.schemes[SCHEME]
    inds = registry.scheme_indicators(SCHEME)
    full = [evaluate_quarters(ind, scheme, observations.get(ind.id) or {}, quarters,
                              references.get(ind.target.reference) if ind.target.reference else None,
                              baselines.get(ind.id)) for ind in inds]
    out = []
    for q in quarters:
        results = [by_q[q] for by_q in full]
        overall, dims = summarise(region, results), by_dimension(results, registry)
        out.append((str(q), overall.counts, overall.total, overall.due, overall.share_achieved,
                    overall.completion_index,
                    {d: dims[d].completion_index if d in dims else None for d in scheme.dimensions},
                    tuple(r.status.value for r in results),
                    sum(1 for i in inds if (observations.get(i.id) or {}).get(q) is not None)))
    return out


def _shaken(registry, values, references, rng):
    """Synthetic values made odder: gaps, values before the start, other paces, baselines, no references."""
    obs = {}
    for ind_id, series in values.items():
        s = {q: v for q, v in series.items() if rng.random() > 0.15}
        if rng.random() < 0.3 and s:
            first = min(s)
            s[first + -rng.randint(1, 3)] = s[first] * rng.uniform(0.5, 1.0)
        if rng.random() < 0.2:
            s = {q: v * rng.uniform(0.2, 2.0) for q, v in s.items()}
        obs[ind_id] = s
    refs = {sid: {q: v for q, v in series.items() if rng.random() > 0.3}
            for sid, series in references.items() if rng.random() > 0.2}
    bases = {}
    for ind in registry.scheme_indicators(SCHEME):
        if ind.kind is not Kind.milestone and rng.random() < 0.3:
            bases[ind.id] = Baseline(value=round(rng.uniform(0, 50), 2), as_of=date(2022, 6, 30))
    return obs, refs, bases


def test_region_rows_equal_the_full_evaluation_per_quarter(registry):
    rng = random.Random(1919)
    quarters = snapshot_quarters(registry, SCHEME, today=date(2026, 12, 2))
    quarters = quarter_range(quarters[0] + -2, quarters[-1] + 3)   # before the start, past the deadlines
    values, references = synthetic.region_values(registry, 40, 16, seed=7)
    for n, region in enumerate(sorted(values)):
        obs, refs, bases = (values[region], references[region], {}) if n % 4 == 0 else \
            _shaken(registry, values[region], references[region], rng)
        rows = evaluate_region(registry, SCHEME, region, quarters, obs, refs, bases)
        got = [(str(r.quarter), r.counts, r.total, r.due, r.share_achieved, r.completion_index, r.dimensions,
                r.statuses, r.reported) for r in rows]
        want = _per_quarter(registry, region, quarters, obs, refs, bases)
        assert got == want, region


def test_plan_scheme_values_too(registry):
    """The demo's plan itself (every kind's on-plan series, with its baselines)."""
    quarters = snapshot_quarters(registry, SCHEME, today=date(2026, 12, 2))
    plan = plan_scheme(registry, SCHEME, first=Quarter(2022, 1), last=quarters[-1])
    rows = evaluate_region(registry, SCHEME, "计划", quarters, plan.values, plan.references, plan.baselines)
    want = _per_quarter(registry, "计划", quarters, plan.values, plan.references, plan.baselines)
    assert [(str(r.quarter), r.counts, r.total, r.due, r.share_achieved, r.completion_index, r.dimensions,
             r.statuses) for r in rows] == [w[:8] for w in want]


def test_bulk_check_of_repeated_values_equals_checking_each(registry):
    """data.bulk checks each distinct (indicator, type, value) once per load: every value still gets
    check_value's verdict, a bool is not taken for the 1 checked before it, each bad value is named."""
    from data.bulk import _checked
    from indicators.values import check_value

    inds = registry.scheme_indicators(SCHEME)
    milestone = next(i for i in inds if i.kind is Kind.milestone)
    count = next(i for i in inds if i.kind is not Kind.milestone and i.decimals == 0 and i.unit != "%")
    pct = next(i for i in inds if i.unit == "%")
    qs = quarter_range(Quarter(2024, 1), Quarter(2024, 4))
    values = {"甲县": {milestone.id: dict(zip(qs, [1, 1.0, True, 2])), count.id: dict(zip(qs, [3, 3, 3.5, "3"])),
                      pct.id: dict(zip(qs, [120, 120, 99.5, [1]]))},
              "乙县": {milestone.id: dict(zip(qs, [0, False, 1, 1])), count.id: dict(zip(qs, [3.5, 4, None, 4]))}}
    out, errors = _checked(SCHEME, registry.indicators, values)
    want_out, want_errors = [], []
    for region, by_ind in values.items():
        for ind_id, by_q in by_ind.items():
            for q, v in by_q.items():
                if v is None:
                    continue
                c = check_value(registry.indicators[ind_id], v)
                if c.errors:
                    want_errors.append(f"{region} {ind_id} {q}:{';'.join(c.errors)}")
                else:
                    want_out.append((region, ind_id, q, round(float(c.value), 6)))
    assert (out, errors) == (want_out, want_errors)
    assert len(errors) == 8   # True, False, 2, 3.5 twice, 120 twice, [1]
