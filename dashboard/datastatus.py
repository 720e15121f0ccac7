"""Data status (数据状态) of the figures shown: approved by the office or not yet.

Pure functions on plain data (no Dash, no SQL): ``MonitorService.data_status``
gathers the inputs through the store and the pages and exports render the
result. The rule (docs/status-method.md, "Data status"): a figure is governed by
the submission of its reporting unit (``Indicator.reporting_unit``) for the
quarter whose value it shows: the selected quarter's value, or, where the status
engine judges another quarter's value (after the deadline: the deadline
quarter's; a milestone: the quarter reported done), that quarter's. A figure
without a value of its own quarter (carried forward, 未填报) has no data status.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

from indicators.model import Indicator
from indicators.periods import Quarter

from .entry.reporting import handover_state

APPROVED, SUBMITTED, RETURNED, DRAFT = "approved", "submitted", "returned", "draft"
DATA_STATUSES = (APPROVED, SUBMITTED, RETURNED, DRAFT)
LABELS = {APPROVED: "已审核", SUBMITTED: "待审核", RETURNED: "已退回", DRAFT: "未报送"}
# What the badge's tooltip says (never colour alone: the label is the mark).
EXPLANATIONS = {
    APPROVED: "该数值已经领导小组办公室审核通过",
    SUBMITTED: "填报单位已报送,等待领导小组办公室审核",
    RETURNED: "领导小组办公室已退回,等待填报单位修改后重新报送",
    DRAFT: "填报单位尚未报送(草稿),数据可能还会修改",
}


def unit_state(state: Optional[str], last_action: Optional[str] = None) -> str:
    """The data status of one unit's quarter: the same rule as the to-do lists and the
    form (dashboard.entry.reporting.handover_state)."""
    return handover_state(state, last_action)


@dataclass(frozen=True)
class DataStatus:
    """Per indicator the data status of its figure for one quarter, and the counts."""

    quarter: Quarter
    by_indicator: dict[str, Optional[str]]   # indicator id -> approved|submitted|returned|draft, None: no figure
    counts: dict[str, int] = field(default_factory=dict)  # data status -> number of reported figures

    @property
    def reported(self) -> int:
        """Reported figures shown (indicators with a data status)."""
        return sum(self.counts.values())

    @property
    def approved(self) -> int:
        return self.counts.get(APPROVED, 0)

    def of(self, indicator_id: str) -> Optional[str]:
        return self.by_indicator.get(indicator_id)

    def summary_text(self) -> str:
        """One sentence for the overview and the Word report."""
        if not self.reported:
            return f"截至{self.quarter.label}尚无已填报的数值。"
        text = f"截至{self.quarter.label},状态评价所用的{self.reported}项填报数值中,已审核{self.approved}项"
        rest = [f"{LABELS[s]}{self.counts[s]}项" for s in DATA_STATUSES[1:] if self.counts.get(s)]
        return text + ("(" + "、".join(rest) + ")" if rest else "") + "。"


def label(status: Optional[str]) -> str:
    """已审核 / 待审核 / 已退回 / 未报送, or "" when there is nothing to mark."""
    return LABELS.get(status or "", "")


def mark(status: Optional[str]) -> Optional[str]:
    """The status to mark next to a figure: only figures not yet approved are marked
    (what still needs review stands out; an approved figure needs no badge)."""
    return None if status == APPROVED else status


def figure_status(value: Optional[float], unit_states: Mapping[str, str], unit: str) -> Optional[str]:
    """The data status of one stored value given its quarter's unit states (None: no value)."""
    return None if value is None else unit_states.get(unit, DRAFT)


def shown_quarters(results: Iterable) -> dict[str, Optional[Quarter]]:
    """Indicator id -> the quarter whose reported value the figure shows (``Result.value_period``),
    None for a figure carried forward from an earlier quarter (stale) or without a value."""
    return {r.indicator_id: (None if r.stale else r.value_period) for r in results}


def data_status(indicators: Iterable[Indicator], quarter: Quarter,
                observations: Mapping[str, Mapping[Quarter, Optional[float]]],
                unit_states: Mapping[Quarter, Mapping[str, str]],
                shown: Optional[Mapping[str, Optional[Quarter]]] = None) -> DataStatus:
    """The data status of each indicator's figure as of ``quarter``.

    ``observations``: indicator id -> {Quarter: value} (None = no value, e.g. an
    explained gap); ``unit_states``: Quarter -> reporting unit -> data status of the
    unit's submission (see :func:`unit_state`; a unit missing is a draft);
    ``shown``: indicator id -> the quarter whose value the figure shows (see
    :func:`shown_quarters`; None = no figure of its own). Without ``shown`` every
    figure is the selected quarter's value.
    """
    by_indicator: dict[str, Optional[str]] = {}
    counts: dict[str, int] = {}
    for ind in indicators:
        q = quarter if shown is None else shown.get(ind.id, quarter)
        value = None if q is None else observations.get(ind.id, {}).get(q)
        status = by_indicator[ind.id] = figure_status(value, unit_states.get(q, {}), ind.reporting_unit)
        if status is not None:
            counts[status] = counts.get(status, 0) + 1
    return DataStatus(quarter, by_indicator, counts)
