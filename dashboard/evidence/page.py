"""The 佐证材料 section of an indicator's detail page, for the quarter shown.

``section(service, ind, view)`` is the layout, ``register(app, service)`` the callbacks;
the rules are data.evidence's (the same as ``python -m data evidence add``): callbacks
only collect the inputs and render the outcome.
"""
from __future__ import annotations

import base64
import binascii
from typing import Optional

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from data.evidence import EvidenceRefused, EvidenceRow, add_refusal
from data.evidence_checks import ACCEPTED_TEXT, clean_name, size_refusal, size_text
from indicators.limits import NOTE_MAX, REASON_MAX
from indicators.periods import Quarter

from .. import ids
from ..entry import forms
from ..permissions import guarded
from . import routes

SECTION = "ev-section"
UPLOAD = "ev-upload"
NOTE = "ev-note"
BUSY = "ev-busy"
MSG = "ev-msg"
LIST = "ev-list"
HINT = "ev-hint"
REFRESH = "ev-refresh"
REMOVE = "ev-remove"          # pattern: {"type": REMOVE, "id": <evidence id>}
MODAL = "ev-modal"
MODAL_NAME = "ev-modal-name"
REASON = "ev-reason"
CONFIRM = "ev-confirm"
CANCEL = "ev-cancel"
MODAL_MSG = "ev-modal-msg"
TARGET = "ev-target"
# The entry form's per-row upload (dashboard/entry/page.py): pattern ids by indicator.
ROW_UPLOAD = "en-ev-upload"
ROW_COUNT = "en-ev-count"
ROW_MSG = "en-ev-msg"
# The detail page's stores and quarter selector (dashboard/pages/detail.py).
DT_INDICATOR, DT_REGION = "dt-indicator", "dt-region"


# ---------------------------------------------------------------- pure helpers

def decode_data_url(contents, limit_bytes: int) -> tuple[Optional[bytes], int]:
    """(bytes, size) of one dcc.Upload data URL; bytes None when it cannot be read or is
    over ``limit_bytes`` (not decoded then: the size rule needs only the size)."""
    if not isinstance(contents, str):
        return None, 0
    _, sep, b64 = contents.partition(",")
    if not sep:
        return None, 0
    size = len(b64) * 3 // 4 - b64[-2:].count("=")
    if size > limit_bytes:
        return None, size
    try:
        return base64.b64decode(b64, validate=True), size
    except (binascii.Error, ValueError):
        return None, 0


def upload_files(service, ident, indicator_id: str, region: str, quarter: str, names, contents,
                 note: str = "") -> list[tuple[str, str]]:
    """Add each uploaded file; one (color, message) per file. Refused files store nothing."""
    names = names if isinstance(names, list) else [names]
    contents = contents if isinstance(contents, list) else [contents]
    ev = service.evidence
    limit = int(ev.max_mb * 1024 * 1024) + 1
    out = []
    for name, body in zip(names, contents):
        data, size = decode_data_url(body, limit)
        if data is None:
            too_big = size > limit and size_refusal(clean_name(name), size, ev.max_mb)
            out.append(("danger", f"未上传:{too_big}" if too_big
                        else f"“{clean_name(name)}”未收到完整内容(上传数据损坏),请重新选择文件。"))
            continue
        try:
            row = ev.add(ident, indicator_id, region, quarter, name, data, note)
        except EvidenceRefused as exc:
            out.append(("danger", f"未上传:{exc}"))
            continue
        extra = ""
        if row.state_at_upload in ("submitted", "approved"):
            extra = "(该季度已报送或已审核,由办公室补充,已记入记录)"
        out.append(("success", f"已上传“{row.name}”({row.size_text}){extra}。"))
    if not out:
        out.append(("warning", "没有收到文件,请重新选择。"))
    return out


def may_add(service, ident, scheme_id: str, unit: str, region: str, q: Quarter) -> bool:
    """May ``ident`` add (and remove) ``unit``'s evidence of ``region`` for ``q`` now?"""
    return add_refusal(ident, scheme_id, unit, region, q, service.evidence.unit_state(scheme_id, region, unit, q)) is None


def may_change(service, ident, ind, region: str, q: Quarter) -> bool:
    return may_add(service, ident, ind.scheme, ind.reporting_unit, region, q)


# ---------------------------------------------------------------- layout

