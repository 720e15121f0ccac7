"""总览: stage timeline, status counts, the traffic-light board and the status heatmap.

Page-ready time (docs/performance.md): the first view's title, counts and board
come with the page layout itself, so the browser does not wait for a second
round trip; the board is server-rendered HTML (dashboard/markup.py, put in
place by assets/monitor_html.js), which mounts in milliseconds where ~800 Dash
components took over a second; the two figures (the heatmap is 12 quarters ×
every indicator) have their own callback, so they never hold the board back.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from indicators.periods import quarter_range
from indicators.statuses import SEVERITY, Status

from .. import background, datastatus, figures, ids, markup, printing, urlstate
from ..service import _LRU
from ..screen import page as screen
from ..components import fmt_value, target_text
from .common import (View, page_title_html, quarter_options, region_options, resolve, resolve_from_controls,
                     selector_row, title_text)

NAV_LABEL = "总览"
PATH = "/"
# The part of the address the menu carries to this page (dashboard/markup.py navbar).
KEEP = ("scheme", "region", "q")
HEATMAP_QUARTERS = 12
# Export button -> file format (the background export callback).
EXPORT_BUTTONS = {ids.OV_EXPORT_DOCX: "docx", ids.OV_EXPORT_XLSX: "xlsx", ids.OV_EXPORT_PDF: "pdf"}


def match(pathname: str):
    return {} if pathname in ("/", "") else None


def layout(service, search, **_):
    view = resolve(service, search)
    counts, board = _board_parts(service, view)
    return html.Div(
        [
            # Heading and subtitle as HTML, as the counts and the board: fewer Dash components to mount.
            html.Div(id=ids.OV_TITLE_BLOCK, className="title-block", **{"data-html": _title(service, view)}),
            selector_row(service, view, ids.OV_SCHEME, ids.OV_REGION, ids.OV_QUARTER),
            html.Div([
                # html.Button with Bootstrap's classes: as dbc.Button draws them, cheaper to mount.
                html.Button("导出报告(Word)", id=ids.OV_EXPORT_DOCX, className="me-2 btn btn-primary btn-sm"),
                html.Button("导出表格(Excel)", id=ids.OV_EXPORT_XLSX, className="me-2 btn btn-outline-secondary btn-sm"),
                html.Button("导出PDF", id=ids.OV_EXPORT_PDF, className="btn btn-outline-secondary btn-sm"),
                *background.export_controls(EXPORT_BUTTONS, ids.OV_EXPORT_RUNNING, ids.OV_EXPORT_MSG, ids.OV_DOWNLOAD),
                # The wall screen of this scheme and region, in a tab of its own (the wall's browser).
                html.A("数据大屏", id=ids.OV_SCREEN_LINK, href=screen.href(view), target="_blank", rel="noopener",
                       className="ms-2 btn btn-outline-dark btn-sm"),
            ], className="export-row no-print mt-2"),
            # The two charts are drawn (dcc.Graph, which loads plotly.js) when their figures arrive
            # from the figures callback; until then a box of the chart's height holds their place.
            html.Section([html.H2("阶段进度", className="section-title"),
                          html.Div(id=ids.OV_TIMELINE_BOX, className="graph-box",
                                   style={"minHeight": f"{figures.TIMELINE_HEIGHT}px"})],
                         className="section"),
            # Heading, counts and legend are one HTML block: every Dash component costs
            # page-ready time (docs/performance.md).
            html.Section(id=ids.OV_COUNTS, className="section", **{"data-html": counts}),
            html.Section(id=ids.OV_BOARD, className="section board-section", **{"data-html": board}),
            html.Section([html.H2("各季度状态变化", className="section-title"),
                          html.Div(id=ids.OV_HEATMAP_BOX, className="graph-box", style={
                              "minHeight": f"{figures.heatmap_height(len(service.indicators(view.scheme_id)))}px"})],
                         className="section heatmap-section page-break-before"),
        ],
        className="overview",
    )


def _title(service, view: View) -> str:
    return page_title_html(ids.OV_TITLE, title_text(service, view, "工作进展总览"), service.scheme(view.scheme_id).name)


def _board_parts(service, view: View):
    """(HTML of the counts section: heading, counts, legend; board HTML) of a view."""
    results = service.results(view.scheme_id, view.region, view.quarter)
    counts = Counter(r.status.value for r in results)
    # Board order: worst first within each dimension, so what is behind is seen first.
    rank = {s: i for i, s in enumerate(SEVERITY)}
    ordered = sorted(results, key=lambda r: rank[Status(r.status)])
    data = service.data_status(view.scheme_id, view.region, view.quarter)
    counts_html = ('<h2 class="section-title">指标状态统计</h2>' + markup.status_counts(counts, len(results))
                   + markup.data_status_line(data)
                   + markup.baseline_pending_line(results, "/reference" + urlstate.build(scheme=view.scheme_id,
                                                                                         region=view.region))
                   + markup.legend())
    return counts_html, _board(service, view, ordered, data)


def _board(service, view: View, results, data) -> str:
    """The traffic-light board, grouped by dimension, as HTML (see dashboard/markup.py)."""
    inds = {i.id: i for i in service.indicators(view.scheme_id)}
    scheme = service.scheme(view.scheme_id)
    head = ["状态", "指标", "实际 / 目标", "完成进度", "趋势", "截止"]
    query = urlstate.build(region=view.region, q=str(view.quarter))  # the same for every row's link
    groups = []
    for dim in scheme.dimensions:
        rows = []
        for r in results:
            ind = inds[r.indicator_id]
            if ind.dimension != dim:
                continue
            href = f"/indicator/{ind.id}" + query
            actual = fmt_value(r.actual, ind)
            if r.stale and r.value_period is not None:
                actual += f"({r.value_period.label})"
            rows.append(
                f"<tr{markup.attrs(class_=f'board-row row-{r.status.value}', data_indicator_row=ind.id)}>"
                f"<td>{markup.light(r.status, ind.id, stale=r.stale)}</td>"
                f'<td class="ind-name">{markup.link(ind.name, href, "ind-link")}</td>'
                f'<td class="nums"><span class="actual">{markup.escape(actual)}</span>'
                f'{markup.data_badge(datastatus.mark(data.of(ind.id)))}'
                f'<span class="text-muted"> / </span><span class="target">{markup.escape(target_text(ind))}</span>'
                f'{markup.baseline_pending_note(r)}</td>'
                f'<td class="pcol">{markup.progress_bar(r.p, r.status)}</td>'
                f'<td class="tcol">{markup.trend_arrow(r.trend)}</td>'
                f'<td class="dcol">{ind.deadline:%Y-%m-%d}</td></tr>')
        if rows:
            groups.append(f'<div class="dim-group"><h3 class="dim-title">{markup.escape(dim)}({len(rows)}项)</h3>'
                          + markup.table(head, rows, "table table-sm board-table mb-2") + "</div>")
    return '<h2 class="section-title">指标红绿灯</h2><div class="board">' + "".join(groups) + "</div>"


def _timeline_config(service, view: View) -> dict:
    # No toolbar over a 120 px strip; the config is the common one all the same.
    return figures.graph_config("阶段进度", service.scheme(view.scheme_id).short_name, view.quarter.label, modebar=False)


def _heatmap_config(service, view: View) -> dict:
    return figures.graph_config("各季度状态变化", view.region, view.quarter.label)


def _heatmap(service, view: View):
    scheme = service.scheme(view.scheme_id)
    first = max(view.quarter + (1 - HEATMAP_QUARTERS), type(view.quarter).containing(scheme.period.start.first_day))
    quarters = quarter_range(first, view.quarter)
    statuses = service.status_history(view.scheme_id, view.region, quarters)   # from the status snapshot
    rows = [(i.id, i.name) for i in service.indicators(view.scheme_id)]
    return figures.status_heatmap(rows, quarters, statuses)


def register(app, service):
    # Off the request thread (dashboard/background.py): the job checks the user handed in.
    @app.callback(
        Output(ids.OV_DOWNLOAD, "data"), Output(ids.OV_EXPORT_MSG, "children"),
        Input(ids.OV_EXPORT_DOCX, "n_clicks"), Input(ids.OV_EXPORT_XLSX, "n_clicks"), Input(ids.OV_EXPORT_PDF, "n_clicks"),
        State(ids.OV_SCHEME, "value"), State(ids.OV_REGION, "value"), State(ids.OV_QUARTER, "value"),
        background=True, running=background.running(EXPORT_BUTTONS, ids.OV_EXPORT_RUNNING),
        prevent_initial_call=True,
    )
    @background.export_job("viewer", failed=lambda msg: (no_update, dbc.Alert(msg, color="danger", className="py-1 mb-0")))
    def export(_docx, _xlsx, _pdf, scheme_id, region, quarter):
        fmt = EXPORT_BUTTONS[ctx.triggered_id]
        name, data = printing.export_file(service, "overview", fmt, scheme_id=scheme_id, region=region, quarter=quarter)
        return dcc.send_bytes(data, name), f"已生成 {name}"

    @app.callback(
        Output(ids.OV_REGION, "options"), Output(ids.OV_REGION, "value"),
        Output(ids.OV_QUARTER, "options"), Output(ids.OV_QUARTER, "value"),
        Output(ids.OV_TITLE_BLOCK, "data-html"), Output(ids.OV_COUNTS, "data-html"), Output(ids.OV_BOARD, "data-html"),
        Output(ids.ADDRESS, "data", allow_duplicate=True), Output(ids.OV_SCREEN_LINK, "href"),
        Input(ids.OV_SCHEME, "value"), Input(ids.OV_REGION, "value"), Input(ids.OV_QUARTER, "value"),
        prevent_initial_call=True,
    )
    def update(scheme_id, region, quarter):
        if len(ctx.triggered_prop_ids) > 1:
            # The initial call (every input listed; Dash makes it for a layout that a callback
            # inserted despite prevent_initial_call): the layout already shows this view.
            raise PreventUpdate
        view = resolve_from_controls(service, ctx.triggered_prop_ids, scheme_id, region, quarter, ids.OV_SCHEME)
        counts, board = _board_parts(service, view)
        return (
            region_options(service, view.scheme_id), view.region,
            quarter_options(service, view), str(view.quarter),
            _title(service, view), counts, board,
            view.search(), screen.href(view),
        )

    # The stage strip depends only on the scheme, the quarter and today: each app keeps the
    # figures (as JSON) of the day.
    timelines = _LRU(64)

    def timeline(scheme, q) -> dict:
        key = (scheme.id, q.index, date.today().toordinal())
        fig = timelines.get(key)
        if fig is None:
            fig = figures.stage_timeline_json(scheme, q.end)
            timelines.put(key, fig)
        return fig

    @app.callback(
        Output(ids.OV_TIMELINE_BOX, "children"), Output(ids.OV_HEATMAP_BOX, "children"),
        Output(ids.ADDRESS, "data", allow_duplicate=True),
        Input(ids.OV_SCHEME, "value"), Input(ids.OV_REGION, "value"), Input(ids.OV_QUARTER, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def update_figures(scheme_id, region, quarter):
        view = resolve_from_controls(service, ctx.triggered_prop_ids, scheme_id, region, quarter, ids.OV_SCHEME)
        scheme = service.scheme(view.scheme_id)
        # The URL too: on the first load this callback is the one that runs.
        return (*graphs(view, timeline(scheme, view.quarter), _heatmap(service, view)), view.search())

    def graphs(view: View, timeline_fig, heatmap_fig) -> tuple:
        """The two charts as dcc.Graph (same ids and types each time, so React updates a drawn chart)."""
        return (figures.graph_json(ids.OV_TIMELINE, timeline_fig, _timeline_config(service, view), "timeline"),
                figures.graph_json(ids.OV_HEATMAP, heatmap_fig, _heatmap_config(service, view)))
