"""Traffic-light status engine: indicator + scheme + reported values -> Result.

The method (and a worked example per kind) is in docs/status-method.md; this
module follows it section by section. Pure Python: odd data (missing quarters,
None/NaN, falling stocks, zero-length paths) yields a status with a reason and
never raises.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping, Optional, Sequence

from .model import Baseline, Direction, Indicator, Kind, Reporting, Scheme
from .periods import Quarter, quarter_range
from .registry import Registry
from .statuses import Status
from .values import fmt_number, fmt_quantity  # noqa: F401  (fmt_number: the one formatter, re-exported)

_TOL = 1e-9          # relative tolerance for "meets the target" (factor × reference is inexact)
_P_DIGITS = 9        # p is rounded before comparing with thresholds: 16/20 is exactly 0.8
# How a part year's annual target is read (docs/status-method.md §2); the registry's 口径说明 quote it.
PART_YEAR_RULE = "不满整年的年份按计入的季度数折算年度目标"


@dataclass(frozen=True)
class Result:
    indicator_id: str
    scheme_id: str
    status: Status
    period: Quarter                 # evaluation quarter
    value_period: Optional[Quarter]
    actual: Optional[float]
    expected: Optional[float]
    target: Optional[float]
    p: Optional[float]
    deadline: date
    stage: Optional[str]
    trend: Optional[str]
    projection: Optional[float]
    projection_meets: Optional[bool]
    baseline: Optional[float]
    baseline_note: str
    stale: bool
    last_status: Optional[Status]
    explanation: str
    # The office has recorded no baseline although this indicator is measured from one (§3).
    baseline_pending: bool = False
    # The quarter whose reported value stands in for the missing baseline, if one does.
    baseline_standin: Optional[Quarter] = None

    @property
    def baseline_pending_text(self) -> str:
        """The stand-in said wherever the target is shown: "基线待录入,暂以2024年第1季度值代替"."""
        return baseline_pending_text(self.baseline_pending, self.baseline_standin)

    def to_dict(self) -> dict:
        return {
            "indicator_id": self.indicator_id,
            "scheme_id": self.scheme_id,
            "status": self.status.value,
            "status_label": self.status.label,
            "period": str(self.period),
            "period_label": self.period.label,
            "value_period": str(self.value_period) if self.value_period else None,
            "actual": self.actual,
            "expected": self.expected,
            "target": self.target,
            "p": self.p,
            "deadline": self.deadline.isoformat(),
            "stage": self.stage,
            "trend": self.trend,
            "projection": self.projection,
            "projection_meets": self.projection_meets,
            "baseline": self.baseline,
            "baseline_note": self.baseline_note,
            "stale": self.stale,
            "last_status": self.last_status.value if self.last_status else None,
            "explanation": self.explanation,
            "baseline_pending": self.baseline_pending,
            "baseline_standin": str(self.baseline_standin) if self.baseline_standin else None,
        }


def baseline_pending_text(pending: bool, standin: Optional[Quarter]) -> str:
    if not pending:
        return ""
    return f"基线待录入,暂以{standin.label}值代替" if standin is not None else "基线待录入"


# ---------------------------------------------------------------- formatting

def fmt_percent(p: Optional[float]) -> str:
    return "—" if p is None else f"{round(p * 100)}%"


def date_label(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# ---------------------------------------------------------------- input cleaning

def _num(v: Any) -> Optional[float]:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _quarter(k: Any) -> Optional[Quarter]:
    if isinstance(k, Quarter):
        return k
    try:
        return Quarter.parse(str(k))
    except ValueError:
        return None


def _clean(series: Optional[Mapping]) -> dict[Quarter, float]:
    """Quarter -> finite float; None, NaN, inf, non-numbers and bad keys are dropped (= not reported)."""
    out: dict[Quarter, float] = {}
    if not series or not hasattr(series, "items"):
        return out
    for k, v in series.items():
        q, x = _quarter(k), _num(v)
        if q is not None and x is not None:
            out[q] = x
    return out


def _safe(x: float) -> float:
    """Keep results JSON-ready even for absurd magnitudes (overflow to inf)."""
    if math.isnan(x):
        return 0.0
    if math.isinf(x):
        return math.copysign(1e12, x)
    return x


def _r(x: Optional[float], digits: int = 9) -> Optional[float]:
    return None if x is None else round(_safe(x), digits)


# ---------------------------------------------------------------- context

@dataclass(frozen=True)
class _Ctx:
    ind: Indicator
    scheme: Scheme
    obs: dict[Quarter, float]
    ref: dict[Quarter, float]
    recorded: Optional[Baseline]
    start: date
    start_q: Quarter
    deadline: date
    dq: Quarter                      # quarter containing the deadline

    @property
    def kind(self) -> Kind:
        return self.ind.kind

    @property
    def inc(self) -> bool:
        # Range and milestone read one way only: reach the lower bound / get it done.
        if self.kind in (Kind.range, Kind.milestone):
            return True
        return self.ind.direction is not Direction.decrease

    @property
    def flow_sum(self) -> bool:
        """Quarterly flows summed into a running total (annual, or cumulative reported as flow)."""
        return self.kind is Kind.annual or (self.kind is Kind.cumulative and self.ind.reporting is Reporting.flow)

    @property
    def line(self) -> bool:
        """Kinds judged against a straight line from the baseline to the target."""
        return self.kind in (Kind.cumulative, Kind.share, Kind.range, Kind.relative_reference, Kind.relative_baseline)

    def fmt(self, x: Optional[float]) -> str:
        return fmt_quantity(x, self.ind)

    def meets(self, actual: float, target: float, strict: Optional[bool] = None) -> bool:
        strict = self.ind.target.strict if strict is None else strict
        tol = _TOL * max(1.0, abs(target))
        if self.inc:
            return actual > target + tol if strict else actual >= target - tol
        return actual < target - tol if strict else actual <= target + tol


def _make_ctx(indicator, scheme, observations, reference, baseline) -> _Ctx:
    start_month = indicator.start or scheme.period.start
    start = start_month.first_day
    return _Ctx(
        ind=indicator, scheme=scheme, obs=_clean(observations), ref=_clean(reference),
        recorded=baseline if baseline is not None else indicator.baseline,
        start=start, start_q=Quarter.containing(start),
        deadline=indicator.deadline, dq=Quarter.containing(indicator.deadline),
    )


def _result(c: _Ctx, E: Quarter, status: Status, explanation: str, **kw) -> Result:
    stage = c.scheme.stage_at(E.end)
    fields = dict(value_period=None, actual=None, expected=None, target=_static_target(c), p=None, trend=None,
                  projection=None, projection_meets=None, baseline=None, baseline_note="",
                  stale=False, last_status=None, baseline_standin=None)
    fields.update(kw)
    for k in ("actual", "expected", "target", "p", "projection", "baseline"):
        fields[k] = _r(fields[k])
    return Result(indicator_id=c.ind.id, scheme_id=c.scheme.id, status=status, period=E,
                  deadline=c.deadline, stage=stage.id if stage else None,
                  explanation=explanation, baseline_pending=_baseline_pending(c, E), **fields)


def _baseline_pending(c: _Ctx, E: Quarter) -> bool:
    """Measured from a baseline (a line kind not summed from 0), none recorded, and counting has begun."""
    return c.line and not c.flow_sum and c.recorded is None and E.end >= c.start


def _static_target(c: _Ctx) -> Optional[float]:
    """The target where it does not depend on the quarter (shown for not_due and no_data)."""
    t, k = c.ind.target, c.kind
    if k is Kind.milestone:
        return 1.0
    if k is Kind.range:
        return t.min
    if k is Kind.relative_baseline:
        return t.factor * c.recorded.value if (t.factor is not None and c.recorded is not None) else None
    if k is Kind.relative_reference:
        return None
    return t.value


# ---------------------------------------------------------------- public API

def evaluate(indicator: Indicator, scheme: Scheme, observations: Mapping[Quarter, float], as_of: date,
             reference: Mapping[Quarter, float] | None = None, baseline: Baseline | None = None) -> Result:
    """Status of one indicator for the latest quarter ended on or before ``as_of``."""
    c = _make_ctx(indicator, scheme, observations, reference, baseline)
    return _evaluate_at(c, Quarter.latest_ended(as_of))


def evaluate_many(registry: Registry, scheme_id: str, observations: Mapping[str, Mapping[Quarter, float]],
                  as_of: date, references: Mapping[str, Mapping[Quarter, float]] | None = None,
                  baselines: Mapping[str, Baseline] | None = None) -> list[Result]:
    """Every indicator of a scheme, in registry order. ``references`` is keyed by reference series id."""
    if scheme_id not in registry.schemes:
        raise KeyError(f"unknown scheme {scheme_id!r}")
    scheme = registry.schemes[scheme_id]
    references = references or {}
    baselines = baselines or {}
    out = []
    for ind in registry.scheme_indicators(scheme_id):
        ref = references.get(ind.target.reference) if ind.target.reference else None
        out.append(evaluate(ind, scheme, observations.get(ind.id) or {}, as_of, ref, baselines.get(ind.id)))
    return out


def status_history(indicator: Indicator, scheme: Scheme, observations: Mapping[Quarter, float],
                   quarters: Sequence[Quarter], reference: Mapping[Quarter, float] | None = None,
                   baseline: Baseline | None = None) -> dict[Quarter, Status]:
    """Status as evaluated at each quarter's end (the heatmap)."""
    c = _make_ctx(indicator, scheme, observations, reference, baseline)
    return {q: _evaluate_at(c, q).status for q in quarters}