def section(service, ind, view) -> html.Section:
    max_mb = service.evidence.max_mb
    return html.Section([
        html.H2("佐证材料", className="section-title"),
        html.Div(id=HINT, className="small text-muted mb-2"),
        dbc.Row([
            dbc.Col(dbc.Input(id=NOTE, placeholder="说明(可选,如:文件名称、文号)", maxLength=NOTE_MAX,
                              size="sm"), md=6),
        ], className="g-2 mb-2 no-print"),
        dcc.Upload(
            id=UPLOAD, multiple=True,
            children=html.Div(["拖放文件到此处,或", html.A("点击选择文件", className="link-primary"),
                               html.Div(f"可上传:{ACCEPTED_TEXT};每个不超过{max_mb:g} MB;可一次选择多个文件",
                                        className="small text-muted")]),
            className="evidence-upload no-print",
            style={"border": "1px dashed #8a94a6", "borderRadius": "6px", "padding": "14px",
                   "textAlign": "center", "cursor": "pointer"},
        ),
        html.Div(id=BUSY, className="small text-primary mt-1"),
        html.Div(id=MSG, className="mt-2"),
        html.Div(id=LIST, className="mt-2"),
        dcc.Store(id=REFRESH, data=0),
        dcc.Store(id=TARGET),
        dbc.Modal([
            dbc.ModalHeader(dbc.ModalTitle("移除佐证材料")),
            dbc.ModalBody([
                html.P(id=MODAL_NAME),
                html.P("移除是一次更正:文件仍保留在记录中,列表显示为“已移除”及原因。", className="small text-muted"),
                dbc.Input(id=REASON, placeholder="移除原因(必填)", maxLength=REASON_MAX),
                html.Div(id=MODAL_MSG, className="mt-2"),
            ]),
            dbc.ModalFooter([dbc.Button("取消", id=CANCEL, color="secondary", outline=True),
                             dbc.Button("确认移除", id=CONFIRM, color="danger")]),
        ], id=MODAL, is_open=False),
    ], id=SECTION, className="section")


def _alerts(messages: list[tuple[str, str]]):
    return [dbc.Alert(m, color=c, className="py-1 px-2 mb-1 small", dismissable=True) for c, m in messages]


def _active_table(rows: list[EvidenceRow], names: dict, removable: bool):
    head = html.Thead(html.Tr([html.Th(h) for h in ("文件名", "大小", "上传人", "时间", "说明", "")]))
    body = []
    for r in rows:
        actions = [html.A("下载", href=routes.href(r.id, download=True), className="me-2")]
        if removable:
            actions.append(dbc.Button("移除", id={"type": REMOVE, "id": r.id}, size="sm", color="link",
                                      className="p-0 text-danger"))
        late = " (办公室于报送后补充)" if r.state_at_upload in ("submitted", "approved") else ""
        body.append(html.Tr([
            html.Td(html.A(r.name, href=routes.href(r.id), target="_blank", rel="noopener",
                           className="evidence-name")),
            html.Td(r.size_text), html.Td(names.get(r.uploaded_by, r.uploaded_by) + late),
            html.Td(forms.local_time(r.uploaded_at)), html.Td(r.note), html.Td(actions, className="no-print"),
        ], **{"data-evidence": str(r.id)}))
    return html.Div(dbc.Table([head, html.Tbody(body)], size="sm", striped=True, className="evidence-table mb-0"),
                    className="table-responsive")


def _removed_table(rows: list[EvidenceRow], names: dict):
    head = html.Thead(html.Tr([html.Th(h) for h in ("文件名", "上传人", "移除人", "移除时间", "移除原因")]))
    body = [html.Tr([html.Td([html.Del(r.name), html.Span(" 已移除", className="badge bg-secondary ms-1")]),
                     html.Td(names.get(r.uploaded_by, r.uploaded_by)),
                     html.Td(names.get(r.removed_by or "", r.removed_by or "")),
                     html.Td(forms.local_time(r.removed_at)), html.Td(r.remove_reason)],
                    **{"data-evidence-removed": str(r.id)}) for r in rows]
    return html.Div(dbc.Table([head, html.Tbody(body)], size="sm", className="evidence-removed mb-0"),
                    className="table-responsive")


def render_list(service, ident, ind, region: str, q: Quarter):
    rows = service.evidence.rows(ind.scheme, ind.id, region, q)
    names = service.display_names()
    active = [r for r in rows if not r.removed]
    removed = [r for r in rows if r.removed]
    parts = [_active_table(active, names, may_change(service, ident, ind, region, q)) if active
             else html.P(f"{q.label}暂无佐证材料。", className="text-muted mb-1")]
    if removed:
        parts += [html.H3("已移除", className="h6 mt-3"), _removed_table(removed, names)]
    return parts


