"""The 台账 section of a ledger indicator's detail page (next to 佐证材料), for the quarter shown.

The ledger is a list of named things kept across quarters; the quarter selected (截至季度) is
the one entries are made *for* (its submission state decides who may enter, as for values and
evidence) and the one whose figure is compared: the ledger's count for the quarter is shown
next to the reported value, with every flag (mismatch, duplicates, invalid codes).
Rules are data.ledger's and indicators.ledger's; callbacks only collect inputs and render.
"""
from __future__ import annotations

from typing import Optional

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from data import ledger_xlsx
from data.ledger import LedgerEntry, LedgerRefused, ledger_refusal
from indicators import ledger as rules
from indicators.limits import REASON_MAX
from indicators.model import Reporting
from indicators.periods import Quarter

from .. import ids, urlstate
from ..components import fmt_value
from ..entry import forms
from ..evidence.page import DT_INDICATOR, DT_REGION, decode_data_url
from ..permissions import guarded
from .export import ledgers_xlsx

SECTION = "lg-section"
HINT = "lg-hint"
SUMMARY = "lg-summary"
FIELD = "lg-field"            # pattern: {"type": FIELD, "key": <column key>}
ADD = "lg-add"
MSG = "lg-msg"
LIST = "lg-list"
REFRESH = "lg-refresh"
FORM = "lg-form"
TEMPLATE = "lg-template"
TEMPLATE_DL = "lg-template-dl"
EXPORT = "lg-export"
EXPORT_DL = "lg-export-dl"
UPLOAD = "lg-upload"
REMOVE = "lg-remove"          # pattern: {"type": REMOVE, "id": <row id>}
MODAL = "lg-modal"
MODAL_NAME = "lg-modal-name"
REASON = "lg-reason"
UNTIL = "lg-until"
CONFIRM = "lg-confirm"
CANCEL = "lg-cancel"
MODAL_MSG = "lg-modal-msg"
TARGET = "lg-target"
UNIT = "lg-unit"


# ---------------------------------------------------------------- pure helpers (tests call these)

def add_row(service, ident, indicator_id: str, region: str, quarter: str, values: dict,
            unit: Optional[str] = None) -> tuple[str, str]:
    """Enter one row from the form into ``unit``'s ledger; (color, message)."""
    try:
        r = service.ledgers.add(ident, indicator_id, region, quarter, values, unit=unit)
    except LedgerRefused as exc:
        return "danger", f"未登记:{exc}"
    return "success", f"已登记“{r.name}”{_late(r)}。"


def upload_template(service, ident, indicator_id: str, region: str, quarter: str, filename, contents,
                    unit: Optional[str] = None) -> tuple[str, str]:
    """Enter the rows of an uploaded template, all or none; (color, message)."""
    ind = service.registry.indicators.get(indicator_id)
    if ind is None or ind.ledger is None:
        return "danger", "页面参数无效,请刷新页面后重试。"
    data, _ = decode_data_url(contents, ledger_xlsx.MAX_BYTES + 1)
    if data is None:
        return "danger", "未导入:文件未完整收到或超过5 MB,请重新选择文件。"
    try:
        rows, numbers = ledger_xlsx.read(ind, data, filename or "")
        made = service.ledgers.add_many(ident, indicator_id, region, quarter, rows, numbers=numbers, source="import",
                                        unit=unit)
    except LedgerRefused as exc:
        return "danger", f"未导入(整份文件未写入任何一行):\n{exc}"
    return "success", f"已从“{filename or '文件'}”导入{len(made)}行{_late(made[0])}。"


def _late(r: LedgerEntry) -> str:
    return "(该季度已报送或已审核,由办公室补登,已记入记录)" if r.state_at_entry in ("submitted", "approved") else ""


def default_unit(ident, ind) -> str:
    """The ledger a user sees first: its own unit's among the indicator's units, else the reporting unit's."""
    mine = [u for u in ind.all_units if ident is not None and u in getattr(ident, "units", ())]
    return mine[0] if mine and not ident.is_admin else ind.reporting_unit


