"""方案管理 (admins only): the published versions of each scheme (who, when, why), a version
as YAML, publishing an uploaded YAML as a new version, adjusting one target (方案调整), and
reviewing a draft made from the scheme's document (dashboard/workbench/review.py).

Every callback checks the admin role on the server (``guarded("admin")``). A publication
names the version the admin was looking at (``SV_BASED_ON``): if another admin published
meanwhile, it is refused (data/scheme_versions.py). The rules live in
indicators/versions.py and data/scheme_versions.py; the callbacks collect and render.
"""
from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Optional

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from data.errors import StoreError
from data.scheme_versions import export_text
from indicators.versions import ACTION_LABELS, VersionRefused, parse_definition

from ..components import target_text
from ..entry.forms import local_time
from ..permissions import current_identity, guarded
from ..workbench import review
from .common import page_title, scheme_options, selector_col

NAV_LABEL = "方案管理"
PATH = "/schemes"
REQUIRES = "admin"

# Component ids (prefix sv-).
TITLE = "sv-title"
SCHEME = "sv-scheme"
BASED_ON = "sv-based-on"          # the current version number the page shows (optimistic concurrency)
VERSIONS = "sv-versions"
DL_VERSION = "sv-dl-version"
DL_BUTTON = "sv-dl-button"
DOWNLOAD = "sv-download"
UPLOAD = "sv-upload"
UPLOAD_CHECK = "sv-upload-check"
PUB_EFFECTIVE = "sv-pub-effective"
PUB_REASON = "sv-pub-reason"
PUB_BUTTON = "sv-pub-button"
PUB_MSG = "sv-pub-msg"
ADJ_INDICATOR = "sv-adj-indicator"
ADJ_CURRENT = "sv-adj-current"
ADJ_VALUE = "sv-adj-value"
ADJ_EFFECTIVE = "sv-adj-effective"
ADJ_REASON = "sv-adj-reason"
ADJ_BUTTON = "sv-adj-button"
ADJ_MSG = "sv-adj-msg"
UPLOAD_MAX_BYTES = 2 * 1024 * 1024


def match(pathname: str):
    return {} if (pathname or "").rstrip("/") == PATH else None


def _alert(message, color="danger"):
    lines = str(message).split("\n")
    body = [lines[0]] + ([html.Ul([html.Li(x) for x in lines[1:]], className="mb-0")] if len(lines) > 1 else [])
    return dbc.Alert(body, color=color, className="py-1 px-2 mb-0 mt-2 small")


def _date(text) -> Optional[date]:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def versions_table(service, scheme_id: str):
    rows, names = [], service.display_names()   # people by display name, never account id
    for v in reversed(service.registry_history().versions(scheme_id)):
        rows.append(html.Tr([html.Td(f"第{v.version}版"), html.Td(v.effective_from.isoformat()),
                             html.Td(ACTION_LABELS.get(v.action, v.action)),
                             html.Td(names.get(v.published_by, v.published_by) if v.published_by else "系统"),
                             html.Td(local_time(v.published_at) if v.published_at else "—"),
                             html.Td(v.reason or "—")], **{"data-version": str(v.version)}))
    head = html.Thead(html.Tr([html.Th(h) for h in ("版本", "生效日期", "操作", "发布人", "发布时间", "依据")]))
    return html.Div(dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, className="mb-0"),
                    className="table-responsive")


def _version_options(service, scheme_id: str):
    return [{"label": f"第{v.version}版({v.effective_from.isoformat()}起)", "value": v.version}
            for v in reversed(service.registry_history().versions(scheme_id))]


def _adjustable(service, scheme_id: str):
    return [{"label": f"{i.name}({i.id})", "value": i.id} for i in service.indicators(scheme_id)
            if i.kind.value in ("annual", "cumulative", "rate", "share")]


def _state(service, scheme_id: str):
    """(versions table, version options, selected version, based-on version, indicator options)."""
    current = service.registry_history().current(scheme_id).version
    return (versions_table(service, scheme_id), _version_options(service, scheme_id), current, current,
            _adjustable(service, scheme_id))