# ---------------------------------------------------------------- evaluation

def _evaluate_at(c: _Ctx, E: Quarter) -> Result:
    if E.end < c.start:
        return _result(c, E, Status.not_due,
                       f"{E.label}早于本指标起始({(c.ind.start or c.scheme.period.start).label}),未到期")
    if c.kind is Kind.milestone:
        return _milestone(c, E)
    missing_target = _missing_target(c)
    if missing_target:
        return _result(c, E, Status.no_data, f"指标目标未设置({missing_target}),无法判定")

    final = E >= c.dq   # the deadline falls on or before the end of E: the verdict is taken at the deadline
    J = c.dq if final else E
    obs = {q: v for q, v in c.obs.items() if c.start_q <= q <= J}
    if J in obs:
        return _judge(c, E, J, J, obs, final)
    if not final:
        return _no_data(c, E, obs, f"{E.label}未填报")
    # After the deadline: judge the latest value up to the deadline quarter.
    cand = [q for q in obs if q.year == J.year] if c.kind is Kind.annual else list(obs)
    if not cand:
        what = f"{J.year}年截至{J.label}" if c.kind is Kind.annual else f"截至{J.label}"
        return _no_data(c, E, obs, f"已到截止日期{date_label(c.deadline)},{what}无填报值")
    return _judge(c, E, J, max(cand), obs, final)


