"""Data status (数据状态) of the figures shown: approved by the office or not yet.

Pure functions on plain data (no Dash, no SQL): ``MonitorService.data_status``
gathers the inputs through the store and the pages and exports render the
result. The rule (docs/status-method.md, "Data status"): the figure an
indicator shows for a quarter is governed by the submission of that quarter by
the indicator's reporting unit (``Indicator.reporting_unit``); an indicator
without a value reported for that quarter has no data status (nothing to mark).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

from indicators.model import Indicator
from indicators.periods import Quarter

APPROVED, SUBMITTED, RETURNED, DRAFT = "approved", "submitted", "returned", "draft"
DATA_STATUSES = (APPROVED, SUBMITTED, RETURNED, DRAFT)
LABELS = {APPROVED: "已审核", SUBMITTED: "待审核", RETURNED: "已退回", DRAFT: "未报送"}
# What the badge's tooltip says (never colour alone: the label is the mark).
EXPLANATIONS = {
    APPROVED: "本季度数据已经领导小组办公室审核通过",
    SUBMITTED: "填报单位已报送,等待领导小组办公室审核",
    RETURNED: "领导小组办公室已退回,等待填报单位修改后重新报送",
    DRAFT: "填报单位尚未报送(草稿),数据可能还会修改",
}


def unit_state(state: Optional[str], last_action: Optional[str] = None) -> str:
    """The data status of one unit's quarter from its submission state
    (draft|submitted|approved, None when there is no submission) and the action of
    its last submission event: a draft whose last event is a reopen was returned."""
    if state in (APPROVED, SUBMITTED):
        return state
    return RETURNED if last_action == "reopen" else DRAFT


@dataclass(frozen=True)
class DataStatus:
    """Per indicator the data status of its figure for one quarter, and the counts."""

    quarter: Quarter
    by_indicator: dict[str, Optional[str]]   # indicator id -> approved|submitted|returned|draft, None: no value
    counts: dict[str, int] = field(default_factory=dict)  # data status -> number of reported figures

    @property
    def reported(self) -> int:
        """Figures reported for the quarter (indicators with a value)."""
        return sum(self.counts.values())

    @property
    def approved(self) -> int:
        return self.counts.get(APPROVED, 0)

    def of(self, indicator_id: str) -> Optional[str]:
        return self.by_indicator.get(indicator_id)

    def summary_text(self) -> str:
        """One sentence for the overview and the Word report."""
        if not self.reported:
            return f"{self.quarter.label}尚无已填报的数据。"
        text = f"{self.quarter.label}已填报的{self.reported}项数据中,已审核{self.approved}项"
        rest = [f"{LABELS[s]}{self.counts[s]}项" for s in DATA_STATUSES[1:] if self.counts.get(s)]
        return text + ("(" + "、".join(rest) + ")" if rest else "") + "。"


def label(status: Optional[str]) -> str:
    """已审核 / 待审核 / 已退回 / 未报送, or "" when there is nothing to mark."""
    return LABELS.get(status or "", "")


def mark(status: Optional[str]) -> Optional[str]:
    """The status to mark next to a figure: only figures not yet approved are marked
    (what still needs review stands out; an approved figure needs no badge)."""
    return None if status == APPROVED else status


def data_status(indicators: Iterable[Indicator], quarter: Quarter,
                observations: Mapping[str, Mapping[Quarter, Optional[float]]],
                unit_states: Mapping[str, str]) -> DataStatus:
    """The data status of each indicator's figure for ``quarter``.

    ``observations``: indicator id -> {Quarter: value} (None = no value, e.g. an
    explained gap); ``unit_states``: reporting unit -> data status of its
    submission for ``quarter`` (see :func:`unit_state`; a unit missing is a draft).
    """
    by_indicator: dict[str, Optional[str]] = {}
    counts: dict[str, int] = {}
    for ind in indicators:
        value = observations.get(ind.id, {}).get(quarter)
        if value is None:
            by_indicator[ind.id] = None
            continue
        status = unit_states.get(ind.reporting_unit, DRAFT)
        by_indicator[ind.id] = status
        counts[status] = counts.get(status, 0) + 1
    return DataStatus(quarter, by_indicator, counts)
