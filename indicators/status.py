"""Traffic-light status engine: indicator + scheme + reported values -> Result.

The method (and a worked example per kind) is in docs/status-method.md; this
module follows it section by section. Pure Python: odd data (missing quarters,
None/NaN, falling stocks, zero-length paths) yields a status with a reason and
never raises.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Mapping, NamedTuple, Optional, Sequence

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


class Verdict(NamedTuple):
    """What the roll-ups need of a :class:`Result` (status and p), without its wording: the
    status snapshot evaluates millions, so :func:`classify_quarters` skips the explanation,
    projection, trend and chart fields. Same decisions as :func:`evaluate` (one code path)."""

    indicator_id: str
    scheme_id: str
    status: Status
    p: Optional[float]


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
        # Quarter keys and finite floats (what the store hands over) skip the general conversions.
        q = k if k.__class__ is Quarter else _quarter(k)
        x = (v if math.isfinite(v) else None) if v.__class__ is float else _num(v)
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
    brief: bool = False              # decide only: results are Verdicts (classify_quarters)
    # Values from the start up to a judged quarter, per judged quarter (the quarters after the
    # deadline share the deadline's), and the brief verdict of every quarter after the deadline.
    windows: dict = field(default_factory=dict, compare=False, repr=False)
    last_window: list = field(default_factory=list, compare=False, repr=False)   # [(length, window)]
    final_verdict: list = field(default_factory=list, compare=False, repr=False)

    # The properties below are constant for a context: computed once (cached_property writes the
    # instance __dict__, which a frozen dataclass allows), as the engine reads them for every quarter.
    @cached_property
    def kind(self) -> Kind:
        return self.ind.kind

    @cached_property
    def inc(self) -> bool:
        # Range and milestone read one way only: reach the lower bound / get it done.
        if self.kind in (Kind.range, Kind.milestone):
            return True
        return self.ind.direction is not Direction.decrease

    @cached_property
    def flow_sum(self) -> bool:
        """Quarterly flows summed into a running total (annual, or cumulative reported as flow)."""
        return self.kind is Kind.annual or (self.kind is Kind.cumulative and self.ind.reporting is Reporting.flow)

    @cached_property
    def line(self) -> bool:
        """Kinds judged against a straight line from the baseline to the target."""
        return self.kind in (Kind.cumulative, Kind.share, Kind.range, Kind.relative_reference, Kind.relative_baseline)

    def fmt(self, x: Optional[float]) -> str:
        return fmt_quantity(x, self.ind)

    @cached_property
    def counted(self) -> list[tuple[Quarter, float]]:
        """(quarter, value) from the indicator's start on, in quarter order."""
        return sorted(((q, v) for q, v in self.obs.items() if q >= self.start_q), key=_index)

    @cached_property
    def first_done(self) -> Optional[Quarter]:
        """A milestone's first quarter reported done (value >= 1), if any."""
        return min((q for q, v in self.obs.items() if v >= 1 - _TOL), default=None)

    @cached_property
    def missing_target(self) -> str:
        return _missing_target(self)

    @cached_property
    def standin_candidates(self) -> tuple[list[Quarter], list[Quarter]]:
        """Reported quarters ended before the start, and the others, each in order (:func:`_baseline`)."""
        qs = sorted(self.obs, key=_quarter_index)
        return [q for q in qs if q.end < self.start], [q for q in qs if q.end >= self.start]

    def meets(self, actual: float, target: float, strict: Optional[bool] = None) -> bool:
        strict = self.ind.target.strict if strict is None else strict
        tol = _TOL * max(1.0, abs(target))
        if self.inc:
            return actual > target + tol if strict else actual >= target - tol
        return actual < target - tol if strict else actual <= target + tol


