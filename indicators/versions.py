"""Registry versions and target adjustments (方案版本, 方案调整): pure Python, no SQL.

A scheme's definition (its YAML file) can be replaced by a new *version* with an
effective date and a reason. :class:`RegistryHistory` holds the ordered versions of
every scheme; the status engine judges each as-of date by the version in force on
that date (:meth:`RegistryHistory.indicator_at`, :meth:`RegistryHistory.scheme_at`).

Rules (docs/workbench.md, "Registry versions"):

* The shipped YAML is version 1, effective from the scheme's period start, until the
  database holds versions of that scheme; then the stored ones are the history (the
  first publication stores the shipped file as version 1 beside the new one).
* The version in force on a date is the highest version whose effective date is on or
  before it; before the first effective date, the first version.
* The indicators listed are those of the current (highest) version. An indicator absent
  from the version in force on a date (added later) is judged by the first version
  that has it; one removed later keeps its last definition in older versions.
  Values are keyed by indicator id and never touched by a publication.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Optional

import yaml

from .model import Indicator, Kind, Scheme, SchemeFile
from .registry import Registry, RegistryError, RegistryInvalid, error_text, load_text
from .values import fmt_number

SHIPPED, PUBLISH, ADJUST = "shipped", "publish", "adjust"
ACTION_LABELS = {SHIPPED: "随系统发布", PUBLISH: "发布", ADJUST: "调整目标"}


@dataclass(frozen=True)
class SchemeVersion:
    scheme_id: str
    version: int
    effective_from: date
    scheme: Scheme
    indicators: tuple[Indicator, ...]
    text: str = ""                       # the YAML text (the exchange format)
    reason: str = ""
    action: str = SHIPPED
    published_by: str = ""
    published_at: Optional[datetime] = None
    stored: bool = False                 # False: the shipped file standing as version 1

    def indicator(self, indicator_id: str) -> Optional[Indicator]:
        return next((i for i in self.indicators if i.id == indicator_id), None)

    @property
    def fingerprint(self) -> str:
        parts = [self.scheme.model_dump(mode="json")] + [i.model_dump(mode="json") for i in self.indicators]
        text = json.dumps([self.version, self.effective_from.isoformat(), parts], sort_keys=True,
                          ensure_ascii=False, default=str)
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- validation (Chinese messages)

class VersionRefused(ValueError):
    """A version that cannot be published; ``str(exc)`` is the Chinese message, ``errors`` each problem."""

    def __init__(self, message: str, errors: Optional[list[str]] = None):
        super().__init__(message)
        self.errors = errors or [message]


def parse_definition(text: str, name: str = "方案文件", scheme_id: Optional[str] = None,
                     others: Optional[Registry] = None) -> SchemeFile:
    """Validate a scheme's YAML text with the registry loader's rules (the same as the shipped files).

    ``scheme_id``: the scheme it must define; ``others``: the registry whose other schemes' indicator
    ids it must not reuse. Raises :class:`VersionRefused` listing every problem in Chinese."""
    sf, errors = load_text(text, name)
    msgs = [error_text(e) for e in errors]
    if sf is not None and scheme_id is not None and sf.scheme.id != scheme_id:
        msgs.append(f"字段 scheme.id:文件定义的是方案 {sf.scheme.id},不是方案 {scheme_id}")
    if sf is not None:
        seen: set[str] = set()
        for ind in sf.indicators:
            if ind.id in seen:
                msgs.append(f"指标 {ind.id}、字段 id:指标编号重复")
            seen.add(ind.id)
            other = others.indicators.get(ind.id) if others is not None else None
            if other is not None and other.scheme != sf.scheme.id:
                msgs.append(f"指标 {ind.id}、字段 id:编号已被方案 {other.scheme} 使用")
    if msgs:
        raise VersionRefused(f"{name}未通过校验,未发布:\n" + "\n".join(msgs), msgs)
    return sf


def dump_definition(scheme: Scheme, indicators: Iterable[Indicator]) -> str:
    """The YAML text of a definition (what an adjustment publishes and an export writes)."""
    data = {"scheme": scheme.model_dump(mode="json", exclude_none=True),
            "indicators": [i.model_dump(mode="json", exclude_none=True) for i in indicators]}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def effective_problem(new: date, previous_version: int, previous_from: Optional[date]) -> str:
    """Why a version may not take effect on ``new`` ("" if it may): not before the version it
    follows (the same day is allowed: the later version wins, e.g. a correction)."""
    if previous_from is not None and new < previous_from:
        return (f"生效日期{new.isoformat()}早于当前第{previous_version}版的生效日期"
                f"{previous_from.isoformat()},未发布")
    return ""


def publication_problems(reason: str, user: str) -> list[str]:
    """Who and why are required of every publication (the audit history)."""
    out = []
    if not (reason or "").strip():
        out.append("请填写调整依据或发布原因(如调整文件的名称和文号)")
    if not (user or "").strip():
        out.append("缺少发布人")
    return out


def adjusted_definition(version: SchemeVersion, indicator_id: str, value: float) -> str:
    """The YAML of ``version`` with one indicator's target value changed (方案调整)."""
    ind = version.indicator(indicator_id)
    if ind is None:
        raise VersionRefused(f"方案 {version.scheme_id} 第{version.version}版没有指标 {indicator_id}")
    if ind.kind not in (Kind.annual, Kind.cumulative, Kind.rate, Kind.share):
        raise VersionRefused(f"指标 {indicator_id}({ind.name})的目标不是单一数值({ind.kind.value}),"
                             "请导出YAML修改后发布")
    target = ind.target.model_copy(update={"value": float(value), "text": _reworded(ind, float(value))})
    changed = ind.model_copy(update={"target": target})
    inds = [changed if i.id == indicator_id else i for i in version.indicators]
    return dump_definition(version.scheme, inds)


