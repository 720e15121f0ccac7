"""Plotly figures, shared by the pages and the Word report (no Dash here)."""
from __future__ import annotations

import copy
import re
from datetime import date, timedelta
from typing import Optional

import plotly.graph_objects as go

from indicators.model import Indicator, Scheme
from indicators.periods import Quarter, quarter_range
from indicators.status import Result
from indicators.statuses import COLOURS, LABELS, SEVERITY, SHAPES, Status

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif'
STAGE_FILLS = ["#E8EEF7", "#F3F6EC", "#FBF1E4", "#EFEAF6", "#E9F4F4"]


def _base_layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    # Callers may override the default margin (the timeline does).
    layout = {"margin": {"l": 10, "r": 10, "t": 30, "b": 10}, **kw}
    fig.update_layout(
        font={"family": FONT, "size": 13, "color": "#222"},
        paper_bgcolor="white", plot_bgcolor="white", height=height, **layout,
    )
    return fig


def days_between(a, b) -> float:
    return (date.fromisoformat(str(b)[:10]) - date.fromisoformat(str(a)[:10])).days


def beside(x, lo, hi, gap: int = 4) -> dict:
    """Anchor of a label at date ``x`` on an axis from ``lo`` to ``hi``: it runs into the wider
    side, so it stays inside the picture at any width that holds it twice (a centred label
    near an edge was cut off in the report's timeline)."""
    frac = days_between(lo, x) / max(days_between(lo, hi), 1)
    return {"xanchor": "right", "xshift": -gap} if frac > 0.5 else {"xanchor": "left", "xshift": gap}


def stage_timeline(scheme: Scheme, as_of: date, today: Optional[date] = None) -> go.Figure:
    """The scheme's stages as bars, with the as-of marker and today."""
    return go.Figure(stage_timeline_json(scheme, as_of, today))


# Chart heights in px, also the height of the box that holds a chart's place until it is drawn (overview).
TIMELINE_HEIGHT = 120


def heatmap_height(rows: int) -> int:
    return max(220, 22 * rows + 80)


def stage_timeline_json(scheme: Scheme, as_of: date, today: Optional[date] = None) -> dict:
    """:func:`stage_timeline` as the JSON go.Figure sends (the overview's strip: plotly's
    add_vline and validation took ~25 ms per quarter; tests/test_figures.py checks it is the same)."""
    today = today or date.today()
    end_all = max(as_of, today, scheme.period.end.last_day) + timedelta(days=60)
    current = scheme.stage_at(as_of)
    bars = []
    for st in scheme.stages:
        start = st.start.first_day
        end = st.end.last_day if st.end else end_all
        is_current = current is not None and st.id == current.id
        span = f"{st.start.label}—{st.end.label if st.end else '以后'}"
        bars.append({
            "base": [start.isoformat()], "hovertemplate": f"{st.name}:{span}<extra></extra>",
            "insidetextanchor": "middle",
            "marker": {"color": "#1F5FA8" if is_current else "#A9BCD6", "line": {"color": "white", "width": 2}},
            "name": st.name, "orientation": "h", "showlegend": False, "text": f"{st.name}<br>{span}",
            "textfont": {"color": "white" if is_current else "#12315A", "size": 12}, "textposition": "inside",
            "x": [(end - start).days * 86400000], "y": ["阶段"], "type": "bar",
        })
    lo = scheme.stages[0].start.first_day

    def vline(x: date, line: dict) -> dict:   # what fig.add_vline adds
        return {"line": line, "type": "line", "x0": x.isoformat(), "x1": x.isoformat(), "xref": "x",
                "y0": 0, "y1": 1, "yref": "y domain"}

    shapes = [vline(as_of, {"color": "#D55E00", "width": 3})]
    annotations = [{"font": {"color": "#D55E00", "size": 12}, "showarrow": False, "text": f"截至 {as_of:%Y-%m-%d}",
                    "x": as_of.isoformat(), **beside(as_of, lo, end_all), "y": 1.0, "yanchor": "bottom",
                    "yref": "paper"}]
    if today != as_of:
        shapes.append(vline(today, {"color": "#444", "dash": "dot", "width": 1.5}))
        # Inside the bar's foot, on a light ground: below the axis it ran over the year ticks.
        annotations.append({"bgcolor": "rgba(255,255,255,0.85)", "font": {"color": "#333", "size": 11},
                            "showarrow": False, "text": f"今天 {today:%Y-%m-%d}", "x": today.isoformat(),
                            **beside(today, lo, end_all), "y": 0, "yanchor": "bottom", "yref": "paper"})
    layout = {"template": _template(), "shapes": shapes, "annotations": annotations,
              "font": {"family": FONT, "size": 13, "color": "#222"}, "margin": {"l": 10, "r": 10, "t": 22, "b": 22},
              "paper_bgcolor": "white", "plot_bgcolor": "white", "height": TIMELINE_HEIGHT, "barmode": "overlay",
              "yaxis": {"visible": False},
              "xaxis": {"type": "date", "tickformat": "%Y年%-m月", "showgrid": False,
                        "range": [lo.isoformat(), end_all.isoformat()]}}
    return {"data": bars, "layout": layout}