def _make_ctx(indicator, scheme, observations, reference, baseline, brief: bool = False) -> _Ctx:
    start_month = indicator.start or scheme.period.start
    start = start_month.first_day
    return _Ctx(
        ind=indicator, scheme=scheme, obs=_clean(observations), ref=_clean(reference),
        recorded=baseline if baseline is not None else indicator.baseline,
        start=start, start_q=Quarter.containing(start),
        deadline=indicator.deadline, dq=Quarter.containing(indicator.deadline), brief=brief,
    )


def _result(c: _Ctx, evaluated: Quarter, status: Status, explanation: str, **kw) -> Result:
    if c.brief:
        return Verdict(c.ind.id, c.scheme.id, status, _r(kw.get("p")))
    stage = c.scheme.stage_at(evaluated.end)
    fields = dict(value_period=None, actual=None, expected=None, target=_static_target(c), p=None, trend=None,
                  projection=None, projection_meets=None, baseline=None, baseline_note="",
                  stale=False, last_status=None, baseline_standin=None)
    fields.update(kw)
    for k in ("actual", "expected", "target", "p", "projection", "baseline"):
        fields[k] = _r(fields[k])
    return Result(indicator_id=c.ind.id, scheme_id=c.scheme.id, status=status, period=evaluated,
                  deadline=c.deadline, stage=stage.id if stage else None,
                  explanation=explanation, baseline_pending=_baseline_pending(c, evaluated), **fields)


def _baseline_pending(c: _Ctx, evaluated: Quarter) -> bool:
    """Measured from a baseline (a line kind not summed from 0), none recorded, and counting has begun."""
    return c.line and not c.flow_sum and c.recorded is None and evaluated.end >= c.start


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
                  baselines: Mapping[str, Baseline] | None = None, history=None) -> list[Result]:
    """Every indicator of a scheme, in registry order. ``references`` is keyed by reference series id.
    ``history`` (indicators.versions.RegistryHistory): judge by the definitions in force at the end
    of the evaluated quarter."""
    if scheme_id not in registry.schemes:
        raise KeyError(f"unknown scheme {scheme_id!r}")
    scheme = registry.schemes[scheme_id]
    references = references or {}
    baselines = baselines or {}
    out = []
    at = Quarter.latest_ended(as_of).end
    for ind in registry.scheme_indicators(scheme_id):
        if history is not None:
            ind, scheme = history.indicator_at(ind, at), history.scheme_at(scheme_id, at)
        ref = references.get(ind.target.reference) if ind.target.reference else None
        out.append(evaluate(ind, scheme, observations.get(ind.id) or {}, as_of, ref, baselines.get(ind.id)))
    return out


def evaluate_quarters(indicator: Indicator, scheme: Scheme, observations: Mapping[Quarter, float],
                      quarters: Sequence[Quarter], reference: Mapping[Quarter, float] | None = None,
                      baseline: Baseline | None = None) -> dict[Quarter, Result]:
    """:func:`evaluate` at each quarter's end, the inputs prepared once."""
    c = _make_ctx(indicator, scheme, observations, reference, baseline)
    return {q: _evaluate_at(c, q) for q in quarters}


def classify_quarters(indicator: Indicator, scheme: Scheme, observations: Mapping[Quarter, float],
                      quarters: Sequence[Quarter], reference: Mapping[Quarter, float] | None = None,
                      baseline: Baseline | None = None) -> dict[Quarter, Verdict]:
    """Status and p of :func:`evaluate` at each quarter's end, without the wording (the status
    snapshot: 3,000 regions × 17 quarters × 44 indicators). The same code decides; only the
    explanation, projection and chart fields are skipped."""
    c = _make_ctx(indicator, scheme, observations, reference, baseline, brief=True)
    return {q: _evaluate_at(c, q) for q in quarters}


def status_history(indicator: Indicator, scheme: Scheme, observations: Mapping[Quarter, float],
                   quarters: Sequence[Quarter], reference: Mapping[Quarter, float] | None = None,
                   baseline: Baseline | None = None) -> dict[Quarter, Status]:
    """Status as evaluated at each quarter's end (the heatmap)."""
    c = _make_ctx(indicator, scheme, observations, reference, baseline)
    return {q: _evaluate_at(c, q).status for q in quarters}


