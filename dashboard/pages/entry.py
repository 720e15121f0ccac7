"""数据填报: a unit's quarterly values — form, save draft, submit, Excel template and upload.

Every rule is in :mod:`dashboard.entry_forms`; this module renders and wires.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from indicators.model import Kind
from indicators.periods import Quarter

from .. import entry_forms as forms
from .. import ids, urlstate
from ..components import fmt_value
from .common import page_title, region_col, region_options, scheme_col, selector_col

NAV_LABEL = "数据填报"
PATH = "/entry"
REQUIRES = "reporter"

LEVEL_CLASS = {"error": "msg-error", "warning": "msg-warning", "note": "msg-note", "ok": "msg-ok"}


def match(pathname: str):
    return {} if pathname.rstrip("/") == PATH else None


# ---------------------------------------------------------------- choosing the form

def _choose(service, ident, scheme_id=None, region=None, quarter=None, unit=None, today: Optional[date] = None):
    """A valid (scheme, region, quarter, unit) from possibly stale values; unit may be None
    when the user reports for no unit of the scheme."""
    schemes = service.registry.schemes
    sid = scheme_id if scheme_id in schemes else ("anning" if "anning" in schemes else next(iter(schemes)))
    regions = service.regions(sid)
    reg = region if region in regions else regions[0]
    quarters = forms.entry_quarters(service, sid, today)
    try:
        q = Quarter.parse(quarter or "")
    except ValueError:
        q = None
    if q not in quarters:
        q = forms.default_entry_quarter(quarters, today)
    units = forms.visible_units(ident, service, sid)
    u = unit if unit in units else (units[0] if units else None)
    return sid, reg, q, u, quarters, units


def _quarter_options(quarters, today=None):
    return [{"label": forms.quarter_label(q, today), "value": str(q)} for q in reversed(quarters)]


def _unit_options(units):
    return [{"label": u, "value": u} for u in units]


def layout(service, search, **_):
    params = urlstate.parse(search)
    ident = forms.identity()
    sid, reg, q, unit, quarters, units = _choose(service, ident, params.get("scheme"), params.get("region"),
                                                  params.get("q"), params.get("unit"))
    selectors = dbc.Row(
        [
            scheme_col(service, ids.EN_SCHEME, sid, lg=4, md=6),
            region_col(service, ids.EN_REGION, sid, reg, lg=2, md=6),
            selector_col("报告期", dcc.Dropdown(id=ids.EN_QUARTER, options=_quarter_options(quarters), value=str(q),
                                                clearable=False, searchable=False), lg=3, md=6),
            selector_col("填报单位", dcc.Dropdown(id=ids.EN_UNIT, options=_unit_options(units), value=unit,
                                                  clearable=False, placeholder="无可填报的单位"), lg=3, md=6),
        ],
        className="g-2 selectors no-print",
    )
    actions = html.Div(
        [
            dbc.Button("保存草稿", id=ids.EN_SAVE, color="primary", className="me-2"),
            dbc.Button("报送", id=ids.EN_SUBMIT, color="success", className="me-3"),
            labelled("修改原因", dbc.Input(id=ids.EN_REASON, type="text", maxlength=200,
                                        placeholder="修改原因(修改已填数值时建议填写,记入修改记录)"), "entry-reason"),
            html.Div(id=ids.EN_SUMMARY, className="entry-summary", role="status", **{"aria-live": "polite"}),
        ],
        className="entry-actions",
    )
    excel = html.Section(
        [
            html.H2("Excel批量填报", className="section-title"),
            html.P(["下载本单位本季度的填报模板(已预填上季度值和已存值),在“填报值”“备注”两列填写后上传;"
                    "系统先检查整个文件并列出每一处修改和每一个问题,确认后一次性全部写入,有任何问题则不写入。"
                    "文件不超过5 MB,支持 .xlsx 和 CSV(UTF-8)。"], className="small text-muted mb-2"),
            html.Div([
                dbc.Button("下载模板", id=ids.EN_TEMPLATE, color="secondary", outline=True, className="me-2"),
                dcc.Download(id=ids.EN_DOWNLOAD),
                dcc.Upload(id=ids.EN_UPLOAD, children=html.Div(["拖放文件到这里,或 ", html.A("选择文件上传")]),
                           className="entry-upload", accept=".xlsx,.csv,.xlsm,.xls,.txt", multiple=False),
            ], className="d-flex flex-wrap align-items-center gap-2"),
            dcc.Loading(html.Div(id=ids.EN_PREVIEW, className="mt-2"), type="dot", delay_show=300),
            html.Div([
                dbc.Button("确认导入", id=ids.EN_COMMIT, color="danger", className="me-2", disabled=True),
                dbc.Button("取消", id=ids.EN_CANCEL, color="secondary", outline=True),
            ], id=ids.EN_PREVIEW_ACTIONS, className="mt-2", style={"display": "none"}),
            dcc.Store(id=ids.EN_PLAN),
        ],
        className="section no-print",
    )
    return html.Div(
        [
            page_title(ids.EN_TITLE, _title(service, sid, reg, q, unit), "填报后先保存草稿,全部填完再报送;办公室审核通过后该季度锁定。"),
            selectors,
            html.Div(id=ids.EN_STATUS, className="entry-status"),
            html.Section(
                [
                    html.Div(id=ids.EN_FORM),
                    actions,
                ],
                className="section entry-section",
            ),
            excel,
            dcc.Store(id=ids.EN_CTX),
            dcc.Store(id=ids.EN_REFRESH, data=0),
            dcc.Store(id=ids.EN_RESULT),
            dcc.Store(id=ids.EN_ORIGINAL),
            # Unsaved inputs survive a change of quarter, unit or page (this browser tab only).
            dcc.Store(id=ids.EN_DRAFTS, storage_type="session"),
        ],
        className="entry",
    )


def _title(service, scheme_id, region, q, unit) -> str:
    scheme = service.scheme(scheme_id)
    who = unit or "无可填报单位"
    return f"{region} · {q.label} · {who} · 数据填报({scheme.short_name}方案)"


# ---------------------------------------------------------------- the form

def _shown(ind, row) -> list:
    """A row's inputs as the form shows them from the database, as RowInput.fingerprint() lists them."""
    if ind.kind is Kind.milestone:
        done_date, evidence, note = forms.parse_milestone_note(row.note if row else "")
        done = None if row is None or row.value is None else ("1" if row.value >= 1 else "0")
        return [None, done, done_date, evidence, note]
    return [forms.plain_number(row.value) if row else "", None, "", "", row.note if row else ""]