def may_enter(service, ident, ind, region: str, q: Quarter, unit: Optional[str] = None) -> Optional[str]:
    """Why ``ident`` may not enter into ``unit``'s ledger of ``ind`` for ``q`` now, or None."""
    unit = unit if unit in ind.all_units else ind.reporting_unit
    reporting = ind.reporting_unit
    return ledger_refusal(ident, ind.scheme, unit, region, q,
                          service.ledgers.unit_state(ind.scheme, region, reporting, q), reporting)


def summary(service, ind, region: str, q: Quarter):
    """The ledger's figure next to the reported one, and the flags."""
    count = service.ledger_counts(ind.scheme, region, q).get(ind.id, 0)
    flags = service.ledger_flags(ind.scheme, region, q).get(ind.id, [])
    obs = service.store.observation(ind.id, region, q)
    what = "当季新增" if ind.reporting is Reporting.flow else "季末有效"
    line = [html.Span(f"{q.label}台账{what}:"), html.Strong(f"{count}{ind.unit}", className="ledger-count"),
            html.Span(f" · 填报值:{fmt_value(obs.value, ind) if obs else '未填报'}", className="ms-1")]
    if obs is not None and obs.value is not None:
        same = rules.mismatch_flag(ind, obs.value, count, q) is None
        line.append(html.Span("一致" if same else "不一致", className=f"badge ms-2 bg-{'success' if same else 'danger'}"))
    parts = [html.Div(line, className="ledger-summary-line")]
    parts += [dbc.Alert(f, color="warning", className="py-1 px-2 mb-1 small ledger-flag") for f in flags]
    return parts


def _alerts(messages: list[tuple[str, str]]):
    return [dbc.Alert(m, color=c, className="py-1 px-2 mb-1 small", dismissable=True, style={"whiteSpace": "pre-line"})
            for c, m in messages]


# ---------------------------------------------------------------- layout

def _field(col):
    return dbc.Col([
        dbc.Label(col.label + (" *" if col.required or col.type in ("name", "date") else ""),
                  html_for=f"lg-field-{col.key}", className="small mb-0"),
        dbc.Input(id={"type": FIELD, "key": col.key}, type="date" if col.type == "date" else "text", size="sm",
                  maxLength=18 if col.type == "credit_code" else rules.TEXT_MAX,
                  placeholder="18位代码" if col.type == "credit_code" else ""),
    ], md=3 if col.type == "name" else 2)


def section(service, ind, view):
    if ind.ledger is None:
        return None
    led = ind.ledger
    units = ind.all_units
    return html.Section([
        html.H2(f"台账({led.item}名单)", className="section-title"),
        html.Div(id=HINT, className="small text-muted mb-2"),
        html.Div(id=SUMMARY, className="mb-2"),
        html.Div([
            html.Div([
                dbc.Label("登记单位", html_for=UNIT, className="small mb-0 me-2"),
                dcc.Dropdown(id=UNIT, options=[{"label": u, "value": u} for u in units],
                             value=default_unit(forms.identity(), ind), clearable=False, searchable=False,
                             style={"minWidth": "14rem"}),
            ], className="align-items-center mb-2 " + ("d-flex" if len(units) > 1 else "d-none")),
            dbc.Row([_field(c) for c in led.columns] +
                    [dbc.Col(dbc.Button("登记", id=ADD, color="primary", size="sm"), md="auto",
                             className="d-flex align-items-end")], className="g-2 mb-2"),
            html.Div([
                dbc.Button("下载台账模板", id=TEMPLATE, color="secondary", outline=True, size="sm", className="me-2"),
                dcc.Upload(id=UPLOAD, children=dbc.Button("上传填好的模板(.xlsx)", color="secondary", outline=True,
                                                          size="sm"), className="d-inline-block me-2"),
                dbc.Button("导出本台账", id=EXPORT, color="link", size="sm"),
                dcc.Download(id=TEMPLATE_DL), dcc.Download(id=EXPORT_DL),
            ], className="d-flex align-items-center flex-wrap"),
        ], id=FORM, className="ledger-form no-print"),
        html.Div(id=MSG, className="mt-2"),
        html.Div(id=LIST, className="mt-2"),
        dcc.Store(id=REFRESH, data=0),
        dcc.Store(id=TARGET),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle("移除台账条目")),
            dbc.ModalBody([
                html.P(id=MODAL_NAME),
                html.P("移除是一次更正:条目仍保留在记录中。填写失效日期表示此前有效(如称号到期、被撤销);"
                       "留空表示录入有误,任何季度都不计入。", className="small text-muted"),
                dbc.Input(id=REASON, placeholder="移除原因(必填)", maxLength=REASON_MAX, className="mb-2"),
                dbc.Label("失效日期(可选)", html_for=UNTIL, className="small mb-0"),
                dbc.Input(id=UNTIL, type="date"),
                html.Div(id=MODAL_MSG, className="mt-2"),
            ]),
            dbc.ModalFooter([dbc.Button("取消", id=CANCEL, color="secondary", outline=True),
                             dbc.Button("确认移除", id=CONFIRM, color="danger")]),
        ], id=MODAL, is_open=False),
    ], id=SECTION, className="section ledger-section")


