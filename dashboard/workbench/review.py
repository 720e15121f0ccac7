"""方案管理 → 从文件草拟: upload a scheme document, review the drafted candidates beside the
document, publish them as a new version of the selected scheme or as a new scheme (issue #17).

The rules are in :mod:`dashboard.workbench.rules` (pure); these callbacks collect and render.
The draft lives in the browser: the document text and the scheme it is for in ``DR_STORE``
(bounded by the reader: 150 000 characters), the candidates in the grid's ``rowData``
(at most ``rules.MAX_ROWS``). Every callback checks the admin role on the server.
"""
from __future__ import annotations

import base64
import binascii
import json

import dash_bootstrap_components as dbc
import yaml
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from indicators.draft import DraftInputError, draft_text, read_bytes
from indicators.model import KIND_LABELS

from ..grid import grid
from ..permissions import guarded
from . import rules

# Component ids (prefix sv-dr-).
DR_UPLOAD = "sv-dr-upload"
DR_MSG = "sv-dr-msg"
DR_STORE = "sv-dr-store"
DR_DOC = "sv-dr-doc"
DR_GRID = "sv-dr-grid"
DR_CHECK = "sv-dr-check"
DR_PICK = "sv-dr-pick"             # the sentence the office selected ({start, end})
DR_PICKED = "sv-dr-picked"
DR_ADD = "sv-dr-add"
DR_MERGE = "sv-dr-merge"
DR_SPLIT = "sv-dr-split"
DR_EFFECTIVE = "sv-dr-effective"
DR_REASON = "sv-dr-reason"
DR_PUBLISH = "sv-dr-publish"
DR_PUB_MSG = "sv-dr-pub-msg"
DR_MODE = "sv-dr-mode"             # 发布为: the selected scheme's new version, or a new scheme
DR_NEW = "sv-dr-new"               # the new scheme's form (shown for 新方案)
NEW_IDS = {f: f"sv-dr-new-{f}" for f in rules.NEW_FIELDS}
NEW_LABELS = {"id": "方案编号(小写字母、数字、下划线)", "name": "方案名称", "short_name": "简称", "region": "地区",
              "region_level": "地区级别", "start": "起(YYYY-MM)", "end": "止(YYYY-MM)", "issuer": "发文机关",
              "number": "文号", "date": "印发日期(YYYY-MM-DD)"}
SENTENCE = "sv-dr-sent"            # pattern-matching id of a sentence in the document pane
MAX_BYTES = 10 * 1024 * 1024       # a scheme document (PDF) is well under 10 MB

_OPT = {"cellEditor": "agSelectCellEditor"}
_ONE_LINE = {"wrapText": False, "autoHeight": False}   # long texts: one line, the whole text as a tooltip


def _labels(mapping: dict) -> dict:
    """Show a stored code (cumulative, flow) by its Chinese label; the cell keeps the code the loader reads."""
    return {"valueFormatter": {"function": f"({json.dumps(mapping, ensure_ascii=False)})[params.value] || params.value"}}

