"""Findings 11 (framing), 12 (the page shell under /assets/), 18 (Secure cookie behind
TLS) and the security headers of every response."""
from __future__ import annotations

import dash
import plotly
import pytest

from dashboard import Settings
from tests.test_auth import login

from .conftest import PASSWORD, client_from, make_app

SIGNED_IN_PATHS = ["/", "/units", "/review", "/admin/users", "/_dash-layout", "/_dash-dependencies", "/login",
                   "/logout", "/assets/app.css", "/no-such-page", "/_dash-component-suites/dash/dcc/dash_core_components.js"]


def signed_in(app):
    c = client_from(app)
    assert login(c, "boss", "office-admin-pass-1").status_code == 302
    return c


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_every_response_forbids_framing_and_sniffing(app, who):
    c = client_from(app) if who == "anonymous" else signed_in(app)
    for path in SIGNED_IN_PATHS + ["/_dash-update-component", "/_reload-hash"]:
        r = c.get(path)
        csp = r.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, path
        assert r.headers.get("X-Frame-Options") == "DENY", path
        assert r.headers.get("X-Content-Type-Options") == "nosniff", path
        assert r.headers.get("Referrer-Policy") == "same-origin", path
        assert "script-src 'self' 'sha256-" in csp and "'unsafe-eval'" not in csp, path


@pytest.mark.parametrize("path", ["/assets/", "/assets//x", "/assets/../", "/assets/nothing-here.css", "/static/x",
                                  "/assets", "/x/assets/app.css"])
def test_no_page_shell_under_assets_without_sign_in(app, path):
    r = client_from(app).get(path)
    assert r.status_code in (302, 401, 404), (path, r.status_code)
    if r.status_code == 302:
        assert r.headers["Location"].startswith("/login")


def test_nothing_served_to_the_anonymous_names_a_version(app):
    import sys

    versions = [dash.__version__, plotly.__version__, "%d.%d.%d" % sys.version_info[:3],
                dash.__version__.replace(".", "_")]
    c = client_from(app)
    for path in SIGNED_IN_PATHS + ["/assets/", "/assets//x", "/_favicon.ico", "/assets/auth.js"]:
        r = c.get(path)
        text = r.get_data().decode("utf-8", "replace") + " " + " ".join(f"{k}: {v}" for k, v in r.headers.items())
        assert not [v for v in versions if v in text], path
    # The signed-in page shell does name them (Dash's bundle URLs); that is for signed-in users only.
    assert dash.__version__.replace(".", "_") in signed_in(app).get("/").get_data(as_text=True)


def cookie_of(app, **environ):
    c = client_from(app)
    r = c.post("/login", data={"username": "leader", "password": PASSWORD, "csrf_token": _csrf(c, environ)},
               environ_overrides=environ)
    assert r.status_code == 302
    return r.headers["Set-Cookie"]


def _csrf(c, environ):
    import re

    page = c.get("/login", environ_overrides=environ).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_cookie_is_secure_on_https_and_when_configured(app):
    assert "Secure" not in cookie_of(app)
    assert "Secure" in cookie_of(app, **{"wsgi.url_scheme": "https"})
    # A forwarded scheme counts only with TRUST_PROXY: otherwise anyone could send the header.
    assert "Secure" not in cookie_of(app, HTTP_X_FORWARDED_PROTO="https")


def test_trust_proxy_takes_scheme_and_client_address_from_the_proxy(tmp_path):
    from dashboard import accounts

    app = make_app(tmp_path, trust_proxy=1)
    accounts.create_user(app.server.extensions["monitor"]["store"], None, "leader", "viewer", PASSWORD)
    assert "Secure" in cookie_of(app, HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_FOR="198.51.100.23")
    events = app.server.extensions["monitor"]["store"].login_events("leader")
    assert events[0].ip == "198.51.100.23"  # throttling and the log see the real client


def test_cookie_secure_and_trust_proxy_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("TRUST_PROXY", "1")
    s = Settings.from_env()
    assert s.cookie_secure and s.trust_proxy == 1
    monkeypatch.setenv("TRUST_PROXY", "2")
    assert Settings.from_env().trust_proxy == 2
    monkeypatch.delenv("TRUST_PROXY")
    assert Settings.from_env().trust_proxy == 0


def test_secure_setting_marks_the_cookie_on_plain_http(tmp_path):
    from dashboard import accounts

    app = make_app(tmp_path, cookie_secure=True)
    accounts.create_user(app.server.extensions["monitor"]["store"], None, "leader", "viewer", PASSWORD)
    assert "Secure" in cookie_of(app)


def test_head_of_the_sign_in_page_is_answered_like_get(tmp_path):
    """A HEAD (link checkers, proxies) is no sign-in attempt: 200, not a CSRF refusal."""
    from dashboard import Settings, create_app

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", secret_key="k" * 40))
    client = app.server.test_client()
    assert client.head("/login").status_code == 200
    assert client.head("/logout").status_code in (200, 302)


def test_static_code_stays_cached_for_signed_in_users(app):
    """The session cookie changes on every signed-in request; static code carries neither it nor
    ``Vary: Cookie`` (a cache keying on it would keep a copy per request), while the page itself
    still renews the session."""
    c = signed_in(app)
    static = ["/_dash-component-suites/dash/dcc/dash_core_components.js", "/assets/app.css?m=1"]
    for path in static:
        r = c.get(path)
        assert r.status_code == 200, path
        assert "Set-Cookie" not in r.headers, path
        assert "cookie" not in r.headers.get("Vary", "").lower(), path
        assert "no-store" not in r.headers.get("Cache-Control", ""), path
    page = c.get("/")
    assert page.status_code == 200 and "ipm_session=" in page.headers.get("Set-Cookie", "")
    assert "Cookie" in page.headers.get("Vary", "") and page.headers["Cache-Control"] == "no-store"
    # Signed in still: the static requests did not end the session.
    assert c.get("/_dash-layout").status_code == 200


def test_static_refusals_are_not_cached(app):
    r = client_from(app).get("/_dash-component-suites/dash/dcc/dash_core_components.js")
    assert r.status_code in (302, 401)
    assert r.headers.get("Cache-Control") == "no-store"
