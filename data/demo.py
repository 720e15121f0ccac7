"""Demo dataset: plausible quarterly values for every indicator of a scheme.

Generic by kind and driven by the registry, so new indicators get values too.
Deterministic: the noise of an indicator is seeded by its id, its profile by
its place in the registry. Profiles are mixed on purpose so that every status
shows up at some evaluation quarter: ahead, on track, lagging (warning/behind),
missing quarters, a stock that falls once, milestones done early, on time, late
or never; the latest quarter is left partly empty so the chase list has entries.
"""
from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field
from typing import Iterable, Optional

from indicators.model import Baseline, Direction, Indicator, Kind, Reporting, Scheme
from indicators.periods import Quarter, quarter_range
from indicators.registry import Registry
from indicators.values import plausibility

from .errors import StoreError
from .store import ImportRow, Store

DEMO_USER = "示例数据"
DEMO_LAST = Quarter(2026, 3)
DEMO_FIRST = {"anning": Quarter(2022, 3), "luzhou": Quarter(2024, 2)}
LOADED_KEY = "demo_schemes"

# Progress relative to the straight line to the target.
FACTOR = {"ahead": 1.3, "on_track": 1.06, "warning": 0.9, "behind": 0.6, "gappy": 1.06}
PROFILES = ("on_track", "ahead", "warning", "behind", "on_track", "ahead", "gappy")
MILESTONE_PROFILES = ("on_time", "early", "late", "on_time", "never", "early")
RATE_LEVEL = {"ahead": 1.0, "on_track": 1.0, "warning": 0.9, "behind": 0.72, "gappy": 1.0}
CORRECTIONS = 3
FALL_NOTE = "部分企业注销或有效期届满,存量较上季度下降,已核实"
JUMP_NOTE = "本季度集中办结,数据已核实"
CORRECTION_REASON = "核对统计台账后更正"


@dataclass
class SchemePlan:
    scheme_id: str
    region: str
    quarters: list[Quarter]
    values: dict[str, dict[Quarter, float]] = field(default_factory=dict)
    notes: dict[tuple[str, Quarter], str] = field(default_factory=dict)
    profiles: dict[str, str] = field(default_factory=dict)
    references: dict[str, dict[Quarter, float]] = field(default_factory=dict)
    baselines: dict[str, Baseline] = field(default_factory=dict)      # to store (registry has none)
    corrections: dict[tuple[str, Quarter], float] = field(default_factory=dict)  # first (wrong) value
    approved: list[Quarter] = field(default_factory=list)
    submitted: list[Quarter] = field(default_factory=list)