COLUMNS = [
    {"field": "accept", "headerName": "接受", "editable": True, "cellDataType": "boolean", "width": 70,
     "filter": False, "pinned": "left"},
    {"field": "cid", "headerName": "候选", "width": 70, "pinned": "left"},
    {"field": "name", "headerName": "名称", "editable": True, "width": 200, "pinned": "left"},
    {"field": "kind", "headerName": "类型", "editable": True, "cellEditorParams": {"values": rules.KINDS},
     "width": 110, **_OPT, **_labels(KIND_LABELS)},
    {"field": "value", "headerName": "目标值", "editable": True, "width": 90},
    {"field": "min", "headerName": "下限", "editable": True, "width": 75},
    {"field": "max", "headerName": "上限", "editable": True, "width": 75},
    {"field": "unit", "headerName": "单位", "editable": True, "cellEditorParams": {"values": rules.UNITS},
     "width": 85, **_OPT},
    {"field": "deadline", "headerName": "截止日期", "editable": True, "width": 115},
    {"field": "stage", "headerName": "阶段", "editable": True, "width": 95},        # choices: columns(scheme)
    {"field": "dimension", "headerName": "维度", "editable": True, "width": 85},
    {"field": "reporting", "headerName": "填报方式", "editable": True,
     "cellEditorParams": {"values": ["flow", "stock"]}, "width": 110, **_OPT,
     **_labels({"flow": "当季新增", "stock": "季末存量"})},
    {"field": "lead_units", "headerName": "牵头单位", "editable": True, "minWidth": 130, "flex": 1},
    {"field": "responsible_units", "headerName": "责任单位", "editable": True, "minWidth": 130, "flex": 1},
    {"field": "id", "headerName": "指标编号", "editable": True, "minWidth": 170, "flex": 1, "tooltipField": "id",
     **_ONE_LINE},
    {"field": "registered", "headerName": "已登记", "minWidth": 120, "flex": 1, "tooltipField": "registered",
     **_ONE_LINE},
    {"field": "clause", "headerName": "条款", "width": 80},
    {"field": "confidence", "headerName": "置信度", "width": 85},
    {"field": "explain", "headerName": "依据", "minWidth": 200, "flex": 2, "tooltipField": "explain", **_ONE_LINE},
]


def columns(scheme) -> list[dict]:
    """The grid's columns with the scheme's own stages and dimensions to pick from."""
    picks = {"stage": [st.id for st in scheme.stages], "dimension": list(scheme.dimensions)}
    return [dict(c, cellEditorParams={"values": picks[c["field"]]}, **_OPT) if c["field"] in picks else c
            for c in COLUMNS]


def section():
    date_hint = "YYYY-MM-DD,如 2024-06-30"
    return html.Section([
        html.H2("从文件草拟(审核候选指标)", className="section-title"),
        html.P("上传方案文件(.txt、.docx或文字版.pdf),系统逐句找出目标,作为所选方案的新版本或一个新方案的草稿。"
               "左侧为原文,右侧为候选:勾选“接受”、直接修改各栏;点选原文句子可补充遗漏的目标。"
               "草稿中与已登记指标相同的目标沿用原编号(已填报数值不受影响);草稿未涉及的已登记指标原样保留。",
               className="small text-muted mb-1"),
        dcc.Upload(html.Div(["拖放或", html.A("选择方案文件", href="#")]), id=DR_UPLOAD,
                   accept=".txt,.docx,.pdf,.doc", max_size=MAX_BYTES, className="entry-upload"),
        dcc.Loading(html.Div(id=DR_MSG), type="dot"),   # reading a long PDF takes a moment
        dcc.Store(id=DR_STORE), dcc.Store(id=DR_PICK),
        dbc.Row([
            dbc.Col([html.Div("原文", className="small fw-bold"),
                     html.Div(id=DR_DOC, className="sv-dr-doc")], lg=4),
            dbc.Col([
                html.Div([
                    html.Button("合并所选候选", id=DR_MERGE, className="btn btn-outline-secondary btn-sm"),
                    html.Button("拆分所选候选", id=DR_SPLIT, className="btn btn-outline-secondary btn-sm"),
                    html.Button("添加所选句子为候选", id=DR_ADD, className="btn btn-outline-secondary btn-sm"),
                    html.Span(id=DR_PICKED, className="small text-muted"),
                ], className="d-flex flex-wrap gap-2 align-items-center mb-1"),
                grid(DR_GRID, COLUMNS, page_size=50, getRowId="params.data.cid",
                     dashGridOptions={"rowSelection": {"mode": "multiRow", "checkboxes": False,
                                                       "headerCheckbox": False, "enableClickSelection": True},
                                      "singleClickEdit": True, "stopEditingWhenCellsLoseFocus": True}),
                html.Div(id=DR_CHECK),
                html.Div([html.Span("发布为:", className="small fw-bold me-2"),
                          dbc.RadioItems(id=DR_MODE, value="version", inline=True, className="small d-inline-block",
                                         options=[{"label": "所选方案的新版本", "value": "version"},
                                                  {"label": "新方案", "value": "new"}])], className="mt-2"),
                new_scheme_form(),
                dbc.Row([
                    dbc.Col([html.Label("生效日期", htmlFor=DR_EFFECTIVE, className="small mb-0 form-label"),
                             dbc.Input(id=DR_EFFECTIVE, type="text", placeholder=date_hint, size="sm")], md=4),
                    dbc.Col([html.Label("发布依据(文件名称、文号)", htmlFor=DR_REASON, className="small mb-0 form-label"),
                             dbc.Input(id=DR_REASON, type="text", size="sm")], md=6),
                    dbc.Col(html.Button("发布草稿", id=DR_PUBLISH, className="btn btn-primary btn-sm"),
                            md=2, className="d-flex align-items-end"),
                ], className="g-2 mt-1"),
                html.Div(id=DR_PUB_MSG),
            ], lg=8),
        ], className="g-2 mt-2"),
    ], className="section")


