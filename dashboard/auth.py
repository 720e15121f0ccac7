"""Sign-in, sign-out and sessions on the Dash server (Flask-Login).

Default deny: a ``before_request`` guard refuses every request of a visitor who
has not signed in, except the sign-in page itself and existing static files under
/assets/. Dash's JSON endpoints (/_dash-layout, /_dash-update-component, ...)
answer 401 with no data; pages redirect to /login?next=...

Sessions live in Flask's signed cookie (HttpOnly, SameSite=Lax, Secure on HTTPS; see
dashboard.security) and end after ``settings.session_minutes`` without a request or
``settings.session_max_hours`` after sign-in. The session id carries the user's
session generation (users.session_gen) and a fingerprint of the password hash:
sign-out, a new password and disabling bump the generation, which ends every copy
of every cookie of that user on the server. Permissions themselves are checked in
each callback (:mod:`dashboard.permissions`).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from typing import Optional
from urllib.parse import quote, urlsplit

from flask import Flask, current_app, has_request_context, jsonify, redirect, render_template_string, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy.exc import SQLAlchemyError

from data.store import Store, UserRow

from . import accounts
from .permissions import ROLE_LABELS, Forbidden, Identity
from .settings import Settings

log = logging.getLogger("dashboard.auth")

TESTER = Identity("tester", "测试管理员", "admin")
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
# By Flask endpoint, not by path prefix: "/assets/" and "/assets//x" are not static
# files but Dash's catch-all page (whose HTML names the Dash and Plotly versions).
PUBLIC_ENDPOINTS = frozenset({"login", "logout", "_dash_assets.static", "/_favicon.ico"})
SEEN_KEY = "_seen"
START_KEY = "_start"
OUT_KEY = "_out"
CSRF_KEY = "_csrf"
MSG_SIGN_IN = "未登录或登录已超时,请重新登录。"
MSG_DB_DOWN = "数据库暂时不可用,请稍后重试。"


class _AuthState:
    """Per-app state (kept on ``server.extensions['auth']``, never at module level)."""

    def __init__(self, store: Store, settings: Settings, registry=None):
        self.store = store
        self.settings = settings
        self.registry = registry


class SessionUser(UserMixin):
    def __init__(self, row: UserRow, session_id: str):
        self.row = row
        self._session_id = session_id

    def get_id(self) -> str:
        return self._session_id

    @property
    def is_active(self) -> bool:
        return self.row.active

    @property
    def identity(self) -> Identity:
        r = self.row
        return Identity(r.username, r.display_name or r.username, r.role, tuple(r.units), tuple(r.schemes),
                        tuple(r.regions))


def _state() -> _AuthState:
    return current_app.extensions["auth"]


def session_id(row: UserRow, secret: str) -> str:
    """``username|generation|fingerprint``: changes with the user's session generation and password hash."""
    fp = hmac.new(secret.encode(), f"{row.session_gen}|{row.password_hash}".encode(), hashlib.sha256).hexdigest()
    return f"{row.username}|{row.session_gen}|{fp[:24]}"


def identity_of_request() -> Optional[Identity]:
    """The signed-in user of the current request, or None (also outside a request)."""
    if not has_request_context():
        return None
    state = current_app.extensions.get("auth")
    if state is None:
        return None
    if state.settings.login_disabled:
        return TESTER
    user = current_user
    if user is None or not user.is_authenticated:
        return None
    return user.identity


def renew_session(row: UserRow) -> None:
    """Keep the current session valid after the signed-in user changed their own password
    (every other session of the user has ended)."""
    if _state().settings.login_disabled:
        return
    login_user(SessionUser(row, session_id(row, current_app.secret_key)), remember=False)


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    stored = session.get(CSRF_KEY, "")
    return bool(sent) and bool(stored) and hmac.compare_digest(sent, stored)


