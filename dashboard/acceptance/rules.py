"""The acceptance checklist (验收清单) as pure functions: rows from the status results, the
evidence and ledger counts and the 已核验 marks; what each row still lacks; the filters.

Callers (the page, the package, the command) gather the inputs (:mod:`.collect`); the rules
live here once. Ledgers (台账) are optional: an indicator has one when the registry gives it a
``ledger`` attribute, and the counts come only from a service that offers them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Mapping, Optional, Sequence

from indicators.periods import Quarter
from indicators.statuses import Status

# What a row may lack (the three cases, and no figure at all).
NO_VALUE = "尚无填报数值"
NO_EVIDENCE = "有数值但无佐证材料"
MILESTONE_NO_DOCUMENT = "里程碑已完成但无佐证文件"
NO_LEDGER = "有数值但无台账"

VERIFIED, COMPLETE, INCOMPLETE = "verified", "complete", "incomplete"
STATE_LABELS = {VERIFIED: "已核验", COMPLETE: "材料齐全", INCOMPLETE: "有缺项"}


def judged_quarter(scheme, today: date) -> Quarter:
    """The quarter the checklist judges: the scheme's last quarter once it has ended, before
    that the latest ended quarter (never before the scheme's first). Evaluated there, an
    indicator past its deadline has its final status (indicators/status.py: judged at the
    deadline quarter)."""
    first = Quarter.containing(scheme.period.start.first_day)
    last = Quarter.containing(scheme.period.end.first_day)
    return max(first, min(last, Quarter.latest_ended(today)))


def has_ledger(ind) -> bool:
    """Does the registry keep a ledger (台账) for this indicator? Missing attribute: no."""
    return bool(getattr(ind, "ledger", None))


def missing_items(kind: str, actual: Optional[float], evidence: int, ledger: bool = False,
                  ledger_rows: Optional[int] = None, flags: Sequence[str] = ()) -> list[str]:
    """What an indicator still lacks for acceptance, in Chinese, empty when nothing.

    * no figure at all: 尚无填报数值;
    * a milestone reported done (value ≥ 1) without any evidence file: 里程碑已完成但无佐证文件;
    * any other figure without any evidence file: 有数值但无佐证材料;
    * a figure of an indicator kept in a ledger whose ledger has no row: 有数值但无台账;
    * and whatever the ledger itself flags (``flags``, e.g. rows that do not add up to the figure).
    """
    out: list[str] = []
    if actual is None:
        out.append(NO_VALUE)
    elif kind == "milestone":
        if actual >= 1 and evidence <= 0:
            out.append(MILESTONE_NO_DOCUMENT)
    elif evidence <= 0:
        out.append(NO_EVIDENCE)
    # The ledger's own "尚未登记台账:…" says the same with the quarter and the figure: once.
    if ledger and actual is not None and not ledger_rows and not any(f.startswith("尚未登记台账") for f in flags):
        out.append(NO_LEDGER)
    out.extend(f for f in flags if f and f not in out)
    return out


@dataclass(frozen=True)
class Row:
    """One indicator of the checklist."""

    indicator_id: str
    name: str
    dimension: str
    kind: str
    reporting_unit: str
    units: tuple[str, ...]          # lead and responsible units
    clause: str
    quote: str
    target_text: str
    value_text: str
    status: Status
    evidence: int
    ledger: Optional[int]           # rows of its ledger; None: the indicator has no ledger
    missing: tuple[str, ...]
    verified_by: Optional[str] = None
    verified_at: Optional[object] = None
    order: int = 0

    @property
    def verified(self) -> bool:
        return self.verified_by is not None

    @property
    def state(self) -> str:
        if self.verified:
            return VERIFIED
        return INCOMPLETE if self.missing else COMPLETE

    @property
    def state_text(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def status_text(self) -> str:
        return f"{self.status.shape} {self.status.label}"

    @property
    def missing_text(self) -> str:
        return ";".join(self.missing) if self.missing else "无"

    @property
    def ledger_text(self) -> str:
        return "—" if self.ledger is None else f"{self.ledger}行"


def build_rows(lines: Iterable, evidence: Mapping[str, int], marks: Mapping[str, object],
               ledger_counts: Optional[Mapping[str, int]] = None,
               ledger_flags: Optional[Mapping[str, Sequence[str]]] = None) -> list[Row]:
    """Checklist rows from ``lines`` (objects with ``ind`` and ``res`` and the texts
    ``target_text``/``actual_text``, as :class:`dashboard.reports.Line`), in their order.

    ``evidence``: indicator id -> files not removed; ``marks``: indicator id -> its current
    已核验 mark (``verified_by``, ``verified_at``); ``ledger_counts``/``ledger_flags``: from the
    ledgers when there are any (None: no ledger data at all)."""
    ledger_counts = ledger_counts or {}
    ledger_flags = ledger_flags or {}
    rows = []
    for n, ln in enumerate(lines):
        ind, res = ln.ind, ln.res
        kind = ind.kind.value
        keeps = has_ledger(ind)
        ledger_n = int(ledger_counts.get(ind.id, 0) or 0) if keeps else None
        n_ev = int(evidence.get(ind.id, 0) or 0)
        mark = marks.get(ind.id)
        rows.append(Row(
            indicator_id=ind.id, name=ind.name, dimension=ind.dimension, kind=kind,
            reporting_unit=ind.reporting_unit, units=tuple(ind.all_units), clause=ind.clause, quote=ind.quote,
            target_text=ln.target_text, value_text=ln.actual_text, status=res.status, evidence=n_ev,
            ledger=ledger_n,
            missing=tuple(missing_items(kind, res.actual, n_ev, keeps, ledger_n, ledger_flags.get(ind.id, ()))),
            verified_by=getattr(mark, "verified_by", None), verified_at=getattr(mark, "verified_at", None),
            order=n))
    return rows


def filter_rows(rows: Iterable[Row], unit: Optional[str] = None, dimension: Optional[str] = None) -> list[Row]:
    """Rows of ``unit`` (a lead or responsible unit of the indicator) and ``dimension``; None: all."""
    return [r for r in rows if (not unit or unit in r.units) and (not dimension or r.dimension == dimension)]


def unit_options(rows: Iterable[Row]) -> list[str]:
    """Every unit named by the rows, reporting units first, each once, in registry order."""
    rows = list(rows)
    return list(dict.fromkeys([r.reporting_unit for r in rows] + [u for r in rows for u in r.units]))


def dimension_options(rows: Iterable[Row]) -> list[str]:
    return list(dict.fromkeys(r.dimension for r in rows))


@dataclass(frozen=True)
class Summary:
    total: int
    complete: int       # nothing missing (verified or not)
    incomplete: int
    verified: int
    by_missing: dict = field(default_factory=dict)   # kind of missing item (missing_kind) -> rows

    @property
    def text(self) -> str:
        parts = [f"共{self.total}项", f"材料齐全{self.complete}项", f"有缺项{self.incomplete}项",
                 f"已核验{self.verified}项"]
        return ",".join(parts) + "。"


def missing_kind(text: str) -> str:
    """The kind of a missing item, for the summary line: the fixed texts are their own kind; a
    ledger's flag names one enterprise or one quarter, so it is counted under its kind
    (indicators.ledger writes 台账重复:…, 尚未登记台账:…, …与台账不一致:…, …统一社会信用代码…)."""
    for kind in ("台账重复", "尚未登记台账"):
        if text.startswith(kind):
            return kind
    if "与台账不一致" in text:
        return "填报值与台账不一致"
    if "统一社会信用代码" in text:
        return "台账中统一社会信用代码有误"
    return text


def summarise(rows: Iterable[Row]) -> Summary:
    rows = list(rows)
    by: dict[str, int] = {}
    for r in rows:
        for kind in dict.fromkeys(missing_kind(m) for m in r.missing):  # a row counts once per kind
            by[kind] = by.get(kind, 0) + 1
    incomplete = sum(1 for r in rows if r.missing)
    return Summary(len(rows), len(rows) - incomplete, incomplete, sum(1 for r in rows if r.verified), by)