def _seed(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _start_q(ind: Indicator, scheme: Scheme) -> Quarter:
    return Quarter.containing((ind.start or scheme.period.start).first_day)


def _frac(ind: Indicator, scheme: Scheme, q: Quarter) -> float:
    """Share of the time from start to deadline elapsed at the end of q (may exceed 1)."""
    start = (ind.start or scheme.period.start).first_day
    span = (ind.deadline - start).days
    return 1.0 if span <= 0 else max(0.0, (q.end - start).days / span)


def _default_level(ind: Indicator) -> float:
    """A plausible starting level when the registry records no baseline."""
    return {"%": 40.0, "亿元": 5.0, "万元": 500.0, "件/万人": 3.0}.get(ind.unit, 100.0)


def _reference_series(unit: str, quarters: list[Quarter], seed: int) -> dict[Quarter, float]:
    rng = random.Random(seed)
    out = {}
    for i, q in enumerate(quarters):
        if unit == "%":          # a growth rate: around 10%, wobbling
            v = 10.0 + 1.5 * rng.uniform(-1, 1)
        elif unit == "件/万人":   # e.g. 云南省每万人有效发明专利拥有量: about 3 rising to 4
            v = 3.0 + 0.06 * i + 0.02 * rng.uniform(-1, 1)
        else:
            v = 100.0 * 1.02 ** i
        out[q] = round(v, 2)
    return out


def _round(ind: Indicator, x: float) -> float:
    v = round(x, ind.decimals)
    if ind.unit == "%":
        v = min(v, 100.0)
    return max(v, 0.0)


def _flows(ind: Indicator, scheme: Scheme, qs: list[Quarter], f: float, rng: random.Random) -> dict[Quarter, float]:
    """Quarterly amounts: noisy increments whose rounded running total gives whole flows."""
    t = ind.target.value or 0.0
    if ind.kind is Kind.annual:
        per_q = t / 4
    else:
        n = max(1, len(quarter_range(_start_q(ind, scheme), Quarter.containing(ind.deadline))))
        per_q = t / n
    out, total, shown = {}, 0.0, 0.0
    for q in qs:
        total += per_q * f * rng.uniform(0.85, 1.15)
        level = _round(ind, total)
        out[q] = round(level - shown, ind.decimals)
        shown = level
    return out


def _levels(ind: Indicator, scheme: Scheme, qs: list[Quarter], profile: str, rng: random.Random,
            refs: dict[Quarter, float], plan: SchemePlan) -> dict[Quarter, float]:
    """Levels at quarter end for stock kinds, along the line from a start level to the goal."""
    f = FACTOR[profile]
    t, k = ind.target, ind.kind
    decrease = ind.direction is Direction.decrease and k not in (Kind.range, Kind.milestone)
    if k is Kind.rate:
        goal = t.value or 0.0
        level = RATE_LEVEL[profile] if not decrease else 2 - RATE_LEVEL[profile]
        top = min(100.0, goal * 1.05) if level >= 1 and not decrease else goal * level
        return {q: _round(ind, top * (1 + (0.0 if level >= 1 else 0.01 * rng.uniform(-1, 1)))) for q in qs}
    if k is Kind.relative_reference:
        out = {}
        for q in qs:
            r = refs.get(q) or (max(refs.items())[1] if refs else _default_level(ind))
            ratio = 0.75 + (f - 0.75) * min(_frac(ind, scheme, q), 1.4)
            out[q] = _round(ind, (t.factor or 1.0) * r * ratio)
        return _monotone(ind, out, qs)
    if ind.baseline is not None:
        b0 = ind.baseline.value
    elif k is Kind.relative_baseline:
        b0 = _default_level(ind)
        plan.baselines[ind.id] = Baseline(value=b0, as_of=_start_q(ind, scheme).prev().end, source="示例基期值")
    elif k is Kind.range:
        b0 = max(0.0, (t.min or 0.0) - 2)
    elif k is Kind.share:
        b0 = round((t.value or 0.0) * 0.55, ind.decimals)
    else:
        b0 = round((t.value or _default_level(ind)) * (1.6 if decrease else 0.45), ind.decimals)
    if k is Kind.range:
        goal = (t.max if profile == "ahead" and t.max is not None else t.min) or 0.0
    elif k is Kind.relative_baseline:
        goal = (t.factor or 1.0) * b0
    else:
        goal = t.value if t.value is not None else b0
    out = {}
    for q in qs:
        x = b0 + (goal - b0) * min(_frac(ind, scheme, q), 1.4) * f
        out[q] = _round(ind, x * (1 + 0.01 * rng.uniform(-1, 1)))
    return _monotone(ind, out, qs)


def _monotone(ind: Indicator, out: dict[Quarter, float], qs: list[Quarter]) -> dict[Quarter, float]:
    """A stock of things does not fall by noise alone (the deliberate fall is added later)."""
    if ind.unit == "%" or ind.reporting is not Reporting.stock:
        return out
    decrease = ind.direction is Direction.decrease
    prev = None
    for q in qs:
        if prev is not None:
            out[q] = min(out[q], prev) if decrease else max(out[q], prev)
        prev = out[q]
    return out


def _milestone(ind: Indicator, qs: list[Quarter], profile: str) -> dict[Quarter, float]:
    dq = Quarter.containing(ind.deadline)
    dq_idx = max(0, min(len(qs) - 1, dq - qs[0]))
    done = {"early": round(dq_idx * 0.3), "on_time": dq_idx, "late": dq_idx + 2, "never": None}[profile]
    return {q: 1.0 if done is not None and i >= done else 0.0 for i, q in enumerate(qs)}


def _can_fall(ind: Indicator) -> bool:
    return (ind.reporting is Reporting.stock and ind.unit != "%" and ind.direction is Direction.increase
            and ind.kind in (Kind.cumulative, Kind.range))


def plan_scheme(registry: Registry, scheme_id: str, first: Optional[Quarter] = None,
                last: Quarter = DEMO_LAST) -> SchemePlan:
    """Compute (without storing) the demo data of one scheme."""
    scheme = registry.schemes[scheme_id]
    first = first or DEMO_FIRST.get(scheme_id) or Quarter.containing(scheme.period.start.first_day)
    plan = SchemePlan(scheme_id, scheme.region, quarter_range(first, last))
    for rs in scheme.reference_series:
        plan.references[rs.id] = _reference_series(rs.unit, plan.quarters, _seed(rs.id))

    inds = registry.scheme_indicators(scheme_id)
    fall_done = False
    n_plain = n_mile = 0
    for ind in inds:
        qs = [q for q in plan.quarters if q >= _start_q(ind, scheme)]
        if not qs:
            continue
        rng = random.Random(_seed(ind.id))
        if ind.kind is Kind.milestone:
            profile = MILESTONE_PROFILES[n_mile % len(MILESTONE_PROFILES)]
            n_mile += 1
            series = _milestone(ind, qs, profile)
        else:
            profile = PROFILES[n_plain % len(PROFILES)]
            n_plain += 1
            falls = not fall_done and _can_fall(ind) and len(qs) >= 4
            if falls:
                profile, fall_done = "on_track", True
            flow_kind = ind.reporting is Reporting.flow and ind.kind in (Kind.annual, Kind.cumulative)
            if flow_kind:
                series = _flows(ind, scheme, qs, FACTOR[profile], rng)
            else:
                refs = plan.references.get(ind.target.reference or "", {})
                series = _levels(ind, scheme, qs, profile, rng, refs, plan)
            if falls:
                q = qs[len(qs) // 2]
                step = 10 ** -ind.decimals
                series[q] = _round(ind, min(series[q.prev()] - step, series[q.prev()] * 0.95))
                plan.notes[(ind.id, q)] = FALL_NOTE
                profile = "falling"
            if profile == "gappy" and len(qs) > 6:
                for i in (2, 5):
                    series.pop(qs[i], None)
        plan.profiles[ind.id] = profile
        plan.values[ind.id] = series

    # Leave the latest quarter partly empty (the chase list) - about a third of the indicators.
    with_last = [i for i in plan.values if last in plan.values[i]]
    empty = [i for i in with_last if _seed(i) % 3 == 0] or with_last[:1]
    for i in empty:
        plan.values[i].pop(last, None)

    # Explain what would trigger a plausibility warning, and add a few ordinary notes.
    for ind in inds:
        series = plan.values.get(ind.id, {})
        for q, v in series.items():
            if (ind.id, q) not in plan.notes and plausibility(ind, v, series.get(q.prev())):
                plan.notes[(ind.id, q)] = JUMP_NOTE if v > (series.get(q.prev()) or 0) else FALL_NOTE
        if series and _seed(ind.id) % 5 == 0:
            q = max(series)
            plan.notes.setdefault((ind.id, q), f"数据来源:{ind.reporting_unit}统计台账")
        if series and plan.profiles.get(ind.id) == "behind":
            q = max(series)
            plan.notes.setdefault((ind.id, q), "进度滞后,已督促责任单位加快推进")

    # A few values are first entered wrongly, then corrected (two revisions in their history).
    fix_q = last.prev()
    candidates = [i for i in inds if i.kind is not Kind.milestone and fix_q in plan.values.get(i.id, {})]
    for ind in candidates[:CORRECTIONS]:
        right = plan.values[ind.id][fix_q]
        plan.corrections[(ind.id, fix_q)] = _round(ind, right + max(1.0, abs(right) * 0.1)) \
            if ind.unit != "%" or right <= 90 else _round(ind, right - 5)

    # Older quarters are approved (locked); the last but one is partly submitted.
    plan.approved = [q for q in plan.quarters if q <= last + (-4)]
    plan.submitted = [last.prev()]
    return plan


def _reporting_units(registry: Registry, scheme_id: str) -> list[str]:
    return sorted({i.reporting_unit for i in registry.scheme_indicators(scheme_id)})


def load_demo(store: Store, registry: Registry, schemes: Iterable[str] = ("anning", "luzhou"),
              evidence=None) -> dict[str, dict]:
    """Load the demo dataset (idempotent: a scheme already loaded is skipped) and
    mark the database as demo. Schemes missing from the registry are skipped.
    Refuses a database that holds real (non-demo) entries. With ``evidence`` (a
    data.evidence.Evidence) a few Anning indicators get generated evidence files."""
    if store.has_non_demo_data():
        raise StoreError("数据库中已有正式填报数据,不能载入示例数据")
    loaded = set(filter(None, (store.meta(LOADED_KEY) or "").split(",")))
    summary: dict[str, dict] = {}
    for scheme_id in schemes:
        if scheme_id not in registry.schemes:
            summary[scheme_id] = {"status": "skipped", "reason": "not in registry"}
            continue
        if scheme_id in loaded:
            summary[scheme_id] = {"status": "already loaded"}
            continue
        plan = plan_scheme(registry, scheme_id)
        summary[scheme_id] = _load_scheme(store, registry, plan)
        if evidence is not None and scheme_id == "anning":
            summary[scheme_id]["evidence"] = _load_evidence(evidence, registry, plan)
        if scheme_id == "anning":
            summary[scheme_id]["ledger_rows"] = _load_ledgers(store, registry, plan)
        loaded.add(scheme_id)
        store.set_meta(LOADED_KEY, ",".join(sorted(loaded)))
    store.set_meta("demo", "1")
    return summary


def _load_scheme(store: Store, registry: Registry, plan: SchemePlan) -> dict:
    region = plan.region
    store.ensure_region(plan.scheme_id, region)
    existing_refs = {(r.series_id, r.period): r for r in store.reference_rows(plan.scheme_id, region)}
    for series_id, values in plan.references.items():
        for q, v in values.items():
            cur = existing_refs.get((series_id, q))
            store.save_reference(plan.scheme_id, region, series_id, q, v, DEMO_USER,
                                 cur.version if cur else None, source="demo")
    existing_base = store.baseline_rows(plan.scheme_id, region)
    for ind_id, b in plan.baselines.items():
        cur = existing_base.get(ind_id)
        store.save_baseline(registry.indicators[ind_id], region, b.value, b.as_of, DEMO_USER,
                            cur.version if cur else None, note=b.source, source="demo")

    rows = []
    for ind_id, series in plan.values.items():
        ind = registry.indicators[ind_id]
        for q, v in sorted(series.items()):
            first = plan.corrections.get((ind_id, q), v)
            rows.append(ImportRow(ind, region, q, first, plan.notes.get((ind_id, q), ""), reason="载入示例数据"))
    store.import_rows(rows, DEMO_USER, source="demo")
    for (ind_id, q), _wrong in plan.corrections.items():
        current = store.observation(ind_id, region, q)
        store.save_value(registry.indicators[ind_id], region, q, plan.values[ind_id][q], current.note, DEMO_USER,
                         current.version, source="demo", reason=CORRECTION_REASON)

    units = _reporting_units(registry, plan.scheme_id)
    state = {(x.unit, x.period): x.state for q in plan.approved + plan.submitted
             for x in store.submissions(plan.scheme_id, region, q)}
    steps: list[tuple[str, Quarter, str]] = []
    for q in plan.approved:
        for unit in units:
            st = state.get((unit, q), "draft")
            if st == "draft":
                steps.append((unit, q, "submit"))
            if st != "approved":
                steps.append((unit, q, "approve"))
    for q in plan.submitted:
        for unit in units[::2]:
            if state.get((unit, q), "draft") == "draft":
                steps.append((unit, q, "submit"))
    if steps:
        store.transitions(plan.scheme_id, region, steps, DEMO_USER)
    return {"status": "loaded", "observations": len(rows), "quarters": f"{plan.quarters[0]}–{plan.quarters[-1]}",
            "references": sum(len(v) for v in plan.references.values())}


EVIDENCE_INDICATORS = 4


def _load_evidence(evidence, registry: Registry, plan: SchemePlan) -> int:
    """A PDF (and for milestones a PNG of the 'certificate') for the first indicators with values,
    on the last quarter each was reported: some indicators have evidence, the rest have none."""
    from .evidence import Office
    from .evidence_demo import tiny_pdf, tiny_png

    office = Office(DEMO_USER)
    today = plan.quarters[-1].end
    n = 0
    inds = [i for i in registry.scheme_indicators(plan.scheme_id) if plan.values.get(i.id)]
    milestones = [i for i in inds if i.kind == Kind.milestone and any(v for v in plan.values[i.id].values())]
    chosen = [i for i in inds if i.kind != Kind.milestone][:EVIDENCE_INDICATORS - 2] + milestones[:2]
    for k, ind in enumerate(chosen):
        values = plan.values[ind.id]
        # A milestone's proof belongs to the quarter it was reported done; a count's to its last report.
        q = min(p for p, v in values.items() if v) if ind.kind == Kind.milestone else max(values)
        pdf = tiny_pdf(f"Demo evidence {ind.id}", [f"Region: Anning   Period: {q}", "Generated sample document",
                                                    "(demo data, not a real record)"])
        evidence.add(office, ind.id, plan.region, q, f"{ind.name}_佐证材料_{q}.pdf", pdf, "示例材料", today=today)
        n += 1
        if ind.kind == Kind.milestone or k == 0:
            evidence.add(office, ind.id, plan.region, q, f"{ind.name}_证书照片.png", tiny_png(seed=k),
                         "示例图片", today=today)
            n += 1
    return n


# Ledgers (台账) of the demo: some agree with the reported values at every quarter (one kept by
# four units), some disagree at the last one (one enterprise missing; one listed in two units'
# ledgers), the rest are empty,
# so the detail page and an acceptance checklist show each case.
LEDGER_COMPLETE = ("anning_ip_advantage_demo_enterprises", "anning_ip_management_standard_enterprises",
                   "anning_ip_service_ports", "anning_street_rights_protection_stations")
LEDGER_ONE_MISSING = "anning_patent_industrialization_enterprises_10m"
LEDGER_ONE_TWICE = "anning_key_ip_advantage_enterprises"
_DEMO_PLACES = ("连然", "金方", "八街", "县街", "温泉", "太平新城", "青龙", "草铺", "禄脿")
_DEMO_TRADES = ("新材料", "绿色能源", "生物医药", "装备制造", "环保科技", "精细化工", "数字科技", "磷化工")


def demo_credit_code(k: int) -> str:
    """A well-formed 统一社会信用代码 for demo row ``k`` (安宁 530181; check digit computed)."""
    from indicators.ledger import check_char

    stem = f"91530181{(k * 7919 + 31) % 10 ** 9:09d}"
    return stem + check_char(stem)


def _demo_row(ind, k: int, on) -> dict:
    place = _DEMO_PLACES[k % len(_DEMO_PLACES)]
    out = {}
    for col in ind.ledger.columns:
        if col.type == "date":
            out[col.key] = on.isoformat()
        elif col.type == "credit_code":
            out[col.key] = demo_credit_code(k)
        elif col.type == "name":
            item = ind.ledger.item
            if item == "企业":
                out[col.key] = f"安宁{place}{_DEMO_TRADES[k % len(_DEMO_TRADES)]}有限公司"
            elif item == "工作站":
                out[col.key] = f"{place}街道知识产权维权服务工作站" + (f"(第{k // 9 + 1}站)" if k >= 9 else "")
            else:
                out[col.key] = f"示例{item}{k + 1}"
        elif col.key == "street":
            out[col.key] = f"{place}街道"
        elif col.key == "source":
            out[col.key] = "示例数据(非真实记录)"
        else:
            out[col.key] = f"示例{col.label}{k + 1}"
    return out


def _matching_rows(ind, values: dict, seed: int) -> list[dict]:
    """Rows whose counts equal ``values`` at every quarter (a stock: the level grows by new rows;
    a flow: the quarter's rows), dated inside each quarter."""
    from datetime import timedelta

    rows, level = [], 0
    for q in sorted(values):
        want = int(values[q] or 0)
        new = want if ind.reporting is Reporting.flow else max(0, want - level)
        level = max(level, want)
        for j in range(new):
            rows.append(_demo_row(ind, seed + len(rows), q.start + timedelta(days=10 + 17 * j)))
    return rows


def _load_ledgers(store: Store, registry: Registry, plan: SchemePlan) -> int:
    from .evidence import Office
    from .ledger import Ledgers

    ledgers, office, last = Ledgers(store, registry), Office(DEMO_USER), plan.quarters[-1]
    n = 0
    for k, ind_id in enumerate((*LEDGER_COMPLETE, LEDGER_ONE_MISSING, LEDGER_ONE_TWICE)):
        ind = registry.indicators.get(ind_id)
        values = {q: v for q, v in plan.values.get(ind_id, {}).items() if q <= last}
        if ind is None or ind.ledger is None or not values:
            continue
        rows = _matching_rows(ind, values, seed=100 * k)
        if ind_id == LEDGER_ONE_MISSING and rows:
            rows = rows[:-1]
        # Each responsible unit keeps its own ledger; the enterprise ledger is spread over them.
        units = ind.all_units if ind_id == LEDGER_COMPLETE[0] else [ind.reporting_unit]
        by_unit: dict[str, list[dict]] = {}
        for j, r in enumerate(rows):
            by_unit.setdefault(units[j % len(units)], []).append(r)
        if ind_id == LEDGER_ONE_TWICE and rows:
            # The same enterprise listed again, in another unit's ledger.
            twice = dict(rows[0], name=rows[0]["name"] + "(重复登记)")
            twice[ind.ledger.column_of("date").key] = last.start.isoformat()
            by_unit.setdefault(next(u for u in ind.all_units if u != ind.reporting_unit), []).append(twice)
        for unit, unit_rows in by_unit.items():
            n += len(ledgers.add_many(office, ind_id, plan.region, last, unit_rows, today=last.end, source="demo",
                                      unit=unit))
    return n
