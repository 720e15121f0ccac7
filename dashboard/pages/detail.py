"""指标详情: chart against the expected path, reported values, citation, explanation, history."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from indicators.model import KIND_LABELS, REPORTING_LABELS
from indicators.periods import Quarter

from .. import background, datastatus, figures, ids, printing, urlstate
from ..components import data_badge, fmt_value, light, target_text
from ..entry.forms import local_time
from ..evidence import page as evidence_page
from ..ledger import page as ledger_page
from .common import View, page_title, resolve, selector_col

PREFIX = "/indicator/"
TARGET_HISTORY = "dt-target-history"   # the list of target adjustments (kept here: dashboard/ids.py is shared)


def match(pathname: str):
    if pathname.startswith(PREFIX) and len(pathname) > len(PREFIX):
        return {"indicator_id": pathname[len(PREFIX):].strip("/")}
    return None


def layout(service, search, indicator_id: str = ""):
    ind = service.registry.indicators.get(indicator_id)
    if ind is None:
        return dbc.Alert(f"未找到指标“{indicator_id}”。请从总览或指标库进入。", color="danger", className="mt-3")
    view = resolve(service, search, scheme_id=ind.scheme)
    back = dcc.Link("← 返回总览", href="/" + view.search(), className="no-print small")
    return html.Div(
        [
            back,
            page_title(ids.DT_TITLE, _title(service, ind, view), service.scheme(ind.scheme).name),
            dbc.Row([
                selector_col("截至季度", dcc.Dropdown(
                    id=ids.DT_QUARTER, value=str(view.quarter), clearable=False, searchable=False,
                    options=[{"label": q.label, "value": str(q)}
                             for q in reversed(service.quarters(view.scheme_id, view.region))]), md=3),
            ], className="g-2 selectors no-print"),
            html.Div([html.Button("导出PDF", id=ids.DT_EXPORT_PDF, className="btn btn-outline-secondary btn-sm"),
                      *background.export_controls([ids.DT_EXPORT_PDF], ids.DT_EXPORT_RUNNING, ids.DT_EXPORT_MSG,
                                                  ids.DT_DOWNLOAD)],
                     className="export-row no-print mt-2"),
            dcc.Store(id="dt-indicator", data=ind.id),
            dcc.Store(id="dt-region", data=view.region),
            html.Div(id=ids.DT_STATUS, className="section"),
            html.Section([html.H2("完成情况走势", className="section-title"),
                          dcc.Graph(id=ids.DT_CHART, config=_chart_config(ind, view),
                                    # the first N labels are the stage names (assets/app.css, phones)
                                    className=f"chart-stages-{len(service.scheme(ind.scheme).stages)}")],
                         className="section"),
            dbc.Row([
                dbc.Col(html.Section([html.H2("填报记录", className="section-title"), html.Div(id=ids.DT_VALUES)],
                                     className="section"), lg=7),
                dbc.Col(html.Section([html.H2("指标来源", className="section-title"),
                                      html.Div(_citation(service, ind), id=ids.DT_CITATION)], className="section"),
                        lg=5),
            ]),
            evidence_page.section(service, ind, view),
            ledger_page.section(service, ind, view),
            html.Section([html.H2("修改记录", className="section-title"), html.Div(id=ids.DT_HISTORY)],
                         className="section"),
        ],
        className="detail",
    )


def _chart_config(ind, view: View) -> dict:
    return figures.graph_config(ind.name, view.region, view.quarter.label)


def _title(service, ind, view: View) -> str:
    return f"{view.region} · 截至{view.quarter.label} · {ind.name}"


def _citation(service, ind):
    scheme = service.scheme(ind.scheme)
    doc = scheme.document
    rows = [
        ("文件", f"《{doc.title}》" + (f"({doc.number})" if doc.number else "") + f",{doc.issuer},{doc.date:%Y年%-m月%-d日}"),
        ("条款", f"{ind.section} {ind.clause}".strip()),
        ("目标", f"{target_text(ind)}({KIND_LABELS[ind.kind.value]})"),
        ("截止", f"{ind.deadline:%Y年%-m月%-d日}"),
        ("阶段", scheme.stage(ind.stage).name),
        ("填报口径", REPORTING_LABELS[ind.reporting.value] + f",单位:{ind.unit}"),
        ("牵头单位", "、".join(ind.lead_units) or "—"),
        ("责任单位", "、".join(ind.responsible_units)),
        ("填报单位", ind.reporting_unit),
    ]
    if ind.baseline:
        rows.insert(3, ("基线", f"{ind.baseline.value:g}(截至{ind.baseline.as_of:%Y-%m-%d})"))
    adjusted = service.target_history(ind.id)
    if adjusted:   # 方案调整: each quarter is judged by the version in force at its end
        rows.insert(3, ("目标调整", html.Ul([html.Li(t) for t in adjusted], id=TARGET_HISTORY,
                                          className="target-history mb-0 ps-3")))
    body = [html.Blockquote(ind.quote, className="quote")]
    body.append(html.Dl([x for k, v in rows for x in (html.Dt(k), html.Dd(v))], className="cite-dl"))
    if ind.interpretation:
        body.append(html.Div([html.Strong("口径说明:"), ind.interpretation], className="interp"))
    return body


def _values_table(service, ind, region, upto: Quarter, names: dict[str, str]):
    rows = [r for r in service.store.observation_rows(ind.id, region) if r.period <= upto]
    if not rows:
        return html.P("暂无填报记录。", className="text-muted")
    body = [html.Tr([html.Td(r.period.label), html.Td(fmt_value(r.value, ind)),
                     # Each quarter's own value: its unit's submission of that quarter.
                     html.Td(data_badge(datastatus.figure_status(
                         r.value, service.unit_states(ind.scheme, region, r.period), ind.reporting_unit))),
                     html.Td(r.note or ""),
                     html.Td(names.get(r.entered_by, r.entered_by or "")), html.Td(local_time(r.updated_at))],
                    **{"data-period": str(r.period)})
            for r in sorted(rows, key=lambda r: r.period, reverse=True)]
    head = html.Thead(html.Tr([html.Th(h) for h in ("报告期", "填报值", "数据状态", "备注", "填报人", "时间")]))
    return html.Div(dbc.Table([head, html.Tbody(body)], size="sm", striped=True, className="values-table mb-0"),
                    className="table-responsive")


def _history(service, ind, region, names: dict[str, str]):
    revs = service.store.history(ind.id, region=region)
    if not revs:
        return html.P("暂无修改记录。", className="text-muted")
    src = {"form": "表单", "import": "导入", "correction": "更正", "demo": "示例数据"}
    body = [html.Tr([html.Td(local_time(r.at)), html.Td(str(r.period)), html.Td(fmt_value(r.old_value, ind)),
                     html.Td(fmt_value(r.new_value, ind)), html.Td(names.get(r.user, r.user or "")), html.Td(src.get(r.source, r.source)),
                     html.Td(r.reason or "")])
            for r in sorted(revs, key=lambda r: r.at, reverse=True)[:50]]
    head = html.Thead(html.Tr([html.Th(h) for h in ("时间", "报告期", "原值", "新值", "修改人", "来源", "原因")]))
    return html.Div(dbc.Table([head, html.Tbody(body)], size="sm", className="history-table mb-0"),
                    className="table-responsive")


def status_and_chart(service, ind, view: View):
    """The status line and the chart of a view (the page and its printout, dashboard/printing.py)."""
    scheme = service.scheme(ind.scheme)
    res = service.result(ind, view.region, view.quarter)
    points = figures.indicator_points(service, ind, view.region, view.quarter)
    fig = figures.indicator_chart_json(ind, scheme, points, res.target, view.quarter,
                                       figures.verdict(ind, res, view.quarter))
    # The selected quarter's figure is marked as on the overview (not when approved).
    review = datastatus.mark(service.data_status(ind.scheme, view.region, view.quarter).of(ind.id))
    status = html.Div([
        light(res.status, ind.id, size="light-lg", stale=res.stale),
        html.Span(res.explanation, className="explanation ms-2"),
        data_badge(review),
        html.Div(res.baseline_pending_text, className="baseline-pending") if res.baseline_pending else None,
        html.Div(res.baseline_note, className="small text-muted") if res.baseline_note else None,
    ], className="status-line")
    return status, fig


def register(app, service):
    evidence_page.register(app, service)
    ledger_page.register(app, service)

    # Off the request thread (dashboard/background.py): the job checks the user handed in.
    @app.callback(
        Output(ids.DT_DOWNLOAD, "data"), Output(ids.DT_EXPORT_MSG, "children"),
        Input(ids.DT_EXPORT_PDF, "n_clicks"),
        State(ids.DT_QUARTER, "value"), State("dt-indicator", "data"), State("dt-region", "data"),
        background=True, running=background.running([ids.DT_EXPORT_PDF], ids.DT_EXPORT_RUNNING),
        prevent_initial_call=True,
    )
    @background.export_job("viewer", failed=lambda msg: (no_update, dbc.Alert(msg, color="danger", className="py-1 mb-0")))
    def export_pdf(_n, quarter, indicator_id, region):
        name, data = printing.export_file(service, "detail", "pdf", region=region, quarter=quarter,
                                          indicator_id=indicator_id)
        return dcc.send_bytes(data, name), f"已生成 {name}"

    @app.callback(
        Output(ids.DT_TITLE, "children"), Output(ids.DT_STATUS, "children"), Output(ids.DT_CHART, "figure"),
        Output(ids.DT_CHART, "config"), Output(ids.DT_VALUES, "children"), Output(ids.DT_HISTORY, "children"),
        Output(ids.ADDRESS, "data", allow_duplicate=True),
        Input(ids.DT_QUARTER, "value"), State("dt-indicator", "data"), State("dt-region", "data"),
        prevent_initial_call="initial_duplicate",
    )
    def update(quarter, indicator_id, region):
        ind = service.registry.indicators[indicator_id]
        view = resolve(service, scheme_id=ind.scheme, region=region, quarter=quarter)
        status, fig = status_and_chart(service, ind, view)
        names = service.display_names()
        return (_title(service, ind, view), status, fig, _chart_config(ind, view),
                _values_table(service, ind, view.region, view.quarter, names), _history(service, ind, view.region, names),
                urlstate.build(region=view.region, q=str(view.quarter)))
