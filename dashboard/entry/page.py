"""数据填报: a unit's quarterly values — form, save draft, submit, paste a column, Excel.

Every rule is in :mod:`dashboard.entry.forms` (and who owes what in
:mod:`dashboard.entry.reporting`); this module renders and wires. Callbacks are small
and take named inputs: choosing the form, drawing it, its status line, keeping
unsaved input, checking rows as they are typed, saving, pasting, Excel.
"""
from __future__ import annotations

from datetime import date
from typing import Optional

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from indicators.model import Kind

from .. import ids, urlstate
from ..components import fmt_value
from ..evidence import page as evidence_page
from ..ledger import page as ledger_page
from ..pages.common import page_title, region_col, resolve, scheme_col, selector_col, text_or_none
from . import forms, reporting

NAV_LABEL = "数据填报"
PATH = "/entry"
# The part of the address the menu carries to this page (dashboard/markup.py navbar).
KEEP = ("scheme", "region")
REQUIRES = "reporter"

LEVEL_CLASS = {"error": "msg-error", "warning": "msg-warning", "note": "msg-note", "ok": "msg-ok"}
ROW_TYPES = (ids.EN_VALUE, ids.EN_DONE, ids.EN_DATE, ids.EN_EVIDENCE, ids.EN_NOTE)


def match(pathname: str):
    return {} if pathname.rstrip("/") == PATH else None


# ---------------------------------------------------------------- choosing the form