def _default_template() -> dict:
    """The template go.Figure puts in every figure's layout (plotly's default), as JSON."""
    import plotly.io as pio

    return go.layout.Template(pio.templates[pio.templates.default]).to_plotly_json()


_TEMPLATE: list = []


def _template() -> dict:
    """A copy of the default template for one figure's JSON (built once per process)."""
    if not _TEMPLATE:
        _TEMPLATE.append(_default_template())
    return copy.deepcopy(_TEMPLATE[0])


def warm_up() -> None:
    """Build what every process would otherwise build on its first requests: plotly's default
    template and the validators it loads, and numpy, which plotly's JSON encoder (Dash's
    responses) imports the first time an answer holds anything but plain JSON (nested
    components). ≈ 0.5 s of CPU per gunicorn worker, paid during its first requests;
    gunicorn.conf.py ``settle`` calls this before freezing start-up."""
    import numpy  # noqa: F401 - what plotly.io.json imports on the first answer with nested components

    _template()


def status_heatmap(rows: list[tuple[str, str]], quarters: list[Quarter],
                   statuses: dict[str, dict[Quarter, Status]]) -> dict:
    """Indicators × quarters; each cell coloured and marked with the status shape.

    The figure's JSON, written out: plotly's validation of 44 × 12 cells of values, text
    and hover took most of the overview's figures callback (docs/performance.md); what
    go.Figure would send is the same (tests/test_figures.py checks it)."""
    order = list(SEVERITY)
    n = len(order)
    # Discrete colour scale: one flat band per status.
    scale = []
    for i, s in enumerate(order):
        scale += [[i / n, COLOURS[s]], [(i + 1) / n, COLOURS[s]]]
    z, text, hover = [], [], []
    for ind_id, name in rows:
        zr, tr, hr = [], [], []
        for q in quarters:
            s = statuses.get(ind_id, {}).get(q)
            zr.append(order.index(s) + 0.5 if s else None)
            tr.append(SHAPES[s] if s else "")
            hr.append(f"{name}<br>{q.label}:{LABELS[s]}" if s else "")
        z.append(zr), text.append(tr), hover.append(hr)
    heatmap = {"type": "heatmap", "z": z, "x": [q.label for q in quarters], "y": [name for _, name in rows],
               "zmin": 0, "zmax": n, "colorscale": scale, "showscale": False, "text": text,
               "texttemplate": "%{text}", "textfont": {"color": "white", "size": 11}, "hovertext": hover,
               "hovertemplate": "%{hovertext}<extra></extra>", "xgap": 2, "ygap": 2}
    layout = {"template": _template(), "font": {"family": FONT, "size": 13, "color": "#222"},
              "paper_bgcolor": "white", "plot_bgcolor": "white", "height": heatmap_height(len(rows)),
              "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
              "yaxis": {"autorange": "reversed", "automargin": True, "tickfont": {"size": 11}},
              "xaxis": {"side": "top", "tickfont": {"size": 11}}}
    return {"data": [heatmap], "layout": layout}


def indicator_points(service, ind: Indicator, region: str,
                     quarter: Quarter) -> list[tuple[Quarter, Optional[float], Optional[float]]]:
    """(quarter, actual, expected) from the indicator's start to max(as-of, deadline quarter).

    Actual levels stop at the as-of quarter (and skip stale carry-overs); the expected
    path runs on to the deadline. After the deadline quarter the actual level is the one
    reported (``reported_level``), not the verdict the status engine keeps from the deadline:
    the chart shows what the table beside it lists (the verdict is marked, see ``indicator_chart``).
    ``service`` is a MonitorService (duck-typed: ``scheme``, ``result``, ``reported_level``).
    """
    scheme = service.scheme(ind.scheme)
    first = Quarter.containing((ind.start or scheme.period.start).first_day)
    dq = Quarter.containing(ind.deadline)
    last = max(quarter, dq) if quarter >= first else first
    points = []
    for q in quarter_range(first, last):
        r = service.result(ind, region, q)
        if q > dq:
            actual = service.reported_level(ind, region, q) if q <= quarter else None
        else:
            actual = r.actual if q <= quarter and not r.stale else None
        points.append((q, actual, r.expected))
    return points


