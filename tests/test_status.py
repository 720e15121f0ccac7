"""Status engine: every kind × the statuses it can reach, boundaries, deadlines, odd data."""
from __future__ import annotations

import json
import math
import random
from datetime import date

import pytest

from indicators.model import Baseline, Document, Indicator, Period, ReferenceSeries, Scheme, Stage
from indicators.periods import Quarter, quarter_range
from indicators.registry import Registry, load_registry
from indicators.status import Result, evaluate, evaluate_many, fmt_number, status_history
from indicators.statuses import Status

S = Status


def make_scheme(**kw) -> Scheme:
    data = dict(
        id="t", name="测试方案", short_name="测试", region="测试县",
        document=Document(title="测试方案", issuer="测试县人民政府", date=date(2022, 1, 1)),
        period=Period(start="2022-01", end="2026-12"),
        stages=[Stage(id="early", name="前期", start="2022-01", end="2023-12"),
                Stage(id="late", name="后期", start="2024-01")],
        dimensions=["创造", "保护"],
        reference_series=[ReferenceSeries(id="ref", name="全省平均", unit="件/万人")],
    )
    data.update(kw)
    return Scheme(**data)


SCHEME = make_scheme()

DEFAULTS = {
    "annual": dict(unit="件", reporting="flow", target={"value": 40}),
    "cumulative": dict(unit="件", reporting="stock", target={"value": 700},
                       baseline={"value": 400, "as_of": date(2022, 12, 31)}),
    "cumulative_flow": dict(kind="cumulative", unit="件", reporting="flow", target={"value": 100}),
    "rate": dict(unit="%", reporting="stock", target={"value": 100}),
    "share": dict(unit="%", reporting="stock", target={"value": 30}, baseline={"value": 10, "as_of": date(2022, 12, 31)}),
    "range": dict(unit="家", reporting="stock", target={"min": 2, "max": 3}, baseline={"value": 0, "as_of": date(2022, 12, 31)}),
    "relative_reference": dict(unit="件/万人", reporting="stock", target={"factor": 2, "reference": "ref"},
                               baseline={"value": 3, "as_of": date(2022, 12, 31)}),
    "relative_baseline": dict(unit="家", reporting="stock", target={"factor": 2},
                              baseline={"value": 50, "as_of": date(2022, 12, 31)}),
    "milestone": dict(unit="项", reporting="stock", target={"value": 1}, deadline=date(2025, 6, 30)),
}


def make_indicator(kind: str, **kw) -> Indicator:
    data = dict(id="t_x", scheme="t", name="测试指标", dimension="创造", kind=kind, start="2023-01",
                deadline=date(2025, 12, 31), stage="late", responsible_units=["甲局"], clause="一(一)", quote="原文")
    data.update(DEFAULTS[kind])
    data.update(kw)
    return Indicator(**data)


def Q(text: str) -> Quarter:
    return Quarter.parse(text)


def obs(**values) -> dict[Quarter, float]:
    """obs(q2024_2=10) -> {2024Q2: 10.0}"""
    return {Quarter(int(k[1:5]), int(k[-1])): v for k, v in values.items()}


def run(kind, values, as_of, reference=None, passed_baseline=None, **ind_kw) -> Result:
    return evaluate(make_indicator(kind, **ind_kw), SCHEME, values, as_of, reference, passed_baseline)


