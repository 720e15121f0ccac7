"""The indicator chart writes its shapes and labels itself (plotly's add_vrect/add_hline/
add_vline were 60 % of the detail callback): it must draw exactly what those helpers drew."""
from __future__ import annotations

import plotly.graph_objects as go
import pytest

from dashboard import figures
from indicators.periods import Quarter
from indicators.registry import load_registry

REGISTRY = load_registry()


def reference_chart(ind, scheme, points, target, as_of) -> go.Figure:
    """The chart as first written, with plotly's helpers."""
    fig = go.Figure()
    xs = [q.end.isoformat() for q, _, _ in points]
    for i, st in enumerate(scheme.stages):
        x1 = (st.end.last_day if st.end else max([ind.deadline, as_of.end, scheme.period.end.last_day])).isoformat()
        fig.add_vrect(x0=st.start.first_day.isoformat(), x1=x1, fillcolor=figures.STAGE_FILLS[i % len(figures.STAGE_FILLS)],
                      opacity=1, layer="below", line_width=0,
                      annotation_text=st.name, annotation_position="top left", annotation_font_size=11)
    unit = "" if ind.kind.value == "milestone" else ind.unit
    fig.add_trace(go.Scatter(x=xs, y=[e for _, _, e in points], name="按进度应达", mode="lines",
                             line={"color": "#666", "dash": "dash", "width": 2}, connectgaps=True))
    fig.add_trace(go.Scatter(x=xs, y=[a for _, a, _ in points], name="实际", mode="lines+markers",
                             line={"color": "#0072B2", "width": 3}, marker={"size": 8, "symbol": "circle"}))
    if target is not None:
        fig.add_hline(y=target, line={"color": "#007A5E", "width": 2},
                      annotation_text=f"目标 {target:g}{unit}", annotation_position="top right")
    fig.add_vline(x=ind.deadline.isoformat(), line={"color": "#8B1E1E", "width": 2, "dash": "dot"})
    fig.add_annotation(x=ind.deadline.isoformat(), y=0, yref="paper", text=f"截止 {ind.deadline:%Y-%m-%d}",
                       showarrow=False, yanchor="bottom", font={"color": "#8B1E1E", "size": 11})
    figures._base_layout(fig, 380, legend={"orientation": "h", "y": -0.15}, yaxis_title=unit or None)
    fig.update_xaxes(type="date", tickformat="%Y年%-m月", showgrid=True, gridcolor="#eee")
    fig.update_yaxes(showgrid=True, gridcolor="#eee", rangemode="tozero")
    return fig


@pytest.mark.parametrize("indicator_id, target", [
    ("anning_invention_grants_annual", 100.0),        # Anning: four stages, the last one open-ended
    ("anning_invention_grants_annual", None),         # no target line
    ("luzhou_ip_custody_enterprises", 12.5),          # Luzhou: its own stages
    ("anning_ip_award_rules", 1.0),                   # a milestone: no unit on the target line
])
def test_chart_draws_what_plotlys_helpers_drew(indicator_id, target):
    ind = REGISTRY.indicators[indicator_id]
    scheme = REGISTRY.schemes[ind.scheme]
    points = [(Quarter(2023, 1) + i, float(i) if i % 3 else None, i * 1.5) for i in range(12)]
    got = figures.indicator_chart(ind, scheme, points, target, Quarter(2025, 2)).to_plotly_json()
    want = reference_chart(ind, scheme, points, target, Quarter(2025, 2)).to_plotly_json()
    assert got == want