def _missing_target(c: _Ctx) -> str:
    t, k = c.ind.target, c.kind
    if k in (Kind.annual, Kind.cumulative, Kind.rate, Kind.share) and t.value is None:
        return "target.value"
    if k is Kind.range and t.min is None:
        return "target.min"
    if k in (Kind.relative_reference, Kind.relative_baseline) and t.factor is None:
        return "target.factor"
    return ""


def _no_data(c: _Ctx, E: Quarter, obs: dict[Quarter, float], head: str) -> Result:
    if not obs:
        tail = "此前无填报值"
        if any(q < c.start_q for q in c.obs):
            tail += "(起始前的填报值不计入)"
        return _result(c, E, Status.no_data, f"{head};{tail}")
    L = max(obs)
    last = _evaluate_at(c, L)   # L has a value and L < deadline quarter: no further recursion
    level = _short_level(c, last.actual) if last.actual is not None else ""
    expl = f"{head};最近一次为{L.label}({level},{last.status.label})" if level else f"{head};最近一次为{L.label}"
    return _result(c, E, Status.no_data, expl, value_period=L, actual=last.actual, expected=last.expected,
                   target=last.target, p=last.p, trend=last.trend, projection=last.projection,
                   projection_meets=last.projection_meets, baseline=last.baseline,
                   baseline_note=last.baseline_note, stale=True, last_status=last.status,
                   baseline_standin=last.baseline_standin)