def layout(service, search, **_):
    scheme_id = service.default_scheme
    table, options, selected, based_on, adjustable = _state(service, scheme_id)
    schemes = scheme_options(service)
    date_hint = "YYYY-MM-DD,如 2024-06-30"
    return html.Div([
        page_title(TITLE, "方案管理", "方案的版本、发布与目标调整;各季度按当时有效的版本评价"),
        dcc.Store(id=BASED_ON, data=based_on),
        dbc.Row([selector_col("方案", dcc.Dropdown(id=SCHEME, options=schemes, value=scheme_id, clearable=False),
                              md=6)], className="g-2 selectors"),
        html.Section([html.H2("版本记录", className="section-title"), html.Div(table, id=VERSIONS),
                      dbc.Row([
                          selector_col("下载版本", dcc.Dropdown(id=DL_VERSION, options=options, value=selected,
                                                           clearable=False, searchable=False), md=4),
                          html.Div(html.Button("下载YAML", id=DL_BUTTON, className="btn btn-outline-secondary btn-sm"),
                                   className="col-md-2 d-flex align-items-end"),
                      ], className="g-2 mt-2"),
                      dcc.Download(id=DOWNLOAD)], className="section"),
        dbc.Row([
            dbc.Col(html.Section([
                html.H2("调整目标(方案调整)", className="section-title"),
                html.Label("指标", htmlFor=ADJ_INDICATOR, className="small mb-0 form-label"),
                dcc.Dropdown(id=ADJ_INDICATOR, options=adjustable, placeholder="选择指标"),
                html.Div(id=ADJ_CURRENT, className="small text-muted mt-1"),
                html.Label("新目标值", htmlFor=ADJ_VALUE, className="small mb-0 mt-2 form-label"),
                dbc.Input(id=ADJ_VALUE, type="text", inputMode="decimal", size="sm"),
                html.Label("生效日期", htmlFor=ADJ_EFFECTIVE, className="small mb-0 mt-2 form-label"),
                dbc.Input(id=ADJ_EFFECTIVE, type="text", placeholder=date_hint, size="sm"),
                html.Label("调整依据(文件名称、文号)", htmlFor=ADJ_REASON, className="small mb-0 mt-2 form-label"),
                dbc.Input(id=ADJ_REASON, type="text", size="sm"),
                html.Button("发布调整", id=ADJ_BUTTON, className="btn btn-primary btn-sm mt-2"),
                html.Div(id=ADJ_MSG),
            ], className="section"), lg=6),
            dbc.Col(html.Section([
                html.H2("上传YAML发布新版本", className="section-title"),
                dcc.Upload(html.Div(["拖放或", html.A("选择YAML文件", href="#")]), id=UPLOAD, accept=".yaml,.yml",
                           max_size=UPLOAD_MAX_BYTES, className="entry-upload"),
                html.Div(id=UPLOAD_CHECK),
                html.Label("生效日期", htmlFor=PUB_EFFECTIVE, className="small mb-0 mt-2 form-label"),
                dbc.Input(id=PUB_EFFECTIVE, type="text", placeholder=date_hint, size="sm"),
                html.Label("发布依据(文件名称、文号)", htmlFor=PUB_REASON, className="small mb-0 mt-2 form-label"),
                dbc.Input(id=PUB_REASON, type="text", size="sm"),
                html.Button("发布", id=PUB_BUTTON, className="btn btn-primary btn-sm mt-2"),
                html.Div(id=PUB_MSG),
            ], className="section"), lg=6),
        ]),
        review.section(),
    ], className="schemes")


def _decoded(contents: Optional[str]) -> str:
    """The text of an uploaded file (a data: URL); ValueError with a Chinese message."""
    try:
        raw = base64.b64decode((contents or "").split(",", 1)[1], validate=True)
        return raw.decode("utf-8-sig")
    except (IndexError, binascii.Error):
        raise ValueError("无法读取上传的文件,请重新选择") from None
    except UnicodeDecodeError:
        raise ValueError("文件不是UTF-8编码的YAML文本") from None


def check_upload(service, contents, filename) -> tuple[bool, str]:
    """(ok, message) of an uploaded YAML, validated with the loader's rules (no publication)."""
    try:
        sf = parse_definition(_decoded(contents), filename or "上传的文件", others=service.registry)
    except (ValueError, VersionRefused) as exc:
        return False, str(exc)
    hist = service.registry_history()
    known = sf.scheme.id in hist.versions_by_scheme
    nxt = hist.current(sf.scheme.id).version + 1 if known else 1
    return True, (f"校验通过:方案 {sf.scheme.id}({sf.scheme.short_name}),{len(sf.indicators)}项指标,"
                  f"发布后为第{nxt}版")