# Each case: kind, indicator overrides, observations, as_of, reference, expected status, checks, explanation fragments.
CASES = [
    # ---- annual: running total of the year's flows against target × quarters elapsed / 4
    ("annual-achieved", "annual", {}, obs(q2024_1=25, q2024_2=20), date(2024, 6, 30), None, S.achieved,
     {"actual": 45, "target": 40}, ["本年累计45件", "已超过年度目标40件"]),
    ("annual-p-exactly-1", "annual", {}, obs(q2024_1=10, q2024_2=10), date(2024, 6, 30), None, S.on_track,
     {"p": 1.0, "expected": 20}, ["按进度应达20件(目标40件/年)", "完成进度100%"]),
    ("annual-p-exactly-0.8", "annual", {}, obs(q2024_1=8, q2024_2=8), date(2024, 6, 30), None, S.warning,
     {"p": 0.8}, ["完成进度80%"]),
    ("annual-behind", "annual", {}, obs(q2024_1=8, q2024_2=7), date(2024, 6, 30), None, S.behind, {"p": 0.75}, []),
    ("annual-spec-example", "annual", {"target": {"value": 45}}, obs(q2024_1=10, q2024_2=10), date(2024, 6, 30), None,
     S.warning, {}, ["2024年第2季度本年累计20件,按进度应达22.5件(目标45件/年),完成进度89%"]),
    ("annual-year-boundary-resets", "annual", {}, obs(q2023_4=50, q2024_1=5), date(2024, 3, 31), None, S.behind,
     {"actual": 5, "expected": 10, "p": 0.5}, ["2024年第1季度本年累计5件"]),
    ("annual-first-partial-year", "annual", {"start": "2023-07"}, obs(q2023_3=10), date(2023, 9, 30), None, S.on_track,
     {"expected": 10, "p": 1.0}, []),
    ("annual-gap-counts-zero", "annual", {}, obs(q2024_2=16), date(2024, 6, 30), None, S.warning,
     {"actual": 16, "p": 0.8}, ["2024年第1季度未填报,按0计"]),
    ("annual-no-data-stale", "annual", {}, obs(q2024_1=10), date(2024, 6, 30), None, S.no_data,
     {"stale": True, "value_period": Q("2024Q1"), "last_status": S.on_track, "actual": 10},
     ["2024年第2季度未填报;最近一次为2024年第1季度"]),
    ("annual-deadline-quarter-missed", "annual", {}, obs(q2025_1=9, q2025_2=9, q2025_3=9, q2025_4=9),
     date(2025, 12, 31), None, S.missed, {"actual": 36, "target": 40}, ["截止2025年12月31日", "未达到年度目标40件"]),
    ("annual-deadline-quarter-exact", "annual", {}, obs(q2025_1=10, q2025_2=10, q2025_3=10, q2025_4=10),
     date(2025, 12, 31), None, S.achieved, {"actual": 40}, ["已达到年度目标40件"]),
    ("annual-mid-quarter-deadline-prorated", "annual", {"deadline": date(2025, 7, 31)},
     obs(q2025_1=10, q2025_2=10, q2025_3=10), date(2025, 9, 30), None, S.achieved, {"target": 30}, []),
    ("annual-mid-quarter-deadline-missed", "annual", {"deadline": date(2025, 7, 31)},
     obs(q2025_1=10, q2025_2=10, q2025_3=5), date(2025, 9, 30), None, S.missed, {"target": 30, "actual": 25},
     ["按截止季度折算的年度目标30件(40件/年×3/4)"]),
    ("annual-after-deadline-judges-deadline-year", "annual", {"deadline": date(2025, 7, 31)},
     obs(q2025_1=10, q2025_2=10, q2025_3=10, q2026_1=0), date(2026, 3, 31), None, S.achieved,
     {"period": Q("2026Q1"), "value_period": Q("2025Q3")}, []),
    ("annual-after-deadline-nothing-in-year", "annual", {}, obs(q2024_4=40), date(2026, 3, 31), None, S.no_data,
     {"stale": True}, ["无填报值"]),
    ("annual-not-due", "annual", {}, obs(q2022_4=10), date(2022, 12, 31), None, S.not_due, {"target": 40},
     ["早于本指标起始(2023年1月)"]),
    ("annual-only-before-start", "annual", {}, obs(q2022_3=10), date(2023, 3, 31), None, S.no_data, {},
     ["此前无填报值(起始前的填报值不计入)"]),
    ("annual-decrease-cap", "annual", {"direction": "decrease"}, obs(q2024_1=10, q2024_2=15), date(2024, 6, 30), None,
     S.warning, {"p": 0.8}, []),
    ("annual-decrease-cap-year-end", "annual", {"direction": "decrease"},
     obs(q2024_1=10, q2024_2=10, q2024_3=5, q2024_4=5), date(2024, 12, 31), None, S.achieved, {}, []),

    # ---- cumulative (stock): straight line from baseline 400 (2022-12-31) to 700 (2025-12-31)
    ("cum-achieved", "cumulative", {}, obs(q2024_2=720), date(2024, 6, 30), None, S.achieved, {"actual": 720},
     ["截至2024年第2季度累计720件,已超过目标700件"]),
    ("cum-exactly-at-target", "cumulative", {}, obs(q2024_2=700), date(2024, 6, 30), None, S.achieved, {},
     ["已达到目标700件"]),
    ("cum-on-track", "cumulative", {}, obs(q2024_2=560), date(2024, 6, 30), None, S.on_track,
     {"expected": 400 + 300 * 547 / 1096}, ["按进度应达549.73件(目标700件,2025年12月31日前)"]),
    ("cum-warning", "cumulative", {}, obs(q2024_2=530), date(2024, 6, 30), None, S.warning, {}, []),
    ("cum-behind", "cumulative", {}, obs(q2024_2=500), date(2024, 6, 30), None, S.behind, {}, []),
    ("cum-deadline-quarter-missed", "cumulative", {}, obs(q2025_4=690), date(2025, 12, 31), None, S.missed,
     {"p": round(290 / 300, 9)}, ["截止2025年12月31日:截至2025年第4季度累计690件,未达到目标700件"]),
    ("cum-deadline-quarter-achieved", "cumulative", {}, obs(q2025_4=700), date(2025, 12, 31), None, S.achieved, {}, []),
    ("cum-mid-quarter-deadline-before", "cumulative", {"deadline": date(2025, 7, 31)}, obs(q2025_2=650),
     date(2025, 6, 30), None, S.warning, {"expected": 400 + 300 * 912 / 943}, []),
    ("cum-mid-quarter-deadline-judged", "cumulative", {"deadline": date(2025, 7, 31)}, obs(q2025_3=650),
     date(2025, 9, 30), None, S.missed, {"value_period": Q("2025Q3")}, ["截止2025年7月31日"]),
    ("cum-after-deadline-judges-deadline-quarter", "cumulative", {"deadline": date(2025, 7, 31)}, obs(q2025_3=710),
     date(2025, 12, 31), None, S.achieved, {"period": Q("2025Q4"), "value_period": Q("2025Q3"), "stale": False}, []),
    ("cum-after-deadline-latest-up-to-deadline", "cumulative", {"deadline": date(2025, 7, 31)}, obs(q2025_2=710),
     date(2025, 12, 31), None, S.achieved, {"value_period": Q("2025Q2"), "stale": True},
     ["2025年第3季度未填报,按2025年第2季度的值判断"]),
    ("cum-late-achievement-stays-missed", "cumulative", {"deadline": date(2025, 7, 31)},
     obs(q2025_3=690, q2025_4=720), date(2025, 12, 31), None, S.missed, {},
     ["截止后已于2025年第4季度达到目标,仍按截止时判定"]),
    ("cum-missing-baseline-first-value", "cumulative", {"baseline": None}, obs(q2023_1=400, q2024_2=560),
     date(2024, 6, 30), None, S.on_track, {"baseline": 400, "baseline_note": "未登记基线,以2023年第1季度填报值400件代替"}, []),
    ("cum-missing-baseline-pre-start-value", "cumulative", {"baseline": None}, obs(q2022_4=380, q2023_1=400, q2024_2=560),
     date(2024, 6, 30), None, S.on_track, {"baseline": 380}, []),
    ("cum-first-value-is-evaluation-quarter", "cumulative", {"baseline": None}, obs(q2024_2=500), date(2024, 6, 30),
     None, S.on_track, {"baseline": 500, "expected": 500, "p": 1.0}, ["按进度应达值未超出基线"]),
    ("cum-no-data-stale", "cumulative", {}, obs(q2024_1=600), date(2024, 6, 30), None, S.no_data,
     {"stale": True, "last_status": S.on_track, "value_period": Q("2024Q1")},
     ["2024年第2季度未填报;最近一次为2024年第1季度(累计600件,正常)"]),
    ("cum-nan-is-missing", "cumulative", {}, {Q("2024Q2"): math.nan, Q("2024Q1"): None}, date(2024, 6, 30), None,
     S.no_data, {"stale": False}, ["此前无填报值"]),
    ("cum-empty-history", "cumulative", {}, {}, date(2024, 6, 30), None, S.no_data, {"target": 700}, []),
    ("cum-zero-expected-change-meets", "cumulative", {"baseline": {"value": 400, "as_of": date(2024, 6, 30)}},
     obs(q2024_2=400), date(2024, 6, 30), None, S.on_track, {"p": 1.0, "expected": 400}, ["按进度应达值未超出基线"]),
    ("cum-zero-expected-change-below", "cumulative", {"baseline": {"value": 400, "as_of": date(2024, 6, 30)}},
     obs(q2024_2=390), date(2024, 6, 30), None, S.behind, {"p": 0.0}, []),
    ("cum-baseline-above-target-stock-fell", "cumulative", {"baseline": {"value": 800, "as_of": date(2022, 12, 31)}},
     obs(q2024_1=720, q2024_2=650), date(2024, 6, 30), None, S.behind, {"p": 0.0, "trend": "down"}, []),
    ("cum-strict-equal-not-achieved", "cumulative", {"target": {"value": 700, "strict": True}}, obs(q2025_4=700),
     date(2025, 12, 31), None, S.missed, {}, ["未超过目标700件"]),
    ("cum-strict-above", "cumulative", {"target": {"value": 700, "strict": True}}, obs(q2025_4=701),
     date(2025, 12, 31), None, S.achieved, {}, []),
    ("cum-string-keys", "cumulative", {}, {"2024Q2": 720}, date(2024, 6, 30), None, S.achieved, {}, []),
    ("cum-not-due", "cumulative", {}, obs(q2022_4=500), date(2022, 12, 31), None, S.not_due, {}, []),

    # ---- decreasing: from 200 down to 100
    ("dec-achieved", "cumulative", {"direction": "decrease", "target": {"value": 100},
                                    "baseline": {"value": 200, "as_of": date(2022, 12, 31)}},
     obs(q2024_2=90), date(2024, 6, 30), None, S.achieved, {}, ["已低于目标100件"]),
    ("dec-on-track", "cumulative", {"direction": "decrease", "target": {"value": 100},
                                    "baseline": {"value": 200, "as_of": date(2022, 12, 31)}},
     obs(q2024_2=150), date(2024, 6, 30), None, S.on_track, {}, []),
    ("dec-behind", "cumulative", {"direction": "decrease", "target": {"value": 100},
                                  "baseline": {"value": 200, "as_of": date(2022, 12, 31)}},
     obs(q2024_2=170), date(2024, 6, 30), None, S.behind, {}, []),
    ("dec-missed", "cumulative", {"direction": "decrease", "target": {"value": 100},
                                  "baseline": {"value": 200, "as_of": date(2022, 12, 31)}},
     obs(q2025_4=120), date(2025, 12, 31), None, S.missed, {"p": 0.8}, []),

    # ---- cumulative reported as quarterly flows: running total from start
    ("cumflow-on-track", "cumulative_flow", {}, {q: 10 for q in quarter_range(Q("2023Q1"), Q("2024Q2"))},
     date(2024, 6, 30), None, S.on_track, {"actual": 60, "baseline": 0, "trend": "up"}, ["截至2024年第2季度累计60件"]),
    ("cumflow-gap", "cumulative_flow", {}, obs(q2023_1=10, q2023_3=10, q2023_4=10, q2024_1=10, q2024_2=10),
     date(2024, 6, 30), None, S.on_track, {"actual": 50}, ["2023年第2季度未填报,按0计"]),
    ("cumflow-opening-baseline", "cumulative_flow", {"baseline": {"value": 50, "as_of": date(2022, 12, 31)}},
     {q: 10 for q in quarter_range(Q("2023Q1"), Q("2024Q2"))}, date(2024, 6, 30), None, S.achieved, {"actual": 110}, []),
    ("cumflow-missed", "cumulative_flow", {}, {q: 5 for q in quarter_range(Q("2023Q1"), Q("2025Q4"))},
     date(2025, 12, 31), None, S.missed, {"actual": 60, "p": 0.6}, []),

    # ---- rate: must hold every period, p = actual / target
    ("rate-holds-on-track", "rate", {}, obs(q2024_2=100), date(2024, 6, 30), None, S.on_track, {"p": 1.0},
     ["2024年第2季度为100%,达到目标100%"]),
    ("rate-p-exactly-0.8", "rate", {}, obs(q2024_2=80), date(2024, 6, 30), None, S.warning, {"p": 0.8}, []),
    ("rate-behind", "rate", {}, obs(q2024_2=79), date(2024, 6, 30), None, S.behind, {}, []),
    ("rate-deadline-achieved", "rate", {}, obs(q2025_4=100), date(2025, 12, 31), None, S.achieved, {}, []),
    ("rate-deadline-missed", "rate", {}, obs(q2025_4=95), date(2025, 12, 31), None, S.missed, {"p": 0.95}, []),
    ("rate-no-data", "rate", {}, obs(q2024_1=100), date(2024, 6, 30), None, S.no_data, {"last_status": S.on_track}, []),
    ("rate-decrease", "rate", {"direction": "decrease", "target": {"value": 10}}, obs(q2024_2=12.5),
     date(2024, 6, 30), None, S.warning, {"p": 0.8}, []),
    ("rate-decrease-holds", "rate", {"direction": "decrease", "target": {"value": 10}}, obs(q2024_2=8),
     date(2024, 6, 30), None, S.on_track, {"p": 1.25}, []),

    # ---- share: a level to reach by the deadline
    ("share-achieved", "share", {}, obs(q2024_2=30), date(2024, 6, 30), None, S.achieved, {}, ["2024年第2季度为30%"]),
    ("share-on-track", "share", {}, obs(q2024_2=22), date(2024, 6, 30), None, S.on_track, {}, []),
    ("share-behind", "share", {}, obs(q2024_2=12), date(2024, 6, 30), None, S.behind, {}, []),
    ("share-missed", "share", {}, obs(q2025_4=29), date(2025, 12, 31), None, S.missed, {}, []),
    ("share-no-data", "share", {}, obs(q2024_1=20), date(2024, 6, 30), None, S.no_data, {"stale": True}, []),

    # ---- range: target is the lower bound; above the upper bound still achieved, flagged
    ("range-above-max", "range", {}, obs(q2024_2=4), date(2024, 6, 30), None, S.achieved, {"target": 2},
     ["超过区间上限3家"]),
    ("range-at-min", "range", {}, obs(q2024_2=2), date(2024, 6, 30), None, S.achieved, {}, ["已达到区间下限2家(区间2—3家)"]),
    ("range-on-track", "range", {}, obs(q2024_2=1), date(2024, 6, 30), None, S.on_track, {}, []),
    ("range-behind", "range", {}, obs(q2024_2=0), date(2024, 6, 30), None, S.behind, {}, []),
    ("range-missed", "range", {}, obs(q2025_4=1), date(2025, 12, 31), None, S.missed, {}, []),

    # ---- relative to a reference series: target = 2 × reference of the same quarter
    ("relref-exactly-at-target", "relative_reference", {}, obs(q2024_2=10), date(2024, 6, 30), obs(q2024_2=5),
     S.achieved, {"target": 10}, ["已达到目标10件/万人(参照值5件/万人的2倍)"]),
    ("relref-strict-equal", "relative_reference", {"target": {"factor": 2, "reference": "ref", "strict": True}},
     obs(q2024_2=10), date(2024, 6, 30), obs(q2024_2=5), S.on_track, {}, ["目标须超过10件/万人"]),
    ("relref-behind", "relative_reference", {}, obs(q2024_2=4), date(2024, 6, 30), obs(q2024_2=5), S.behind, {}, []),
    ("relref-earlier-reference", "relative_reference", {}, obs(q2024_2=10.5), date(2024, 6, 30), obs(q2024_1=5.2),
     S.achieved, {"target": 10.4}, ["2024年第2季度参照值缺失,取2024年第1季度的参照值"]),
    ("relref-no-reference", "relative_reference", {}, obs(q2024_2=10), date(2024, 6, 30), None, S.no_data,
     {"actual": 10}, ["缺少参照值"]),
    ("relref-only-later-reference", "relative_reference", {}, obs(q2024_2=10), date(2024, 6, 30), obs(q2024_3=5),
     S.no_data, {}, ["缺少参照值"]),
    ("relref-missed", "relative_reference", {}, obs(q2025_4=9), date(2025, 12, 31), obs(q2025_4=5), S.missed, {}, []),

    # ---- relative to the baseline: 翻一番 on 50 = 100
    ("relbase-achieved", "relative_baseline", {}, obs(q2024_2=100), date(2024, 6, 30), None, S.achieved, {"target": 100},
     ["目标100家(基线50家的2倍)"]),
    ("relbase-behind", "relative_baseline", {}, obs(q2024_2=60), date(2024, 6, 30), None, S.behind, {}, []),
    ("relbase-missed", "relative_baseline", {}, obs(q2025_4=90), date(2025, 12, 31), None, S.missed, {}, []),
    ("relbase-stand-in", "relative_baseline", {"baseline": None}, obs(q2022_4=40, q2024_2=85), date(2024, 6, 30), None,
     S.achieved, {"target": 80, "baseline": 40}, []),
    ("relbase-no-baseline", "relative_baseline", {"baseline": None}, obs(q2024_2=85), date(2024, 6, 30), None,
     S.no_data, {}, ["缺少基线值"]),

    # ---- milestones: done or not; no quarterly figure needed
    ("ms-done", "milestone", {}, obs(q2024_1=1), date(2024, 6, 30), None, S.achieved, {"value_period": Q("2024Q1")},
     ["已于2024年第1季度完成"]),
    ("ms-nothing-reported-not-due", "milestone", {}, {}, date(2024, 6, 30), None, S.not_due, {"actual": None}, []),
    ("ms-reported-not-done", "milestone", {}, obs(q2024_2=0), date(2024, 6, 30), None, S.not_due, {"actual": 0}, []),
    ("ms-two-quarters-ahead-not-due", "milestone", {}, {}, date(2024, 12, 31), None, S.not_due, {}, []),
    ("ms-due-next-quarter-warning", "milestone", {}, {}, date(2025, 3, 31), None, S.warning, {}, ["将于2025年6月30日到期"]),
    ("ms-deadline-quarter-missed", "milestone", {}, obs(q2025_1=0), date(2025, 6, 30), None, S.missed, {}, ["截止2025年6月30日仍未完成"]),
    ("ms-deadline-quarter-done", "milestone", {}, obs(q2025_2=1), date(2025, 6, 30), None, S.achieved, {}, []),
    ("ms-done-late", "milestone", {}, obs(q2025_3=1), date(2025, 9, 30), None, S.achieved_late, {}, ["逾期完成"]),
    ("ms-mid-quarter-deadline", "milestone", {"deadline": date(2025, 7, 31)}, {}, date(2025, 6, 30), None, S.warning, {}, []),
    ("ms-before-start", "milestone", {}, obs(q2022_4=1), date(2022, 12, 31), None, S.not_due, {}, []),
]