def _active_table(ind, rows: list[LedgerEntry], names: dict, removable):
    cols = ind.ledger.columns
    head = html.Thead(html.Tr([html.Th(c.label) for c in cols] + [html.Th("登记单位"), html.Th("登记人"), html.Th("")]))
    body = []
    for r in rows:
        late = "(办公室于报送后补登)" if r.state_at_entry in ("submitted", "approved") else ""
        action = (dbc.Button("移除", id={"type": REMOVE, "id": r.id}, size="sm", color="link",
                             className="p-0 text-danger") if removable(r.unit) else None)
        body.append(html.Tr([html.Td(r.values.get(c.key, "")) for c in cols] +
                            [html.Td(r.unit), html.Td(names.get(r.entered_by, r.entered_by) + late,
                                     title=f"{r.period.label}登记,{forms.local_time(r.entered_at)}"),
                             html.Td(action, className="no-print")], **{"data-ledger-row": str(r.id)}))
    return html.Div(dbc.Table([head, html.Tbody(body)], size="sm", striped=True, className="ledger-table mb-0"),
                    className="table-responsive")


def _removed_table(rows: list[LedgerEntry], names: dict):
    head = html.Thead(html.Tr([html.Th(h) for h in ("名称", "日期", "移除人", "移除时间", "原因", "失效日期")]))
    body = [html.Tr([html.Td([html.Del(r.name), html.Span(" 已移除", className="badge bg-secondary ms-1")]),
                     html.Td(r.valid_from.isoformat()), html.Td(names.get(r.removed_by or "", r.removed_by or "")),
                     html.Td(forms.local_time(r.removed_at)), html.Td(r.remove_reason),
                     html.Td(r.valid_until.isoformat() if r.valid_until else "录入有误(不计入)")],
                    **{"data-ledger-removed": str(r.id)}) for r in rows]
    return html.Div(dbc.Table([head, html.Tbody(body)], size="sm", className="ledger-removed mb-0"),
                    className="table-responsive")


def render_list(service, ident, ind, region: str, q: Quarter):
    rows = service.ledgers.rows(ind.scheme, ind.id, region)
    names = service.display_names()
    active = [r for r in rows if not r.removed]
    removed = [r for r in rows if r.removed]
    allowed: dict[str, bool] = {}

    def removable(unit: str) -> bool:
        if unit not in allowed:
            allowed[unit] = may_enter(service, ident, ind, region, q, unit) is None
        return allowed[unit]

    parts = [_active_table(ind, active, names, removable) if active
             else html.P(f"台账暂无{ind.ledger.item}。", className="text-muted mb-1")]
    if removed:
        parts += [html.H3("已移除", className="h6 mt-3"), _removed_table(removed, names)]
    return parts


def hint(service, ident, ind, region: str, q: Quarter, unit: Optional[str] = None) -> tuple[str, bool]:
    unit = unit if unit in ind.all_units else ind.reporting_unit
    refusal = may_enter(service, ident, ind, region, q, unit)
    if refusal:
        return f"{q.label} · {refusal}", True
    return (f"登记到{unit}的台账,{q.label}(该指标由{ind.reporting_unit}填报)。每行一个{ind.ledger.item};"
            f"统一社会信用代码按GB 32100-2015校验;季末数按日期计算,各单位台账合计。"), False