def _reworded(ind: Indicator, value: float) -> str:
    """The target's wording with the new number (实用新型专利500件以上 -> …600件以上) where the old
    number occurs once in it; else empty, so pages show the number itself."""
    old = fmt_number(ind.target.value, ind.decimals) if ind.target.value is not None else ""
    text = ind.target.text
    if not old or len(re.findall(rf"(?<![\d.]){re.escape(old)}(?![\d.])", text)) != 1:
        return ""
    return re.sub(rf"(?<![\d.]){re.escape(old)}(?![\d.])", fmt_number(value, ind.decimals), text)


# ---------------------------------------------------------------- the history

def target_phrase(ind: Indicator) -> str:
    """A target in words for the adjustment history: 500件, 2—3家, 参照值的2倍, 完成."""
    t, u, d = ind.target, ind.unit, ind.decimals
    if ind.kind is Kind.milestone:
        return "完成"
    if ind.kind is Kind.range:
        return f"{fmt_number(t.min, d)}—{fmt_number(t.max, d)}{u}"
    if ind.kind in (Kind.relative_reference, Kind.relative_baseline):
        base = "参照值" if ind.kind is Kind.relative_reference else "基线"
        return f"{base}的{fmt_number(t.factor, 2).rstrip('0').rstrip('.')}倍"
    return "未设置" if t.value is None else f"{fmt_number(t.value, d)}{u}"


@dataclass(frozen=True)
class TargetChange:
    indicator_id: str
    version: int
    effective_from: date
    old: str
    new: str
    reason: str

    @property
    def text(self) -> str:
        why = f",依据{self.reason}" if self.reason else ""
        return f"{self.effective_from.isoformat()}起{self.old and '由' + self.old}调整为{self.new}{why}"


