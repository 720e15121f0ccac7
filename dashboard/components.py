"""Small UI pieces shared by the pages: lights, numbers with units, progress bars."""
from __future__ import annotations

from typing import Optional

from dash import html

from indicators.model import Indicator
from indicators.values import fmt_number, fmt_quantity  # noqa: F401  (fmt_number re-exported for pages)
from indicators.statuses import SEVERITY, Status

from . import datastatus

FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'


def fmt_value(value: Optional[float], ind: Indicator) -> str:
    """A figure as every page and export shows it (the one formatter); a milestone in words."""
    if ind.kind.value == "milestone":
        if value is None:
            return "—"
        return "已完成" if value >= 1 else "未完成"
    return fmt_quantity(value, ind)


def target_text(ind: Indicator) -> str:
    t = ind.target
    if t.text:
        return t.text
    if ind.kind.value == "range" and t.min is not None:
        return f"{fmt_number(t.min, ind.decimals)}—{fmt_quantity(t.max, ind)}"
    if t.value is not None:
        return fmt_value(t.value, ind)
    return "—"


def light(status: Status, indicator_id: str = "", size: str = "", stale: bool = False) -> html.Span:
    """A traffic light: colour + shape + label, never colour alone."""
    status = Status(status)
    return html.Span(
        [html.Span(status.shape, className="light-shape", **{"aria-hidden": "true"}),
         html.Span(status.label, className="light-label")],
        className=f"light light-{status.value} {size} {'light-stale' if stale else ''}".strip(),
        title=status.label + ("(沿用最近一次填报)" if stale else ""),
        **{"data-status": status.value, "data-indicator": indicator_id},
    )


def data_badge(status: Optional[str]):
    """The data status of a figure as a labelled badge (待审核, 已退回, 未报送, 已审核) with
    its explanation as tooltip; None for a figure without one."""
    if not status:
        return None
    return html.Span(datastatus.label(status), className=f"data-badge data-badge-{status}",
                     title=datastatus.EXPLANATIONS[status], **{"data-review": status})


def progress_bar(p: Optional[float], status: Status) -> html.Div:
    """Progress against the expected path; full width at p = 1."""
    pct = 0 if p is None else max(0.0, min(p, 1.0)) * 100
    label = "—" if p is None else f"{p * 100:.0f}%"
    return html.Div(
        [html.Div(className=f"pbar-fill bg-{Status(status).value}", style={"width": f"{pct:.0f}%"}),
         html.Span(label, className="pbar-label")],
        className="pbar", title=f"完成进度 {label}",
    )


TREND_ARROWS = {"up": ("↑", "较上季度上升"), "flat": ("→", "与上季度持平"), "down": ("↓", "较上季度下降")}


def trend_arrow(trend: Optional[str]) -> html.Span:
    arrow, text = TREND_ARROWS.get(trend or "", ("·", "无上季度数据"))
    return html.Span(arrow, className=f"trend trend-{trend or 'none'}", title=text)


def status_counts(counts: dict, total: int) -> html.Div:
    cells = []
    for s in SEVERITY:
        n = counts.get(s.value, counts.get(s, 0))
        cells.append(html.Div([light(s, size="light-sm"), html.Span(str(n), className="count-n")],
                              className="count-cell", **{"data-count-status": s.value}))
    cells.append(html.Div([html.Span("合计", className="count-total-label"), html.Span(str(total), className="count-n")],
                          className="count-cell count-total"))
    return html.Div(cells, className="status-counts")