def new_scheme_form():
    """The new scheme's metadata (prefilled from the document); stages and dimensions come from the rows."""
    def field(f, md=3):
        if f == "region_level":
            box = dbc.Select(id=NEW_IDS[f], size="sm", value="county",
                             options=[{"label": v, "value": k} for k, v in rules.LEVELS.items()])
        else:
            box = dbc.Input(id=NEW_IDS[f], type="text", size="sm")
        return dbc.Col([html.Label(NEW_LABELS[f], htmlFor=NEW_IDS[f], className="small mb-0 form-label"), box], md=md)
    widths = {"name": 6, "issuer": 4, "number": 4}
    return html.Div([
        dbc.Row([field(f, widths.get(f, 3)) for f in rules.NEW_FIELDS], className="g-2"),
        html.P("阶段按接受的候选的截止年份各设一个(如“2024年度任务”),维度取候选所用的维度(无则为“综合”);"
               "发布后可在“版本记录”下载YAML修改,再上传发布。", className="small text-muted mb-0 mt-1"),
    ], id=DR_NEW, style={"display": "none"}, className="border rounded p-2 mt-1")


def document_pane(text: str):
    """The document verbatim, each sentence a clickable span carrying its span (for the highlight)."""
    out = []
    for n, (a, b, is_sentence) in enumerate(rules.document_parts(text)):
        if is_sentence:
            out.append(html.Span(text[a:b], id={"type": SENTENCE, "index": n}, className="sv-dr-sent",
                                 n_clicks=0, **{"data-start": str(a), "data-end": str(b)}))
        else:
            out.append(text[a:b])
    return out


def _alert(message, color="danger"):
    lines = [x for x in str(message).split("\n") if x]
    body = [lines[0]] + ([html.Ul([html.Li(x) for x in lines[1:]], className="mb-0")] if len(lines) > 1 else [])
    return dbc.Alert(body, color=color, className="py-1 px-2 mb-0 mt-2 small")


def _basis(service, scheme_id):
    cur = service.registry_history().current(scheme_id)
    return cur.scheme, list(cur.indicators), cur.version


def check_rows(service, store, rows, meta=None):
    """(ok, message, YAML text) of the review rows, validated as the loader validates a scheme file;
    ``meta`` (the form's fields): published as a NEW scheme instead of the selected one's new version."""
    if not store or not rows:
        return False, "", ""
    scheme, current, _v = _basis(service, store["scheme"])
    if meta is not None:
        text, problems = rules.new_scheme_text(meta, rows, service.registry.schemes,
                                               service.registry.indicators.values(), scheme.reference_series)
        if problems:
            return False, "校验未通过(发布时将被拒绝):\n" + "\n".join(problems), text
        sf = yaml.safe_load(text)
        return True, (f"校验通过:接受{len(sf['indicators'])}项候选,发布后为新方案 {sf['scheme']['id']}"
                      f"({sf['scheme']['short_name']}),{len(sf['scheme']['stages'])}个阶段"), text
    text, problems = rules.definition_text(scheme, rows, current, service.registry.indicators.values())
    if problems:
        return False, "校验未通过(发布时将被拒绝):\n" + "\n".join(problems), text
    accepted = sum(1 for r in rows if r.get("accept"))
    total = len(yaml.safe_load(text)["indicators"])
    return True, f"校验通过:接受{accepted}项候选,发布后方案 {scheme.id} 共{total}项指标", text


