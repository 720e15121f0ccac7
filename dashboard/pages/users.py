"""用户管理 (admins only): add users, disable/enable them, reset passwords, assign
units, schemes and regions to reporters; the latest sign-ins; the time and size of the last
backup (a warning when it is older than two days, docs/backup.md).

Every callback checks ``require_admin`` on the server (``guarded("admin")``):
the navbar hiding the page from others is only a convenience.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from data.store import StoreError

from .. import accounts
from ..permissions import ROLE_LABELS, ROLES, current_identity, guarded

NAV_LABEL = "用户管理"
PATH = "/admin/users"
REQUIRES = "admin"

log = logging.getLogger("dashboard.auth")

# Component ids (prefix usr-).
VERSION = "usr-version"
TABLE = "usr-table"
LOGINS = "usr-logins"
ADD_USERNAME = "usr-add-username"
ADD_DISPLAY = "usr-add-display"
ADD_ROLE = "usr-add-role"
ADD_UNITS = "usr-add-units"
ADD_SCHEMES = "usr-add-schemes"
ADD_REGIONS = "usr-add-regions"
ADD_PASSWORD = "usr-add-password"
ADD_BUTTON = "usr-add-button"
ADD_MSG = "usr-add-msg"
EDIT_USER = "usr-edit-user"
EDIT_DISPLAY = "usr-edit-display"
EDIT_ROLE = "usr-edit-role"
EDIT_UNITS = "usr-edit-units"
EDIT_SCHEMES = "usr-edit-schemes"
EDIT_REGIONS = "usr-edit-regions"
EDIT_ACTIVE = "usr-edit-active"
EDIT_SAVE = "usr-edit-save"
EDIT_PASSWORD = "usr-edit-password"
EDIT_RESET = "usr-edit-reset"
EDIT_MSG = "usr-edit-msg"
BACKUP = "usr-backup"

LOGIN_ROWS = 30


def match(pathname: str):
    return {} if (pathname or "").rstrip("/") == PATH else None


def _alert(message, color="danger"):
    return dbc.Alert(message, color=color, className="py-1 px-2 mb-0 mt-2 small")


def _role_options():
    return [{"label": f"{ROLE_LABELS[r]}({r})", "value": r} for r in ROLES]


def _unit_options(registry):
    out = []
    for u in accounts.assignable_units(registry):
        shorts = [s.short_name for sid, s in registry.schemes.items() if u in accounts.assignable_units(registry, sid)]
        out.append({"label": f"{u}({'、'.join(shorts)})", "value": u})
    return out


def _scheme_options(registry):
    return [{"label": f"{s.short_name} · {s.name}", "value": s.id} for s in registry.schemes.values()]


def _region_options(store, registry):
    return [{"label": r, "value": r} for r in accounts.known_regions(store, registry)]


def _backup_alert(service):
    text, warn = service.backup_notice(datetime.now(timezone.utc))
    return dbc.Alert(text, id=BACKUP, color="warning" if warn else "light", className="py-1 px-2 mb-2 small")


def _field(label, control, id_, hint=""):
    parts = [dbc.Label(label, html_for=id_, className="small mb-0 fw-semibold"), control]
    if hint:
        parts.append(html.Div(hint, className="form-text mt-0"))
    return html.Div(parts, className="mb-2")


def layout(service, search, **_):
    reg = service.registry
    units, schemes, regions = _unit_options(reg), _scheme_options(reg), _region_options(service.store, reg)
    add_form = html.Section([
        html.H2("新增用户", className="section-title"),
        dbc.Row([
            dbc.Col(_field("用户名", dbc.Input(id=ADD_USERNAME, autoComplete="off", placeholder="英文字母或数字,如 zhangsan"),
                           ADD_USERNAME), md=6),
            dbc.Col(_field("姓名或单位名称", dbc.Input(id=ADD_DISPLAY, autoComplete="off"), ADD_DISPLAY), md=6),
        ], className="g-2"),
        dbc.Row([
            dbc.Col(_field("角色", dbc.Select(id=ADD_ROLE, options=_role_options(), value="reporter"), ADD_ROLE), md=6),
            dbc.Col(_field("初始密码", dbc.Input(id=ADD_PASSWORD, type="password", autoComplete="new-password"),
                           ADD_PASSWORD, f"至少{accounts.MIN_PASSWORD}个字符(管理员{accounts.MIN_ADMIN_PASSWORD}个),"
                                         "不能是常见密码"), md=6),
        ], className="g-2"),
        _field("负责单位", dcc.Dropdown(id=ADD_UNITS, options=units, multi=True, placeholder="填报员必选,可多选"), ADD_UNITS),
        _field("方案", dcc.Dropdown(id=ADD_SCHEMES, options=schemes, multi=True, placeholder="不选:全部方案"), ADD_SCHEMES),
        _field("地区", dcc.Dropdown(id=ADD_REGIONS, options=regions, multi=True, placeholder="不选:全部地区"), ADD_REGIONS,
               "负责单位、方案和地区只对填报员有效:填报员只能填报、报送这些单位在这些方案、地区下的指标。"),
        dbc.Button("新增用户", id=ADD_BUTTON, color="primary", size="sm"),
        html.Div(id=ADD_MSG, **{"aria-live": "polite"}),
    ], className="section")
    edit_form = html.Section([
        html.H2("修改用户", className="section-title"),
        _field("选择用户", dcc.Dropdown(id=EDIT_USER, options=[], placeholder="选择要修改的用户"), EDIT_USER),
        dbc.Row([
            dbc.Col(_field("姓名或单位名称", dbc.Input(id=EDIT_DISPLAY, autoComplete="off"), EDIT_DISPLAY), md=6),
            dbc.Col(_field("角色", dbc.Select(id=EDIT_ROLE, options=_role_options()), EDIT_ROLE), md=4),
            dbc.Col(_field("状态", dbc.Switch(id=EDIT_ACTIVE, label="启用", value=True, className="mt-1"), EDIT_ACTIVE),
                    md=2),
        ], className="g-2"),
        _field("负责单位", dcc.Dropdown(id=EDIT_UNITS, options=units, multi=True), EDIT_UNITS),
        _field("方案", dcc.Dropdown(id=EDIT_SCHEMES, options=schemes, multi=True, placeholder="不选:全部方案"), EDIT_SCHEMES),
        _field("地区", dcc.Dropdown(id=EDIT_REGIONS, options=regions, multi=True, placeholder="不选:全部地区"), EDIT_REGIONS),
        dbc.Button("保存修改", id=EDIT_SAVE, color="primary", size="sm"),
        html.Hr(className="my-2"),
        dbc.Row([
            dbc.Col(_field("新密码", dbc.Input(id=EDIT_PASSWORD, type="password", autoComplete="new-password"),
                           EDIT_PASSWORD, "重置密码同时解除登录限制;该用户已登录的会话随即失效。"), md=8),
            dbc.Col(dbc.Button("重置密码", id=EDIT_RESET, color="warning", size="sm", className="mt-4"), md=4),
        ], className="g-2"),
        html.Div(id=EDIT_MSG, **{"aria-live": "polite"}),
    ], className="section")
    return html.Div([
        html.Div([html.H1("用户管理", className="page-title"),
                  html.Div("新增或停用账号、重置密码、为填报员分配负责单位。只有领导小组办公室管理员可以使用本页。",
                           className="page-subtitle text-muted")], className="title-block"),
        _backup_alert(service),
        dcc.Store(id=VERSION, data=0),
        dbc.Row([dbc.Col(add_form, lg=5), dbc.Col(edit_form, lg=7)], className="g-3"),
        html.Section([html.H2("全部用户", className="section-title"), html.Div(id=TABLE)], className="section"),
        html.Section([html.H2("最近登录记录", className="section-title"), html.Div(id=LOGINS)], className="section"),
    ], className="users-page")


def _fmt_time(dt) -> str:
    return dt.astimezone().strftime("%Y-%m-%d %H:%M") if dt else ""


def _status(row, wait_until) -> html.Span:
    if not row.active:
        return html.Span("已停用", className="badge text-bg-secondary")
    if wait_until is not None:
        # Failed sign-ins: clients that failed wait until then; the owner from another client is not held up.
        return html.Span(f"登录受限至{_fmt_time(wait_until)[11:]}", className="badge text-bg-warning")
    return html.Span("启用", className="badge text-bg-success")


def _users_table(store, registry):
    users = store.list_users()
    waits = accounts.name_waits(store, [u.username for u in users])
    rows = []
    for u in users:
        schemes = "、".join(registry.schemes[s].short_name if s in registry.schemes else s for s in u.schemes)
        everywhere = "全部" if u.role == "reporter" else "—"
        rows.append(html.Tr([
            html.Td(html.Code(u.username)), html.Td(u.display_name), html.Td(ROLE_LABELS.get(u.role, u.role)),
            html.Td("、".join(u.units) or "—"), html.Td(schemes or everywhere),
            html.Td("、".join(u.regions) or everywhere),
            html.Td(_status(u, waits.get(u.username))), html.Td(_fmt_time(u.created_at), className="text-nowrap"),
        ], **{"data-username": u.username}))
    head = html.Thead(html.Tr([html.Th(h) for h in ("用户名", "姓名或单位", "角色", "负责单位", "方案", "地区", "状态",
                                                    "创建时间")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, className="users-table mb-0")


def _logins_table(store):
    rows = [html.Tr([html.Td(_fmt_time(e.at), className="text-nowrap"), html.Td(html.Code(e.username)),
                     html.Td("成功" if e.success else "失败", className="text-success" if e.success else "text-danger"),
                     html.Td(e.ip)]) for e in store.login_events(limit=LOGIN_ROWS)]
    if not rows:
        return html.Div("暂无登录记录。", className="text-muted small")
    head = html.Thead(html.Tr([html.Th(h) for h in ("时间", "用户名", "结果", "IP地址")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", className="mb-0 logins-table")


def _active_admins(store, except_username: str) -> int:
    return sum(1 for u in store.list_users() if u.role == "admin" and u.active and u.username != except_username)


def register(app, service):
    store, registry = service.store, service.registry
    settings = app.server.extensions["monitor"]["settings"]

    @app.callback(
        Output(TABLE, "children"), Output(EDIT_USER, "options"), Output(LOGINS, "children"),
        Input(VERSION, "data"),
    )
    @guarded("admin", refused=lambda msg: (_alert(msg), [], None))
    def refresh(_version):
        options = [{"label": f"{u.username} · {u.display_name}", "value": u.username} for u in store.list_users()]
        return _users_table(store, registry), options, _logins_table(store)

    @app.callback(
        Output(ADD_MSG, "children"), Output(VERSION, "data", allow_duplicate=True),
        Output(ADD_PASSWORD, "value"),
        Input(ADD_BUTTON, "n_clicks"),
        State(ADD_USERNAME, "value"), State(ADD_DISPLAY, "value"), State(ADD_ROLE, "value"),
        State(ADD_UNITS, "value"), State(ADD_SCHEMES, "value"), State(ADD_REGIONS, "value"),
        State(ADD_PASSWORD, "value"), State(VERSION, "data"),
        prevent_initial_call=True,
    )
    @guarded("admin", refused=lambda msg: (_alert(msg), no_update, no_update))
    def add(_n, username, display, role, units, schemes, regions, password, version):
        admin = current_identity()
        try:
            row = accounts.create_user(store, registry, username or "", role or "", password or "", display or "",
                                       units or [], schemes or [], demo=settings.demo, regions=regions or [])
        except StoreError as exc:
            return _alert(str(exc)), no_update, no_update
        log.info("user added: %s (%s) by %s", row.username, row.role, admin.username)
        return _alert(f"已新增用户“{row.username}”({ROLE_LABELS[row.role]})。", "success"), (version or 0) + 1, ""

    @app.callback(
        Output(EDIT_DISPLAY, "value"), Output(EDIT_ROLE, "value"), Output(EDIT_UNITS, "value"),
        Output(EDIT_SCHEMES, "value"), Output(EDIT_REGIONS, "value"), Output(EDIT_ACTIVE, "value"),
        Output(EDIT_MSG, "children"),
        Input(EDIT_USER, "value"),
        prevent_initial_call=True,
    )
    @guarded("admin", refused=lambda msg: (no_update,) * 6 + (_alert(msg),))
    def load(username):
        row = store.get_user(username) if username else None
        if row is None:
            return "", None, [], [], [], True, None
        return row.display_name, row.role, row.units, row.schemes, row.regions, row.active, None

    @app.callback(
        Output(EDIT_MSG, "children", allow_duplicate=True), Output(VERSION, "data", allow_duplicate=True),
        Input(EDIT_SAVE, "n_clicks"),
        State(EDIT_USER, "value"), State(EDIT_DISPLAY, "value"), State(EDIT_ROLE, "value"),
        State(EDIT_UNITS, "value"), State(EDIT_SCHEMES, "value"), State(EDIT_REGIONS, "value"),
        State(EDIT_ACTIVE, "value"), State(VERSION, "data"),
        prevent_initial_call=True,
    )
    @guarded("admin", refused=lambda msg: (_alert(msg), no_update))
    def save(_n, username, display, role, units, schemes, regions, active, version):
        admin = current_identity()
        row = store.get_user(username) if username else None
        if row is None:
            return _alert("请先选择要修改的用户。"), no_update
        units, schemes, regions, active = list(units or []), list(schemes or []), list(regions or []), bool(active)
        problems = accounts.user_problems(registry, role or "", units, schemes, regions,
                                          accounts.known_regions(store, registry))
        if username == admin.username and (role != "admin" or not active):
            problems.append("不能停用自己的账号,也不能取消自己的管理员角色。")
        elif row.role == "admin" and (role != "admin" or not active) and _active_admins(store, username) == 0:
            problems.append("至少需要保留一名启用的管理员。")
        if problems:
            return _alert("".join(problems)), no_update
        if role != "reporter":
            units, schemes, regions = [], [], []
        store.update_user(username, display_name=(display or "").strip() or username, role=role, units=units,
                          schemes=schemes, regions=regions, active=active)
        log.info("user changed: %s role=%s active=%s units=%s regions=%s by %s", username, role, active, units,
                 regions, admin.username)
        return _alert(f"已保存用户“{username}”的修改。", "success"), (version or 0) + 1

    @app.callback(
        Output(EDIT_MSG, "children", allow_duplicate=True), Output(VERSION, "data", allow_duplicate=True),
        Output(EDIT_PASSWORD, "value"),
        Input(EDIT_RESET, "n_clicks"),
        State(EDIT_USER, "value"), State(EDIT_PASSWORD, "value"), State(VERSION, "data"),
        prevent_initial_call=True,
    )
    @guarded("admin", refused=lambda msg: (_alert(msg), no_update, no_update))
    def reset(_n, username, password, version):
        from .. import auth

        admin = current_identity()
        if not username or store.get_user(username) is None:
            return _alert("请先选择要重置密码的用户。"), no_update, no_update
        try:
            row = accounts.reset_password(store, username, password or "", demo=settings.demo)
        except StoreError as exc:
            return _alert(str(exc)), no_update, no_update
        if username == admin.username:
            auth.renew_session(row)  # otherwise the admin's own session would end with the old password
        log.info("password reset: %s by %s", username, admin.username)
        return _alert(f"已重置“{username}”的密码并解除登录限制。", "success"), (version or 0) + 1, ""