# ---------------------------------------------------------------- evaluation

def _evaluate_at(c: _Ctx, evaluated: Quarter) -> Result:
    if evaluated.end < c.start:
        return _result(c, evaluated, Status.not_due,
                       f"{evaluated.label}早于本指标起始({(c.ind.start or c.scheme.period.start).label}),未到期")
    if c.kind is Kind.milestone:
        return _milestone(c, evaluated)
    missing_target = c.missing_target
    if missing_target:
        return _result(c, evaluated, Status.no_data, f"指标目标未设置({missing_target}),无法判定")

    final = evaluated >= c.dq   # the deadline falls on or before its end: the verdict is taken at the deadline
    if final and c.brief:
        # Every quarter after the deadline gets the deadline's verdict; only the wording (which
        # quarter reached the target later) depends on the evaluated quarter.
        if not c.final_verdict:
            c.final_verdict.append(_evaluate_judged(c, evaluated, c.dq, True))
        return c.final_verdict[0]
    return _evaluate_judged(c, evaluated, c.dq if final else evaluated, final)


def _index(item: tuple[Quarter, float]) -> int:
    return item[0]._i


def _quarter_index(q: Quarter) -> int:
    return q._i


def _window(c: _Ctx, judged_q: Quarter) -> dict[Quarter, float]:
    """The values counted for ``judged_q``: from the indicator's start up to it (read only)."""
    obs = c.windows.get(judged_q)
    if obs is None:
        seq = c.counted
        k = bisect_right(seq, judged_q._i, key=_index)
        last = c.last_window[0] if c.last_window else None
        if last is not None and last[0] <= k:
            # Quarters are judged in order: extend a copy of the last window (a dict's copy keeps
            # its keys' hashes, so only the new quarters are hashed, not the whole history again).
            obs = last[1].copy()
            obs.update(seq[last[0]:k])
        else:
            obs = dict(seq[:k])
        c.windows[judged_q] = obs
        c.last_window[:] = [(k, obs)]
    return obs


def _evaluate_judged(c: _Ctx, evaluated: Quarter, judged_q: Quarter, final: bool) -> Result:
    obs = _window(c, judged_q)
    if judged_q in obs:
        return _judge(c, evaluated, judged_q, judged_q, obs, final)
    if not final:
        return _no_data(c, evaluated, obs, f"{evaluated.label}未填报")
    # After the deadline: judge the latest value up to the deadline quarter.
    cand = [q for q in obs if q.year == judged_q.year] if c.kind is Kind.annual else list(obs)
    if not cand:
        what = f"{judged_q.year}年截至{judged_q.label}" if c.kind is Kind.annual else f"截至{judged_q.label}"
        return _no_data(c, evaluated, obs, f"已到截止日期{date_label(c.deadline)},{what}无填报值")
    return _judge(c, evaluated, judged_q, max(cand), obs, final)


def _missing_target(c: _Ctx) -> str:
    t, k = c.ind.target, c.kind
    if k in (Kind.annual, Kind.cumulative, Kind.rate, Kind.share) and t.value is None:
        return "target.value"
    if k is Kind.range and t.min is None:
        return "target.min"
    if k in (Kind.relative_reference, Kind.relative_baseline) and t.factor is None:
        return "target.factor"
    return ""


