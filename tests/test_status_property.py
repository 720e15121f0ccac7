"""Properties of the status engine: a better value never gives a worse status; odd data never raises."""
from __future__ import annotations

import json
import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.model import Baseline, Document, Indicator, Period, ReferenceSeries, Scheme, Stage
from indicators.periods import Quarter, quarter_range
from indicators.rollup import score
from indicators.status import classify_quarters, evaluate, status_history
from indicators.statuses import RANK, Status

SCHEME = Scheme(
    id="t", name="测试方案", short_name="测试", region="测试县",
    document=Document(title="测试方案", issuer="测试县人民政府", date=date(2022, 1, 1)),
    period=Period(start="2022-01", end="2026-12"),
    stages=[Stage(id="early", name="前期", start="2022-01", end="2023-12"), Stage(id="late", name="后期", start="2024-01")],
    dimensions=["创造"],
    reference_series=[ReferenceSeries(id="ref", name="全省平均", unit="件/万人")],
)

TARGETS = {
    "annual": ("flow", {"value": 40}),
    "cumulative": ("stock", {"value": 700}),
    "cumulative_flow": ("flow", {"value": 100}),
    "rate": ("stock", {"value": 100}),
    "share": ("stock", {"value": 30}),
    "range": ("stock", {"min": 2, "max": 3}),
    "relative_reference": ("stock", {"factor": 2, "reference": "ref"}),
    "relative_baseline": ("stock", {"factor": 2}),
    "milestone": ("stock", {"value": 1}),
}
KINDS = list(TARGETS)
DIRECTED = ["annual", "cumulative", "cumulative_flow", "rate", "share", "relative_reference", "relative_baseline"]
QUARTERS = quarter_range(Quarter(2022, 1), Quarter(2026, 4))


def make_indicator(kind: str, direction: str = "increase", strict: bool = False, start: str = "2023-01",
                   deadline: date = date(2025, 12, 31), baseline: Baseline | None = None) -> Indicator:
    reporting, target = TARGETS[kind]
    target = dict(target)
    if strict and kind not in ("range", "milestone"):
        target["strict"] = True
    return Indicator(id="t_x", scheme="t", name="测试指标", dimension="创造", unit="%" if kind in ("rate", "share") else "件",
                     kind="cumulative" if kind == "cumulative_flow" else kind, direction=direction, target=target,
                     start=start, deadline=deadline, stage="late", reporting=reporting, baseline=baseline,
                     responsible_units=["甲局"], clause="一", quote="原文")


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
odd_value = st.one_of(st.none(), st.just(math.nan), st.just(math.inf), st.just(-math.inf), finite,
                      st.sampled_from([0.0, 1.0, -1.0]))
quarter = st.sampled_from(QUARTERS)
history = st.dictionaries(quarter, st.one_of(st.none(), st.just(math.nan), finite), max_size=12)
a_date = st.dates(min_value=date(2021, 1, 1), max_value=date(2027, 12, 31))
baseline = st.one_of(st.none(), st.builds(Baseline, value=finite, as_of=a_date))


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=150, deadline=None)
@given(direction=st.sampled_from(["increase", "decrease"]), strict=st.booleans(),
       E=st.sampled_from(quarter_range(Quarter(2023, 1), Quarter(2026, 2))), hist=history,
       ref=st.dictionaries(quarter, finite, max_size=6), base=baseline,
       deadline=st.sampled_from([date(2025, 12, 31), date(2025, 7, 31), date(2024, 3, 31)]),
       values=st.lists(finite, min_size=2, max_size=2))
