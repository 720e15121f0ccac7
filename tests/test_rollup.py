"""Rollups: counts per status, share achieved and completion index on a handmade list."""
from __future__ import annotations

from datetime import date

import pytest

from indicators.model import Document, Indicator, Period, Scheme, Stage
from indicators.periods import Quarter
from indicators.registry import Registry
from indicators.rollup import by_dimension, by_scheme, by_stage, by_unit, rollup, score
from indicators.status import Result
from indicators.statuses import Status

S = Status


def result(iid: str, status: Status, p: float | None = None, scheme: str = "t", stage: str | None = "late") -> Result:
    return Result(indicator_id=iid, scheme_id=scheme, status=status, period=Quarter(2024, 2), value_period=None,
                  actual=None, expected=None, target=None, p=p, deadline=date(2025, 12, 31), stage=stage, trend=None,
                  projection=None, projection_meets=None, baseline=None, baseline_note="", stale=False,
                  last_status=None, explanation="x")


RESULTS = [
    result("t_a", S.achieved, 1.3),
    result("t_b", S.on_track, 1.05),
    result("t_c", S.warning, 0.9),
    result("t_d", S.behind, 0.5),
    result("t_e", S.missed, 0.7),
    result("t_f", S.no_data),
    result("t_g", S.not_due, stage="early"),
    result("t_h", S.behind, -0.4, scheme="u"),
]


@pytest.mark.parametrize("r,want", [
    (result("x", S.achieved, 2.0), 1.0), (result("x", S.on_track, 1.0), 1.0), (result("x", S.warning, 0.85), 0.85),
    (result("x", S.behind, -0.4), 0.0), (result("x", S.missed, 0.7), 0.7), (result("x", S.missed, None), 0.0),
    (result("x", S.no_data, 0.9), 0.0), (result("x", S.not_due), None),
])
def test_score(r, want):
    assert score(r) == want


def test_rollup_counts_share_and_index():
    out = rollup(RESULTS, lambda r: "all")
    assert list(out) == ["all"]
    r = out["all"]
    assert r.counts == {S.achieved: 1, S.achieved_late: 0, S.on_track: 1, S.warning: 1, S.behind: 2, S.missed: 1,
                        S.no_data: 1, S.not_due: 1}
    assert (r.total, r.due) == (8, 7)
    assert r.share_achieved == pytest.approx(1 / 7, abs=1e-4)
    # (1 + 1 + 0.9 + 0.5 + 0.7 + 0 + 0) / 7 = 4.1 / 7
    assert r.completion_index == pytest.approx(58.6, abs=0.05)
    d = r.to_dict()
    assert d["counts"]["not_due"] == 1 and len(d["counts"]) == len(S)


def test_done_late_is_counted_apart_complete_but_not_on_time():
    r = rollup([result("a", S.achieved, 1.0), result("b", S.achieved_late, 1.0)], lambda r: "k")["k"]
    assert (r.counts[S.achieved], r.counts[S.achieved_late]) == (1, 1)
    assert r.share_achieved == 0.5          # 达标 = on time
    assert r.completion_index == 100.0      # but the task is done


def test_nothing_due_gives_none():
    r = rollup([result("x", S.not_due)], lambda r: "k")["k"]
    assert (r.share_achieved, r.completion_index, r.due) == (None, None, 0)
    assert r.counts[S.achieved] == 0


def test_by_scheme_and_stage():
    schemes = by_scheme(RESULTS)
    assert list(schemes) == ["t", "u"]
    assert schemes["u"].total == 1 and schemes["u"].completion_index == 0.0
    stages = by_stage(RESULTS)
    assert stages["early"].counts[S.not_due] == 1 and stages["late"].total == 7


def _ind(iid: str, dimension: str, units: list[str], stage: str = "late") -> Indicator:
    return Indicator(id=iid, scheme="t", name=iid, dimension=dimension, unit="件", kind="cumulative",
                     target={"value": 10}, deadline=date(2025, 12, 31), stage=stage, reporting="stock",
                     responsible_units=units, clause="一", quote="原文")


def _registry() -> Registry:
    scheme = Scheme(id="t", name="t", short_name="t", region="r",
                    document=Document(title="t", issuer="i", date=date(2022, 1, 1)),
                    period=Period(start="2022-01", end="2026-12"),
                    stages=[Stage(id="early", name="前期", start="2022-01", end="2023-12"),
                            Stage(id="late", name="后期", start="2024-01")],
                    dimensions=["创造", "运用", "保护"])
    inds = [_ind("t_a", "保护", ["甲局"]), _ind("t_b", "创造", ["甲局", "乙局"], stage="early"),
            _ind("t_c", "创造", ["乙局"])]
    return Registry(schemes={"t": scheme}, indicators={i.id: i for i in inds})


def test_by_dimension_in_scheme_order_and_by_unit_counts_each_unit():
    results = [result("t_a", S.achieved, 1.0), result("t_b", S.behind, 0.5), result("t_c", S.warning, 0.9)]
    reg = _registry()
    dims = by_dimension(results, reg)
    assert list(dims) == ["创造", "保护"]            # scheme order; empty 运用 left out
    assert dims["创造"].counts[S.behind] == 1 and dims["创造"].completion_index == 70.0
    units = by_unit(results, reg)
    assert units["甲局"].total == 2 and units["乙局"].total == 2
    assert units["甲局"].counts[S.achieved] == 1 and units["乙局"].counts[S.achieved] == 0
    by_task_stage = by_stage(results, reg)
    assert by_task_stage["early"].total == 1 and by_task_stage["late"].total == 2