def _level_phrase(c: _Ctx, J: Quarter, VP: Quarter, actual: float) -> str:
    if c.kind is Kind.annual:
        return f"{'' if VP == J else '截至'}{J.label}本年累计{c.fmt(actual)}"
    if c.kind is Kind.cumulative:
        return f"截至{(J if c.flow_sum else VP).label}累计{c.fmt(actual)}"
    return f"{VP.label}为{c.fmt(actual)}"


def _short_level(c: _Ctx, actual: float) -> str:
    prefix = {Kind.annual: "本年累计", Kind.cumulative: "累计"}.get(c.kind, "")
    return prefix + c.fmt(actual)


def _quarters_in_year(c: _Ctx, q: Quarter) -> list[Quarter]:
    """Quarters of q's year up to q, counted from the indicator start in its first year."""
    return quarter_range(max(c.start_q, Quarter(q.year, 1)), q)


def _baseline(c: _Ctx, upto: Quarter) -> tuple[Optional[float], Optional[date], Optional[Quarter], str]:
    """(value, date, stand-in quarter or None, note) of the baseline of a line kind."""
    if c.recorded is not None:
        b = c.recorded
        src = f",{b.source}" if b.source else ""
        return b.value, b.as_of, None, f"登记基线{c.fmt(b.value)}({b.as_of.isoformat()}{src})"
    if c.flow_sum:
        return 0.0, c.start, None, "按季度新增量自起始累计,基线为0"
    # Stand-in: the level just before the start (latest quarter ended before it), else the first value since.
    before = [q for q in c.obs if q.end < c.start and q <= upto]
    after = [q for q in c.obs if q.end >= c.start and q <= upto]
    q = max(before) if before else (min(after) if after else None)
    if q is None:
        return None, None, None, "未登记基线,且无填报值可代替"
    return c.obs[q], q.end, q, f"未登记基线,以{q.label}填报值{c.fmt(c.obs[q])}代替"


def _running_total(c: _Ctx, obs: dict[Quarter, float], upto: Quarter, opening: float, after: date) -> float:
    return opening + sum(v for q, v in obs.items() if q <= upto and q.end > after)


def _level(c: _Ctx, J: Quarter, VP: Quarter, obs: dict[Quarter, float]) -> tuple[float, list[Quarter]]:
    """(actual level judged for J, flow quarters missing and counted as 0).

    Flows are summed (annual: the year so far; cumulative: from the recorded baseline or
    the start); a stock is VP's value."""
    if not c.flow_sum:
        return obs[VP], []
    if c.kind is Kind.annual:
        span = _quarters_in_year(c, J)
        actual = sum(obs.get(q, 0.0) for q in span)
    else:
        b = c.recorded
        after = b.as_of if b is not None else date.min
        span = [q for q in quarter_range(c.start_q, J) if q.end > after]
        actual = _running_total(c, obs, J, b.value if b is not None else 0.0, after)
    return actual, [q for q in span if q not in obs]


def reported_level(indicator: Indicator, scheme: Scheme, observations: Mapping[Quarter, float], quarter: Quarter,
                   baseline: Baseline | None = None) -> Optional[float]:
    """The level a quarter's own reported value stands for, as it is read before the deadline
    (本年累计 for annual amounts, the running total for cumulative flows, else the value itself).

    After the deadline the verdict stays the deadline's (``evaluate``), but charts keep showing
    what was reported with this. None when the quarter has no value of its own or lies before the start.
    """
    c = _make_ctx(indicator, scheme, observations, None, baseline)
    if quarter not in c.obs or quarter < c.start_q:
        return None
    obs = {q: v for q, v in c.obs.items() if c.start_q <= q <= quarter}
    return _r(_level(c, quarter, quarter, obs)[0])