# ---------------------------------------------------------------- the entry form's line

def entry_line(ind, count: Optional[int], reported: Optional[float], region: str, q: Quarter):
    """Under a ledger indicator's name on the entry form: the ledger's figure for the quarter
    (a link to the detail page's 台账), and whether the stored value agrees."""
    if ind.ledger is None or count is None:
        return None
    text = f"台账{'当季新增' if ind.reporting is Reporting.flow else '季末有效'}{count}{ind.unit}"
    off = reported is not None and rules.mismatch_flag(ind, reported, count, q) is not None
    return html.Div([
        dcc.Link(text, href=f"/indicator/{ind.id}" + urlstate.build(region=region, q=str(q)),
                 className="small entry-ledger-count"),
        html.Span("与已存值不一致", className="badge bg-danger ms-1 small") if off else None,
    ], className="entry-ledger")


# ---------------------------------------------------------------- callbacks

def register(app, service) -> None:
    registry = service.registry

    def target(indicator_id, quarter):
        ind = registry.indicators.get(indicator_id)
        if ind is None or ind.ledger is None or not quarter:
            return None, None
        return ind, Quarter.parse(quarter)

    @app.callback(
        Output(LIST, "children"), Output(HINT, "children"), Output(SUMMARY, "children"), Output(ADD, "disabled"),
        Output(UPLOAD, "disabled"),
        Input(ids.DT_QUARTER, "value"), Input(REFRESH, "data"), Input(UNIT, "value"), State(DT_INDICATOR, "data"),
        State(DT_REGION, "data"),
    )
    @guarded("viewer", refused=lambda msg: (msg, msg, "", True, True))
    def show(quarter, _refresh, unit, indicator_id, region):
        ind, q = target(indicator_id, quarter)
        if ind is None or not isinstance(region, str):
            return (no_update,) * 5
        ident = forms.identity()
        text, disabled = hint(service, ident, ind, region, q, unit if isinstance(unit, str) else None)
        return render_list(service, ident, ind, region, q), text, summary(service, ind, region, q), disabled, disabled

    @app.callback(
        Output(MSG, "children"), Output(REFRESH, "data"), Output({"type": FIELD, "key": ALL}, "value"),
        Input(ADD, "n_clicks"), State({"type": FIELD, "key": ALL}, "value"), State(ids.DT_QUARTER, "value"),
        State(DT_INDICATOR, "data"), State(DT_REGION, "data"), State(REFRESH, "data"), State(UNIT, "value"),
        prevent_initial_call=True,
    )
    @guarded("viewer", refused=lambda msg: (_alerts([("danger", msg)]), no_update, no_update))
    def add(n, values, quarter, indicator_id, region, refresh, unit):
        states = ctx.states_list[0] if ctx.states_list and isinstance(ctx.states_list[0], list) else []
        n_fields = len(ctx.outputs_list[2]) if len(ctx.outputs_list or []) > 2 else 0
        if not n:
            return no_update, no_update, [no_update] * n_fields
        keys = [s["id"].get("key") for s in states if isinstance(s, dict) and isinstance(s.get("id"), dict)]
        if not all(isinstance(x, str) for x in (quarter, indicator_id, region)) or not isinstance(values, list):
            return _alerts([("danger", "页面参数无效,请刷新页面后重试。")]), no_update, [no_update] * n_fields
        try:
            Quarter.parse(quarter)
        except ValueError:
            return _alerts([("danger", "页面参数无效,请刷新页面后重试。")]), no_update, [no_update] * n_fields
        color, msg = add_row(service, forms.identity(), indicator_id, region, quarter, dict(zip(keys, values)),
                             unit if isinstance(unit, str) else None)
        if color != "success":
            return _alerts([(color, msg)]), no_update, [no_update] * n_fields
        return _alerts([(color, msg)]), (refresh or 0) + 1 if isinstance(refresh, int) else 1, [""] * n_fields

    @app.callback(
        Output(MSG, "children", allow_duplicate=True), Output(REFRESH, "data", allow_duplicate=True),
        Output(UPLOAD, "contents"),
        Input(UPLOAD, "contents"), State(UPLOAD, "filename"), State(ids.DT_QUARTER, "value"),
        State(DT_INDICATOR, "data"), State(DT_REGION, "data"), State(REFRESH, "data"), State(UNIT, "value"),
        prevent_initial_call=True,
    )
    @guarded("viewer", refused=lambda msg: (_alerts([("danger", msg)]), no_update, None))
    def upload(contents, filename, quarter, indicator_id, region, refresh, unit):
        if not contents:
            return no_update, no_update, no_update
        if not all(isinstance(x, str) for x in (quarter, indicator_id, region)):
            return _alerts([("danger", "页面参数无效,请刷新页面后重试。")]), no_update, None
        color, msg = upload_template(service, forms.identity(), indicator_id, region, quarter,
                                     filename if isinstance(filename, str) else "", contents,
                                     unit if isinstance(unit, str) else None)
        return _alerts([(color, msg)]), (refresh or 0) + 1 if color == "success" else no_update, None

    @app.callback(Output(TEMPLATE_DL, "data"), Input(TEMPLATE, "n_clicks"), State(DT_INDICATOR, "data"),
                  prevent_initial_call=True)
    @guarded("viewer", refused=lambda msg: no_update)
    def download_template(n, indicator_id):
        ind = registry.indicators.get(indicator_id)
        if not n or ind is None or ind.ledger is None:
            return no_update
        return dcc.send_bytes(ledger_xlsx.template(ind), f"台账模板_{ind.name}.xlsx")

    @app.callback(Output(EXPORT_DL, "data"), Input(EXPORT, "n_clicks"), State(DT_INDICATOR, "data"),
                  State(DT_REGION, "data"), prevent_initial_call=True)
    @guarded("viewer", refused=lambda msg: no_update)
    def export(n, indicator_id, region):
        ind = registry.indicators.get(indicator_id)
        if not n or ind is None or ind.ledger is None:
            return no_update
        return dcc.send_bytes(ledgers_xlsx(service, ind.scheme, region, ind.id), f"台账_{region}_{ind.name}.xlsx")

    @app.callback(
        Output(MODAL, "is_open"), Output(TARGET, "data"), Output(MODAL_NAME, "children"),
        Output(MODAL_MSG, "children"), Output(REASON, "value"), Output(UNTIL, "value"),
        Input({"type": REMOVE, "id": ALL}, "n_clicks"), Input(CANCEL, "n_clicks"),
        prevent_initial_call=True,
    )
    @guarded("viewer", refused=lambda msg: (False, None, "", msg, "", ""))
    def open_remove(clicks, _cancel):
        trig = ctx.triggered_id
        if trig == CANCEL:
            return False, None, "", "", "", ""
        if not isinstance(trig, dict) or not any(clicks or []):
            return (no_update,) * 6
        r = service.ledgers.get(trig.get("id"))
        if r is None:
            return (no_update,) * 6
        return True, r.id, f"{r.name}({r.valid_from.isoformat()})", "", "", ""

    @app.callback(
        Output(MODAL_MSG, "children", allow_duplicate=True), Output(MODAL, "is_open", allow_duplicate=True),
        Output(REFRESH, "data", allow_duplicate=True), Output(MSG, "children", allow_duplicate=True),
        Input(CONFIRM, "n_clicks"), State(TARGET, "data"), State(REASON, "value"), State(UNTIL, "value"),
        State(ids.DT_QUARTER, "value"), State(REFRESH, "data"),
        prevent_initial_call=True,
    )
    @guarded("viewer", refused=lambda msg: (_alerts([("danger", msg)]), no_update, no_update, no_update))
    def remove(n, row_id, reason, until, quarter, refresh):
        if not n or row_id is None:
            return (no_update,) * 4
        try:
            r = service.ledgers.remove(forms.identity(), int(row_id), quarter, reason or "", until or None)
        except (LedgerRefused, ValueError, TypeError) as exc:
            return _alerts([("danger", str(exc))]), no_update, no_update, no_update
        end = f",{r.valid_until.isoformat()}起失效" if r.valid_until else ",按录入有误处理"
        return "", False, (refresh or 0) + 1, _alerts([("info", f"已移除“{r.name}”{end},原因:{r.remove_reason}。")])