def _no_data(c: _Ctx, evaluated: Quarter, obs: dict[Quarter, float], head: str) -> Result:
    if c.brief:
        return _result(c, evaluated, Status.no_data, head)
    if not obs:
        tail = "此前无填报值"
        if any(q < c.start_q for q in c.obs):
            tail += "(起始前的填报值不计入)"
        return _result(c, evaluated, Status.no_data, f"{head};{tail}")
    last_q = max(obs)
    last = _evaluate_at(c, last_q)   # last_q has a value and last_q < deadline quarter: no further recursion
    level = _short_level(c, last.actual) if last.actual is not None else ""
    expl = f"{head};最近一次为{last_q.label}({level},{last.status.label})" if level else f"{head};最近一次为{last_q.label}"
    return _result(c, evaluated, Status.no_data, expl, value_period=last_q, actual=last.actual, expected=last.expected,
                   target=last.target, p=last.p, trend=last.trend, projection=last.projection,
                   projection_meets=last.projection_meets, baseline=last.baseline,
                   baseline_note=last.baseline_note, stale=True, last_status=last.status,
                   baseline_standin=last.baseline_standin)


def _level_phrase(c: _Ctx, judged_q: Quarter, value_q: Quarter, actual: float) -> str:
    if c.kind is Kind.annual:
        return f"{'' if value_q == judged_q else '截至'}{judged_q.label}本年累计{c.fmt(actual)}"
    if c.kind is Kind.cumulative:
        return f"截至{(judged_q if c.flow_sum else value_q).label}累计{c.fmt(actual)}"
    return f"{value_q.label}为{c.fmt(actual)}"


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
        if c.brief:   # no wording
            return b.value, b.as_of, None, ""
        src = f",{b.source}" if b.source else ""
        return b.value, b.as_of, None, f"登记基线{c.fmt(b.value)}({b.as_of.isoformat()}{src})"
    if c.flow_sum:
        return 0.0, c.start, None, "按季度新增量自起始累计,基线为0"
    # Stand-in: the level just before the start (latest quarter ended before it), else the first value since.
    before, after = c.standin_candidates   # sorted once per context, not scanned per quarter
    k = bisect_right(before, upto._i, key=_quarter_index)
    q = before[k - 1] if k else (after[0] if after and after[0] <= upto else None)
    if q is None:
        return None, None, None, "未登记基线,且无填报值可代替"
    if c.brief:
        return c.obs[q], q.end, q, ""
    return c.obs[q], q.end, q, f"未登记基线,以{q.label}填报值{c.fmt(c.obs[q])}代替"


def _running_total(c: _Ctx, obs: dict[Quarter, float], upto: Quarter, opening: float, after: date) -> float:
    return opening + sum(v for q, v in obs.items() if q <= upto and q.end > after)


def _level(c: _Ctx, judged_q: Quarter, value_q: Quarter, obs: dict[Quarter, float]) -> tuple[float, list[Quarter]]:
    """(actual level judged for judged_q, flow quarters missing and counted as 0).

    Flows are summed (annual: the year so far; cumulative: from the recorded baseline or
    the start); a stock is value_q's value."""
    if not c.flow_sum:
        return obs[value_q], []
    if c.kind is Kind.annual:
        span = _quarters_in_year(c, judged_q)
        actual = sum(obs.get(q, 0.0) for q in span)
    else:
        b = c.recorded
        after = b.as_of if b is not None else date.min
        span = [q for q in quarter_range(c.start_q, judged_q) if q.end > after]
        actual = _running_total(c, obs, judged_q, b.value if b is not None else 0.0, after)
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


@dataclass(slots=True)
class Decision:
    """What the engine decided for one judged value, before any wording (see :func:`_explain`).
    Slotted, not frozen (nothing changes one): built for every judged value, millions for the status
    snapshot, and a frozen dataclass's __init__ costs three times as much."""

    status: Status
    actual: float                          # the level judged (running total or the value itself)
    value_quarter: Quarter                 # whose value is judged (= judged_quarter unless stale)
    judged_quarter: Quarter                # the quarter judged: the evaluation quarter, or the deadline's
    final: bool                            # at or after the deadline: achieved or missed
    baseline: Optional[float] = None
    baseline_note: str = ""
    standin: Optional[Quarter] = None      # quarter standing in for a missing baseline
    missing: str = ""                      # "reference" / "baseline": the target cannot be set
    target: Optional[float] = None         # the target resolved for this quarter
    reference: Optional[float] = None      # the reference value a relative target multiplies
    reference_quarter: Optional[Quarter] = None
    judged_against: Optional[float] = None  # target, or (annual at the deadline) the pro-rated target
    expected: Optional[float] = None       # where the level should be now
    p: Optional[float] = None
    zero_change: bool = False              # no change required: p is 1 or 0
    met: bool = False
    quarters_counted: int = 0              # annual: quarters of the year counted so far
    gaps: tuple[Quarter, ...] = ()         # flow quarters missing, counted as 0
    reached_after: Optional[Quarter] = None  # first quarter after the deadline that met the target

    @property
    def stale(self) -> bool:
        return self.value_quarter != self.judged_quarter