@dataclass
class RegistryHistory:
    """The ordered versions of every scheme; ``registry`` is made of each scheme's current version."""

    versions_by_scheme: dict[str, list[SchemeVersion]]
    counter: int = 0          # the store's version counter this history was read at (0: shipped only)
    registry: Registry = field(init=False)

    def __post_init__(self):
        reg = Registry()
        for sid, vs in self.versions_by_scheme.items():
            vs.sort(key=lambda v: v.version)
            cur = vs[-1]
            reg.schemes[sid] = cur.scheme
            reg.files[sid] = f"{sid}.yaml"
            for ind in cur.indicators:
                reg.indicators[ind.id] = ind
        self.registry = reg

    @classmethod
    def shipped(cls, registry: Registry, texts: Optional[dict[str, str]] = None) -> "RegistryHistory":
        """Each scheme of the shipped registry as its version 1."""
        texts = texts or {}
        return cls({sid: [_shipped_version(registry, sid, texts.get(sid, ""))] for sid in registry.schemes})

    @classmethod
    def from_rows(cls, registry: Registry, rows: Iterable, texts: Optional[dict[str, str]] = None,
                  counter: int = 0) -> "RegistryHistory":
        """The shipped registry overridden by stored versions (rows with scheme_id, version, definition,
        effective_from, reason, action, published_by, published_at). Stored texts were validated when
        published; one that no longer loads raises :class:`RegistryInvalid` (never half-loaded)."""
        texts = texts or {}
        stored: dict[str, list[SchemeVersion]] = {}
        errors: list[RegistryError] = []
        for r in rows:
            sf, errs = load_text(r.definition, f"{r.scheme_id} 第{r.version}版")
            errors += errs
            if sf is None or errs:
                continue
            stored.setdefault(r.scheme_id, []).append(SchemeVersion(
                r.scheme_id, r.version, r.effective_from, sf.scheme, tuple(sf.indicators), r.definition,
                r.reason, r.action, r.published_by, r.published_at, stored=True))
        if errors:
            raise RegistryInvalid(errors)
        out: dict[str, list[SchemeVersion]] = {}
        for sid in registry.schemes:
            out[sid] = stored.pop(sid, None) or [_shipped_version(registry, sid, texts.get(sid, ""))]
        out.update(stored)   # schemes that exist only in the database
        return cls(out, counter)

    # -- lookups
    def versions(self, scheme_id: str) -> list[SchemeVersion]:
        return list(self.versions_by_scheme.get(scheme_id, []))

    def current(self, scheme_id: str) -> SchemeVersion:
        return self.versions_by_scheme[scheme_id][-1]

    def version(self, scheme_id: str, number: int) -> Optional[SchemeVersion]:
        return next((v for v in self.versions_by_scheme.get(scheme_id, []) if v.version == number), None)

    def in_force(self, scheme_id: str, as_of: date) -> SchemeVersion:
        vs = self.versions_by_scheme[scheme_id]
        found = [v for v in vs if v.effective_from <= as_of]
        return found[-1] if found else vs[0]

    def scheme_at(self, scheme_id: str, as_of: date) -> Scheme:
        return self.in_force(scheme_id, as_of).scheme

    def indicator_at(self, indicator: Indicator, as_of: date) -> Indicator:
        """The definition of ``indicator`` in force on ``as_of`` (see the module's rules)."""
        vs = self.versions_by_scheme.get(indicator.scheme)
        if not vs or len(vs) == 1:
            return indicator
        v = self.in_force(indicator.scheme, as_of)
        found = v.indicator(indicator.id)
        if found is not None:
            return found
        later = [x for x in vs if x.version > v.version and x.indicator(indicator.id) is not None]
        return later[0].indicator(indicator.id) if later else indicator

    def fingerprint(self, scheme_id: str) -> str:
        """Of every version of a scheme (the status snapshot's scheme_version)."""
        vs = self.versions_by_scheme[scheme_id]
        if len(vs) == 1:
            return ""
        text = "|".join(v.fingerprint for v in vs)
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    # -- the history of a target
    def target_changes(self, indicator_id: str) -> list[TargetChange]:
        """Each change of an indicator's target (or deadline) from one version to the next, oldest first."""
        ind = self.registry.indicators.get(indicator_id)
        scheme_id = ind.scheme if ind is not None else indicator_id.split("_", 1)[0]
        out = []
        prev: Optional[Indicator] = None
        seen = False
        for v in self.versions_by_scheme.get(scheme_id, []):
            cur = v.indicator(indicator_id)
            if cur is not None and prev is not None:
                old, new = target_phrase(prev), target_phrase(cur)
                if cur.deadline != prev.deadline:
                    old += f"(截止{prev.deadline.isoformat()})"
                    new += f"(截止{cur.deadline.isoformat()})"
                if old != new:
                    out.append(TargetChange(indicator_id, v.version, v.effective_from, old, new, v.reason))
            elif cur is not None and seen:
                out.append(TargetChange(indicator_id, v.version, v.effective_from, "",
                                        target_phrase(cur) + "(重新纳入)", v.reason))
            elif cur is None and prev is not None:
                out.append(TargetChange(indicator_id, v.version, v.effective_from, target_phrase(prev),
                                        "不再考核(已填报的数值保留)", v.reason))
            seen = seen or cur is not None
            prev = cur
        return out

    def target_history_text(self, indicator_id: str) -> list[str]:
        """["2024-06-30起由500件调整为600件,依据…", ...]: the detail page and the Word report."""
        return [c.text for c in self.target_changes(indicator_id)]


def _shipped_version(registry: Registry, scheme_id: str, text: str) -> SchemeVersion:
    scheme = registry.schemes[scheme_id]
    return SchemeVersion(scheme_id, 1, scheme.period.start.first_day, scheme,
                         tuple(registry.scheme_indicators(scheme_id)), text or registry.file_text(scheme_id), "随系统发布的方案文件", SHIPPED)


# ---------------------------------------------------------------- judging by the version in force

def evaluate_quarters_versioned(history: Optional[RegistryHistory], indicator: Indicator, scheme: Scheme,
                                observations, quarters, references, baseline, judge=None) -> dict:
    """:func:`indicators.status.evaluate_quarters` (or ``judge``, e.g. the snapshot's
    :func:`indicators.status.classify_quarters`, same signature) with each quarter judged by the
    definitions in force at its end (quarters sharing a definition evaluated together).
    ``references`` is keyed by reference series id (a version may change which series a target
    refers to)."""
    from .status import evaluate_quarters

    evaluate_quarters = judge or evaluate_quarters
    if history is None:   # one definition for every quarter (the snapshot's common case)
        ref = references.get(indicator.target.reference) if indicator.target.reference else None
        return evaluate_quarters(indicator, scheme, observations, quarters, reference=ref, baseline=baseline)

    groups: dict[tuple[int, int], tuple[Indicator, Scheme, list]] = {}
    for q in quarters:
        if history is None:
            ind, sch = indicator, scheme
        else:
            ind, sch = history.indicator_at(indicator, q.end), history.scheme_at(indicator.scheme, q.end)
        groups.setdefault((id(ind), id(sch)), (ind, sch, []))[2].append(q)
    out = {}
    for ind, sch, qs in groups.values():
        ref = references.get(ind.target.reference) if ind.target.reference else None
        out.update(evaluate_quarters(ind, sch, observations, qs, reference=ref, baseline=baseline))
    return {q: out[q] for q in quarters}
