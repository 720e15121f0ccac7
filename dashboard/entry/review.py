"""审核: the office reviews each unit's quarterly submission with the facts on screen
(its rows, their warnings and notes, the change from last quarter), and approves
(locks) or returns it, each after a confirmation.

Everyone signed in sees the page; only admins get the buttons, and the callbacks
check again on the server (require_admin). The units table, the chase list and the
to-do lists all read :meth:`MonitorService.unit_statuses` (one rule).
"""
from __future__ import annotations

from typing import Optional

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from indicators.periods import Quarter

from .. import ids, urlstate
from ..components import fmt_value
from ..pages.common import page_title, text_or_none, region_col, region_options, resolve, scheme_col, selector_col
from . import forms, reporting
from .page import alert, labelled, state_badge

NAV_LABEL = "审核"
PATH = "/review"
# The part of the address the menu carries to this page (dashboard/markup.py navbar).
KEEP = ("scheme", "region")

ACTION_TEXT = {"submit": "报送", "approve": "审核通过", "reopen": "退回"}


def match(pathname: str):
    return {} if pathname.rstrip("/") == PATH else None


def _choose(service, scheme_id=None, region=None, quarter=None, unit=None):
    view = resolve(service, scheme_id=scheme_id, region=region, quarter=quarter,
                   quarters=lambda s, _r: forms.entry_quarters(service, s),
                   default_quarter=lambda _s, _r, offered: forms.default_entry_quarter(offered))
    sid, reg, q = view.scheme_id, view.region, view.quarter
    quarters = forms.entry_quarters(service, sid)
    units = forms.scheme_units(service, sid)
    return sid, reg, q, quarters, (unit if unit in units else None), units


def _quarter_options(quarters):
    return [{"label": forms.quarter_label(q), "value": str(q)} for q in reversed(quarters)]


def _title(service, sid, reg, q) -> str:
    return f"{reg} · {q.label} · 报送审核({service.scheme(sid).short_name}方案)"


def layout(service, search, **_):
    p = urlstate.parse(search)
    sid, reg, q, quarters, unit, units = _choose(service, p.get("scheme"), p.get("region"), p.get("q"),
                                                 p.get("unit"))
    modal = dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("请确认")),
        dbc.ModalBody(id=f"{ids.RV_MODAL}-body"),
        dbc.ModalFooter([dbc.Button("取消", id=ids.RV_CANCEL, color="secondary", outline=True),
                         dbc.Button("确认", id=ids.RV_CONFIRM, color="primary")]),
    ], id=ids.RV_MODAL, is_open=False, centered=True)
    return html.Div(
        [
            page_title(ids.RV_TITLE, _title(service, sid, reg, q),
                       "各填报单位报送后由办公室审核;审核通过即锁定该单位该季度的数据,退回须说明原因。"),
            dbc.Row(
                [
                    scheme_col(service, ids.RV_SCHEME, sid, md=4),
                    region_col(service, ids.RV_REGION, sid, reg, md=2),
                    selector_col("报告期", dcc.Dropdown(id=ids.RV_QUARTER, options=_quarter_options(quarters),
                                                        value=str(q), clearable=False, searchable=False), md=3),
                    selector_col("审阅单位", dcc.Dropdown(id=ids.RV_UNIT, options=units, value=unit,
                                                          placeholder="选择单位查看其报送内容"), md=3),
                ],
                className="g-2 selectors no-print",
            ),
            html.Div(id=ids.RV_MSG, className="mt-2", role="status", **{"aria-live": "polite"}),
            html.Div(id=ids.RV_VIEW),
            html.Div(id=ids.RV_BODY),
            modal,
            dcc.Store(id=ids.RV_VERSION),
            dcc.Store(id=ids.RV_PENDING),
            dcc.Store(id=ids.RV_REFRESH, data=0),
        ],
        className="review",
    )


def _who(names: dict, user: Optional[str], at) -> str:
    return f"{names.get(user, user)} {forms.local_time(at)}" if user else "—"