def verdict(ind: Indicator, result: Optional[Result], as_of: Quarter) -> Optional[tuple[float, Status]]:
    """(judged value, status) of a target judged at its deadline, for the chart's 考核值 mark; else None."""
    if result is None or result.actual is None or as_of < Quarter.containing(ind.deadline):
        return None
    if result.status not in (Status.achieved, Status.achieved_late, Status.missed):
        return None
    return result.actual, result.status


def indicator_chart(ind: Indicator, scheme: Scheme, points: list[tuple[Quarter, Optional[float], Optional[float]]],
                    target: Optional[float], as_of: Quarter,
                    judged: Optional[tuple[float, Status]] = None) -> go.Figure:
    """:func:`indicator_chart_json` as a plotly figure (the Word report draws it with kaleido)."""
    return go.Figure(indicator_chart_json(ind, scheme, points, target, as_of, judged))


def indicator_chart_json(ind: Indicator, scheme: Scheme, points: list[tuple[Quarter, Optional[float], Optional[float]]],
                         target: Optional[float], as_of: Quarter,
                         judged: Optional[tuple[float, Status]] = None) -> dict:
    """Reported level against the expected path and the target, stages shaded, deadline marked.

    ``points``: (quarter, actual level, expected level) from ``indicator_points``.
    ``judged``: (value, status) of the verdict taken at the deadline (``verdict``), drawn as a
    diamond on the deadline line labelled 考核值, so a line that goes on after it is not read as the verdict.
    """
    # Shapes and labels written out as plotly's add_vrect/add_hline/add_vline would make them
    # (tests/test_figures.py compares): those helpers took 60 % of the detail callback's time.
    xs = [q.end.isoformat() for q, _, _ in points]
    shapes, notes = [], []
    for i, st in enumerate(scheme.stages):
        x0 = st.start.first_day.isoformat()
        x1 = (st.end.last_day if st.end else max([ind.deadline, as_of.end, scheme.period.end.last_day])).isoformat()
        shapes.append({"type": "rect", "xref": "x", "yref": "y domain", "x0": x0, "x1": x1, "y0": 0, "y1": 1,
                       "fillcolor": STAGE_FILLS[i % len(STAGE_FILLS)], "opacity": 1, "layer": "below",
                       "line": {"width": 0}})
        notes.append({"text": st.name, "x": x0, "xref": "x", "y": 1, "yref": "y domain", "xanchor": "left",
                      "yanchor": "top", "showarrow": False, "font": {"size": 11}})
    unit = "" if ind.kind.value == "milestone" else ind.unit
    if target is not None:
        shapes.append({"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": target, "y1": target,
                       "line": {"color": "#007A5E", "width": 2}})
        notes.append({"text": f"目标 {target:g}{unit}", "x": 1, "xref": "x domain", "y": target, "yref": "y",
                      "xanchor": "right", "yanchor": "bottom", "showarrow": False})
    deadline = ind.deadline.isoformat()
    # The x range the shapes and points span: labels at the deadline run into the wider side.
    lo, hi = shapes[0]["x0"], shapes[len(scheme.stages) - 1]["x1"]
    side = beside(deadline, min([lo, *xs[:1]]), max([hi, *xs[-1:]]))
    shapes.append({"type": "line", "xref": "x", "yref": "y domain", "x0": deadline, "x1": deadline, "y0": 0, "y1": 1,
                   "line": {"color": "#8B1E1E", "width": 2, "dash": "dot"}})
    notes.append({"text": f"截止 {ind.deadline:%Y-%m-%d}", "x": deadline, "y": 0, "yref": "paper", "showarrow": False,
                  "yanchor": "bottom", "font": {"color": "#8B1E1E", "size": 11}, **side})
    # The figure's JSON as go.Figure would send it, written out: plotly's validation of the
    # traces and the layout was half of the detail callback (docs/performance.md, "Load test:
    # cost per request"); tests/test_figures.py checks that plotly makes the same of it.
    data = [{"connectgaps": True, "line": {"color": "#666", "dash": "dash", "width": 2}, "mode": "lines",
             "name": "按进度应达", "x": xs, "y": [e for _, _, e in points], "type": "scatter"},
            {"line": {"color": "#0072B2", "width": 3}, "marker": {"size": 8, "symbol": "circle"},
             "mode": "lines+markers", "name": "实际", "x": xs, "y": [a for _, a, _ in points], "type": "scatter"}]
    if judged is not None:
        value, status = judged
        text = f"考核值 {value:g}{unit}({LABELS[status]})"
        data.append({"hovertemplate": f"{text}<extra></extra>",
                     "marker": {"color": COLOURS[status], "line": {"color": "white", "width": 1.5}, "size": 13,
                                "symbol": "diamond"},
                     "mode": "markers", "name": "截止考核值", "x": [deadline], "y": [value], "type": "scatter"})
        notes.append({"text": text, "x": deadline, "y": value, "yref": "y", "showarrow": False, "yanchor": "bottom",
                      "yshift": 8, "bgcolor": "rgba(255,255,255,0.85)",
                      "font": {"color": COLOURS[status], "size": 12}, **side})
    yaxis = {"title": {"text": unit} if unit else {}}   # yaxis_title=None left an empty title
    layout = {"template": _template(), "shapes": shapes, "annotations": notes,
              "font": {"family": FONT, "size": 13, "color": "#222"}, "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
              "legend": {"orientation": "h", "y": -0.15}, "paper_bgcolor": "white", "plot_bgcolor": "white",
              "height": 380, "yaxis": {**yaxis, "showgrid": True, "gridcolor": "#eee", "rangemode": "tozero"},
              "xaxis": {"type": "date", "tickformat": "%Y年%-m月", "showgrid": True, "gridcolor": "#eee"}}
    return {"data": data, "layout": layout}