def hint(service, ident, ind, region: str, q: Quarter) -> tuple[str, bool]:
    """(text, disabled) of the upload area for this user."""
    unit = ind.reporting_unit
    state = service.evidence.unit_state(ind.scheme, region, unit, q)
    refusal = add_refusal(ident, ind.scheme, unit, region, q, state)
    if refusal:
        return f"{q.label} · {refusal}", True
    extra = ";该季度已报送或已审核,办公室补充的材料会记入记录" if state != "draft" else ""
    return f"{q.label}的佐证材料(填报单位:{unit}){extra}", False


# ---------------------------------------------------------------- the entry form's rows

def counts(service, scheme_id: str, region: str, q: Quarter) -> dict[str, int]:
    """indicator id -> number of (not removed) evidence files for ``q``: one query per form."""
    out: dict[str, int] = {}
    for r in service.evidence.rows(scheme_id, region=region, period=q, include_removed=False):
        out[r.indicator_id] = out.get(r.indicator_id, 0) + 1
    return out


def _count_link(ind_id: str, n: int, region: str, q: Quarter):
    from .. import urlstate

    text = f"佐证材料{n}份" if n else "暂无佐证材料"
    return dcc.Link(text, href=f"/indicator/{ind_id}" + urlstate.build(region=region, q=str(q)),
                    className="small entry-evidence-count")


def entry_cell(ind, n: int, region: str, q: Quarter, may_add: bool):
    """The evidence line under an indicator's name on the entry form: the count (a link to the
    detail page's list) and, for whoever may add, a small upload that takes several files."""
    pid = {"indicator": ind.id}
    parts = [html.Span(_count_link(ind.id, n, region, q), id={"type": ROW_COUNT, **pid})]
    if may_add:
        parts.append(dcc.Upload(id={"type": ROW_UPLOAD, **pid}, multiple=True,
                                children=html.A("+上传", className="small ms-2 link-primary", role="button"),
                                className="entry-evidence-upload no-print",
                                style={"display": "inline-block", "verticalAlign": "baseline"},
                                style_active={"display": "inline-block", "outline": "1px dashed #0d6efd"}))
    # dcc.Upload renders a block <div>: a flex line keeps the count and 上传 side by side.
    return html.Div([html.Div(parts, className="d-flex align-items-baseline"),
                     html.Div(id={"type": ROW_MSG, **pid}, className="small")], className="entry-evidence")


def register_entry(app, service) -> None:
    """The per-row upload of the entry form: the same upload_files as the detail page.
    ALL, not MATCH, like the form's other row callbacks; only the triggering row changes."""
    rows = {"type": ROW_UPLOAD, "indicator": ALL}

    # Shown in the browser at once, while the server callback below runs.
    app.clientside_callback(
        """function (contents) {
            var t = dash_clientside.callback_context.triggered;
            var which = t && t.length ? JSON.parse(t[0].prop_id.split(".")[0]).indicator : null;
            return dash_clientside.callback_context.outputs_list.map(function (o, i) {
                return o.id.indicator === which && contents[i] ? "正在上传…" : dash_clientside.no_update;
            });
        }""",
        Output({"type": ROW_MSG, "indicator": ALL}, "children", allow_duplicate=True),
        Input(rows, "contents"), prevent_initial_call=True)

    def unchanged(n):
        return [no_update] * n

    @app.callback(
        Output({"type": ROW_MSG, "indicator": ALL}, "children"),
        Output({"type": ROW_COUNT, "indicator": ALL}, "children"),
        Output(rows, "contents"),
        Input(rows, "contents"), State(rows, "filename"), State(ids.EN_CTX, "data"),
        prevent_initial_call=True,
    )
    @guarded("viewer")
    def row_upload(contents, filenames, context):
        outs = ctx.outputs_list[0] if ctx.outputs_list else []
        n = len(outs)
        msgs, counts_, resets = unchanged(n), unchanged(n), unchanged(n)
        trig = ctx.triggered_id
        ind_id = trig.get("indicator") if isinstance(trig, dict) else None
        at = [i for i, o in enumerate(outs) if isinstance(o, dict) and o.get("id", {}).get("indicator") == ind_id]
        if not at or not isinstance(contents, list) or at[0] >= len(contents) or not contents[at[0]]:
            return msgs, counts_, resets
        i = at[0]
        resets[i] = None
        try:
            c = forms.FormContext.from_dict(context)
        except forms.Refused as exc:
            msgs[i] = _alerts([("danger", str(exc))])
            return msgs, counts_, resets
        names = filenames[i] if isinstance(filenames, list) and i < len(filenames) else None
        messages = upload_files(service, forms.identity(), ind_id, c.region, str(c.quarter), names, contents[i])
        total = len(service.evidence.rows(c.scheme_id, ind_id, c.region, c.quarter, include_removed=False))
        msgs[i] = _alerts(messages)
        counts_[i] = _count_link(ind_id, total, c.region, c.quarter)
        return msgs, counts_, resets