# The remaining statuses each kind can reach.
NOT_DUE = date(2022, 12, 31)
CASES += [
    ("cumflow-warning", "cumulative_flow", {}, {q: 7 for q in quarter_range(Q("2023Q1"), Q("2024Q2"))},
     date(2024, 6, 30), None, S.warning, {"actual": 42}, []),
    ("cumflow-behind", "cumulative_flow", {}, {q: 5 for q in quarter_range(Q("2023Q1"), Q("2024Q2"))},
     date(2024, 6, 30), None, S.behind, {"actual": 30}, []),
    ("cumflow-no-data", "cumulative_flow", {}, {q: 10 for q in quarter_range(Q("2023Q1"), Q("2024Q1"))},
     date(2024, 6, 30), None, S.no_data, {"actual": 50, "stale": True}, ["最近一次为2024年第1季度(累计50件"]),
    ("cumflow-not-due", "cumulative_flow", {}, {}, NOT_DUE, None, S.not_due, {}, []),
    ("rate-not-due", "rate", {}, obs(q2022_4=100), NOT_DUE, None, S.not_due, {}, []),
    ("share-warning", "share", {}, obs(q2024_2=18.5), date(2024, 6, 30), None, S.warning, {}, []),
    ("share-not-due", "share", {}, {}, NOT_DUE, None, S.not_due, {}, []),
    ("range-warning", "range", {}, obs(q2024_2=0.9), date(2024, 6, 30), None, S.warning, {}, []),
    ("range-no-data", "range", {}, obs(q2024_1=1), date(2024, 6, 30), None, S.no_data, {"stale": True}, []),
    ("range-not-due", "range", {}, {}, NOT_DUE, None, S.not_due, {}, []),
    ("relref-on-track", "relative_reference", {}, obs(q2024_2=7), date(2024, 6, 30), obs(q2024_2=5), S.on_track, {}, []),
    ("relref-warning", "relative_reference", {}, obs(q2024_2=6), date(2024, 6, 30), obs(q2024_2=5), S.warning, {}, []),
    ("relref-not-due", "relative_reference", {}, {}, NOT_DUE, obs(q2022_4=5), S.not_due, {}, []),
    ("relbase-on-track", "relative_baseline", {}, obs(q2024_2=80), date(2024, 6, 30), None, S.on_track, {}, []),
    ("relbase-warning", "relative_baseline", {}, obs(q2024_2=72), date(2024, 6, 30), None, S.warning, {}, []),
    ("relbase-stale-no-data", "relative_baseline", {}, obs(q2024_1=72), date(2024, 6, 30), None, S.no_data,
     {"stale": True, "last_status": S.on_track}, []),
    ("relbase-not-due", "relative_baseline", {}, {}, NOT_DUE, None, S.not_due, {"target": 100}, []),
]