def _choose(service, ident, scheme_id=None, region=None, quarter=None, unit=None, today: Optional[date] = None):
    """A valid (scheme, region, quarter, unit) from possibly stale values; unit may be None
    when the user reports for no unit of the scheme."""
    view = resolve(service, scheme_id=scheme_id, region=region, quarter=quarter,
                   regions=lambda s: forms.visible_regions(ident, service, s),
                   quarters=lambda s, _r: forms.entry_quarters(service, s, today),
                   default_quarter=lambda _s, _r, offered: forms.default_entry_quarter(offered, today))
    sid, reg, q = view.scheme_id, view.region, view.quarter
    quarters = forms.entry_quarters(service, sid, today)
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
            region_col(service, ids.EN_REGION, sid, reg, forms.visible_regions(ident, service, sid), lg=2, md=6),
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
            labelled("修改原因", dbc.Input(id=ids.EN_REASON, type="text", maxlength=forms.MAX_REASON,
                                        placeholder="修改原因(修改已填数值或更正里程碑时填写,记入修改记录)"),
                     "entry-reason"),
            html.Div(id=ids.EN_SUMMARY, className="entry-summary", role="status", **{"aria-live": "polite"}),
        ],
        className="entry-actions",
    )
    confirm = dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("确认报送")),
            dbc.ModalBody(id=f"{ids.EN_SUBMIT_MODAL}-body"),
            dbc.ModalFooter([
                dbc.Button("取消", id=ids.EN_SUBMIT_CANCEL, color="secondary", outline=True),
                dbc.Button("确认报送", id=ids.EN_SUBMIT_CONFIRM, color="success"),
            ]),
        ],
        id=ids.EN_SUBMIT_MODAL, is_open=False, centered=True,
    )
    excel = html.Section(
        [
            html.H2("Excel批量填报", className="section-title"),
            html.P(["下载本单位本季度的填报模板(已预填上季度值和已存值),在“填报值”“备注”两列填写后上传;"
                    "系统先检查整个文件并列出每一处修改和每一个问题,确认后一次性全部写入,有任何问题则不写入。"
                    "文件不超过5 MB,支持 .xlsx 和 CSV(UTF-8)。也可以从Excel复制一列数值,粘贴到表单第一个要填的输入框,"
                    "各行依次填入。"], className="small text-muted mb-2"),
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
            html.Section([html.Div(id=ids.EN_FORM), actions], className="section entry-section"),
            excel,
            confirm,
            dcc.Store(id=ids.EN_CTX),
            dcc.Store(id=ids.EN_REFRESH, data=0),
            dcc.Store(id=ids.EN_RESULT),
            dcc.Store(id=ids.EN_ORIGINAL),
            dcc.Store(id=ids.EN_PASTE),
            dcc.Store(id=ids.EN_SUBMIT_GO, data=0),
            dcc.Store(id=ids.EN_FOCUS),
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


STATE_COLOR = reporting.FORM_STATE_COLOR


def state_badge(state: str, extra: str = "") -> html.Span:
    """A form state (dashboard.entry.reporting: 未开始, 草稿, 已报送, 已退回, 已审核锁定) as a badge."""
    return html.Span(reporting.FORM_STATE_TEXT[state],
                     className=f"badge text-bg-{STATE_COLOR[state]} state-badge {extra}", **{"data-state": state})


def alert(text: str, color: str, ok: bool, id_: str) -> html.Div:
    """A message with data-ok for tests (dbc.Alert takes no data-* props)."""
    return html.Div(dbc.Alert(text, color=color, className="py-2 mb-0"), id=id_, **{"data-ok": "1" if ok else "0"})


def labelled(text: str, component, class_name: str = "d-block"):
    """A visually hidden label around an input (dbc.Input takes no aria-label), for screen readers."""
    return html.Label([html.Span(text, className="visually-hidden"), component], className=f"{class_name} mb-0")


def _current_cell(ind, row, names: dict):
    if row is None:
        return html.Span("未填", className="text-muted")
    shown = fmt_value(row.value, ind) if row.value is not None else "空(已说明)"
    who = names.get(row.entered_by, row.entered_by)
    return html.Div([html.Div(shown, className="cur-value"),
                     html.Div(f"{who} · {forms.short_time(row.updated_at)}", className="cur-who",
                              title=f"{who} {forms.local_time(row.updated_at)}")])


def _carried_cell(ind, done: forms.CarriedMilestone, shown: list, editable: bool):
    """A milestone done in an earlier quarter: shown done, nothing asked; 更正 opens the inputs."""
    info = html.Div([
        html.Span("已完成", className="badge text-bg-success me-1"),
        html.Span(done.text(), className="small"),
    ], className="carried-info")
    if not editable:
        return html.Div(info, className="milestone-carried")
    toggle = dbc.Checkbox(id={"type": ids.EN_CORRECT, "indicator": ind.id}, label="更正(须填写修改原因)",
                          value=False, className="small correct-toggle")
    return html.Div([info, toggle, html.Div(_value_cell(ind, shown, editable), className="correct-inputs")],
                    className="milestone-carried")


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
    carried = forms.carried_milestones(service, c, inds)
    names = service.display_names()
    ev_counts = evidence_page.counts(service, scheme_id, region, q)
    ev_may_add = evidence_page.may_add(service, ident, scheme_id, unit, region, q)
    lg_counts = service.ledger_counts(scheme_id, region, q) if any(i.ledger for i in inds) else {}
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
        # The stored value's own warnings (read-only views and the reviewer see them too).
        msgs = forms.stored_messages(ind, row, p.value if p else None)
        if ind.id in carried and row is None:
            value_cell = _carried_cell(ind, carried[ind.id], shown, editable)
        else:
            value_cell = _value_cell(ind, shown, editable)
        rows.append(html.Tr(
            [
                html.Td([
                    dcc.Link(ind.name, href=f"/indicator/{ind.id}" + urlstate.build(region=region, q=str(q)),
                             className="ind-link entry-name"),
                    html.Div(forms.kind_hint(ind), className="entry-hint"),
                    evidence_page.entry_cell(ind, ev_counts.get(ind.id, 0), region, q, ev_may_add),
                    ledger_page.entry_line(ind, lg_counts.get(ind.id), row.value if row else None, region, q),
                    dcc.Store(id={"type": ids.EN_META, **pid}, data=meta.to_dict()),
                ], className="entry-ind"),
                html.Td(fmt_value(p.value, ind) if p else "—", className="entry-prev"),
                html.Td(_current_cell(ind, row, names), id={"type": ids.EN_CURRENT, **pid}, className="entry-cur"),
                html.Td(value_cell, className="entry-input"),
                html.Td([
                    labelled(f"{ind.name}备注",
                             dbc.Input(id={"type": ids.EN_NOTE, **pid}, type="text", value=note, size="sm",
                                       debounce=True, placeholder="备注(说明口径、异常或未填原因)",
                                       disabled=not editable, maxlength=forms.MAX_NOTE)),
                    dbc.Checkbox(id={"type": ids.EN_CONFIRM, **pid}, label="备注仍适用", value=False,
                                 disabled=not editable, className="small note-confirm"),
                ], className="entry-note"),
                html.Td(html.Div(_msg_div(msgs), id={"type": ids.EN_MSG, **pid}, role="status"),
                        className="entry-msg"),
            ],
            id={"type": ids.EN_ROW, **pid}, className=_row_class(msgs), **{"data-indicator": ind.id},
        ))
    table = dbc.Table([head, html.Tbody(rows)], size="sm", className="entry-table mb-0", responsive=True)
    return table, original, restored


def draft_key(ident, context: Optional[dict]) -> Optional[str]:
    """Drafts are kept per user and form: another account in the same tab never sees them."""
    if ident is None or not context:
        return None
    return "|".join([ident.username] + [str(context.get(k, "")) for k in ("scheme", "region", "quarter", "unit")])


def _status(service, ident, scheme_id, region, q, unit, today: Optional[date] = None):
    """(the status block, the unit's UnitStatus or None, editable)."""
    if unit is None:
        return None, None, False
    c = forms.FormContext(scheme_id, region, q, unit)
    st = forms.unit_status(service, c, today)
    store_state = st.handover.state if st.handover else "draft"
    editable = forms.may_edit(ident, c, store_state)
    names = service.display_names()
    counts = f"共{st.total}项,已填{st.done}项,未填{len(st.missing)}项"
    if st.carried:
        counts += f"(其中{len(st.carried)}项里程碑已于之前季度完成)"
    # A returned form: the reason stands in its own notice below, not twice.
    text = "请按退回原因修改,保存草稿后重新报送。" if st.state == reporting.RETURNED else forms.status_text(st, names)
    parts = [state_badge(st.state, "me-2"), html.Span(text),
             html.Span(counts + "。", className="ms-1", id="en-counts",
                       **{"data-total": str(st.total), "data-missing": str(len(st.missing))}),
             html.Span(forms.deadline_text(st, today), className="ms-2 " + ("text-danger fw-bold" if st.late else ""),
                       id="en-deadline", **{"data-late": "1" if st.late else "0"})]
    blocks = [html.Div(parts, className="status-text")]
    if st.state == reporting.RETURNED:
        h = st.handover
        blocks.append(dbc.Alert([html.Strong("已退回 "), f"{names.get(h.last_user, h.last_user)}于"
                                 f"{forms.local_time(h.last_at)}退回,原因:", html.Strong(h.last_reason),
                                 "。请按原因修改后保存草稿,再重新报送。"],
                                color="danger", className="py-2 mb-0 mt-2", id="en-returned"))
    if not editable:
        if ident is None:
            why = "请先登录。"
        elif not ident.can_report(scheme_id, unit):
            why = "您只能查看,不能填报该单位的数据。"
        else:
            why = forms.state_refusal(c, store_state)
        if why:
            blocks.append(dbc.Alert(why, color="warning" if store_state != "approved" else "secondary",
                                    className="py-2 mb-0 mt-2", id="en-locked"))
    return html.Div(blocks), st, editable


def _msg_div(msgs):
    return [html.Div(text, className=f"entry-msg-line {LEVEL_CLASS.get(level, '')}") for level, text in msgs]


def _row_class(msgs) -> str:
    levels = {lvl for lvl, _ in msgs}
    # row-has-warning shows the row's "备注仍适用" box (a warning, explained or not).
    extra = " row-has-warning" if levels & {"warning", "note"} else ""
    if "error" in levels:
        return "entry-row row-error" + extra
    if "warning" in levels:
        return "entry-row row-warning" + extra
    if "ok" in levels:
        return "entry-row row-ok" + extra
    return "entry-row" + extra


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


# ---------------------------------------------------------------- callbacks

def _row_values(grouping) -> dict:
    """indicator id -> value from a pattern-matching ALL group of ctx.args_grouping."""
    return {it["id"]["indicator"]: it.get("value") for it in (grouping or []) if isinstance(it, dict)
            and isinstance(it.get("id"), dict)}


def _inputs(rows: dict) -> dict[str, forms.RowInput]:
    """Row inputs by indicator id from the named ``rows`` group (value, done, date, evidence, note, confirm)."""
    v, d, dt, ev, n, cf = (_row_values(rows.get(k)) for k in ("value", "done", "date", "evidence", "note",
                                                              "confirm"))
    out = {}
    for ind_id in list(v) + [i for i in d if i not in v]:
        out[ind_id] = forms.RowInput(raw=v.get(ind_id), done=d.get(ind_id), done_date=dt.get(ind_id) or "",
                                     evidence=ev.get(ind_id) or "", note=n.get(ind_id) or "",
                                     confirm=bool(cf.get(ind_id)))
    return out


def _metas(grouping) -> dict[str, forms.RowMeta]:
    return {k: forms.RowMeta.from_dict(v if isinstance(v, dict) else None) for k, v in _row_values(grouping).items()}


def _rows(dependency) -> dict:
    """Every row's inputs as one named group of Input or State."""
    return {"value": dependency({"type": ids.EN_VALUE, "indicator": ALL}, "value"),
            "done": dependency({"type": ids.EN_DONE, "indicator": ALL}, "value"),
            "date": dependency({"type": ids.EN_DATE, "indicator": ALL}, "value"),
            "evidence": dependency({"type": ids.EN_EVIDENCE, "indicator": ALL}, "value"),
            "note": dependency({"type": ids.EN_NOTE, "indicator": ALL}, "value"),
            "confirm": dependency({"type": ids.EN_CONFIRM, "indicator": ALL}, "value")}


def _ids_of(output_group) -> list[str]:
    return [o["id"]["indicator"] for o in output_group]


def register(app, service):
    evidence_page.register_entry(app, service)

    @app.callback(
        output=dict(region_options=Output(ids.EN_REGION, "options"), region=Output(ids.EN_REGION, "value"),
                    quarter_options=Output(ids.EN_QUARTER, "options"), quarter=Output(ids.EN_QUARTER, "value"),
                    unit_options=Output(ids.EN_UNIT, "options"), unit=Output(ids.EN_UNIT, "value"),
                    title=Output(ids.EN_TITLE, "children"), context=Output(ids.EN_CTX, "data"),
                    search=Output(ids.ADDRESS, "data", allow_duplicate=True)),
        inputs=dict(scheme_id=Input(ids.EN_SCHEME, "value"), region=Input(ids.EN_REGION, "value"),
                    quarter=Input(ids.EN_QUARTER, "value"), unit=Input(ids.EN_UNIT, "value")),
        prevent_initial_call="initial_duplicate",
    )
    def choose(scheme_id, region, quarter, unit):
        """The selectors → a valid form context (and the address that shows it)."""
        ident = forms.identity()
        if ctx.triggered_id == ids.EN_SCHEME and len(ctx.triggered_prop_ids) == 1:
            region = quarter = unit = None  # another scheme: its own regions, quarters and units
        sid, reg, q, u, quarters, units = _choose(service, ident, text_or_none(scheme_id), text_or_none(region),
                                                  text_or_none(quarter), text_or_none(unit))
        return dict(region_options=forms.visible_regions(ident, service, sid), region=reg,
                    quarter_options=_quarter_options(quarters), quarter=str(q), unit_options=_unit_options(units),
                    unit=u, title=_title(service, sid, reg, q, u),
                    context=forms.FormContext(sid, reg, q, u).to_dict() if u else None,
                    search=urlstate.build(scheme=sid, region=reg, q=str(q), unit=u))

    @app.callback(
        output=dict(form=Output(ids.EN_FORM, "children"), original=Output(ids.EN_ORIGINAL, "data"),
                    save_off=Output(ids.EN_SAVE, "disabled"), submit_off=Output(ids.EN_SUBMIT, "disabled"),
                    template_off=Output(ids.EN_TEMPLATE, "disabled"), upload_off=Output(ids.EN_UPLOAD, "disabled"),
                    result=Output(ids.EN_RESULT, "data", allow_duplicate=True),
                    summary=Output(ids.EN_SUMMARY, "children", allow_duplicate=True)),
        inputs=dict(context=Input(ids.EN_CTX, "data"), refresh=Input(ids.EN_REFRESH, "data")),
        state=dict(drafts=State(ids.EN_DRAFTS, "data")),
        prevent_initial_call=True,
    )
    def draw(context, refresh, drafts):
        """The form of the chosen context, with this user's unsaved draft restored into it."""
        ident = forms.identity()
        c = _context(context)
        editable = may_report = False
        if c is None:
            form, original, restored = _form(service, ident, None, None, None, None, "draft")
        else:
            _, st, editable = _status(service, ident, c.scheme_id, c.region, c.quarter, c.unit)
            key = draft_key(ident, context)
            draft = drafts.get(key) if isinstance(drafts, dict) and key else None
            form, original, restored = _form(service, ident, c.scheme_id, c.region, c.quarter, c.unit,
                                             st.handover.state if st.handover else "draft", draft)
            may_report = ident is not None and ident.can_report(c.scheme_id, c.unit)
        # Messages of the previous form must not land on this one; the summary stays only
        # when this draw follows the user's own submit or import.
        summary = no_update if ctx.triggered_id == ids.EN_REFRESH else None
        if restored:
            summary = alert(f"已恢复您在本表未保存的{len(restored)}项输入(尚未保存),请核对后点“保存草稿”。",
                            "warning", False, "en-restored-alert")
        return dict(form=form, original=original, save_off=not editable, submit_off=not editable,
                    template_off=not may_report, upload_off=not editable, result=None, summary=summary)

    @app.callback(
        Output(ids.EN_STATUS, "children"),
        inputs=dict(context=Input(ids.EN_CTX, "data"), result=Input(ids.EN_RESULT, "data"),
                    refresh=Input(ids.EN_REFRESH, "data")),
        prevent_initial_call=True,
    )
    def status(context, result, refresh):
        """State, counts and deadline: redrawn after every save, so they are never stale."""
        c = _context(context)
        if c is None:
            return None
        return _status(service, forms.identity(), c.scheme_id, c.region, c.quarter, c.unit)[0]

    @app.callback(
        Output(ids.EN_DRAFTS, "data"),
        inputs=dict(rows=_rows(Input), result=Input(ids.EN_RESULT, "data"),
                    original=Input(ids.EN_ORIGINAL, "data")),
        state=dict(context=State(ids.EN_CTX, "data"), drafts=State(ids.EN_DRAFTS, "data")),
        prevent_initial_call=True,
    )
    def keep_draft(rows, result, original, context, drafts):
        """Keep the rows that differ from the database (and from the last successful save) as this
        user's draft of this form, so that changing the quarter or unit loses nothing typed."""
        inputs = _inputs(ctx.args_grouping["rows"])
        result = result if isinstance(result, dict) else {}
        original = original if isinstance(original, dict) else {}
        key = draft_key(forms.identity(), context if isinstance(context, dict) else None)
        drafts = dict(drafts) if isinstance(drafts, dict) else {}
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
        output=dict(is_open=Output(ids.EN_SUBMIT_MODAL, "is_open"),
                    body=Output(f"{ids.EN_SUBMIT_MODAL}-body", "children"),
                    go=Output(ids.EN_SUBMIT_GO, "data")),
        inputs=dict(ask=Input(ids.EN_SUBMIT, "n_clicks"), yes=Input(ids.EN_SUBMIT_CONFIRM, "n_clicks"),
                    no=Input(ids.EN_SUBMIT_CANCEL, "n_clicks")),
        state=dict(context=State(ids.EN_CTX, "data"), go=State(ids.EN_SUBMIT_GO, "data")),
        prevent_initial_call=True,
    )
    def confirm_submit(ask, yes, no, context, go):
        """报送 asks first: after it the form is read-only until the office returns it."""
        trig = ctx.triggered_id
        if trig == ids.EN_SUBMIT_CONFIRM and yes:
            return dict(is_open=False, body=no_update, go=(go if isinstance(go, int) else 0) + 1)
        if trig == ids.EN_SUBMIT and ask:
            c = _context(context)
            what = f"{c.unit}{c.quarter.label}的数据" if c else "本表数据"
            return dict(is_open=True, go=no_update,
                        body=[html.P(f"确认报送{what}?"),
                              html.P("报送前会先保存表单中的修改;报送后数据不能再修改,"
                                     "等待办公室审核。如需修改,须由办公室退回。", className="small text-muted mb-0")])
        return dict(is_open=False, body=no_update, go=no_update)

    @app.callback(
        output=dict(result=Output(ids.EN_RESULT, "data"),
                    metas=Output({"type": ids.EN_META, "indicator": ALL}, "data"),
                    currents=Output({"type": ids.EN_CURRENT, "indicator": ALL}, "children"),
                    summary=Output(ids.EN_SUMMARY, "children"), refresh=Output(ids.EN_REFRESH, "data")),
        inputs=dict(save=Input(ids.EN_SAVE, "n_clicks"), go=Input(ids.EN_SUBMIT_GO, "data")),
        state=dict(context=State(ids.EN_CTX, "data"), rows=_rows(State),
                   metas=State({"type": ids.EN_META, "indicator": ALL}, "data"),
                   reason=State(ids.EN_REASON, "value"), refresh=State(ids.EN_REFRESH, "data")),
        prevent_initial_call=True,
    )
    def save(save, go, context, rows, metas, reason, refresh):
        """保存草稿, or 报送 once confirmed."""
        meta_ids = _ids_of(ctx.outputs_grouping["metas"])
        cur_ids = _ids_of(ctx.outputs_grouping["currents"])
        c = _context(context)
        if c is None:
            return dict(result=no_update, metas=[no_update] * len(meta_ids), currents=[no_update] * len(cur_ids),
                        summary=dbc.Alert("请先选择方案、季度和填报单位。", color="danger", className="py-2 mb-0"),
                        refresh=no_update)
        inputs = _inputs(ctx.args_grouping["rows"])
        fn = forms.submit_form if ctx.triggered_id == ids.EN_SUBMIT_GO else forms.save_form
        out = fn(service, forms.identity(), c, inputs, _metas(ctx.args_grouping["metas"]), text_or_none(reason) or "")
        order = list(inputs)
        result = {"rows": {i: {"msgs": msgs, "inputs": inputs[i].fingerprint() if i in inputs else None}
                           for i, msgs in out.rows.items()},
                  "ok": out.ok, "nonce": (save or 0) + (go if isinstance(go, int) else 0),
                  # the rows to take the user to when refused, in form order
                  "bad": [i for i in order if any(level in ("error", "warning") for level, _ in out.rows.get(i, []))]}
        inds = service.registry.indicators
        names = service.display_names()
        refresh = refresh if isinstance(refresh, int) else 0
        return dict(result=result,
                    metas=[out.metas[i].to_dict() if i in out.metas else no_update for i in meta_ids],
                    currents=[_current_cell(inds[i], out.current[i], names) if i in out.current else no_update
                              for i in cur_ids],
                    summary=alert(out.alert[1], out.alert[0], out.ok, "en-summary-alert"),
                    refresh=refresh + 1 if out.submitted else no_update)

    @app.callback(
        output=dict(msgs=Output({"type": ids.EN_MSG, "indicator": ALL}, "children"),
                    classes=Output({"type": ids.EN_ROW, "indicator": ALL}, "className")),
        inputs=dict(result=Input(ids.EN_RESULT, "data"), rows=_rows(Input)),
        state=dict(metas=State({"type": ids.EN_META, "indicator": ALL}, "data"), context=State(ids.EN_CTX, "data")),
        prevent_initial_call=True,
    )
    def messages(result, rows, metas, context):
        """Each row's messages while typing, or the last save's word on rows not touched since."""
        inputs = _inputs(ctx.args_grouping["rows"])
        metas = _metas(ctx.args_grouping["metas"])
        c = _context(context)
        saved = (result or {}).get("rows", {}) if isinstance(result, dict) else {}
        inds = service.registry.indicators
        msgs_by_id = {}
        for ind_id, inp in inputs.items():
            got = saved.get(ind_id)
            if got and got.get("inputs") == inp.fingerprint():
                msgs_by_id[ind_id] = [tuple(m) for m in got["msgs"]]
            elif c is not None and ind_id in inds:
                meta = metas.get(ind_id, forms.RowMeta())
                msgs_by_id[ind_id] = forms.check_row(inds[ind_id], inp, meta, meta.prev, c.quarter).messages()
            else:
                msgs_by_id[ind_id] = []
        return dict(msgs=[_msg_div(msgs_by_id.get(i, [])) for i in _ids_of(ctx.outputs_grouping["msgs"])],
                    classes=[_row_class(msgs_by_id.get(i, [])) for i in _ids_of(ctx.outputs_grouping["classes"])])

    @app.callback(
        output=dict(values=Output({"type": ids.EN_VALUE, "indicator": ALL}, "value"),
                    summary=Output(ids.EN_SUMMARY, "children", allow_duplicate=True)),
        inputs=dict(paste=Input(ids.EN_PASTE, "data")),
        state=dict(values=State({"type": ids.EN_VALUE, "indicator": ALL}, "value"),
                   disabled=State({"type": ids.EN_VALUE, "indicator": ALL}, "disabled")),
        prevent_initial_call=True,
    )
    def paste(paste, values, disabled):
        """A block pasted from Excel into one value input fills that row and the rows below."""
        order = _ids_of(ctx.outputs_grouping["values"])
        open_rows = [i for i, off in zip(order, disabled or []) if not off]
        if not isinstance(paste, dict):
            raise PreventUpdate
        got = forms.distribute_paste(open_rows, paste.get("start"), paste.get("text"))
        if got is None:
            raise PreventUpdate
        return dict(values=[got.values.get(i, no_update) for i in order],
                    summary=alert(got.message, "warning" if got.dropped else "info", not got.dropped, "en-paste-alert"))

    app.clientside_callback(
        # Take the user to the first row a save refused (and focus its input): with 60 rows
        # the red one is often off screen.
        """function (result) {
            if (!result || result.ok || !result.bad || !result.bad.length) { return window.dash_clientside.no_update; }
            var row = document.querySelector('tr.entry-row[data-indicator="' + result.bad[0] + '"]');
            if (row) {
                row.scrollIntoView({block: 'center'});
                var input = row.querySelector('input:not([disabled]):not([type=hidden])');
                if (input) { input.focus({preventScroll: true}); }
            }
            return result.bad[0];
        }""",
        Output(ids.EN_FOCUS, "data"), Input(ids.EN_RESULT, "data"), prevent_initial_call=True,
    )

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
        output=dict(preview=Output(ids.EN_PREVIEW, "children", allow_duplicate=True), plan=Output(ids.EN_PLAN, "data"),
                    commit_off=Output(ids.EN_COMMIT, "disabled"), actions=Output(ids.EN_PREVIEW_ACTIONS, "style"),
                    contents=Output(ids.EN_UPLOAD, "contents"),
                    refresh=Output(ids.EN_REFRESH, "data", allow_duplicate=True)),
        inputs=dict(contents=Input(ids.EN_UPLOAD, "contents"), commit=Input(ids.EN_COMMIT, "n_clicks"),
                    cancel=Input(ids.EN_CANCEL, "n_clicks")),
        state=dict(filename=State(ids.EN_UPLOAD, "filename"), context=State(ids.EN_CTX, "data"),
                   plan=State(ids.EN_PLAN, "data"), scheme_id=State(ids.EN_SCHEME, "value"),
                   region=State(ids.EN_REGION, "value"), refresh=State(ids.EN_REFRESH, "data"), rows=_rows(State),
                   metas=State({"type": ids.EN_META, "indicator": ALL}, "data")),
        prevent_initial_call=True,
    )
    def upload(contents, commit, cancel, filename, context, plan, scheme_id, region, refresh, rows, metas):
        hidden, shown = {"display": "none"}, {"display": "block"}
        keep = dict(preview=no_update, plan=no_update, commit_off=no_update, actions=no_update, contents=no_update,
                    refresh=no_update)
        trig = ctx.triggered_id
        if trig == ids.EN_CANCEL or (trig == ids.EN_UPLOAD and not contents):
            cleared = html.Div("已取消导入,未写入任何数据。", className="small text-muted") if trig == ids.EN_CANCEL else None
            return {**keep, "preview": cleared, "plan": None, "commit_off": True, "actions": hidden, "contents": None}
        ident = forms.identity()
        filename = text_or_none(filename) or ""
        if trig == ids.EN_UPLOAD:
            result = forms.preview_upload(service, ident, text_or_none(scheme_id), text_or_none(region), contents, filename)
            can_commit = result.ok and bool(result.changed)
            return {**keep, "preview": _preview(result, service), "plan": result.fingerprint if result.ok else None,
                    "commit_off": not can_commit, "actions": shown if can_commit else hidden,
                    "contents": no_update if result.ok else None}
        # 确认导入: never over unsaved form input (it would be lost when the form re-renders).
        c = _context(context)
        if c is not None:
            dirty = forms.form_dirty(service, c, _inputs(ctx.args_grouping["rows"]),
                                     _metas(ctx.args_grouping["metas"]))
            if dirty:
                msg = f"表单中有未保存的修改({'、'.join(dirty[:3])}{'等' if len(dirty) > 3 else ''}),请先保存草稿,再确认导入。"
                return {**keep, "preview": dbc.Alert(msg, color="warning", className="py-2"), "commit_off": False,
                        "actions": shown}
        result = forms.commit_upload(service, ident, text_or_none(scheme_id), text_or_none(region), contents, filename,
                                     text_or_none(plan))
        out = {**keep, "preview": _preview(result, service), "plan": None, "commit_off": True, "actions": hidden,
               "contents": None}
        if result.committed:
            out["refresh"] = (refresh if isinstance(refresh, int) else 0) + 1
        return out


def _context(context) -> Optional[forms.FormContext]:
    try:
        return forms.FormContext.from_dict(context) if isinstance(context, dict) else None
    except forms.Refused:
        return None