def _value_cell(ind, shown: list, editable: bool):
    pid = {"indicator": ind.id}
    if ind.kind is Kind.milestone:
        _, value, done_date, evidence, _ = shown
        return html.Div([
            dbc.RadioItems(id={"type": ids.EN_DONE, **pid}, value=value, inline=True, name=f"done-{ind.id}",
                           options=[{"label": forms.DONE_LABELS[v], "value": v, "disabled": not editable}
                                    for v in ("1", "0")], className="entry-done"),
            html.Div([
                labelled(f"{ind.name}完成日期",
                         dbc.Input(id={"type": ids.EN_DATE, **pid}, type="text", value=done_date, size="sm",
                                   debounce=True, placeholder="完成日期", disabled=not editable, maxlength=20),
                         "ms-date"),
                labelled(f"{ind.name}佐证材料",
                         dbc.Input(id={"type": ids.EN_EVIDENCE, **pid}, type="text", value=evidence, size="sm",
                                   debounce=True, placeholder="佐证材料", disabled=not editable,
                                   maxlength=300),
                         "ms-evidence"),
            ], className="ms-details"),
        ], className="milestone-cell")
    # type=text: "abc" must reach the server and get a Chinese message, not be swallowed by the browser.
    return labelled(f"{ind.name}本季度填报值", dbc.InputGroup([
        dbc.Input(id={"type": ids.EN_VALUE, **pid}, type="text", inputmode="decimal", debounce=True,
                  value=shown[0], disabled=not editable, maxlength=30),
        dbc.InputGroupText(ind.unit),
    ], size="sm", className="value-group"))


STATE_COLOR = {"draft": "secondary", "submitted": "primary", "approved": "success"}