def safe_next(target: Optional[str]) -> str:
    """Only a path on this site: no scheme, no host, no "//" or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 32 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    if parts.path in (LOGIN_PATH, LOGOUT_PATH):
        return "/"
    return target


def _client_ip() -> str:
    return (request.remote_addr or "")[:64]


def _is_public() -> bool:
    return request.endpoint in PUBLIC_ENDPOINTS


def _is_api(path: str) -> bool:
    # Dash's own endpoints (/_dash-layout, /_dash-dependencies, /_dash-update-component,
    # /_reload-hash, /_dash-component-suites/...) all start with "/_".
    return path.startswith("/_")


# ------------------------------------------------------------------ page

LOGIN_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} · 知识产权强县试点监测平台</title>
<link rel="stylesheet" href="/assets/vendor/bootstrap/bootstrap.min.css">
<link rel="stylesheet" href="/assets/app.css">
<link rel="stylesheet" href="/assets/auth.css">
</head>
<body class="auth-body">
<header class="app-header"><nav class="navbar navbar-dark bg-dark py-1"><div class="container-fluid">
<span class="navbar-brand fw-bold">知识产权强县试点监测平台</span></div></nav></header>
{% if demo %}<div class="alert alert-warning demo-banner mb-0 rounded-0 py-1 text-center" role="note">
<strong>示例数据</strong> · 演示环境,数据均为虚构,仅用于体验功能。</div>{% endif %}
<main class="auth-main">
<section class="auth-card" aria-labelledby="auth-title">
<h1 id="auth-title" class="auth-title">{{ title }}</h1>
<p class="auth-sub">仅限授权人员使用,账号由领导小组办公室开通。</p>
{% if error %}<div class="alert alert-danger py-2" role="alert" id="auth-error">{{ error }}</div>{% endif %}
{% if notice %}<div class="alert alert-info py-2" role="status" id="auth-notice">{{ notice }}</div>{% endif %}
{% if mode == "login" %}
<form method="post" action="{{ action }}" class="auth-form" autocomplete="on">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="next" value="{{ next }}">
<div class="mb-3"><label for="username" class="form-label">用户名</label>
<input id="username" name="username" class="form-control" value="{{ username }}" autocomplete="username"
 autocapitalize="none" spellcheck="false" required {% if not username %}autofocus{% endif %}></div>
<div class="mb-3"><label for="password" class="form-label">密码</label>
<input id="password" name="password" type="password" class="form-control" autocomplete="current-password" required
 {% if username %}autofocus{% endif %}></div>
<button type="submit" class="btn btn-primary w-100" id="login-submit">登录</button>
</form>
<p class="auth-help">多次输入错误后,需等待一段时间才能再试。忘记密码请联系领导小组办公室重置。</p>
{% else %}
<form method="post" action="/logout" class="auth-form">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<p>当前登录:{{ who }}</p>
<button type="submit" class="btn btn-primary w-100" id="logout-submit">退出登录</button>
<a class="btn btn-link w-100 mt-1" href="/">返回</a>
</form>
{% endif %}
</section>
{% if demo and mode == "login" %}
<section class="auth-card auth-demo" aria-labelledby="demo-title">
<h2 id="demo-title" class="auth-demo-title">演示账号</h2>
<p class="small mb-2">以下账号的密码均为 <code>demo</code>。</p>
<table class="table table-sm auth-demo-table mb-0">
<thead><tr><th>用户名</th><th>角色</th><th>可以做什么</th></tr></thead>
<tbody>
{% for a in accounts %}<tr><td><code>{{ a.username }}</code></td><td>{{ a.role }}</td><td>{{ a.unit }}</td></tr>
{% endfor %}</tbody></table>
</section>
{% endif %}
</main>
</body>
</html>
"""


def _page(mode: str = "login", *, status: int = 200, error: str = "", notice: str = "", username: str = "",
          next_url: str = "/"):
    state = _state()
    accounts_list = []
    if state.settings.demo and state.registry is not None:
        what = {"admin": "全部功能:审核、锁定、用户管理", "viewer": "查看全部页面,不能修改"}
        for a in accounts.demo_accounts(state.registry):
            unit = what.get(a.role, "")
            if a.units:
                scheme = state.registry.schemes[a.schemes[0]]
                unit = f"填报:{a.units[0]}({scheme.short_name})"
            accounts_list.append({"username": a.username, "role": ROLE_LABELS[a.role], "unit": unit})
    who = ""
    if mode == "logout":
        ident = identity_of_request()
        who = f"{ident.display_name}({ident.username})" if ident else ""
    action = LOGIN_PATH + ("?next=" + quote(next_url, safe="/") if next_url != "/" else "")
    html = render_template_string(
        LOGIN_TEMPLATE, title="登录" if mode == "login" else "退出登录", mode=mode, demo=state.settings.demo,
        error=error, notice=notice, csrf=csrf_token(), next=next_url, username=username, action=action,
        accounts=accounts_list, who=who)
    # no-store and the anti-framing headers come with every response (dashboard.security).
    return current_app.make_response((html, status))


# ------------------------------------------------------------------ routes

def _login():
    next_url = safe_next(request.values.get("next"))
    if request.method in ("GET", "HEAD"):  # HEAD (a link checker, a proxy probe) is a GET without the body
        if identity_of_request() is not None and not _state().settings.login_disabled:
            return redirect(next_url)
        notice = ""
        if request.args.get("out"):
            notice = "您已退出登录。"
        elif request.args.get("expired"):
            notice = "登录已超时,请重新登录。"
        return _page(notice=notice, next_url=next_url)
    username = (request.form.get("username") or "").strip()
    if not _csrf_ok():
        log.warning("sign-in form without a valid CSRF token: ip=%s", _client_ip())
        return _page(status=400, error="页面已过期,请重新输入用户名和密码。", username=username, next_url=next_url)
    state = _state()
    try:
        result = accounts.authenticate(state.store, username, request.form.get("password") or "", _client_ip(),
                                       demo=state.settings.demo)
    except SQLAlchemyError:
        log.error("sign-in impossible: the database cannot be read", exc_info=True)
        return _page(status=503, error=MSG_DB_DOWN, username=username, next_url=next_url)
    if result.user is None:
        resp = _page(status=429 if result.wait else 401, error=result.error, username=username, next_url=next_url)
        if result.wait:
            resp.headers["Retry-After"] = str(result.wait)
        return resp
    # A fresh session on sign-in (no fixation); the new CSRF token comes with it.
    session.clear()
    session.permanent = True
    login_user(SessionUser(result.user, session_id(result.user, current_app.secret_key)), remember=False)
    session[SEEN_KEY] = session[START_KEY] = accounts.now_utc().timestamp()
    csrf_token()  # now, so that the first page's parallel requests all carry the same one
    if next_url == "/" and result.user.role == "reporter":
        next_url = "/todo"  # a reporter lands on its to-do list (待办): its forms, states and deadlines
    return redirect(next_url)


