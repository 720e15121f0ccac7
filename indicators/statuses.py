"""The eight statuses, their Chinese labels and how a light is drawn.

Colours are Okabe–Ito (colour-blind safe); a light always carries shape and
label too, never colour alone. 逾期完成 (achieved_late) is a milestone done
after its deadline: done, but not on time, so it is counted apart from 达标.
"""
from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    achieved = "achieved"
    achieved_late = "achieved_late"
    on_track = "on_track"
    warning = "warning"
    behind = "behind"
    missed = "missed"
    no_data = "no_data"
    not_due = "not_due"

    @property
    def label(self) -> str:
        return LABELS[self]

    @property
    def colour(self) -> str:
        return COLOURS[self]

    @property
    def shape(self) -> str:
        return SHAPES[self]


LABELS = {
    Status.achieved: "达标",
    Status.achieved_late: "逾期完成",
    Status.on_track: "正常",
    Status.warning: "预警",
    Status.behind: "滞后",
    Status.missed: "逾期未达标",
    Status.no_data: "未填报",
    Status.not_due: "未到期",
}
COLOURS = {
    Status.achieved: "#007A5E",
    Status.achieved_late: "#CC79A7",
    Status.on_track: "#009E73",
    Status.warning: "#E69F00",
    Status.behind: "#D55E00",
    Status.missed: "#8B1E1E",
    Status.no_data: "#8C8C8C",
    Status.not_due: "#56B4E9",
}
SHAPES = {
    Status.achieved: "✔",
    Status.achieved_late: "◆",
    Status.on_track: "●",
    Status.warning: "▲",
    Status.behind: "▼",
    Status.missed: "✖",
    Status.no_data: "○",
    Status.not_due: "◌",
}
# Worst first: the order boards and counts are shown in.
SEVERITY = [Status.missed, Status.behind, Status.warning, Status.no_data, Status.on_track, Status.achieved_late,
            Status.achieved, Status.not_due]
# Rank for "a larger value never gives a worse status" (higher is better).
# A milestone done late is done (rank of achieved): lateness comes from the date, not from the value.
RANK = {Status.missed: 0, Status.behind: 1, Status.warning: 2, Status.on_track: 3, Status.achieved: 4,
        Status.achieved_late: 4}