def _judge(c: _Ctx, evaluated: Quarter, judged_q: Quarter, value_q: Quarter, obs: dict[Quarter, float],
           final: bool) -> Result:
    """Judge the value of ``value_q`` (= ``judged_q`` unless an older value stands in after the
    deadline) for ``judged_q``: decide, then word it."""
    d = _decide(c, evaluated, judged_q, value_q, obs, final)
    if c.brief:
        return _result(c, evaluated, d.status, "", p=d.p)
    common = dict(value_period=value_q, actual=d.actual, stale=d.stale, trend=_trend(c, value_q),
                  baseline_note=d.baseline_note, baseline_standin=d.standin)
    if d.missing:
        return _result(c, evaluated, d.status, _explain(c, d), baseline=d.baseline if d.missing == "reference" else None,
                       **common)
    proj, proj_meets = (None, None) if final else _projection(c, judged_q, obs, d.target,
                                                              d.baseline if c.flow_sum else None)
    return _result(c, evaluated, d.status, _explain(c, d), expected=d.expected, target=d.judged_against, p=d.p,
                   projection=proj, projection_meets=proj_meets, baseline=d.baseline, **common)


def _decide(c: _Ctx, evaluated: Quarter, judged_q: Quarter, value_q: Quarter, obs: dict[Quarter, float],
            final: bool) -> Decision:
    t, k = c.ind.target, c.kind
    base = None
    base_date = None
    base_note = ""
    standin = None
    if c.line:
        base, base_date, standin, base_note = _baseline(c, value_q)
    elif k is Kind.annual:
        base, base_note = 0.0, "年度量按自然年累计,基线为0"
    actual, gaps = _level(c, judged_q, value_q, obs)
    decided = dict(actual=actual, value_quarter=value_q, judged_quarter=judged_q, final=final, baseline=base,
                   baseline_note=base_note, standin=standin, gaps=tuple(gaps))

    # The target resolved for this quarter.
    ref_val = ref_q = None
    if k is Kind.relative_reference:
        ref_q = max((q for q in c.ref if q <= judged_q), default=None)
        if ref_q is None:
            return Decision(Status.no_data, missing="reference", **decided)
        ref_val = c.ref[ref_q]
        target = t.factor * ref_val
    elif k is Kind.relative_baseline:
        if base is None or standin == value_q:
            # Nothing (else) to double: no target, and no stand-in either.
            return Decision(Status.no_data, missing="baseline", **{**decided, "baseline": None, "standin": None})
        target = t.factor * base
    elif k is Kind.range:
        target = t.min
    else:
        target = t.value

    # Expected level and progress ratio.
    n = 0
    if k is Kind.annual:
        n = len(_quarters_in_year(c, judged_q))
        expected = target * n / 4
        judged = expected if final else target
        p, zero = _p_hold(c, actual, expected)
    elif k is Kind.rate:
        expected = judged = target
        p, zero = _p_hold(c, actual, target)
    else:
        judged = target
        if base is None:   # unreachable for stock kinds (value_q has a value), kept for safety
            base, base_date = actual, value_q.end
            decided["baseline"] = base
        if final:
            expected = target
        else:
            span_days = (c.deadline - base_date).days
            frac = 1.0 if span_days <= 0 else min(1.0, max(0.0, (judged_q.end - base_date).days / span_days))
            expected = base + (target - base) * frac
        p, zero = _p_line(c, actual, base, expected)
    p = round(_safe(p), _P_DIGITS)

    met = c.meets(actual, judged)
    if final:
        status = Status.achieved if met else Status.missed
    elif met and k is not Kind.rate and (c.inc or k is not Kind.annual or judged_q.q == 4):
        status = Status.achieved   # a rate must keep holding; a yearly cap is known only at year end
    else:
        status = _classify(c, p)
    reached_after = None
    if status is Status.missed and not c.flow_sum and not c.brief:   # wording only
        reached_after = next((q for q in sorted(c.obs) if judged_q < q <= evaluated and c.meets(c.obs[q], judged)),
                             None)
    return Decision(status, target=target, reference=ref_val, reference_quarter=ref_q, judged_against=judged,
                    expected=expected, p=p, zero_change=zero, met=met, quarters_counted=n,
                    reached_after=reached_after, **decided)