def _classify(c: _Ctx, p: float) -> Status:
    th = c.scheme.thresholds
    if p >= th.on_track:
        return Status.on_track
    if p >= th.warning:
        return Status.warning
    return Status.behind


def _p_line(c: _Ctx, actual: float, b: float, expected: float) -> tuple[float, bool]:
    """Progress along the line; (p, zero_change). With no required change p is 1 or 0."""
    d = (expected - b) if c.inc else (b - expected)
    if d > 1e-12 * max(1.0, abs(b)):
        return ((actual - b) if c.inc else (b - actual)) / d, False
    return (1.0 if c.meets(actual, expected, strict=False) else 0.0), True


def _p_hold(c: _Ctx, actual: float, target: float) -> tuple[float, bool]:
    """Progress of an amount against a level to hold (rate) or a pro-rated amount (annual)."""
    if c.inc:
        if target > 1e-12:
            return actual / target, False
        return (1.0 if c.meets(actual, target, strict=False) else 0.0), True
    if actual > 1e-12:
        return target / actual, False
    return 1.0, False


def _judge(c: _Ctx, E: Quarter, J: Quarter, VP: Quarter, obs: dict[Quarter, float], final: bool) -> Result:
    """Judge the value of VP (= J unless an older value stands in after the deadline) for quarter J."""
    t, k, notes = c.ind.target, c.kind, []
    stale = VP != J

    # Baseline and actual level.
    b = b_date = None
    b_note = ""
    standin_q = None
    if c.line:
        b, b_date, standin_q, b_note = _baseline(c, VP)
    elif k is Kind.annual:
        b, b_note = 0.0, "年度量按自然年累计,基线为0"
    actual, gaps = _level(c, J, VP, obs)
    if gaps:
        shown = "、".join(q.label for q in gaps[:2]) + (f"等{len(gaps)}个季度" if len(gaps) > 2 else "")
        notes.append(f"{shown}未填报,按0计")
    elif stale and not c.flow_sum:
        notes.append(f"{J.label}未填报,按{VP.label}的值判断")
    level = _level_phrase(c, J, VP, actual)

    # Target resolved for this quarter.
    ref_val = None
    if k is Kind.relative_reference:
        ref_q = max((q for q in c.ref if q <= J), default=None)
        if ref_q is None:
            return _result(c, E, Status.no_data, f"{level};缺少参照值,无法判定", value_period=VP, actual=actual,
                           baseline=b, baseline_note=b_note, stale=stale, trend=_trend(c, VP),
                           baseline_standin=standin_q)
        ref_val = c.ref[ref_q]
        if ref_q != J:
            notes.append(f"{J.label}参照值缺失,取{ref_q.label}的参照值")
        target = t.factor * ref_val
    elif k is Kind.relative_baseline:
        if b is None or standin_q == VP:
            return _result(c, E, Status.no_data, f"{level};缺少基线值,无法计算目标(须登记基线)",
                           value_period=VP, actual=actual, baseline_note=b_note, stale=stale, trend=_trend(c, VP))
        target = t.factor * b
    elif k is Kind.range:
        target = t.min
    else:
        target = t.value
    tgt = _target_text(c, target, ref_val, b)

    # Expected level and progress ratio.
    zero = False
    if k is Kind.annual:
        n = len(_quarters_in_year(c, J))
        expected = target * n / 4
        judged = expected if final else target
        if final and n < 4:
            tgt = f"按截止季度折算的年度目标{c.fmt(judged)}({fmt_number(target, c.ind.decimals)}{c.ind.unit}/年×{n}/4)"
        else:
            tgt = f"年度目标{c.fmt(target)}"
        p, zero = _p_hold(c, actual, expected)
    elif k is Kind.rate:
        expected = judged = target
        p, zero = _p_hold(c, actual, target)
    else:
        judged = target
        if b is None:   # unreachable for stock kinds (VP has a value), kept for safety
            b, b_date = actual, VP.end
        if final:
            expected = target
        else:
            span_days = (c.deadline - b_date).days
            frac = 1.0 if span_days <= 0 else min(1.0, max(0.0, (J.end - b_date).days / span_days))
            expected = b + (target - b) * frac
        p, zero = _p_line(c, actual, b, expected)
    p = round(_safe(p), _P_DIGITS)

    met = c.meets(actual, judged)
    if final:
        status = Status.achieved if met else Status.missed
    elif met and k is not Kind.rate and (c.inc or k is not Kind.annual or J.q == 4):
        status = Status.achieved   # a rate must keep holding; a yearly cap is known only at year end
    else:
        status = _classify(c, p)

    # Explanation.
    dl = date_label(c.deadline)
    if status is Status.achieved:
        verb = "已达到" if abs(actual - judged) <= _TOL * max(1.0, abs(judged)) else ("已超过" if c.inc else "已低于")
        main = f"{level},{verb}{tgt}"
        if final:
            main = f"截止{dl}:{main}"
    elif status is Status.missed:
        verb = ("未超过" if c.inc else "未低于") if t.strict else "未达到"
        main = f"截止{dl}:{level},{verb}{tgt}"
        late = [q for q in sorted(c.obs) if J < q <= E and not c.flow_sum and c.meets(c.obs[q], judged)]
        if late:
            notes.append(f"截止后已于{late[0].label}达到目标,仍按截止时判定")
    elif k is Kind.rate:
        verb = "达到" if met else "未达到"
        if t.strict:
            verb = ("已超过" if c.inc else "已低于") if met else ("未超过" if c.inc else "未低于")
        main = f"{level},{verb}{tgt},完成进度{fmt_percent(p)}"
    else:
        if k is Kind.annual:
            shown_tgt = f"目标{fmt_number(target, c.ind.decimals)}{c.ind.unit}/年"
        else:
            shown_tgt = f"{tgt},{dl}前"
        if t.strict:
            shown_tgt = shown_tgt.replace("目标", "目标须" + ("超过" if c.inc else "低于"), 1)
        main = f"{level},按进度应达{c.fmt(expected)}({shown_tgt}),完成进度{fmt_percent(p)}"
        if zero:
            notes.append("按进度应达值未超出基线,按是否达到应达值计")
    if k is Kind.range and t.max is not None and actual > t.max + _TOL * max(1.0, abs(t.max)):
        notes.append(f"超过区间上限{c.fmt(t.max)}")

    proj, proj_meets = (None, None) if final else _projection(c, J, obs, target, b if c.flow_sum else None)
    return _result(c, E, status, ";".join([main, *notes]), value_period=VP, actual=actual, expected=expected,
                   target=judged, p=p, trend=_trend(c, VP), projection=proj, projection_meets=proj_meets,
                   baseline=b, baseline_note=b_note, stale=stale, baseline_standin=standin_q)


