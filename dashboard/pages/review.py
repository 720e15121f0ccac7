"""审核: the office reviews each unit's quarterly submission, approves (locks) or returns it.

Everyone signed in sees the table; only admins get the buttons, and the callback
checks again on the server (require_admin).
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from indicators.periods import Quarter

from .. import entry_forms as forms
from .. import ids, urlstate
from .entry import alert, labelled, state_badge
from .common import page_title, region_col, region_options, scheme_col, selector_col

NAV_LABEL = "审核"
PATH = "/review"

ACTION_TEXT = {"submit": "报送", "approve": "审核通过", "reopen": "退回"}


def match(pathname: str):
    return {} if pathname.rstrip("/") == PATH else None


def _choose(service, scheme_id=None, region=None, quarter=None):
    schemes = service.registry.schemes
    sid = scheme_id if scheme_id in schemes else ("anning" if "anning" in schemes else next(iter(schemes)))
    regions = service.regions(sid)
    reg = region if region in regions else regions[0]
    quarters = forms.entry_quarters(service, sid)
    try:
        q = Quarter.parse(quarter or "")
    except ValueError:
        q = None
    if q not in quarters:
        q = forms.default_entry_quarter(quarters)
    return sid, reg, q, quarters


def _quarter_options(quarters):
    return [{"label": forms.quarter_label(q), "value": str(q)} for q in reversed(quarters)]


def _title(service, sid, reg, q) -> str:
    return f"{reg} · {q.label} · 报送审核({service.scheme(sid).short_name}方案)"


def layout(service, search, **_):
    p = urlstate.parse(search)
    sid, reg, q, quarters = _choose(service, p.get("scheme"), p.get("region"), p.get("q"))
    return html.Div(
        [
            page_title(ids.RV_TITLE, _title(service, sid, reg, q),
                       "各填报单位报送后由办公室审核;审核通过即锁定该单位该季度的数据,退回须说明原因。"),
            dbc.Row(
                [
                    scheme_col(service, ids.RV_SCHEME, sid, md=5),
                    region_col(service, ids.RV_REGION, sid, reg, md=3),
                    selector_col("报告期", dcc.Dropdown(id=ids.RV_QUARTER, options=_quarter_options(quarters),
                        value=str(q), clearable=False, searchable=False), md=4),
                ],
                className="g-2 selectors no-print",
            ),
            html.Div(id=ids.RV_MSG, className="mt-2", role="status", **{"aria-live": "polite"}),
            html.Div(id=ids.RV_BODY),
        ],
        className="review",
    )


def _body(service, ident, sid, reg, q):
    admin = ident is not None and ident.is_admin
    progress = forms.unit_progress(service, sid, reg, q)
    head = [html.Th("填报单位"), html.Th("状态"), html.Th("报送"), html.Th("审核"), html.Th("已填/应填"),
            html.Th("未填"), html.Th("查看")]
    if admin:
        head.append(html.Th("操作"))
    rows = []
    for pr in progress:
        sub = pr.submission
        link = dcc.Link("查看填报", href="/entry" + urlstate.build(scheme=sid, region=reg, q=str(q), unit=pr.unit),
                        className="small")
        cells = [
            html.Td(pr.unit, className="fw-bold"),
            html.Td(state_badge(pr.state)),
            html.Td(f"{sub.submitted_by} {forms.local_time(sub.submitted_at)}" if sub and sub.submitted_by else "—",
                    className="small"),
            html.Td(f"{sub.approved_by} {forms.local_time(sub.approved_at)}" if sub and sub.approved_by else "—",
                    className="small"),
            html.Td(f"{pr.entered + pr.explained}/{pr.total}"
                    + (f"(含{pr.explained}项说明未填原因)" if pr.explained else ""), className="nums"),
            html.Td(str(pr.missing), className="nums text-danger fw-bold" if pr.missing else "nums"),
            html.Td(link),
        ]
        if admin:
            uid = {"unit": pr.unit}
            cells.append(html.Td(html.Div([
                dbc.Button("审核通过", id={"type": ids.RV_APPROVE, **uid}, color="success", size="sm",
                           disabled=pr.state != "submitted", className="me-1"),
                labelled(f"{pr.unit}退回原因", dbc.Input(
                    id={"type": ids.RV_REASON, **uid}, type="text", size="sm", placeholder="退回原因(必填)",
                    disabled=pr.state == "draft", className="review-reason", maxlength=200)),
                dbc.Button("退回", id={"type": ids.RV_REOPEN, **uid}, color="warning", size="sm",
                           disabled=pr.state == "draft", className="ms-1"),
            ], className="review-actions")))
        rows.append(html.Tr(cells, **{"data-unit": pr.unit, "data-state": pr.state}))
    table = dbc.Table([html.Thead(html.Tr(head)), html.Tbody(rows)], size="sm", className="review-table",
                      responsive=True)
    n_sub = sum(p.state == "submitted" for p in progress)
    n_ok = sum(p.state == "approved" for p in progress)
    summary = html.P(f"共{len(progress)}个填报单位:待审核{n_sub}个,已审核锁定{n_ok}个,"
                     f"未报送{len(progress) - n_sub - n_ok}个。", className="mb-2")
    note = None if admin else dbc.Alert("只读:只有领导小组办公室管理员可以审核或退回。", color="light",
                                         className="py-1 small mb-2")
    return html.Div([
        html.Section([html.H2("各单位报送情况", className="section-title"), summary, note, table],
                     className="section"),
        html.Section([html.H2("报送与审核记录", className="section-title"), _events(service, sid, reg, q, progress)],
                     className="section"),
    ])


def _events(service, sid, reg, q, progress):
    events = []
    for pr in progress:
        if pr.submission is None:
            continue
        for e in service.store.submission_events(sid, reg, pr.unit, q):
            events.append((e.at, pr.unit, e))
    if not events:
        return html.P("本季度还没有报送记录。", className="text-muted mb-0")
    body = [html.Tr([html.Td(forms.local_time(at)), html.Td(unit), html.Td(ACTION_TEXT.get(e.action, e.action)),
                     html.Td(e.user), html.Td(e.reason or "")])
            for at, unit, e in sorted(events, key=lambda t: t[0], reverse=True)]
    head = html.Thead(html.Tr([html.Th(h) for h in ("时间", "填报单位", "操作", "操作人", "原因")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", className="events-table mb-0")


def register(app, service):
    @app.callback(
        Output(ids.RV_REGION, "options"), Output(ids.RV_REGION, "value"),
        Output(ids.RV_QUARTER, "options"), Output(ids.RV_QUARTER, "value"),
        Output(ids.RV_TITLE, "children"), Output(ids.RV_BODY, "children"),
        Output(ids.URL, "search", allow_duplicate=True), Output(ids.RV_MSG, "children", allow_duplicate=True),
        Input(ids.RV_SCHEME, "value"), Input(ids.RV_REGION, "value"), Input(ids.RV_QUARTER, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def render(scheme_id, region, quarter):
        if list(ctx.triggered_prop_ids.values()) == [ids.RV_SCHEME]:
            region = quarter = None
        sid, reg, q, quarters = _choose(service, scheme_id, region, quarter)
        return (region_options(service, sid), reg, _quarter_options(quarters), str(q), _title(service, sid, reg, q),
                _body(service, forms.identity(), sid, reg, q), urlstate.build(scheme=sid, region=reg, q=str(q)),
                None)

    @app.callback(
        Output(ids.RV_MSG, "children"), Output(ids.RV_BODY, "children", allow_duplicate=True),
        Input({"type": ids.RV_APPROVE, "unit": ALL}, "n_clicks"),
        Input({"type": ids.RV_REOPEN, "unit": ALL}, "n_clicks"),
        State({"type": ids.RV_REASON, "unit": ALL}, "value"),
        State(ids.RV_SCHEME, "value"), State(ids.RV_REGION, "value"), State(ids.RV_QUARTER, "value"),
        prevent_initial_call=True,
    )
    def act(_approve, _reopen, _reasons, scheme_id, region, quarter):
        trig = ctx.triggered_id
        # A re-rendered table (n_clicks back to None) must not count as a click. The clicked
        # value is looked up by id: ctx.triggered's value misses non-ASCII pattern ids.
        clicks = [it.get("value") for group in ctx.inputs_list for it in group if it["id"] == trig]
        if not isinstance(trig, dict) or not any(clicks):
            return no_update, no_update
        unit = trig["unit"]
        reasons = {it["id"]["unit"]: it.get("value") for it in ctx.states_list[0]}
        ident = forms.identity()
        sid, reg, q, _ = _choose(service, scheme_id, region, quarter)
        try:
            if trig["type"] == ids.RV_APPROVE:
                text = forms.approve_unit(service, ident, sid, reg, q, unit)
            else:
                text = forms.reopen_unit(service, ident, sid, reg, q, unit, reasons.get(unit) or "")
            msg = alert(text, "success", True, "rv-alert")
        except (forms.Forbidden, forms.Refused, forms.StoreError) as exc:
            return alert(str(exc), "danger", False, "rv-alert"), no_update
        return msg, _body(service, ident, sid, reg, q)