def _units_table(service, ident, sid, reg, q, statuses, names):
    head = [html.Th(h) for h in ("填报单位", "状态", "报送", "审核", "已填/应填", "未填", "报送期限", "")]
    rows = []
    for st in statuses:
        h = st.handover
        state_cell = [state_badge(st.state)]
        if st.returned_reason:
            state_cell.append(html.Div(f"退回原因:{st.returned_reason}", className="small text-danger"))
        rows.append(html.Tr([
            html.Td(st.unit, className="fw-bold"),
            html.Td(state_cell),
            html.Td(_who(names, h.submitted_by, h.submitted_at) if h and h.submitted_by else "—", className="small"),
            html.Td(_who(names, h.approved_by, h.approved_at) if h and h.approved_by else "—", className="small"),
            html.Td(f"{st.done}/{st.total}" + (f"(含{len(st.explained)}项说明未填原因)" if st.explained else ""),
                    className="nums"),
            html.Td(str(len(st.missing)), className="nums text-danger fw-bold" if st.missing else "nums"),
            html.Td([forms.day_label(st.deadline)] + ([html.Span(" 已逾期", className="badge text-bg-danger ms-1")]
                                                       if st.late else []), className="small"),
            html.Td(dbc.Button("审阅", id={"type": ids.RV_OPEN, "unit": st.unit}, size="sm", color="primary",
                               outline=st.state != reporting.SUBMITTED)),
        ], **{"data-unit": st.unit, "data-state": st.state, "data-late": "1" if st.late else "0"}))
    return dbc.Table([html.Thead(html.Tr(head)), html.Tbody(rows)], size="sm", className="review-table",
                     responsive=True)


def _summary_text(statuses) -> str:
    n = reporting.summary(statuses)
    late = sum(st.late for st in statuses)
    return (f"共{len(statuses)}个填报单位:待审核{n[reporting.SUBMITTED]}个,已审核锁定{n[reporting.APPROVED]}个,"
            f"已退回{n[reporting.RETURNED]}个,草稿{n[reporting.DRAFT]}个,未开始{n[reporting.NOT_STARTED]}个"
            + (f";逾期未报送{late}个。" if late else "。"))


def _deadline_setting(service, ident, sid):
    days = service.deadline_days(sid)
    text = f"报送期限:每季度结束后第{days}天。"
    if not (ident is not None and ident.is_admin):
        return html.P(text, className="small text-muted mb-2")
    return html.Div([
        html.Span("报送期限:每季度结束后第", className="small"),
        labelled("报送期限天数", dbc.Input(id=ids.RV_DEADLINE, type="number", min=1, max=reporting.MAX_DEADLINE_DAYS,
                                        step=1, value=days, size="sm", className="deadline-input"), "d-inline-block"),
        html.Span("天", className="small me-2"),
        dbc.Button("保存期限", id=ids.RV_DEADLINE_SAVE, size="sm", color="secondary", outline=True),
    ], className="d-flex align-items-center gap-1 mb-2 no-print")


def _body(service, ident, sid, reg, q):
    statuses = service.unit_statuses(sid, reg, q, forms.today_date())
    names = service.display_names()
    note = None if (ident is not None and ident.is_admin) else dbc.Alert(
        "只读:只有领导小组办公室管理员可以审核或退回。", color="light", className="py-1 small mb-2")
    return html.Div([
        html.Section([html.H2("各单位报送情况", className="section-title"),
                      html.P(_summary_text(statuses), className="mb-2", id="rv-summary"),
                      _deadline_setting(service, ident, sid), note,
                      _units_table(service, ident, sid, reg, q, statuses, names)], className="section"),
        html.Section([html.H2("报送与审核记录", className="section-title"), _events(service, sid, reg, q, names)],
                     className="section"),
    ])