def draft_upload(contents, filename, scheme_id, based_on, service):
    """(message, store, rows, document, columns) for an uploaded document; a bad file changes nothing."""
    try:
        data = base64.b64decode((contents or "").split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error):
        return (_alert("无法读取上传的文件,请重新选择。"),) + (no_update,) * 4
    try:
        doc = read_bytes(data, filename or "")
    except DraftInputError as exc:
        return (_alert(str(exc)),) + (no_update,) * 4
    draft = draft_text(doc).to_dict()
    scheme, current, _v = _basis(service, scheme_id)
    rows = rules.review_rows(draft, scheme, current)
    notes = list(draft["notes"])
    color = "warning" if not rows else "info"
    head = (f"已读取“{doc.source}”:{draft['sentences']}句,候选{len(rows)}项"
            f"(其中{sum(1 for r in rows if r['registered'])}项与方案 {scheme.id} 已登记的指标相同)。")
    if not rows:
        head = f"“{doc.source}”中未找到量化目标:可点选原文句子手工添加。"
    store = {"scheme": scheme_id, "source": doc.source, "text": doc.text, "based_on": based_on}
    return _alert("\n".join([head] + notes), color), store, rows, document_pane(doc.text), columns(scheme)


def _meta(mode, values):
    return dict(zip(rules.NEW_FIELDS, values)) if mode == "new" else None