def test_better_value_never_gives_worse_status(kind, direction, strict, E, hist, ref, base, deadline, values):
    if kind not in DIRECTED:
        direction = "increase"
    ind = make_indicator(kind, direction, strict, deadline=deadline, baseline=base)
    lo, hi = sorted(values)
    worse, better = (lo, hi) if direction == "increase" else (hi, lo)
    statuses = []
    for v in (worse, better):
        series = {q: x for q, x in hist.items() if q < E}
        series[E] = v
        statuses.append(evaluate(ind, SCHEME, series, E.end, ref).status)
    a, b = statuses
    if a == b:
        return
    if a in RANK and b in RANK:
        assert RANK[b] >= RANK[a], (a, b)
    else:   # unranked (no_data / not_due) never depends on the value, except a milestone getting done
        assert (kind, a) == ("milestone", Status.not_due) and b in (Status.achieved, Status.achieved_late)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(KINDS), direction=st.sampled_from(["increase", "decrease"]), strict=st.booleans(),
       hist=st.dictionaries(quarter, odd_value, max_size=20), ref=st.dictionaries(quarter, odd_value, max_size=8),
       base=baseline, as_of=a_date, start=st.sampled_from(["2022-01", "2023-01", "2023-08", "2025-12", "2026-06"]),
       deadline=st.sampled_from([date(2022, 6, 30), date(2024, 3, 31), date(2025, 7, 31), date(2025, 12, 31)]),
       string_keys=st.booleans())
def test_odd_data_never_raises(kind, direction, strict, hist, ref, base, as_of, start, deadline, string_keys):
    """None/NaN/inf, negatives, falling stocks, a start after the deadline (zero-length path),
    baselines after the deadline, string period keys: always a status with a reason."""
    ind = make_indicator(kind, direction, strict, start=start, deadline=deadline)
    series = {str(q) if string_keys else q: v for q, v in hist.items()}
    r = evaluate(ind, SCHEME, series, as_of, ref, base)
    assert isinstance(r.status, Status)
    assert r.explanation and "\n" not in r.explanation
    assert r.period == Quarter.latest_ended(as_of)
    json.dumps(r.to_dict(), allow_nan=False)
    if r.stale:
        assert r.value_period is not None and r.value_period < r.period
    if r.status in (Status.achieved, Status.on_track, Status.warning, Status.behind) and kind != "milestone":
        assert r.actual is not None and r.target is not None
    if kind == "milestone" and r.status in (Status.achieved, Status.achieved_late):
        assert r.actual == 1.0


@settings(max_examples=100, deadline=None)
@given(kind=st.sampled_from(KINDS), hist=history, base=baseline)
def test_history_matches_evaluate(kind, hist, base):
    ind = make_indicator(kind, baseline=base)
    quarters = quarter_range(Quarter(2022, 4), Quarter(2026, 1))
    hist_statuses = status_history(ind, SCHEME, hist, quarters)
    for q in quarters[::5]:
        assert hist_statuses[q] == evaluate(ind, SCHEME, hist, q.end).status


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(KINDS), direction=st.sampled_from(["increase", "decrease"]), strict=st.booleans(),
       hist=st.dictionaries(quarter, odd_value, max_size=20), ref=st.dictionaries(quarter, odd_value, max_size=8),
       base=baseline, start=st.sampled_from(["2022-01", "2023-01", "2023-08", "2025-12", "2026-06"]),
       deadline=st.sampled_from([date(2022, 6, 30), date(2024, 3, 31), date(2025, 7, 31), date(2025, 12, 31)]))
def test_classify_quarters_decides_as_evaluate(kind, direction, strict, hist, ref, base, start, deadline):
    """The status snapshot's brief path (no wording, one verdict for all quarters after the
    deadline) gives every quarter the status and roll-up score of the full evaluation."""
    ind = make_indicator(kind, direction, strict, start=start, deadline=deadline)
    verdicts = classify_quarters(ind, SCHEME, hist, QUARTERS, ref, base)
    assert list(verdicts) == QUARTERS
    for q in QUARTERS:
        full = evaluate(ind, SCHEME, hist, q.end, ref, base)
        v = verdicts[q]
        assert (v.status, score(v)) == (full.status, score(full)), q
        assert (v.indicator_id, v.scheme_id) == (full.indicator_id, full.scheme_id)
        if full.status is not Status.no_data:   # no_data: the full result carries the stale p, the score is 0
            assert v.p == full.p, q