def _target_text(c: _Ctx, target: float, ref_val: Optional[float], b: Optional[float]) -> str:
    t, k, u = c.ind.target, c.kind, c.ind.unit
    factor = fmt_number(t.factor, 2).rstrip("0").rstrip(".") if t.factor is not None else ""
    if k is Kind.annual:
        return f"年度目标{c.fmt(target)}"
    if k is Kind.range:
        return f"区间下限{c.fmt(target)}(区间{fmt_number(t.min, c.ind.decimals)}—{c.fmt(t.max)})"
    if k is Kind.relative_reference:
        ref_unit = next((r.unit for r in c.scheme.reference_series if r.id == t.reference), u)
        return f"目标{c.fmt(target)}(参照值{fmt_number(ref_val, c.ind.decimals)}{ref_unit}的{factor}倍)"
    if k is Kind.relative_baseline:
        return f"目标{c.fmt(target)}(基线{c.fmt(b)}的{factor}倍)"
    return f"目标{c.fmt(target)}"


def _trend(c: _Ctx, VP: Quarter) -> Optional[str]:
    """Direction of the level (not of goodness) versus the previous quarter."""
    if c.flow_sum:   # running level minus previous running level = this quarter's flow
        delta = c.obs.get(VP)
    else:
        prev = c.obs.get(VP.prev())
        delta = None if prev is None or VP not in c.obs else c.obs[VP] - prev
    if delta is None:
        return None
    d = round(delta, c.ind.decimals)
    return "up" if d > 0 else ("down" if d < 0 else "flat")


