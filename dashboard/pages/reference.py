"""基线与参照值: the office enters baselines and reference series (e.g. the provincial
average a relative target is measured against). Everyone signed in may look;
only admins may save (checked again on the server)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from indicators.model import KIND_LABELS

from ..entry import forms
from .. import ids, urlstate
from ..components import fmt_value
from ..entry.page import alert, labelled
from .common import page_title, region_col, region_options, resolve, scheme_col

NAV_LABEL = "基线与参照值"
PATH = "/reference"
# The part of the address the menu carries to this page (dashboard/markup.py navbar).
KEEP = ("scheme", "region")

LEVEL_CLASS = {"error": "msg-error", "ok": "msg-ok"}
SOURCE_TEXT = {"form": "表单", "import": "导入", "correction": "更正", "demo": "示例数据"}


def match(pathname: str):
    return {} if pathname.rstrip("/") == PATH else None


def _choose(service, scheme_id=None, region=None):
    # No quarter on this page: the cheapest valid one (no data read) stands in.
    view = resolve(service, scheme_id=scheme_id, region=region, default_quarter=lambda _s, _r, offered: offered[-1])
    return view.scheme_id, view.region


def _title(service, sid, reg) -> str:
    return f"{reg} · 基线与参照值({service.scheme(sid).short_name}方案)"


def layout(service, search, **_):
    p = urlstate.parse(search)
    sid, reg = _choose(service, p.get("scheme"), p.get("region"))
    return html.Div(
        [
            page_title(ids.RF_TITLE, _title(service, sid, reg),
                       "基期值决定“累计、占比、区间、相对基期”等指标的进度起点;参照值是相对指标比较的对象(如全省平均水平)。"),
            dbc.Row(
                [
                    scheme_col(service, ids.RF_SCHEME, sid, md=6),
                    region_col(service, ids.RF_REGION, sid, reg, md=3),
                ],
                className="g-2 selectors no-print",
            ),
            html.Div(id=ids.RF_BODY),
        ],
        className="reference",
    )


def _msg(msgs):
    return [html.Div(text, className=f"entry-msg-line {LEVEL_CLASS.get(level, '')}") for level, text in msgs]


def _pending(service, sid, reg) -> dict:
    """Indicator id -> the engine's result, for those whose baseline the office has yet to enter
    (judged as of the monitoring pages' default quarter, whose stand-in the overview shows)."""
    quarter = resolve(service, scheme_id=sid, region=reg).quarter
    return {r.indicator_id: r for r in service.results(sid, reg, quarter) if r.baseline_pending}


def _pending_list(service, pending: dict):
    """The office's work list: "N项基线待录入", each with the stand-in now used."""
    if not pending:
        return html.P("所有需要基线的指标均已录入基期值。", className="small text-muted mb-2", id="rf-pending")
    inds = service.registry.indicators
    return html.Div([
        html.Strong(f"{len(pending)}项基线待录入"),
        html.Span(":以下指标的进度目前以填报值代替基线,请录入基期值。", className="small"),
        html.Ul([html.Li(f"{inds[i].name}({r.baseline_pending_text})", **{"data-indicator": i})
                 for i, r in pending.items()], className="small mb-2"),
    ], className="baseline-pending-list", id="rf-pending", **{"data-pending": len(pending)})


def _row_pending(result):
    return (html.Div(result.baseline_pending_text, className="msg-warning small baseline-pending-row")
            if result is not None else None)


def _baselines(service, sid, reg, admin: bool):
    inds = forms.baseline_indicators(service, sid)
    stored = service.store.baseline_rows(sid, reg)
    pending = _pending(service, sid, reg)
    rows = []
    for ind in inds:
        b = stored.get(ind.id)
        pid = {"indicator": ind.id}
        meta = ({"version": b.version, "value": b.value, "as_of": b.as_of.isoformat(), "note": b.note} if b
                else {"version": None, "value": None, "as_of": "", "note": ""})
        reg_text = (f"{fmt_value(ind.baseline.value, ind)}(截至{ind.baseline.as_of:%Y-%m-%d})"
                    if ind.baseline else "—")
        need = pending.get(ind.id)
        rows.append(html.Tr([
            html.Td([html.Div(ind.name, className="entry-name"),
                     html.Div(f"{KIND_LABELS[ind.kind.value]} · 单位:{ind.unit}", className="entry-hint"),
                     html.Div(_row_pending(need), id={"type": ids.RF_BASE_PENDING, **pid}),
                     dcc.Store(id={"type": ids.RF_BASE_META, **pid}, data=meta)]),
            html.Td(reg_text, className="small"),
            html.Td(labelled(f"{ind.name}基期值", dbc.InputGroup(
                [dbc.Input(id={"type": ids.RF_BASE_VALUE, **pid}, type="text", size="sm", maxlength=30,
                           value=forms.plain_number(b.value) if b else "", disabled=not admin),
                 dbc.InputGroupText(ind.unit)], size="sm", className="value-group"))),
            html.Td(labelled(f"{ind.name}基期日期", dbc.Input(
                id={"type": ids.RF_BASE_ASOF, **pid}, type="text", size="sm", placeholder="如2022-06-30",
                value=b.as_of.isoformat() if b else "", disabled=not admin, maxlength=20))),
            html.Td(labelled(f"{ind.name}基期说明", dbc.Input(
                id={"type": ids.RF_BASE_NOTE, **pid}, type="text", size="sm", placeholder="来源或说明",
                value=b.note if b else "", disabled=not admin, maxlength=300))),
            html.Td(html.Div(id={"type": ids.RF_BASE_ROWMSG, **pid}), className="entry-msg"),
        ], **{"data-indicator": ind.id}))
    head = html.Thead(html.Tr([html.Th(h) for h in ("指标", "方案文件中的基线", "基期值", "基期日期", "来源/说明", "提示")]))
    return html.Section([
        html.H2("基期值", className="section-title"),
        html.P("这里录入的基期值优先于方案文件中的基线。修改会记入修改记录。", className="small text-muted mb-2"),
        html.Div(_pending_list(service, pending), id=ids.RF_PENDING),
        dbc.Table([head, html.Tbody(rows)], size="sm", className="entry-table base-table", responsive=True),
        html.Div([dbc.Button("保存基期值", id=ids.RF_SAVE_BASE, color="primary", disabled=not admin),
                  html.Div(id=ids.RF_BASE_MSG, className="ms-2 flex-grow-1")], className="d-flex align-items-start"),
    ], className="section")


def _references(service, sid, reg, admin: bool):
    scheme = service.scheme(sid)
    if not scheme.reference_series:
        return html.Section([html.H2("参照值", className="section-title"),
                             html.P("本方案没有需要参照值的指标。", className="text-muted mb-0")], className="section")
    quarters = forms.entry_quarters(service, sid)
    stored = {(r.series_id, str(r.period)): r for r in service.store.reference_rows(sid, reg)}
    names = service.display_names()
    blocks = []
    for s in scheme.reference_series:
        rows = []
        for q in reversed(quarters):
            r = stored.get((s.id, str(q)))
            pid = {"series": s.id, "period": str(q)}
            rows.append(html.Tr([
                html.Td(forms.quarter_label(q)),
                html.Td([labelled(f"{s.name}{q.label}", dbc.InputGroup(
                    [dbc.Input(id={"type": ids.RF_REF_VALUE, **pid}, type="text", size="sm", maxlength=30,
                               value=forms.plain_number(r.value) if r else "", disabled=not admin),
                     dbc.InputGroupText(s.unit)], size="sm", className="value-group")),
                         dcc.Store(id={"type": ids.RF_REF_META, **pid},
                                   data={"version": r.version if r else None, "value": r.value if r else None})]),
                html.Td(f"{names.get(r.entered_by, r.entered_by)} {forms.local_time(r.updated_at)}" if r else "", className="small text-muted"),
                html.Td(html.Div(id={"type": ids.RF_REF_ROWMSG, **pid}), className="entry-msg"),
            ], **{"data-series": s.id, "data-period": str(q)}))
        head = html.Thead(html.Tr([html.Th(h) for h in ("报告期", "参照值", "录入", "提示")]))
        blocks.append(html.Div([
            html.H3(s.name, className="dim-title"),
            html.P(s.interpretation, className="small text-muted mb-1") if s.interpretation else None,
            dbc.Table([head, html.Tbody(rows)], size="sm", className="entry-table ref-table", responsive=True),
        ], className="ref-series"))
    return html.Section([
        html.H2("参照值(按季度)", className="section-title"),
        *blocks,
        html.Div([dbc.Button("保存参照值", id=ids.RF_SAVE_REF, color="primary", disabled=not admin),
                  html.Div(id=ids.RF_REF_MSG, className="ms-2 flex-grow-1")], className="d-flex align-items-start"),
    ], className="section")


def _history(service, sid, reg):
    scheme = service.scheme(sid)
    names = {f"ref:{s.id}": s.name for s in scheme.reference_series}
    names.update({f"baseline:{i.id}": f"{i.name}(基期值)" for i in forms.baseline_indicators(service, sid)})
    revs = [r for key in names for r in service.store.history(key, region=reg)]
    if not revs:
        return None
    revs.sort(key=lambda r: r.at, reverse=True)
    people = service.display_names()
    body = [html.Tr([html.Td(forms.local_time(r.at)), html.Td(names[r.indicator_id]),
                     html.Td(str(r.period) if r.period else ""),
                     html.Td("—" if r.old_value is None else forms.plain_number(r.old_value)),
                     html.Td("—" if r.new_value is None else forms.plain_number(r.new_value)),
                     html.Td(people.get(r.user, r.user)), html.Td(SOURCE_TEXT.get(r.source, r.source)), html.Td(r.reason)])
            for r in revs[:30]]
    head = html.Thead(html.Tr([html.Th(h) for h in ("时间", "项目", "报告期", "原值", "新值", "修改人", "来源", "原因")]))
    return html.Section([html.H2("修改记录(最近30条)", className="section-title"),
                         dbc.Table([head, html.Tbody(body)], size="sm", className="history-table mb-0")],
                        className="section")


def _body(service, ident, sid, reg):
    admin = ident is not None and ident.is_admin
    note = None if admin else dbc.Alert("只读:只有领导小组办公室管理员可以录入基期值和参照值。", color="light",
                                         className="py-1 small mt-2 mb-0")
    return html.Div([note, _references(service, sid, reg, admin), _baselines(service, sid, reg, admin),
                     _history(service, sid, reg)])


def _by(items, *keys):
    return {tuple(it["id"][k] for k in keys) if len(keys) > 1 else it["id"][keys[0]]: it.get("value")
            for it in (items or [])}


def _alert(out: forms.AdminOutcome, id_: str):
    color, text = out.alert
    return alert(text, color, out.ok, f"rf-alert-{id_}")


def register(app, service):
    @app.callback(
        Output(ids.RF_REGION, "options"), Output(ids.RF_REGION, "value"), Output(ids.RF_TITLE, "children"),
        Output(ids.RF_BODY, "children"), Output(ids.ADDRESS, "data", allow_duplicate=True),
        Input(ids.RF_SCHEME, "value"), Input(ids.RF_REGION, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def render(scheme_id, region):
        if list(ctx.triggered_prop_ids.values()) == [ids.RF_SCHEME]:
            region = None
        sid, reg = _choose(service, scheme_id, region)
        return (region_options(service, sid), reg, _title(service, sid, reg),
                _body(service, forms.identity(), sid, reg), urlstate.build(scheme=sid, region=reg))

    @app.callback(
        Output(ids.RF_BASE_MSG, "children"),
        Output({"type": ids.RF_BASE_ROWMSG, "indicator": ALL}, "children"),
        Output({"type": ids.RF_BASE_META, "indicator": ALL}, "data"),
        Input(ids.RF_SAVE_BASE, "n_clicks"),
        State({"type": ids.RF_BASE_VALUE, "indicator": ALL}, "value"),
        State({"type": ids.RF_BASE_ASOF, "indicator": ALL}, "value"),
        State({"type": ids.RF_BASE_NOTE, "indicator": ALL}, "value"),
        State({"type": ids.RF_BASE_META, "indicator": ALL}, "data"),
        State(ids.RF_SCHEME, "value"), State(ids.RF_REGION, "value"),
        prevent_initial_call=True,
    )
    def save_baselines(_n, *_):
        st = ctx.states_list
        values, as_of, notes, metas = (_by(st[i], "indicator") for i in range(4))
        sid, reg = _choose(service, st[4].get("value"), st[5].get("value"))
        inputs = {i: (values.get(i), as_of.get(i) or "", notes.get(i) or "") for i in values}
        out = forms.save_baselines(service, forms.identity(), sid, reg, inputs, metas)
        msg_ids = [o["id"]["indicator"] for o in ctx.outputs_list[1]]
        meta_ids = [o["id"]["indicator"] for o in ctx.outputs_list[2]]
        return (_alert(out, "base"), [_msg(out.rows.get(i, [])) for i in msg_ids],
                [out.metas.get(i, no_update) for i in meta_ids])

    @app.callback(
        Output(ids.RF_PENDING, "children"),
        Output({"type": ids.RF_BASE_PENDING, "indicator": ALL}, "children"),
        Input(ids.RF_BASE_MSG, "children"), Input(ids.RF_REF_MSG, "children"),
        State(ids.RF_SCHEME, "value"), State(ids.RF_REGION, "value"),
        prevent_initial_call=True,
    )
    def refresh_pending(_base_msg, _ref_msg, scheme_id, region):
        """After a save the work list and the rows' hints follow the stored baselines at once."""
        sid, reg = _choose(service, scheme_id, region)
        pending = _pending(service, sid, reg)
        return (_pending_list(service, pending),
                [_row_pending(pending.get(o["id"]["indicator"])) for o in ctx.outputs_list[1]])

    @app.callback(
        Output(ids.RF_REF_MSG, "children"),
        Output({"type": ids.RF_REF_ROWMSG, "series": ALL, "period": ALL}, "children"),
        Output({"type": ids.RF_REF_META, "series": ALL, "period": ALL}, "data"),
        Input(ids.RF_SAVE_REF, "n_clicks"),
        State({"type": ids.RF_REF_VALUE, "series": ALL, "period": ALL}, "value"),
        State({"type": ids.RF_REF_META, "series": ALL, "period": ALL}, "data"),
        State(ids.RF_SCHEME, "value"), State(ids.RF_REGION, "value"),
        prevent_initial_call=True,
    )
    def save_references(_n, *_):
        st = ctx.states_list
        values, metas = _by(st[0], "series", "period"), _by(st[1], "series", "period")
        sid, reg = _choose(service, st[2].get("value"), st[3].get("value"))
        out = forms.save_references(service, forms.identity(), sid, reg, values, metas)
        key = lambda o: (o["id"]["series"], o["id"]["period"])  # noqa: E731
        return (_alert(out, "ref"), [_msg(out.rows.get(key(o), [])) for o in ctx.outputs_list[1]],
                [out.metas.get(key(o), no_update) for o in ctx.outputs_list[2]])