def state_badge(state: str, extra: str = "") -> html.Span:
    return html.Span(forms.STATE_TEXT[state], className=f"badge text-bg-{STATE_COLOR[state]} state-badge {extra}",
                     **{"data-state": state})


def alert(text: str, color: str, ok: bool, id_: str) -> html.Div:
    """A message with data-ok for tests (dbc.Alert takes no data-* props)."""
    return html.Div(dbc.Alert(text, color=color, className="py-2 mb-0"), id=id_, **{"data-ok": "1" if ok else "0"})


def labelled(text: str, component, class_name: str = "d-block"):
    """A visually hidden label around an input (dbc.Input takes no aria-label), for screen readers."""
    return html.Label([html.Span(text, className="visually-hidden"), component], className=f"{class_name} mb-0")


def _current_cell(ind, row):
    if row is None:
        return html.Span("未填", className="text-muted")
    shown = fmt_value(row.value, ind) if row.value is not None else "空(已说明)"
    return html.Div([html.Div(shown, className="cur-value"),
                     html.Div(f"{row.entered_by} · {forms.short_time(row.updated_at)}", className="cur-who",
                              title=f"{row.entered_by} {forms.local_time(row.updated_at)}")])


def _form(service, ident, scheme_id, region, q, unit, state, draft=None, today=None):
    """(the form, each row's inputs as stored, the rows filled from ``draft`` instead).

    ``draft``: indicator id -> unsaved inputs (RowInput.fingerprint()) kept from an earlier
    visit; they are shown instead of the stored ones when the form is editable."""
    if unit is None:
        return dbc.Alert("您的账号没有本方案的填报单位。如需开通,请联系领导小组办公室。", color="warning"), {}, []
    c = forms.FormContext(scheme_id, region, q, unit)
    inds = forms.unit_indicators(service, scheme_id, unit, q)
    if not inds:
        return dbc.Alert(f"{unit}在{q.label}没有需要填报的指标。", color="info"), {}, []
    editable = forms.may_edit(ident, c, state)
    cur = service.store.observations_at(scheme_id, region, q)
    prev = service.store.observations_at(scheme_id, region, q.prev())
    head = html.Thead(html.Tr([html.Th("指标"), html.Th(["上季度值", html.Div(q.prev().label, className="th-sub")]),
                               html.Th(["已存值", html.Div(q.label, className="th-sub")]),
                               html.Th("本季度填报"), html.Th("备注"), html.Th("校验提示")]))
    rows, original, restored = [], {}, []
    for ind in inds:
        row, p = cur.get(ind.id), prev.get(ind.id)
        pid = {"indicator": ind.id}
        shown = original[ind.id] = _shown(ind, row)
        kept = (draft or {}).get(ind.id) if editable else None
        if isinstance(kept, list) and len(kept) == 5 and kept != shown:
            shown = kept
            restored.append(ind.id)
        note = shown[4]
        meta = forms.RowMeta.of(row, p.value if p else None)
        rows.append(html.Tr(
            [
                html.Td([
                    dcc.Link(ind.name, href=f"/indicator/{ind.id}" + urlstate.build(region=region, q=str(q)),
                             className="ind-link entry-name"),
                    html.Div(forms.kind_hint(ind), className="entry-hint"),
                    dcc.Store(id={"type": ids.EN_META, **pid}, data=meta.to_dict()),
                ], className="entry-ind"),
                html.Td(fmt_value(p.value, ind) if p else "—", className="entry-prev"),
                html.Td(_current_cell(ind, row), id={"type": ids.EN_CURRENT, **pid}, className="entry-cur"),
                html.Td(_value_cell(ind, shown, editable), className="entry-input"),
                html.Td(labelled(f"{ind.name}备注",
                                 dbc.Input(id={"type": ids.EN_NOTE, **pid}, type="text", value=note, size="sm",
                                           debounce=True, placeholder="备注(说明口径、异常或未填原因)",
                                           disabled=not editable, maxlength=500)), className="entry-note"),
                html.Td(html.Div(id={"type": ids.EN_MSG, **pid}, role="status"), className="entry-msg"),
            ],
            id={"type": ids.EN_ROW, **pid}, className="entry-row", **{"data-indicator": ind.id},
        ))
    table = dbc.Table([head, html.Tbody(rows)], size="sm", className="entry-table mb-0", responsive=True)
    return table, original, restored


