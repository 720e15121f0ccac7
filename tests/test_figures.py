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
    assert got == go.Figure(want).to_plotly_json()   # (a figure made from JSON drops an empty y-axis title)
    # The page sends the JSON written out (no plotly validation): the same figure.
    assert figures.indicator_chart_json(ind, scheme, points, target, Quarter(2025, 2)) == want


@pytest.mark.parametrize("status", ["achieved", "missed"])
def test_chart_json_with_the_verdict_is_what_go_figure_makes_of_it(status):
    """With the 考核值 mark too: plotly's validation changes nothing in the JSON the page sends."""
    from indicators.statuses import Status

    ind = REGISTRY.indicators["anning_design_grants_annual"]
    scheme = REGISTRY.schemes[ind.scheme]
    points = [(Quarter(2023, 1) + i, float(i) if i % 3 else None, i * 1.5) for i in range(16)]
    spec = figures.indicator_chart_json(ind, scheme, points, 40.0, Quarter(2026, 3), (26.0, Status(status)))
    assert spec == go.Figure(spec).to_plotly_json()
    assert [t["name"] for t in spec["data"]] == ["按进度应达", "实际", "截止考核值"]
    assert any(a["text"].startswith("考核值 26件") for a in spec["layout"]["annotations"])


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


def reference_heatmap(rows, quarters, statuses) -> go.Figure:
    """The status heatmap as first written, through go.Figure (validated by plotly)."""
    from indicators.statuses import COLOURS, LABELS, SEVERITY, SHAPES

    order = list(SEVERITY)
    n = len(order)
    scale = []
    for i, s in enumerate(order):
        scale += [[i / n, COLOURS[s]], [(i + 1) / n, COLOURS[s]]]
    z = [[order.index(statuses[i][q]) + 0.5 if q in statuses.get(i, {}) else None for q in quarters] for i, _ in rows]
    text = [[SHAPES[statuses[i][q]] if q in statuses.get(i, {}) else "" for q in quarters] for i, _ in rows]
    hover = [[f"{name}<br>{q.label}:{LABELS[statuses[i][q]]}" if q in statuses.get(i, {}) else "" for q in quarters]
             for i, name in rows]
    fig = go.Figure(go.Heatmap(
        z=z, x=[q.label for q in quarters], y=[name for _, name in rows],
        zmin=0, zmax=n, colorscale=scale, showscale=False, text=text, texttemplate="%{text}",
        textfont={"color": "white", "size": 11}, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        xgap=2, ygap=2,
    ))
    fig.update_layout(font={"family": figures.FONT, "size": 13, "color": "#222"}, paper_bgcolor="white",
                      plot_bgcolor="white", height=max(220, 22 * len(rows) + 80),
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    fig.update_yaxes(autorange="reversed", automargin=True, tickfont={"size": 11})
    fig.update_xaxes(side="top", tickfont={"size": 11})
    return fig


def test_status_heatmap_json_is_what_go_figure_sends():
    """The overview's heatmap is written as JSON (plotly's validation of 528 cells was most of the
    figures callback): exactly what go.Figure produced, and plotly accepts it unchanged."""
    import random

    from indicators.periods import quarter_range
    from indicators.statuses import Status

    rng = random.Random(3)
    quarters = quarter_range(Quarter(2023, 3), Quarter(2026, 2))
    inds = REGISTRY.scheme_indicators("anning")
    rows = [(i.id, i.name) for i in inds]
    statuses = {i.id: {q: rng.choice(list(Status)) for q in quarters if rng.random() < 0.9} for i in inds[:-1]}
    spec = figures.status_heatmap(rows, quarters, statuses)
    assert spec == reference_heatmap(rows, quarters, statuses).to_plotly_json()
    assert go.Figure(spec).to_plotly_json() == spec
    spec["layout"]["template"]["layout"]["font"] = {"size": 99}   # each call has its own copy of the template
    assert figures.status_heatmap(rows, quarters, statuses)["layout"]["template"]["layout"].get("font") != {"size": 99}


def reference_timeline(scheme, as_of, today) -> go.Figure:
    """The stage strip as first written, with plotly's add_vline and add_annotation."""
    from datetime import timedelta

    end_all = max(as_of, today, scheme.period.end.last_day) + timedelta(days=60)
    fig = go.Figure()
    current = scheme.stage_at(as_of)
    for st in scheme.stages:
        start = st.start.first_day
        end = st.end.last_day if st.end else end_all
        is_current = current is not None and st.id == current.id
        span = f"{st.start.label}—{st.end.label if st.end else '以后'}"
        fig.add_trace(go.Bar(
            y=["阶段"], x=[(end - start).days * 86400000], base=[start.isoformat()], orientation="h",
            marker={"color": "#1F5FA8" if is_current else "#A9BCD6", "line": {"color": "white", "width": 2}},
            text=f"{st.name}<br>{span}", textposition="inside", insidetextanchor="middle",
            textfont={"color": "white" if is_current else "#12315A", "size": 12},
            hovertemplate=f"{st.name}:{span}<extra></extra>", showlegend=False, name=st.name,
        ))
    lo = scheme.stages[0].start.first_day
    fig.add_vline(x=as_of.isoformat(), line={"color": "#D55E00", "width": 3})
    fig.add_annotation(x=as_of.isoformat(), y=1.0, yref="paper", yanchor="bottom", text=f"截至 {as_of:%Y-%m-%d}",
                       showarrow=False, font={"color": "#D55E00", "size": 12}, **figures.beside(as_of, lo, end_all))
    if today != as_of:
        fig.add_vline(x=today.isoformat(), line={"color": "#444", "width": 1.5, "dash": "dot"})
        fig.add_annotation(x=today.isoformat(), y=0, yref="paper", yanchor="bottom", text=f"今天 {today:%Y-%m-%d}",
                           showarrow=False, font={"color": "#333", "size": 11}, bgcolor="rgba(255,255,255,0.85)",
                           **figures.beside(today, lo, end_all))
    fig.update_layout(font={"family": figures.FONT, "size": 13, "color": "#222"}, paper_bgcolor="white",
                      plot_bgcolor="white", height=120, barmode="overlay", margin={"l": 10, "r": 10, "t": 22, "b": 22})
    fig.update_yaxes(visible=False)
    fig.update_xaxes(type="date", tickformat="%Y年%-m月", showgrid=False, range=[lo.isoformat(), end_all.isoformat()])
    return fig


@pytest.mark.parametrize("scheme_id", sorted(REGISTRY.schemes))
def test_stage_timeline_json_is_what_plotly_helpers_drew(scheme_id):
    from datetime import date

    scheme = REGISTRY.schemes[scheme_id]
    for as_of, today in [(date(2022, 9, 30), date(2026, 12, 2)), (date(2025, 3, 31), date(2025, 3, 31)),
                         (date(2027, 6, 30), date(2026, 12, 2)), (date(2024, 12, 31), date(2023, 1, 5))]:
        spec = figures.stage_timeline_json(scheme, as_of, today)
        assert spec == reference_timeline(scheme, as_of, today).to_plotly_json(), (as_of, today)
        assert figures.stage_timeline(scheme, as_of, today).to_plotly_json() == spec


def test_warm_up_builds_what_the_first_figure_and_answer_would():
    """gunicorn.conf.py's settle() calls it so that no worker's first requests pay for plotly's
    template and the numpy import of plotly's JSON encoder (docs/performance.md)."""
    import sys

    figures.warm_up()
    assert figures._TEMPLATE and "numpy" in sys.modules  # noqa: SLF001