@pytest.mark.parametrize("kind,ind_kw,values,as_of,reference,status,checks,fragments",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_status_cases(kind, ind_kw, values, as_of, reference, status, checks, fragments):
    r = run(kind, values, as_of, reference, **ind_kw)
    assert r.status is status, r.explanation
    for attr, want in checks.items():
        got = getattr(r, attr)
        if isinstance(want, float) and not isinstance(want, bool) and got is not None:
            assert got == pytest.approx(want, abs=1e-6), attr
        else:
            assert got == want, attr
    for fragment in fragments:
        assert fragment in r.explanation
    assert r.explanation and "\n" not in r.explanation
    assert r.period == Quarter.latest_ended(as_of)


def test_passed_baseline_overrides_indicator_baseline():
    base = Baseline(value=30, as_of=date(2022, 12, 31), source="办公室录入")
    r = run("relative_baseline", obs(q2024_2=70), date(2024, 6, 30), passed_baseline=base)
    assert (r.status, r.target, r.baseline) == (S.achieved, 60, 30)
    assert "办公室录入" in r.baseline_note
    assert run("relative_baseline", obs(q2024_2=70), date(2024, 6, 30)).target == 100


@pytest.mark.parametrize("as_of,stage", [(date(2023, 12, 31), "early"), (date(2024, 6, 30), "late"),
                                         (date(2024, 7, 15), "late")])
def test_stage_of_evaluation_quarter(as_of, stage):
    assert run("cumulative", {}, as_of).stage == stage


@pytest.mark.parametrize("values,trend", [
    (obs(q2024_1=500, q2024_2=520), "up"),
    (obs(q2024_1=520, q2024_2=520), "flat"),
    (obs(q2024_1=530, q2024_2=520), "down"),
    (obs(q2023_4=500, q2024_2=520), None),
])
def test_trend_versus_previous_quarter(values, trend):
    assert run("cumulative", values, date(2024, 6, 30)).trend == trend


def test_annual_trend_compares_running_level():
    assert run("annual", obs(q2024_1=10, q2024_2=0), date(2024, 6, 30)).trend == "flat"
    assert run("annual", obs(q2023_4=30, q2024_1=5), date(2024, 3, 31)).trend == "up"


def test_projection_least_squares_to_deadline():
    values = obs(q2023_3=460, q2023_4=480, q2024_1=500, q2024_2=520)
    r = run("cumulative", values, date(2024, 6, 30))
    assert r.projection == pytest.approx(640, abs=5)   # +20 a quarter, six quarters to go
    assert r.projection_meets is False
    r = run("cumulative", obs(q2024_1=500, q2024_2=650), date(2024, 6, 30))
    assert r.projection > 700 and r.projection_meets is True


def test_projection_uses_at_most_four_points_and_needs_two():
    values = obs(q2022_4=0, q2023_1=0, q2023_3=460, q2023_4=480, q2024_1=500, q2024_2=520)
    assert run("cumulative", values, date(2024, 6, 30)).projection == pytest.approx(640, abs=5)
    r = run("cumulative", obs(q2024_2=520), date(2024, 6, 30))
    assert r.projection is None and r.projection_meets is None


def test_annual_projection_is_year_total():
    r = run("annual", obs(q2024_1=10, q2024_2=10), date(2024, 6, 30))
    assert r.projection == pytest.approx(40, abs=1)   # 10 a quarter: about 40 by year end
    r = run("annual", obs(q2024_1=5, q2024_2=5), date(2024, 6, 30))
    assert r.projection_meets is False


def test_no_projection_after_deadline():
    r = run("cumulative", obs(q2025_3=650, q2025_4=690), date(2025, 12, 31))
    assert r.projection is None


# The one formatter (indicators.values.fmt_number, also the pages' and exports'): thousands
# separators, the unit's decimals without trailing zeros, a count's derived fraction kept.
@pytest.mark.parametrize("x,decimals,text", [(720.0, 0, "720"), (22.5, 0, "22.5"), (11.25, 0, "11.25"),
                                             (1.5, 2, "1.5"), (0.0, 0, "0"), (None, 0, "—"), (12.34, 1, "12.3"),
                                             (1234.0, 0, "1,234"), (6500.0, 0, "6,500"), (92.0, 2, "92"),
                                             (1234.5, 2, "1,234.5")])
def test_fmt_number(x, decimals, text):
    assert fmt_number(x, decimals) == text


def test_to_dict_is_json_ready():
    r = run("cumulative", obs(q2024_1=600), date(2024, 6, 30))
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["status"] == "no_data" and d["status_label"] == "未填报"
    assert d["period"] == "2024Q2" and d["value_period"] == "2024Q1"
    assert d["deadline"] == "2025-12-31" and d["last_status"] == "on_track"
    assert set(d) >= {"indicator_id", "scheme_id", "actual", "expected", "target", "p", "stage", "trend",
                      "projection", "projection_meets", "baseline", "baseline_note", "stale", "explanation"}


def test_status_history_one_evaluation_per_quarter():
    values = obs(q2023_1=410, q2023_2=450, q2024_1=720)
    quarters = quarter_range(Q("2022Q4"), Q("2024Q1"))
    hist = status_history(make_indicator("cumulative"), SCHEME, values, quarters)
    assert list(hist) == quarters
    assert hist[Q("2022Q4")] is S.not_due
    assert hist[Q("2023Q3")] is S.no_data
    assert hist[Q("2024Q1")] is S.achieved


def _registry(*indicators: Indicator) -> Registry:
    return Registry(schemes={"t": SCHEME}, indicators={i.id: i for i in indicators})


def test_evaluate_many_registry_order_references_and_baselines():
    a = make_indicator("relative_reference", id="t_b")
    b = make_indicator("cumulative", id="t_a", baseline=None)
    reg = _registry(a, b)
    results = evaluate_many(reg, "t", {"t_b": obs(q2024_2=10), "t_a": obs(q2024_2=720)}, date(2024, 6, 30),
                            references={"ref": obs(q2024_2=5)},
                            baselines={"t_a": Baseline(value=100, as_of=date(2022, 12, 31))})
    assert [r.indicator_id for r in results] == ["t_b", "t_a"]
    assert [r.status for r in results] == [S.achieved, S.achieved]
    assert results[1].baseline == 100
    with pytest.raises(KeyError):
        evaluate_many(reg, "nope", {}, date(2024, 6, 30))


def test_real_registry_smoke():
    """Every indicator of the real registry, empty and random values, never raises."""
    reg = load_registry()
    rng = random.Random(7)
    for sid, scheme in reg.schemes.items():
        quarters = quarter_range(Quarter.containing(scheme.period.start.first_day) + -4,
                                 Quarter.containing(scheme.period.end.last_day) + 4)
        as_ofs = [q.end for q in quarters[::3]] + [date(2030, 1, 1)]
        for as_of in as_ofs:
            for r in evaluate_many(reg, sid, {}, as_of):
                assert r.status in (S.no_data, S.not_due, S.missed, S.warning)
            values = {i.id: {q: rng.choice([None, math.nan, -5.0, 0.0, 1.0, rng.uniform(0, 2000)])
                             for q in quarters if rng.random() < 0.7}
                      for i in reg.scheme_indicators(sid)}
            refs = {s.id: {q: rng.uniform(-10, 50) for q in quarters if rng.random() < 0.5}
                    for s in scheme.reference_series}
            results = evaluate_many(reg, sid, values, as_of, refs)
            assert len(results) == len(reg.scheme_indicators(sid))
            for r in results:
                json.dumps(r.to_dict(), allow_nan=False)
                assert r.explanation