def _view(service, ident, sid, reg, q, unit):
    """One unit's submission as the reviewer needs it: every row with last quarter, the
    change, the note and the warnings; approve and return right below. Returns (view, version)."""
    if unit is None:
        return html.P("在上方选择“审阅单位”,或点表格中的“审阅”,查看该单位本季度报送的每一项数据。",
                      className="text-muted small mt-2"), None
    st = service.unit_statuses(sid, reg, q, forms.today_date(), [unit])[0]
    names = service.display_names()
    inds = forms.unit_indicators(service, sid, unit, q)
    cur = service.store.observations_at(sid, reg, q)
    prev = service.store.observations_at(sid, reg, q.prev())
    carried = set(st.carried)
    body = []
    for ind in inds:
        row, p = cur.get(ind.id), prev.get(ind.id)
        msgs = forms.stored_messages(ind, row, p.value if p else None)
        if ind.id in st.missing:
            msgs = [("error", "尚未填写")]
        change = _change(ind, row, p)
        shown = ("已完成(之前季度)" if ind.id in carried and row is None
                 else fmt_value(row.value, ind) if row is not None and row.value is not None
                 else "空(已说明)" if row is not None else "未填")
        body.append(html.Tr([
            html.Td(dcc.Link(ind.name, href=f"/indicator/{ind.id}" + urlstate.build(region=reg, q=str(q)),
                             className="ind-link")),
            html.Td(fmt_value(p.value, ind) if p is not None and p.value is not None else "—", className="nums"),
            html.Td(shown, className="nums fw-bold"),
            html.Td(change, className="nums"),
            html.Td(row.note if row is not None else "", className="small review-note"),
            html.Td([html.Div(t, className=f"entry-msg-line msg-{'error' if lv == 'error' else lv}")
                     for lv, t in msgs]),
            html.Td(names.get(row.entered_by, row.entered_by) if row is not None else "", className="small"),
        ], className="review-row" + (" row-warning" if any(lv in ("warning", "error") for lv, _ in msgs) else ""),
            **{"data-indicator": ind.id}))
    table = dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("指标", "上季度", "本季度", "变化", "备注",
                                                                "校验提示", "填报人")])), html.Tbody(body)],
                      size="sm", className="review-rows", responsive=True)
    admin = ident is not None and ident.is_admin
    actions = None
    if admin:
        actions = html.Div([
            dbc.Button("审核通过", id=ids.RV_APPROVE, color="success", disabled=st.state != reporting.SUBMITTED,
                       className="me-2"),
            labelled(f"{unit}退回原因", dbc.Input(id=ids.RV_REASON, type="text", placeholder="退回原因(必填,告知填报单位)",
                                                maxlength=forms.MAX_REASON,
                                                disabled=st.state not in (reporting.SUBMITTED, reporting.APPROVED)),
                     "review-reason"),
            dbc.Button("退回", id=ids.RV_REOPEN, color="warning", className="ms-2",
                       disabled=st.state not in (reporting.SUBMITTED, reporting.APPROVED)),
        ], className="review-actions d-flex align-items-center flex-wrap gap-1 my-2")
    head = html.Div([html.H2(f"审阅:{unit}", className="section-title d-inline-block me-2"), state_badge(st.state),
                     html.Span(forms.status_text(st, names), className="ms-2 small")])
    # The actions above the rows: a long form must not hide them below the fold.
    return html.Section([head, actions, table], className="section review-view", id="rv-view-section",
                        **{"data-unit": unit, "data-state": st.state}), (st.handover.version if st.handover else 0)


def _change(ind, row, prev) -> str:
    """This quarter against last quarter, as the reviewer reads it."""
    if row is None or row.value is None or prev is None or prev.value is None:
        return "—"
    d = row.value - prev.value
    if ind.kind.value == "milestone":
        return "新完成" if d > 0 else ("改为未完成" if d < 0 else "持平")
    return ("+" if d > 0 else "") + fmt_value(d, ind) if d else "持平"