def _logout():
    if request.method in ("GET", "HEAD"):
        if identity_of_request() is None:
            return redirect(LOGIN_PATH)
        return _page("logout")
    if identity_of_request() is None:
        return redirect(LOGIN_PATH)
    if not _csrf_ok():
        return _page("logout", status=400, error="页面已过期,请再点一次“退出登录”。")
    ident = identity_of_request()
    if ident is not None:
        log.info("sign-out: user=%s ip=%s", ident.username, _client_ip())
        try:
            # Ends this cookie and every copy of it (and the user's other sessions) on the server.
            _state().store.end_sessions(ident.username)
        except SQLAlchemyError:
            log.error("sign-out: could not end the sessions of %s on the server", ident.username, exc_info=True)
    logout_user()
    session.clear()
    # Remembered so that a page left open says "已退出" on its next request, not "登录已超时".
    session[OUT_KEY] = 1
    return redirect(LOGIN_PATH + "?out=1")


def _refuse(expired: bool = False):
    path = request.path
    reason = "out" if session.get(OUT_KEY) else ("expired" if expired else "signin")
    if _is_api(path):
        # assets/auth.js sends the page to /login?out=1 or ?expired=1 by "reason".
        resp = jsonify({"error": "您已退出登录。" if reason == "out" else MSG_SIGN_IN, "login": LOGIN_PATH,
                        "reason": reason})
        resp.status_code = 401
        return resp
    target = request.full_path.rstrip("?") if request.query_string else path
    flag = {"out": "out=1&", "expired": "expired=1&"}.get(reason, "")
    return redirect(f"{LOGIN_PATH}?{flag}next={quote(target, safe='/')}")


def session_problem(seen, start, now: float, settings: Settings) -> Optional[str]:
    """Why a session with these timestamps has ended, or None: inactivity or its absolute lifetime."""
    if not isinstance(seen, (int, float)) or now - seen > settings.session_minutes * 60:
        return "inactive"
    if not isinstance(start, (int, float)) or now - start > settings.session_max_hours * 3600:
        return "lifetime"
    return None


def _guard():
    if _is_public():
        return None
    if not current_user.is_authenticated:
        return _refuse()
    now = accounts.now_utc().timestamp()
    why = session_problem(session.get(SEEN_KEY), session.get(START_KEY), now, _state().settings)
    if why:
        ident = current_user.identity
        log.info("session expired (%s): user=%s ip=%s", why, ident.username, _client_ip())
        logout_user()
        session.clear()
        return _refuse(expired=True)
    session[SEEN_KEY] = now
    return None


def _forbidden(exc: Forbidden):
    """A Forbidden that a callback did not turn into a message: 403, nothing else."""
    ident = identity_of_request()
    log.warning("refused: user=%s path=%s reason=%s", ident.username if ident else "-", request.path, exc)
    resp = jsonify({"error": str(exc)})
    resp.status_code = 403
    return resp


def init_auth(app, store: Store, settings: Settings, registry=None) -> None:
    """Attach sign-in to ``app`` (a Dash app); call once, from create_app."""
    server: Flask = app.server
    if not settings.secret_key and not settings.login_disabled:
        log.warning("SECRET_KEY is not set: sessions end at every restart and are not shared between workers")
    server.extensions["auth"] = _AuthState(store, settings, registry)
    server.config.update(
        SESSION_COOKIE_NAME="ipm_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,  # and on every HTTPS request: dashboard.security
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
    )
    manager = LoginManager()
    manager.session_protection = "basic"
    manager.init_app(server)

    @manager.user_loader
    def load(user_id: str) -> Optional[SessionUser]:
        username, _, _rest = user_id.partition("|")
        row = store.get_user(username)
        if row is None or not row.active:
            return None
        if row.demo and not settings.demo:
            return None  # demo accounts only on a demo server
        sid = session_id(row, server.secret_key)
        if not hmac.compare_digest(sid, user_id):
            return None  # signed out, password changed or disabled since this session began
        return SessionUser(row, sid)

    server.add_url_rule(LOGIN_PATH, "login", _login, methods=["GET", "POST"])
    server.add_url_rule(LOGOUT_PATH, "logout", _logout, methods=["GET", "POST"])
    server.register_error_handler(Forbidden, _forbidden)
    if settings.demo and registry is not None:
        accounts.ensure_demo_users(store, registry)
    if settings.login_disabled:
        server.config["LOGIN_DISABLED"] = True
        return
    server.before_request(_guard)
