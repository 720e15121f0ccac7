"""Sign-in, sign-out and sessions on the Dash server (Flask-Login).

Default deny: a ``before_request`` guard refuses every request of a visitor who
has not signed in, except the sign-in page itself and static files under
/assets/. Dash's JSON endpoints (/_dash-layout, /_dash-update-component, ...)
answer 401 with no data; pages redirect to /login?next=...

Sessions live in Flask's signed cookie (HttpOnly, SameSite=Lax, Secure when
SESSION_COOKIE_SECURE is set) and end after ``settings.session_minutes`` without a
request. The session id includes a fingerprint of the password hash, so a
password reset ends every session of that user; a disabled user is refused on
the next request. Permissions themselves are checked in each callback
(:mod:`dashboard.permissions`).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from datetime import timedelta
from typing import Optional
from urllib.parse import quote, urlsplit

from flask import Flask, current_app, has_request_context, jsonify, redirect, render_template_string, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from data.store import Store, UserRow

from . import accounts
from .permissions import ROLE_LABELS, Forbidden, Identity
from .settings import Settings

log = logging.getLogger("dashboard.auth")

TESTER = Identity("tester", "测试管理员", "admin")
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
PUBLIC_PATHS = frozenset({LOGIN_PATH, LOGOUT_PATH, "/_favicon.ico"})
PUBLIC_PREFIXES = ("/assets/",)
SEEN_KEY = "_seen"
CSRF_KEY = "_csrf"
MSG_SIGN_IN = "未登录或登录已超时,请重新登录。"


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
        return Identity(r.username, r.display_name or r.username, r.role, tuple(r.units), tuple(r.schemes))


def _state() -> _AuthState:
    return current_app.extensions["auth"]


def session_id(row: UserRow, secret: str) -> str:
    """``username|fingerprint``: the fingerprint changes with the password hash."""
    fp = hmac.new(secret.encode(), row.password_hash.encode(), hashlib.sha256).hexdigest()[:20]
    return f"{row.username}|{fp}"


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
    """Keep the current session valid after the signed-in user changed their own password."""
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


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


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
<p class="auth-help">连续{{ lock_after }}次输入错误,账号将锁定{{ lock_minutes }}分钟。忘记密码请联系领导小组办公室重置。</p>
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
        accounts=accounts_list, who=who, lock_after=accounts.LOCK_AFTER, lock_minutes=accounts.LOCK_MINUTES)
    resp = current_app.make_response((html, status))
    resp.headers["Cache-Control"] = "no-store"
    # The password form must not be framed by another site (clickjacking).
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    return resp


# ------------------------------------------------------------------ routes

def _login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if identity_of_request() is not None and not _state().settings.login_disabled:
            return redirect(next_url)
        notice = ""
        if request.args.get("expired"):
            notice = "登录已超时,请重新登录。"
        elif request.args.get("out"):
            notice = "您已退出登录。"
        return _page(notice=notice, next_url=next_url)
    username = (request.form.get("username") or "").strip()
    if not _csrf_ok():
        log.warning("sign-in form without a valid CSRF token: ip=%s", _client_ip())
        return _page(status=400, error="页面已过期,请重新输入用户名和密码。", username=username, next_url=next_url)
    state = _state()
    result = accounts.authenticate(state.store, username, request.form.get("password") or "", _client_ip())
    if result.user is None:
        return _page(status=401, error=result.error, username=username, next_url=next_url)
    # A fresh session on sign-in (no fixation); the new CSRF token comes with it.
    session.clear()
    session.permanent = True
    login_user(SessionUser(result.user, session_id(result.user, current_app.secret_key)), remember=False)
    session[SEEN_KEY] = accounts.now_utc().timestamp()
    csrf_token()  # now, so that the first page's parallel requests all carry the same one
    if next_url == "/" and result.user.role == "reporter":
        next_url = "/todo"  # a reporter lands on its to-do list (待办): its forms, states and deadlines
    return redirect(next_url)


def _logout():
    if request.method == "GET":
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
    logout_user()
    session.clear()
    return redirect(LOGIN_PATH + "?out=1")


def _refuse(expired: bool = False):
    path = request.path
    if _is_api(path):
        resp = jsonify({"error": MSG_SIGN_IN, "login": LOGIN_PATH})
        resp.status_code = 401
        return resp
    target = request.full_path.rstrip("?") if request.query_string else path
    return redirect(f"{LOGIN_PATH}?{'expired=1&' if expired else ''}next={quote(target, safe='/')}")


def _guard():
    if _is_public(request.path):
        return None
    if not current_user.is_authenticated:
        return _refuse()
    now = accounts.now_utc().timestamp()
    seen = session.get(SEEN_KEY)
    limit = _state().settings.session_minutes * 60
    if not isinstance(seen, (int, float)) or now - seen > limit:
        ident = current_user.identity
        log.info("session expired: user=%s ip=%s", ident.username, _client_ip())
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
        SESSION_COOKIE_SECURE=os.environ.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes", "on"),
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_minutes),
        SESSION_REFRESH_EACH_REQUEST=True,
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
    )
    manager = LoginManager()
    manager.session_protection = "basic"
    manager.init_app(server)

    @manager.user_loader
    def load(user_id: str) -> Optional[SessionUser]:
        username, _, _fp = user_id.partition("|")
        row = store.get_user(username)
        if row is None or not row.active:
            return None
        sid = session_id(row, server.secret_key)
        if not hmac.compare_digest(sid, user_id):
            return None  # the password was reset since this session began
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