def _events(service, sid, reg, q, names):
    events = []
    for unit in forms.scheme_units(service, sid):
        for e in service.store.submission_events(sid, reg, unit, q):
            events.append((e.at, unit, e))
    if not events:
        return html.P("本季度还没有报送记录。", className="text-muted mb-0")
    body = [html.Tr([html.Td(forms.local_time(at)), html.Td(unit), html.Td(ACTION_TEXT.get(e.action, e.action)),
                     html.Td(names.get(e.user, e.user)), html.Td(e.reason or "")])
            for at, unit, e in sorted(events, key=lambda t: t[0], reverse=True)]
    head = html.Thead(html.Tr([html.Th(h) for h in ("时间", "填报单位", "操作", "操作人", "原因")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", className="events-table mb-0")


def register(app, service):
    @app.callback(
        output=dict(region_options=Output(ids.RV_REGION, "options"), region=Output(ids.RV_REGION, "value"),
                    quarter_options=Output(ids.RV_QUARTER, "options"), quarter=Output(ids.RV_QUARTER, "value"),
                    unit=Output(ids.RV_UNIT, "value"), title=Output(ids.RV_TITLE, "children"),
                    body=Output(ids.RV_BODY, "children"), view=Output(ids.RV_VIEW, "children"),
                    version=Output(ids.RV_VERSION, "data"),
                    search=Output(ids.ADDRESS, "data", allow_duplicate=True),
                    msg=Output(ids.RV_MSG, "children", allow_duplicate=True)),
        inputs=dict(scheme_id=Input(ids.RV_SCHEME, "value"), region=Input(ids.RV_REGION, "value"),
                    quarter=Input(ids.RV_QUARTER, "value"), unit=Input(ids.RV_UNIT, "value"),
                    refresh=Input(ids.RV_REFRESH, "data")),
        prevent_initial_call="initial_duplicate",
    )
    def render(scheme_id, region, quarter, unit, refresh):
        if ctx.triggered_id == ids.RV_SCHEME and len(ctx.triggered_prop_ids) == 1:
            region = quarter = unit = None
        sid, reg, q, quarters, u, _ = _choose(service, text_or_none(scheme_id), text_or_none(region), text_or_none(quarter), text_or_none(unit))
        ident = forms.identity()
        view, version = _view(service, ident, sid, reg, q, u)
        return dict(region_options=region_options(service, sid), region=reg, quarter_options=_quarter_options(quarters),
                    quarter=str(q), unit=u, title=_title(service, sid, reg, q), body=_body(service, ident, sid, reg, q),
                    view=view, version=version, search=urlstate.build(scheme=sid, region=reg, q=str(q), unit=u),
                    msg=no_update if ctx.triggered_id == ids.RV_REFRESH else None)

    @app.callback(
        Output(ids.RV_UNIT, "value", allow_duplicate=True),
        Input({"type": ids.RV_OPEN, "unit": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def open_unit(clicks):
        trig = ctx.triggered_id
        # A redrawn table (n_clicks back to None) is not a click.
        if not isinstance(trig, dict) or not any(c for c in (clicks or []) if isinstance(c, int)):
            raise PreventUpdate
        return trig.get("unit")

    @app.callback(
        output=dict(is_open=Output(ids.RV_MODAL, "is_open"), body=Output(f"{ids.RV_MODAL}-body", "children"),
                    pending=Output(ids.RV_PENDING, "data"), msg=Output(ids.RV_MSG, "children", allow_duplicate=True)),
        inputs=dict(approve=Input(ids.RV_APPROVE, "n_clicks"), reopen=Input(ids.RV_REOPEN, "n_clicks")),
        state=dict(unit=State(ids.RV_UNIT, "value"), reason=State(ids.RV_REASON, "value"),
                   quarter=State(ids.RV_QUARTER, "value")),
        prevent_initial_call=True,
    )
    def ask(approve, reopen, unit, reason, quarter):
        """审核通过 and 退回 ask first, saying what will happen."""
        trig = ctx.triggered_id
        unit, reason = text_or_none(unit), (text_or_none(reason) or "").strip()
        if unit is None or not (approve if trig == ids.RV_APPROVE else reopen):
            raise PreventUpdate
        label = Quarter.parse(quarter).label if text_or_none(quarter) else ""
        if trig == ids.RV_REOPEN:
            if not reason:
                return dict(is_open=False, body=no_update, pending=None,
                            msg=alert("退回须填写原因(告知填报单位需要修改什么)。", "danger", False, "rv-alert"))
            text = [html.P(f"确认退回{unit}{label}的数据?"), html.P(f"退回原因:{reason}"),
                    html.P("退回后该单位可以修改并重新报送;原因会显示在其待办和填报页上。", className="small text-muted")]
            return dict(is_open=True, body=text, pending={"action": "reopen", "unit": unit, "reason": reason},
                        msg=None)
        text = [html.P(f"确认审核通过{unit}{label}的数据?"),
                html.P("审核通过后该单位该季度的数据锁定,不能再修改(如需修改须先退回)。", className="small text-muted")]
        return dict(is_open=True, body=text, pending={"action": "approve", "unit": unit}, msg=None)

    @app.callback(
        output=dict(is_open=Output(ids.RV_MODAL, "is_open", allow_duplicate=True),
                    msg=Output(ids.RV_MSG, "children", allow_duplicate=True),
                    refresh=Output(ids.RV_REFRESH, "data")),
        inputs=dict(yes=Input(ids.RV_CONFIRM, "n_clicks"), no=Input(ids.RV_CANCEL, "n_clicks")),
        state=dict(pending=State(ids.RV_PENDING, "data"), version=State(ids.RV_VERSION, "data"),
                   scheme_id=State(ids.RV_SCHEME, "value"), region=State(ids.RV_REGION, "value"),
                   quarter=State(ids.RV_QUARTER, "value"), refresh=State(ids.RV_REFRESH, "data")),
        prevent_initial_call=True,
    )
    def act(yes, no, pending, version, scheme_id, region, quarter, refresh):
        """Carry out the confirmed action, against the submission version the reviewer saw."""
        refresh = refresh if isinstance(refresh, int) else 0
        if ctx.triggered_id != ids.RV_CONFIRM or not yes or not isinstance(pending, dict):
            return dict(is_open=False, msg=no_update, refresh=no_update)
        sid, reg, q, _, unit, _ = _choose(service, text_or_none(scheme_id), text_or_none(region), text_or_none(quarter),
                                          text_or_none(pending.get("unit")))
        if unit is None:
            return dict(is_open=False, msg=alert("页面参数无效,请刷新页面后重试。", "danger", False, "rv-alert"),
                        refresh=no_update)
        expected = version if isinstance(version, int) and not isinstance(version, bool) else None
        ident = forms.identity()
        try:
            if pending.get("action") == "approve":
                text = forms.approve_unit(service, ident, sid, reg, q, unit, expected)
            else:
                text = forms.reopen_unit(service, ident, sid, reg, q, unit, text_or_none(pending.get("reason")) or "",
                                         expected)
        except forms.ConflictError as exc:
            # Show the new state: the page is redrawn with what is stored now.
            return dict(is_open=False, msg=alert(f"未执行:{exc}。页面已刷新为最新内容。", "danger", False, "rv-alert"),
                        refresh=refresh + 1)
        except (forms.Forbidden, forms.Refused, forms.StoreError) as exc:
            return dict(is_open=False, msg=alert(str(exc), "danger", False, "rv-alert"), refresh=no_update)
        return dict(is_open=False, msg=alert(text, "success", True, "rv-alert"), refresh=refresh + 1)

    @app.callback(
        Output(ids.RV_MSG, "children", allow_duplicate=True), Output(ids.RV_REFRESH, "data", allow_duplicate=True),
        Input(ids.RV_DEADLINE_SAVE, "n_clicks"),
        State(ids.RV_DEADLINE, "value"), State(ids.RV_SCHEME, "value"), State(ids.RV_REFRESH, "data"),
        prevent_initial_call=True,
    )
    def save_deadline(n, days, scheme_id, refresh):
        if not n:
            raise PreventUpdate
        try:
            text = forms.set_deadline(service, forms.identity(), text_or_none(scheme_id), days)
        except (forms.Forbidden, forms.Refused) as exc:
            return alert(str(exc), "danger", False, "rv-alert"), no_update
        return alert(text, "success", True, "rv-alert"), (refresh if isinstance(refresh, int) else 0) + 1