def register(app, service):
    @app.callback(
        Output(VERSIONS, "children"), Output(DL_VERSION, "options"), Output(DL_VERSION, "value"),
        Output(BASED_ON, "data"), Output(ADJ_INDICATOR, "options"),
        Input(SCHEME, "value"), prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: (_alert(msg),) + (no_update,) * 4)
    def show_scheme(scheme_id):
        return _state(service, scheme_id)

    @app.callback(Output(DOWNLOAD, "data"), Input(DL_BUTTON, "n_clicks"), State(SCHEME, "value"),
                  State(DL_VERSION, "value"), prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: no_update)
    def download(_n, scheme_id, version):
        text = export_text(service.registry_history(), scheme_id, int(version) if version else None)
        return dict(content=text, filename=f"{scheme_id}_v{version}.yaml", type="application/x-yaml")

    @app.callback(Output(UPLOAD_CHECK, "children"), Input(UPLOAD, "contents"), State(UPLOAD, "filename"),
                  prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: _alert(msg))
    def live_check(contents, filename):
        ok, message = check_upload(service, contents, filename)
        return _alert(message, "success" if ok else "danger")

    def _publish(action, based_on, effective, reason, **what):
        """Collect, publish through the service, render: (message, versions table, options, selected,
        based-on, indicator options)."""
        who = current_identity()
        when = _date(effective)
        if when is None:
            return (_alert("请填写生效日期,格式为 YYYY-MM-DD,如 2024-06-30。未发布。"),) + (no_update,) * 5
        try:
            rec = action(effective_from=when, reason=reason or "", user=who.username,
                         expected_version=based_on, **what)
        except (VersionRefused, StoreError, ValueError) as exc:
            return (_alert(str(exc)),) + (no_update,) * 5
        ok = _alert(f"已发布方案 {rec.scheme_id} 第{rec.version}版,{rec.effective_from.isoformat()}起生效。"
                    "各页面与报告立即按新版本评价。", "success")
        return (ok,) + _state(service, rec.scheme_id)

    outputs = [Output(VERSIONS, "children", allow_duplicate=True), Output(DL_VERSION, "options", allow_duplicate=True),
               Output(DL_VERSION, "value", allow_duplicate=True), Output(BASED_ON, "data", allow_duplicate=True),
               Output(ADJ_INDICATOR, "options", allow_duplicate=True)]

    @app.callback(Output(PUB_MSG, "children"), *outputs, Input(PUB_BUTTON, "n_clicks"),
                  State(UPLOAD, "contents"), State(UPLOAD, "filename"), State(BASED_ON, "data"),
                  State(PUB_EFFECTIVE, "value"), State(PUB_REASON, "value"), State(SCHEME, "value"),
                  prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: (_alert(msg),) + (no_update,) * 5)
    def publish(_n, contents, filename, based_on, effective, reason, scheme_id):
        if not contents:
            return (_alert("请先选择要发布的YAML文件。未发布。"),) + (no_update,) * 5
        try:
            text = _decoded(contents)
        except ValueError as exc:
            return (_alert(str(exc)),) + (no_update,) * 5

        def action(**kw):
            # The version the page showed is the selected scheme's; a file of another scheme is
            # published against that scheme's current version.
            if parse_definition(text, filename or "上传的文件", others=service.registry).scheme.id != scheme_id:
                kw["expected_version"] = None
            return service.publish_scheme(text, name=filename or "上传的文件", **kw)

        return _publish(action, based_on, effective, reason)

    # Also after a publication (BASED_ON changes): the target shown is the new current one.
    @app.callback(Output(ADJ_CURRENT, "children"), Input(ADJ_INDICATOR, "value"), Input(BASED_ON, "data"),
                  prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: msg)
    def show_current(indicator_id, _based_on):
        ind = service.registry.indicators.get(indicator_id or "")
        if ind is None:
            return ""
        history = service.target_history(ind.id)
        return [f"当前目标:{target_text(ind)}"] + [html.Div(t) for t in history]

    @app.callback(Output(ADJ_MSG, "children"), *outputs, Input(ADJ_BUTTON, "n_clicks"),
                  State(ADJ_INDICATOR, "value"), State(ADJ_VALUE, "value"), State(BASED_ON, "data"),
                  State(ADJ_EFFECTIVE, "value"), State(ADJ_REASON, "value"), prevent_initial_call=True)
    @guarded("admin", refused=lambda msg: (_alert(msg),) + (no_update,) * 5)
    def adjust(_n, indicator_id, value, based_on, effective, reason):
        if not indicator_id:
            return (_alert("请选择要调整的指标。未发布。"),) + (no_update,) * 5
        try:
            number = float(str(value or "").strip())
        except ValueError:
            return (_alert(f"新目标值“{value or ''}”不是数字。未发布。"),) + (no_update,) * 5
        return _publish(service.adjust_target, based_on, effective, reason, indicator_id=indicator_id, value=number)

    review.register(app, service, _publish, lambda: scheme_options(service))