def draft_key(ident, context: Optional[dict]) -> Optional[str]:
    """Drafts are kept per user and form: another account in the same tab never sees them."""
    if ident is None or not context:
        return None
    return "|".join([ident.username] + [str(context.get(k, "")) for k in ("scheme", "region", "quarter", "unit")])


def _status(service, ident, scheme_id, region, q, unit):
    if unit is None:
        return None, "draft", False
    c = forms.FormContext(scheme_id, region, q, unit)
    state, sub = forms.submission_state(service, c)
    inds = forms.unit_indicators(service, scheme_id, unit, q)
    missing = len(forms.missing_rows(service, c, inds))
    badge = state_badge(state, "me-2")
    parts = [badge, html.Span(forms.status_text(c, state, sub))]
    parts.append(html.Span(f" 共{len(inds)}项,已填{len(inds) - missing}项,未填{missing}项。", className="ms-1"))
    editable = forms.may_edit(ident, c, state)
    alert = None
    if not editable:
        if ident is None:
            why = "请先登录。"
        elif not ident.can_report(scheme_id, unit):
            why = "您只能查看,不能填报该单位的数据。"
        else:
            why = forms.state_refusal(c, state)
        alert = dbc.Alert(why, color="warning" if state != "approved" else "secondary", className="py-2 mb-0 mt-2",
                          id="en-locked")
    return html.Div([html.Div(parts, className="status-text"), alert]), state, editable


# ---------------------------------------------------------------- callbacks

def _by_indicator(items) -> dict:
    return {it["id"]["indicator"]: it.get("value") for it in (items or [])}


def _inputs(values, done, dates, evidence, notes) -> dict[str, forms.RowInput]:
    """Row inputs by indicator id from the pattern-matching state lists (dash ctx)."""
    v, d, dt, ev, n = (_by_indicator(x) for x in (values, done, dates, evidence, notes))
    out = {}
    for ind_id in list(v) + list(d):
        out[ind_id] = forms.RowInput(raw=v.get(ind_id), done=d.get(ind_id), done_date=dt.get(ind_id) or "",
                                     evidence=ev.get(ind_id) or "", note=n.get(ind_id) or "")
    return out


def _metas(items) -> dict[str, forms.RowMeta]:
    return {k: forms.RowMeta.from_dict(v) for k, v in _by_indicator(items).items()}


def _msg_div(msgs):
    return [html.Div(text, className=f"entry-msg-line {LEVEL_CLASS.get(level, '')}") for level, text in msgs]


def _row_class(msgs) -> str:
    levels = {lvl for lvl, _ in msgs}
    if "error" in levels:
        return "entry-row row-error"
    if "warning" in levels:
        return "entry-row row-warning"
    if "ok" in levels:
        return "entry-row row-ok"
    return "entry-row"


def _preview(result: forms.UploadResult, service):
    inds = service.registry.indicators
    parts = [dbc.Alert(result.summary(), color="danger" if result.errors else ("success" if result.committed
                                                                                else "info"),
                       className="py-2 mb-2", id="en-import-summary")]
    if result.errors:
        parts.append(html.Ul([html.Li(e) for e in result.errors], className="import-errors"))
        return html.Div(parts)
    if result.warnings:
        parts.append(html.Div([html.Strong("已说明的异常:"), html.Ul([html.Li(w) for w in result.warnings])],
                              className="import-warnings small"))
    if result.changes:
        body = []
        for c in result.changes:
            ind = inds[c.indicator_id]
            verb = {"new": "新增", "update": "修改", "unchanged": "不变"}[c.action]
            note = c.new_note if c.new_note != c.old_note else ""
            body.append(html.Tr([html.Td(c.row or ""), html.Td(ind.name), html.Td(c.period.label),
                                 html.Td(fmt_value(c.old_value, ind)), html.Td("→"),
                                 html.Td(fmt_value(c.new_value, ind), className="fw-bold" if c.action != "unchanged"
                                         else ""), html.Td(note), html.Td(verb)],
                                className=f"import-{c.action}"))
        head = html.Thead(html.Tr([html.Th(h) for h in ("行", "指标", "报告期", "原值", "", "新值", "新备注", "")]))
        parts.append(dbc.Table([head, html.Tbody(body)], size="sm", className="import-table", responsive=True))
    return html.Div(parts)


