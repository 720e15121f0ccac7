"""The status vocabulary: 逾期完成 is a status of its own, shown and counted apart from 达标."""
from __future__ import annotations

from indicators.rollup import summarise
from indicators.statuses import COLOURS, LABELS, SEVERITY, SHAPES, Status


def test_done_late_has_its_own_label_shape_and_colour():
    late = Status.achieved_late
    assert late.label == "逾期完成"
    assert late.shape != Status.achieved.shape and late.colour != Status.achieved.colour
    # Every status is drawn, labelled and ordered: nothing falls back to 达标.
    assert set(LABELS) == set(COLOURS) == set(SHAPES) == set(SEVERITY) == set(Status)
    assert len(set(LABELS.values())) == len(Status) and len(set(SHAPES.values())) == len(Status)
    # Between 正常 and 达标 on boards and counts.
    assert SEVERITY.index(Status.on_track) < SEVERITY.index(late) < SEVERITY.index(Status.achieved)