def _explain(c: _Ctx, d: Decision) -> str:
    """The one line of Chinese that says a decision (docs/status-method.md §6)."""
    t, k, status = c.ind.target, c.kind, d.status
    level = _level_phrase(c, d.judged_quarter, d.value_quarter, d.actual)
    notes = []
    if d.gaps:
        gaps = d.gaps
        shown = "、".join(q.label for q in gaps[:2]) + (f"等{len(gaps)}个季度" if len(gaps) > 2 else "")
        notes.append(f"{shown}未填报,按0计")
    elif d.stale and not c.flow_sum:
        notes.append(f"{d.judged_quarter.label}未填报,按{d.value_quarter.label}的值判断")
    if d.missing == "reference":
        return f"{level};缺少参照值,无法判定"
    if d.missing == "baseline":
        return f"{level};缺少基线值,无法计算目标(须登记基线)"
    if d.reference_quarter is not None and d.reference_quarter != d.judged_quarter:
        notes.append(f"{d.judged_quarter.label}参照值缺失,取{d.reference_quarter.label}的参照值")

    target, judged = d.target, d.judged_against
    tgt = _target_text(c, target, d.reference, d.baseline)
    if k is Kind.annual:
        if d.final and d.quarters_counted < 4:
            tgt = (f"按截止季度折算的年度目标{c.fmt(judged)}"
                   f"({fmt_number(target, c.ind.decimals)}{c.ind.unit}/年×{d.quarters_counted}/4)")
        else:
            tgt = f"年度目标{c.fmt(target)}"

    dl = date_label(c.deadline)
    if status is Status.achieved:
        verb = ("已达到" if abs(d.actual - judged) <= _TOL * max(1.0, abs(judged))
                else ("已超过" if c.inc else "已低于"))
        main = f"{level},{verb}{tgt}"
        if d.final:
            main = f"截止{dl}:{main}"
    elif status is Status.missed:
        verb = ("未超过" if c.inc else "未低于") if t.strict else "未达到"
        main = f"截止{dl}:{level},{verb}{tgt}"
        if d.reached_after is not None:
            notes.append(f"截止后已于{d.reached_after.label}达到目标,仍按截止时判定")
    elif k is Kind.rate:
        verb = "达到" if d.met else "未达到"
        if t.strict:
            verb = ("已超过" if c.inc else "已低于") if d.met else ("未超过" if c.inc else "未低于")
        main = f"{level},{verb}{tgt},完成进度{fmt_percent(d.p)}"
    else:
        if k is Kind.annual:
            shown_tgt = f"目标{fmt_number(target, c.ind.decimals)}{c.ind.unit}/年"
        else:
            shown_tgt = f"{tgt},{dl}前"
        if t.strict:
            shown_tgt = shown_tgt.replace("目标", "目标须" + ("超过" if c.inc else "低于"), 1)
        main = f"{level},按进度应达{c.fmt(d.expected)}({shown_tgt}),完成进度{fmt_percent(d.p)}"
        if d.zero_change:
            notes.append("按进度应达值未超出基线,按是否达到应达值计")
    if k is Kind.range and t.max is not None and d.actual > t.max + _TOL * max(1.0, abs(t.max)):
        notes.append(f"超过区间上限{c.fmt(t.max)}")
    return ";".join([main, *notes])


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