def _row_inputs(dependency) -> list:
    """Every row's inputs (value, done, date, evidence, note) as Input or State, in the order
    :func:`_inputs` reads them."""
    return [dependency({"type": t, "indicator": ALL}, "value")
            for t in (ids.EN_VALUE, ids.EN_DONE, ids.EN_DATE, ids.EN_EVIDENCE, ids.EN_NOTE)]


def register(app, service):
    @app.callback(
        Output(ids.EN_REGION, "options"), Output(ids.EN_REGION, "value"),
        Output(ids.EN_QUARTER, "options"), Output(ids.EN_QUARTER, "value"),
        Output(ids.EN_UNIT, "options"), Output(ids.EN_UNIT, "value"),
        Output(ids.EN_TITLE, "children"), Output(ids.EN_STATUS, "children"), Output(ids.EN_FORM, "children"),
        Output(ids.EN_CTX, "data"), Output(ids.EN_SAVE, "disabled"), Output(ids.EN_SUBMIT, "disabled"),
        Output(ids.EN_TEMPLATE, "disabled"), Output(ids.EN_UPLOAD, "disabled"),
        Output(ids.URL, "search", allow_duplicate=True),
        Output(ids.EN_RESULT, "data", allow_duplicate=True), Output(ids.EN_SUMMARY, "children", allow_duplicate=True),
        Output(ids.EN_ORIGINAL, "data"),
        Input(ids.EN_SCHEME, "value"), Input(ids.EN_REGION, "value"), Input(ids.EN_QUARTER, "value"),
        Input(ids.EN_UNIT, "value"), Input(ids.EN_REFRESH, "data"), State(ids.EN_DRAFTS, "data"),
        prevent_initial_call="initial_duplicate",
    )
    def render(scheme_id, region, quarter, unit, _refresh, drafts):
        ident = forms.identity()
        if list(ctx.triggered_prop_ids.values()) == [ids.EN_SCHEME]:
            region = quarter = unit = None  # another scheme: its own regions, quarters and units
        sid, reg, q, u, quarters, units = _choose(service, ident, scheme_id, region, quarter, unit)
        status, state, editable = _status(service, ident, sid, reg, q, u)
        data = forms.FormContext(sid, reg, q, u).to_dict() if u else None
        key = draft_key(ident, data)
        draft = (drafts or {}).get(key) if isinstance(drafts, dict) and key else None
        form, original, restored = _form(service, ident, sid, reg, q, u, state, draft)
        may_report = ident is not None and u is not None and ident.can_report(sid, u)
        # Messages of the previous form must not land on this one; the summary stays only
        # when this render follows the user's own submit or import.
        summary = no_update if ctx.triggered_id == ids.EN_REFRESH else None
        if restored:
            summary = alert(f"已恢复您在本表未保存的{len(restored)}项输入(尚未保存),请核对后点“保存草稿”。",
                            "warning", False, "en-restored-alert")
        return (region_options(service, sid), reg, _quarter_options(quarters), str(q), _unit_options(units), u,
                _title(service, sid, reg, q, u), status, form, data, not editable, not editable,
                not may_report, not editable,
                urlstate.build(scheme=sid, region=reg, q=str(q), unit=u),
                None, summary, original)

    @app.callback(
        Output(ids.EN_DRAFTS, "data"),
        *_row_inputs(Input),
        Input(ids.EN_RESULT, "data"), Input(ids.EN_ORIGINAL, "data"),
        State(ids.EN_CTX, "data"), State(ids.EN_DRAFTS, "data"),
        prevent_initial_call=True,
    )
    def keep_draft(*_):
        """Keep the rows that differ from the database (and from the last successful save) as this
        user's draft of this form, so that changing the quarter or unit loses nothing typed."""
        il, sl = ctx.inputs_list, ctx.states_list
        inputs = _inputs(il[0], il[1], il[2], il[3], il[4])
        result, original = il[5].get("value") or {}, il[6].get("value") or {}
        key = draft_key(forms.identity(), sl[0].get("value"))
        stored = sl[1].get("value")
        drafts = dict(stored) if isinstance(stored, dict) else {}
        if key is None or not inputs:
            raise PreventUpdate
        saved = {i: r.get("inputs") for i, r in (result.get("rows") or {}).items()} if result.get("ok") else {}
        dirty = {i: inp.fingerprint() for i, inp in inputs.items()
                 if inp.fingerprint() != original.get(i) and inp.fingerprint() != saved.get(i)}
        if dirty:
            drafts[key] = dirty
        elif key in drafts:
            del drafts[key]
        else:
            raise PreventUpdate
        return drafts

    @app.callback(
        Output(ids.EN_RESULT, "data"),
        Output({"type": ids.EN_META, "indicator": ALL}, "data"),
        Output({"type": ids.EN_CURRENT, "indicator": ALL}, "children"),
        Output(ids.EN_SUMMARY, "children"), Output(ids.EN_REFRESH, "data"),
        Input(ids.EN_SAVE, "n_clicks"), Input(ids.EN_SUBMIT, "n_clicks"),
        State(ids.EN_CTX, "data"),
        *_row_inputs(State),
        State({"type": ids.EN_META, "indicator": ALL}, "data"),
        State(ids.EN_REASON, "value"), State(ids.EN_REFRESH, "data"),
        prevent_initial_call=True,
    )
    def save(_save, _submit, context, *_states):
        st = ctx.states_list
        inputs = _inputs(st[1], st[2], st[3], st[4], st[5])
        metas = _metas(st[6])
        reason, refresh = st[7].get("value"), st[8].get("value") or 0
        meta_ids = [o["id"]["indicator"] for o in ctx.outputs_list[1]]
        cur_ids = [o["id"]["indicator"] for o in ctx.outputs_list[2]]
        try:
            c = forms.FormContext.from_dict(context)
        except forms.Refused as exc:
            return no_update, [no_update] * len(meta_ids), [no_update] * len(cur_ids), \
                dbc.Alert(str(exc), color="danger", className="py-2 mb-0"), no_update
        fn = forms.submit_form if ctx.triggered_id == ids.EN_SUBMIT else forms.save_form
        out = fn(service, forms.identity(), c, inputs, metas, reason or "")
        result = {"rows": {i: {"msgs": msgs, "inputs": inputs[i].fingerprint() if i in inputs else None}
                           for i, msgs in out.rows.items()},
                  "ok": out.ok, "nonce": (_save or 0) + (_submit or 0)}
        new_metas = [out.metas[i].to_dict() if i in out.metas else no_update for i in meta_ids]
        inds = service.registry.indicators
        currents = [_current_cell(inds[i], out.current[i]) if i in out.current else no_update for i in cur_ids]
        color, text = out.alert
        summary = alert(text, color, out.ok, "en-summary-alert")
        return result, new_metas, currents, summary, (refresh + 1) if out.submitted else no_update

    @app.callback(
        Output({"type": ids.EN_MSG, "indicator": ALL}, "children"),
        Output({"type": ids.EN_ROW, "indicator": ALL}, "className"),
        Input(ids.EN_RESULT, "data"),
        *_row_inputs(Input),
        State({"type": ids.EN_META, "indicator": ALL}, "data"),
        State(ids.EN_CTX, "data"),
        prevent_initial_call=True,
    )
    def messages(result, *_):
        il = ctx.inputs_list
        inputs = _inputs(il[1], il[2], il[3], il[4], il[5])
        metas = _metas(ctx.states_list[0])
        try:
            c = forms.FormContext.from_dict(ctx.states_list[1].get("value"))
        except forms.Refused:
            c = None
        saved = (result or {}).get("rows", {})
        inds = service.registry.indicators
        msgs_by_id = {}
        for ind_id, inp in inputs.items():
            got = saved.get(ind_id)
            if got and got.get("inputs") == inp.fingerprint():
                msgs_by_id[ind_id] = [tuple(m) for m in got["msgs"]]  # the last save's word on this row
            elif c is not None and ind_id in inds:
                meta = metas.get(ind_id, forms.RowMeta())
                msgs_by_id[ind_id] = forms.check_row(inds[ind_id], inp, meta, meta.prev, c.quarter).messages()
            else:
                msgs_by_id[ind_id] = []
        msg_ids = [o["id"]["indicator"] for o in ctx.outputs_list[0]]
        row_ids = [o["id"]["indicator"] for o in ctx.outputs_list[1]]
        return ([_msg_div(msgs_by_id.get(i, [])) for i in msg_ids],
                [_row_class(msgs_by_id.get(i, [])) for i in row_ids])

    @app.callback(
        Output(ids.EN_DOWNLOAD, "data"), Output(ids.EN_PREVIEW, "children", allow_duplicate=True),
        Input(ids.EN_TEMPLATE, "n_clicks"), State(ids.EN_CTX, "data"),
        prevent_initial_call=True,
    )
    def template(_n, context):
        try:
            c = forms.FormContext.from_dict(context)
            name, data = forms.template_bytes(service, forms.identity(), c)
        except (forms.Refused, forms.Forbidden) as exc:
            return no_update, dbc.Alert(str(exc), color="danger", className="py-2")
        return dcc.send_bytes(data, name), no_update

    @app.callback(
        Output(ids.EN_PREVIEW, "children", allow_duplicate=True), Output(ids.EN_PLAN, "data"),
        Output(ids.EN_COMMIT, "disabled"), Output(ids.EN_PREVIEW_ACTIONS, "style"),
        Output(ids.EN_UPLOAD, "contents"), Output(ids.EN_REFRESH, "data", allow_duplicate=True),
        Input(ids.EN_UPLOAD, "contents"), Input(ids.EN_COMMIT, "n_clicks"), Input(ids.EN_CANCEL, "n_clicks"),
        State(ids.EN_UPLOAD, "filename"), State(ids.EN_CTX, "data"), State(ids.EN_PLAN, "data"),
        State(ids.EN_SCHEME, "value"), State(ids.EN_REGION, "value"), State(ids.EN_REFRESH, "data"),
        *_row_inputs(State),
        State({"type": ids.EN_META, "indicator": ALL}, "data"),
        prevent_initial_call=True,
    )
    def upload(contents, _commit, _cancel, filename, context, plan, scheme_id, region, refresh, *_):
        hidden, shown = {"display": "none"}, {"display": "block"}
        trig = ctx.triggered_id
        if trig == ids.EN_CANCEL or (trig == ids.EN_UPLOAD and not contents):
            cleared = html.Div("已取消导入,未写入任何数据。", className="small text-muted") if trig == ids.EN_CANCEL else None
            return cleared, None, True, hidden, None, no_update
        ident = forms.identity()
        if trig == ids.EN_UPLOAD:
            result = forms.preview_upload(service, ident, scheme_id, region, contents, filename or "")
            can_commit = result.ok and bool(result.changed)
            return (_preview(result, service), result.fingerprint if result.ok else None, not can_commit,
                    shown if can_commit else hidden, no_update if result.ok else None, no_update)
        # 确认导入: never over unsaved form input (it would be lost when the form re-renders).
        st = ctx.states_list
        if context:
            c = forms.FormContext.from_dict(context)
            dirty = forms.form_dirty(service, c, _inputs(st[6], st[7], st[8], st[9], st[10]), _metas(st[11]))
            if dirty:
                msg = f"表单中有未保存的修改({'、'.join(dirty[:3])}{'等' if len(dirty) > 3 else ''}),请先保存草稿,再确认导入。"
                return dbc.Alert(msg, color="warning", className="py-2"), no_update, False, shown, no_update, no_update
        result = forms.commit_upload(service, ident, scheme_id, region, contents, filename or "", plan)
        if not result.committed:
            return _preview(result, service), None, True, hidden, None, no_update
        return _preview(result, service), None, True, hidden, None, (refresh or 0) + 1