# The toolbar keeps download PNG, zoom and reset; everything else (pan, autoscale, hover
# modes, spikes, selections, 3-D and map controls) goes, and with it any link to plotly's cloud.
MODEBAR_KEEP = ("toImage", "zoom2d", "resetScale2d")
MODEBAR_REMOVE = [
    "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d", "hoverClosestCartesian",
    "hoverCompareCartesian", "toggleSpikelines", "toggleHover", "resetViews", "sendDataToCloud", "editInChartStudio",
    "zoom3d", "pan3d", "orbitRotation", "tableRotation", "resetCameraDefault3d", "resetCameraLastSave3d",
    "hoverClosest3d", "zoomInGeo", "zoomOutGeo", "resetGeo", "hoverClosestGeo", "hoverClosestGl2d",
    "hoverClosestPie", "resetViewMapbox", "resetViewMap", "zoomInMap", "zoomOutMap", "drawline", "drawopenpath",
    "drawclosedpath", "drawcircle", "drawrect", "eraseshape",
]


def safe_name(*parts) -> str:
    """A file name from its parts joined by _, e.g. 外观设计专利年授权量_安宁市_2025年第2季度 (no path separators, no blanks)."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", "_".join(str(p) for p in parts if p))


def graph_json(graph_id: str, figure: dict, config: dict, class_name: str = "") -> dict:
    """A dcc.Graph as the JSON Dash sends (a callback output of children): a dict, not a
    dcc.Graph object, because Dash's encoder walks a component's figure in Python — 3–4 ms
    for the overview's two charts against 0.2 ms for the same JSON as a dict. ``config``
    is :func:`graph_config`'s (tests/test_graph_config.py checks every drawn chart)."""
    props = {"id": graph_id, "figure": figure, "config": config}
    if class_name:
        props["className"] = class_name
    return {"type": "Graph", "namespace": "dash_core_components", "props": props}


def graph_config(*name_parts, modebar: bool = True) -> dict:
    """Every dcc.Graph's config: Chinese toolbar (assets/vendor/plotly/plotly-locale-zh-cn.js), only
    download PNG (2×, a Chinese file name), zoom and reset, no plotly logo and no link to its cloud."""
    config = {
        "locale": "zh-CN",
        "displaylogo": False,
        "showLink": False,
        "showSendToCloud": False,
        "showEditInChartStudio": False,
        "modeBarButtonsToRemove": list(MODEBAR_REMOVE),
        "toImageButtonOptions": {"format": "png", "filename": safe_name(*name_parts), "scale": 2},
    }
    if not modebar:
        config["displayModeBar"] = False
    return config