# ---------------------------------------------------------------- callbacks

def _refused(n_outputs: int):
    def out(msg: str):
        return (_alerts([("danger", msg)]),) + (no_update,) * (n_outputs - 1)
    return out


def register(app, service) -> None:
    registry = service.registry

    def target(indicator_id, region, quarter):
        ind = registry.indicators[indicator_id]
        return ind, region, Quarter.parse(quarter)

    @app.callback(
        Output(LIST, "children"), Output(HINT, "children"), Output(UPLOAD, "disabled"),
        Input(ids.DT_QUARTER, "value"), Input(REFRESH, "data"), State(DT_INDICATOR, "data"), State(DT_REGION, "data"),
    )
    @guarded("viewer", refused=lambda msg: (msg, msg, True))
    def show(quarter, _refresh, indicator_id, region):
        if indicator_id not in registry.indicators or not quarter:
            return no_update, no_update, no_update
        ind, region, q = target(indicator_id, region, quarter)
        ident = forms.identity()
        text, disabled = hint(service, ident, ind, region, q)
        return render_list(service, ident, ind, region, q), text, disabled

    @app.callback(
        Output(MSG, "children"), Output(REFRESH, "data"), Output(UPLOAD, "contents"), Output(NOTE, "value"),
        Input(UPLOAD, "contents"), State(UPLOAD, "filename"), State(NOTE, "value"), State(ids.DT_QUARTER, "value"),
        State(DT_INDICATOR, "data"), State(DT_REGION, "data"), State(REFRESH, "data"),
        running=[(Output(BUSY, "children"), "正在上传…", "")],
        prevent_initial_call=True,
    )
    @guarded("viewer", refused=_refused(4))
    def upload(contents, filenames, note, quarter, indicator_id, region, refresh):
        if not contents:
            return no_update, no_update, no_update, no_update
        if indicator_id not in registry.indicators:
            return _alerts([("danger", "页面参数无效,请刷新页面后重试。")]), no_update, None, no_update
        messages = upload_files(service, forms.identity(), indicator_id, region, quarter, filenames, contents,
                                note or "")
        ok = any(c == "success" for c, _ in messages)
        return _alerts(messages), (refresh or 0) + 1, None, ("" if ok else no_update)

    @app.callback(
        Output(MODAL, "is_open"), Output(TARGET, "data"), Output(MODAL_NAME, "children"),
        Output(MODAL_MSG, "children"), Output(REASON, "value"),
        Input({"type": REMOVE, "id": ALL}, "n_clicks"), Input(CANCEL, "n_clicks"),
        prevent_initial_call=True,
    )
    @guarded("viewer", refused=lambda msg: (False, None, "", msg, ""))
    def open_remove(clicks, _cancel):
        trig = ctx.triggered_id
        if trig == CANCEL:
            return False, None, "", "", ""
        if not isinstance(trig, dict) or not any(clicks or []):
            return no_update, no_update, no_update, no_update, no_update
        row = service.evidence.get(trig.get("id"))
        if row is None:
            return no_update, no_update, no_update, no_update, no_update
        return True, row.id, f"文件:{row.name}({size_text(row.size)})", "", ""

    @app.callback(
        Output(MODAL_MSG, "children", allow_duplicate=True), Output(MODAL, "is_open", allow_duplicate=True),
        Output(REFRESH, "data", allow_duplicate=True), Output(MSG, "children", allow_duplicate=True),
        Input(CONFIRM, "n_clicks"), State(TARGET, "data"), State(REASON, "value"), State(REFRESH, "data"),
        prevent_initial_call=True,
    )
    @guarded("viewer", refused=_refused(4))
    def remove(n, evidence_id, reason, refresh):
        if not n or evidence_id is None:
            return no_update, no_update, no_update, no_update
        try:
            row = service.evidence.remove(forms.identity(), int(evidence_id), reason or "")
        except (EvidenceRefused, ValueError, TypeError) as exc:
            return _alerts([("danger", str(exc))]), no_update, no_update, no_update
        return "", False, (refresh or 0) + 1, _alerts([("info", f"已移除“{row.name}”,原因:{row.remove_reason}。")])
