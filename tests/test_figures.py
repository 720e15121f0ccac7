"""The indicator chart writes its shapes and labels itself (plotly's add_vrect/add_hline/
add_vline were 60 % of the detail callback): it must draw exactly what those helpers drew.
After a deadline it shows the values as reported with the verdict marked; no picture cuts a label off."""
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
    # The label runs into the wider side of the deadline (figures.beside), so no picture cuts it off.
    lo = min(scheme.stages[0].start.first_day.isoformat(), xs[0])
    hi = max(x1, xs[-1])
    fig.add_annotation(x=ind.deadline.isoformat(), y=0, yref="paper", text=f"截止 {ind.deadline:%Y-%m-%d}",
                       showarrow=False, yanchor="bottom", font={"color": "#8B1E1E", "size": 11},
                       **figures.beside(ind.deadline, lo, hi))
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


# ---------------------------------------------------------------- after the deadline (issue 15)

REGION = "安宁市"
AS_OF = Quarter(2026, 3)          # a year after the Anning deadlines (2025-07-31); the demo runs to 2026Q3
DESIGN = "anning_design_grants_annual"             # annual, reported as quarterly flows
TRADEMARKS = "anning_trademark_registrations_valid"  # cumulative, reported as a stock


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory):
    from data.db import make_engine, upgrade
    from data.demo import load_demo
    from data.store import Store
    from dashboard.service import MonitorService

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fig') / 'd.db'}")
    upgrade(engine)
    store = Store(engine)
    load_demo(store, REGISTRY)
    return MonitorService(REGISTRY, store)


def _chart(service, ind_id):
    ind = REGISTRY.indicators[ind_id]
    res = service.result(ind, REGION, AS_OF)
    points = figures.indicator_points(service, ind, REGION, AS_OF)
    fig = figures.indicator_chart(ind, REGISTRY.schemes[ind.scheme], points, res.target, AS_OF,
                                  figures.verdict(ind, res, AS_OF))
    stored = {r.period: r.value for r in service.store.observation_rows(ind_id, REGION)}
    after = [q for q in stored if Quarter.containing(ind.deadline) < q <= AS_OF]
    trace = next(t for t in fig.data if t.name == "实际")
    actual = dict(zip(trace.x, trace.y))
    return ind, res, fig, stored, after, actual


def test_actual_line_after_the_deadline_shows_the_stored_values_not_the_verdict(demo_service):
    ind, res, fig, stored, after, actual = _chart(demo_service, TRADEMARKS)
    assert len(after) >= 3
    assert [actual[q.end.isoformat()] for q in after] == [stored[q] for q in after]
    assert any(stored[q] != res.actual for q in after)   # before the fix the line stayed at res.actual


def test_annual_amount_after_the_deadline_is_the_years_total_of_the_stored_flows(demo_service):
    ind, res, fig, stored, after, actual = _chart(demo_service, DESIGN)
    assert after
    for q in after:
        year_so_far = sum(v for p, v in stored.items() if p.year == q.year and p <= q)
        assert actual[q.end.isoformat()] == year_so_far
    assert len({actual[q.end.isoformat()] for q in after}) > 1   # not flat at the judged value


def test_the_verdict_stays_the_deadlines_and_is_marked_on_the_chart(demo_service):
    ind, res, fig, *_ = _chart(demo_service, DESIGN)
    assert res.status.value == "missed" and res.actual == 26.0   # 2025Q1–Q3 of the demo
    mark = next(t for t in fig.data if t.name == "截止考核值")
    assert list(mark.x) == [ind.deadline.isoformat()] and list(mark.y) == [res.actual]
    assert any(a.text == "考核值 26件(逾期未达标)" for a in fig.layout.annotations)
    # Before the deadline there is no verdict to mark.
    assert figures.verdict(ind, demo_service.result(ind, REGION, Quarter(2025, 2)), Quarter(2025, 2)) is None


# ---------------------------------------------------------------- no label cut off in a picture

def _label_boxes(pictures: list[tuple[go.Figure, int]]) -> list[tuple[tuple[int, int], dict[str, tuple]]]:
    """For each (figure, width), rendered by kaleido as the report does (one Chromium session for
    all): (picture size, {label text: pixel box}).

    A label's box is where the picture changes when that label alone is left out: a label cut
    off at an edge reaches that edge, one drawn whole keeps off it."""
    import io

    from PIL import Image, ImageChops

    from dashboard import reports

    figs, widths, spans = [], [], []
    for fig, width in pictures:
        texts = [a.text for a in fig.layout.annotations if a.text]
        spans.append((len(figs), texts))
        figs.append(fig)
        for text in texts:
            v = go.Figure(fig)
            v.layout.annotations = [a for a in fig.layout.annotations if a.text != text]
            figs.append(v)
        widths += [width] * (len(texts) + 1)
    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in reports.render_pngs(figs, widths)]
    out = []
    for first, texts in spans:
        full = images[first]
        out.append((full.size, {t: ImageChops.difference(full, images[first + 1 + i]).getbbox()
                                for i, t in enumerate(texts)}))
    return out


def test_no_label_is_cut_off_in_the_report_pictures_or_the_page_charts(demo_service):
    from dashboard import reports

    pictures = []
    # The report's timeline: 2026Q3 and 2025Q3 (the scheme's end) put the 截至 line near the
    # right edge (where it was cut off), 2022Q4 near the left.
    for as_of in (AS_OF, Quarter(2025, 3), Quarter(2022, 4)):
        fig = figures.stage_timeline(REGISTRY.schemes["anning"], as_of.end, today=as_of.end)
        pictures.append((reports.tidy_timeline(fig, reports.TIMELINE_PX), reports.TIMELINE_PX))
    # Detail charts after the deadline, with the 考核值 label: as the report prints them, and as
    # the page draws them (its PNG download too).
    for ind_id in (DESIGN, TRADEMARKS):
        _, _, fig, *_ = _chart(demo_service, ind_id)
        assert any(a.text.startswith("考核值") for a in fig.layout.annotations)
        pictures.append((go.Figure(fig), 1000))
        fig.update_layout(height=reports.CHART_HEIGHT_PX)   # as reports.chart_figures prints it
        pictures.append((reports.tidy_chart(fig, reports.CHART_PX), reports.CHART_PX))
    for (w, h), boxes in _label_boxes(pictures):
        assert boxes
        for text, box in boxes.items():
            assert box is not None, f"{text!r} is not drawn"
            left, top, right, bottom = box
            assert left > 0 and top > 0 and right < w and bottom < h, f"{text!r} cut off: {box} in {w}×{h}"