def register(app, service, publish, scheme_options):
    """``publish(action, based_on, effective, reason)``: the page's publication helper (message + page state);
    ``scheme_options()``: the 方案 selector's options (a new scheme is offered at once)."""
    new_states = [State(NEW_IDS[f], "value") for f in rules.NEW_FIELDS]

    @app.callback(Output(DR_NEW, "style"), Input(DR_MODE, "value"))
    def show_form(mode):
        return {} if mode == "new" else {"display": "none"}

    # A new document prefills the new scheme's form with what it gives (title, period, region, notice).
    @app.callback(*[Output(NEW_IDS[f], "value") for f in rules.NEW_FIELDS], Input(DR_STORE, "data"),
                  prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: (no_update,) * len(rules.NEW_FIELDS))
    def prefill(store):
        if not store:
            return (no_update,) * len(rules.NEW_FIELDS)
        found = rules.new_scheme_defaults(store.get("text", ""))
        return tuple(found[f] for f in rules.NEW_FIELDS)

    @app.callback(Output(DR_MSG, "children"), Output(DR_STORE, "data"), Output(DR_GRID, "rowData"),
                  Output(DR_DOC, "children"), Output(DR_GRID, "columnDefs"), Input(DR_UPLOAD, "contents"),
                  State(DR_UPLOAD, "filename"), State("sv-scheme", "value"), State("sv-based-on", "data"),
                  prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: (_alert(msg),) + (no_update,) * 4)
    def upload(contents, filename, scheme_id, based_on):
        return draft_upload(contents, filename, scheme_id, based_on, service)

    # rowData set by a callback (upload, add, merge, split) triggers this; a cell edit comes as cellValueChanged.
    @app.callback(Output(DR_CHECK, "children"), Input(DR_GRID, "cellValueChanged"), Input(DR_STORE, "data"),
                  Input(DR_GRID, "rowData"), Input(DR_MODE, "value"),
                  *[Input(NEW_IDS[f], "value") for f in rules.NEW_FIELDS], prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: _alert(msg))
    def live_check(_changed, store, rows, mode, *values):
        ok, message, _text = check_rows(service, store, rows, _meta(mode, values))
        return _alert(message, "success" if ok else "danger") if message else ""

    @app.callback(Output(DR_PICK, "data"), Output(DR_PICKED, "children"),
                  Input({"type": SENTENCE, "index": ALL}, "n_clicks"), State(DR_STORE, "data"),
                  prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: (no_update, msg))
    def pick(clicks, store):
        trig = ctx.triggered_id
        if not store or not isinstance(trig, dict) or not any(clicks):
            return no_update, no_update
        a, b, _s = rules.document_parts(store["text"])[trig["index"]]
        return {"start": a, "end": b}, f"已选句子:{store['text'][a:b][:30]}……"

    @app.callback(Output(DR_GRID, "rowData", allow_duplicate=True), Input(DR_ADD, "n_clicks"),
                  Input(DR_MERGE, "n_clicks"), Input(DR_SPLIT, "n_clicks"), State(DR_GRID, "rowData"),
                  State(DR_GRID, "selectedRows"), State(DR_PICK, "data"), State(DR_STORE, "data"),
                  prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: no_update)
    def edit_rows(_a, _m, _s, rows, selected, pick, store):
        if not store:
            return no_update
        rows = list(rows or [])
        chosen = [r["cid"] for r in (selected or [])]
        if ctx.triggered_id == DR_ADD and pick and len(rows) < rules.MAX_ROWS:
            scheme, _cur, _v = _basis(service, store["scheme"])
            return rows + [rules.row_from_sentence(store["text"], pick["start"], pick["end"], scheme, rows)]
        if ctx.triggered_id == DR_MERGE and len(chosen) >= 2:
            return rules.merge_rows(rows, chosen)
        if ctx.triggered_id == DR_SPLIT and len(chosen) == 1 and len(rows) < rules.MAX_ROWS:
            return rules.split_row(rows, chosen[0])
        return no_update

    # The highlight: the selected candidate's sentence (or the sentence picked) in the document pane.
    app.clientside_callback(
        """function(selected, pick) {
            const pane = document.getElementById('%s');
            if (!pane) { return window.dash_clientside.no_update; }
            pane.querySelectorAll('.sv-dr-hl').forEach(e => e.classList.remove('sv-dr-hl'));
            const starts = (selected || []).map(r => String((r.span || [])[0]));
            if (pick) { starts.push(String(pick.start)); }
            let first = null;
            starts.forEach(s => pane.querySelectorAll('[data-start="' + s + '"]').forEach(e => {
                e.classList.add('sv-dr-hl'); first = first || e; }));
            if (first) { first.scrollIntoView({block: 'center'}); }
            return starts.length;
        }""" % DR_DOC,
        Output(DR_DOC, "data-highlighted"), Input(DR_GRID, "selectedRows"), Input(DR_PICK, "data"),
        prevent_initial_call=True)

    @app.callback(Output(DR_PUB_MSG, "children"), Output("sv-versions", "children", allow_duplicate=True),
                  Output("sv-dl-version", "options", allow_duplicate=True),
                  Output("sv-dl-version", "value", allow_duplicate=True),
                  Output("sv-based-on", "data", allow_duplicate=True),
                  Output("sv-adj-indicator", "options", allow_duplicate=True),
                  Output("sv-scheme", "options", allow_duplicate=True),
                  Output("sv-scheme", "value", allow_duplicate=True),
                  Input(DR_PUBLISH, "n_clicks"), State(DR_GRID, "rowData"), State(DR_STORE, "data"),
                  State(DR_EFFECTIVE, "value"), State(DR_REASON, "value"), State(DR_MODE, "value"), *new_states,
                  prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: (_alert(msg),) + (no_update,) * 7)
    def publish_draft(_n, rows, store, effective, reason, mode, *values):
        if not store or not rows:
            return (_alert("请先上传方案文件并审核候选。未发布。"),) + (no_update,) * 7
        meta = _meta(mode, values)
        ok, message, text = check_rows(service, store, rows, meta)
        if not ok:
            return (_alert(message.replace("发布时将被拒绝", "未发布")),) + (no_update,) * 7

        def action(**kw):
            if meta is not None:
                kw["expected_version"] = 0   # a new scheme: refused if another admin created it meanwhile
            return service.publish_scheme(text, name=f"{store['source']}的草稿", **kw)

        out = publish(action, store.get("based_on"), effective, reason)
        if meta is None or out[1] is no_update:
            return out + (no_update, no_update)
        # The new scheme is offered at once and selected (its versions table is shown).
        return out + (scheme_options(), str(meta["id"]).strip())