def _trend(c: _Ctx, value_q: Quarter) -> Optional[str]:
    """Direction of the level (not of goodness) versus the previous quarter."""
    if c.flow_sum:   # running level minus previous running level = this quarter's flow
        delta = c.obs.get(value_q)
    else:
        prev = c.obs.get(value_q.prev())
        delta = None if prev is None or value_q not in c.obs else c.obs[value_q] - prev
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


def _projection(c: _Ctx, judged_q: Quarter, obs: dict[Quarter, float], target: float,
                opening: Optional[float]) -> tuple[Optional[float], Optional[bool]]:
    """Level projected to the deadline from up to four latest reported quarters.
    Annual amounts: the year's total projected to year end (or the deadline quarter in the deadline year)."""
    qs = sorted(q for q in obs if q <= judged_q)[-4:]
    if len(qs) < 2:
        return None, None
    if c.flow_sum:
        after = c.recorded.as_of if (c.recorded is not None and c.kind is Kind.cumulative) else date.min
        base = opening or 0.0
        pts = [(q.end, _running_total(c, obs, q, base, after)) for q in qs]
    else:
        pts = [(q.end, obs[q]) for q in qs]
    if c.kind is Kind.annual:
        horizon = c.dq if judged_q.year == c.dq.year else Quarter(judged_q.year, 4)
        # The fitted slope of the running total is the pace per day; add it to this year's total.
        at_horizon, at_now = _fit(pts, horizon.end), _fit(pts, judged_q.end)
        ytd = sum(obs.get(q, 0.0) for q in _quarters_in_year(c, judged_q))
        proj = ytd + (at_horizon - at_now) if at_horizon is not None and at_now is not None else None
        goal = target * len(_quarters_in_year(c, horizon)) / 4 if horizon == c.dq else target
    else:
        proj = _fit(pts, c.deadline)
        goal = target
    if proj is None:
        return None, None
    return proj, c.meets(proj, goal)


# ---------------------------------------------------------------- milestones

def _milestone(c: _Ctx, evaluated: Quarter) -> Result:
    """Done (value >= 1) or not; no quarterly figure is needed."""
    done = c.first_done if c.first_done is not None and c.first_done <= evaluated else None
    final = evaluated >= c.dq
    if final:
        status, p = ((Status.achieved if done <= c.dq else Status.achieved_late, 1.0) if done is not None
                     else (Status.missed, 0.0))
    elif done is not None:
        status, p = Status.achieved, 1.0
    elif c.deadline <= evaluated.next().end:
        status, p = Status.warning, 0.0
    else:
        status, p = Status.not_due, None
    if c.brief:
        return _result(c, evaluated, status, "", p=p)
    dl = date_label(c.deadline)
    reported = [q for q in c.obs if q <= evaluated]
    vp = done or (max(reported) if reported else None)
    common = dict(value_period=vp, actual=1.0 if done else (0.0 if reported else None), target=1.0, p=p)
    if status is Status.achieved_late:
        # Done, but after the deadline: its own status, so no board, report or count shows it as on time.
        text = f"已于{done.label}完成,晚于截止日期{dl}(逾期完成)"
    elif status is Status.achieved:
        text = f"已于{done.label}完成(截止{dl})" if final else f"已于{done.label}完成"
    elif status is Status.missed:
        text = f"截止{dl}仍未完成"
    elif status is Status.warning:
        text = f"将于{dl}到期,尚未报告完成"
    else:
        text = f"未到期(截止{dl}),尚未报告完成"
    return _result(c, evaluated, status, text, **common)