def _fit(points: list[tuple[date, float]], at: date) -> Optional[float]:
    """Least-squares line through (date, level) points, evaluated at ``at``."""
    if len(points) < 2:
        return None
    x0 = points[-1][0]
    xs = [(d - x0).days for d, _ in points]
    ys = [y for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    return _safe(my + slope * ((at - x0).days - mx))


def _projection(c: _Ctx, J: Quarter, obs: dict[Quarter, float], target: float,
                opening: Optional[float]) -> tuple[Optional[float], Optional[bool]]:
    """Level projected to the deadline from up to four latest reported quarters.
    Annual amounts: the year's total projected to year end (or the deadline quarter in the deadline year)."""
    qs = sorted(q for q in obs if q <= J)[-4:]
    if len(qs) < 2:
        return None, None
    if c.flow_sum:
        after = c.recorded.as_of if (c.recorded is not None and c.kind is Kind.cumulative) else date.min
        base = opening or 0.0
        pts = [(q.end, _running_total(c, obs, q, base, after)) for q in qs]
    else:
        pts = [(q.end, obs[q]) for q in qs]
    if c.kind is Kind.annual:
        horizon = c.dq if J.year == c.dq.year else Quarter(J.year, 4)
        # The fitted slope of the running total is the pace per day; add it to this year's total.
        at_horizon, at_now = _fit(pts, horizon.end), _fit(pts, J.end)
        ytd = sum(obs.get(q, 0.0) for q in _quarters_in_year(c, J))
        proj = ytd + (at_horizon - at_now) if at_horizon is not None and at_now is not None else None
        goal = target * len(_quarters_in_year(c, horizon)) / 4 if horizon == c.dq else target
    else:
        proj = _fit(pts, c.deadline)
        goal = target
    if proj is None:
        return None, None
    return proj, c.meets(proj, goal)


# ---------------------------------------------------------------- milestones

def _milestone(c: _Ctx, E: Quarter) -> Result:
    """Done (value >= 1) or not; no quarterly figure is needed."""
    reported = {q: v for q, v in c.obs.items() if q <= E}
    done = min((q for q, v in reported.items() if v >= 1 - _TOL), default=None)
    final = E >= c.dq
    dl = date_label(c.deadline)
    vp = done or (max(reported) if reported else None)
    common = dict(value_period=vp, actual=1.0 if done else (0.0 if reported else None), target=1.0)
    if final:
        if done is not None and done <= c.dq:
            return _result(c, E, Status.achieved, f"已于{done.label}完成(截止{dl})", p=1.0, **common)
        if done is not None:
            # Done, but after the deadline: its own status, so no board, report or count shows it as on time.
            return _result(c, E, Status.achieved_late, f"已于{done.label}完成,晚于截止日期{dl}(逾期完成)",
                           p=1.0, **common)
        return _result(c, E, Status.missed, f"截止{dl}仍未完成", p=0.0, **common)
    if done is not None:
        return _result(c, E, Status.achieved, f"已于{done.label}完成", p=1.0, **common)
    if c.deadline <= E.next().end:
        return _result(c, E, Status.warning, f"将于{dl}到期,尚未报告完成", p=0.0, **common)
    return _result(c, E, Status.not_due, f"未到期(截止{dl}),尚未报告完成", **common)
