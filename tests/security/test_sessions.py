"""Finding 4 (sessions that end on the server) and 19 (no-store, "已退出" after sign-out)."""
from __future__ import annotations

import json

from dashboard import Settings, accounts
from dashboard.pages import users as users_page
from tests.test_auth import call, csrf_of, login, payload

from .conftest import ADMIN_PASSWORD, PASSWORD, client_from, make_app, store_of


def signed_in(app, username="leader", password=PASSWORD, ip="127.0.0.1"):
    c = client_from(app, ip)
    assert login(c, username, password).status_code == 302
    return c


def copy_of(app, client):
    """Another client holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = client_from(app, "203.0.113.9")
    thief.set_cookie("ipm_session", client.get_cookie("ipm_session").value)
    return thief


def sign_out(client):
    token = csrf_of(client.get("/logout"))
    return client.post("/logout", data={"csrf_token": token})


def test_a_copied_cookie_stops_working_after_sign_out(app):
    c = signed_in(app)
    thief = copy_of(app, c)
    assert thief.get("/_dash-layout").status_code == 200
    assert sign_out(c).headers["Location"] == "/login?out=1"
    assert thief.get("/_dash-layout").status_code == 401
    assert c.get("/_dash-layout").status_code == 401


def test_a_disabled_users_old_cookie_does_not_come_back_with_re_enabling(app):
    c = signed_in(app)
    store_of(app).update_user("leader", active=False)
    assert c.get("/_dash-layout").status_code == 401
    store_of(app).update_user("leader", active=True)
    assert c.get("/_dash-layout").status_code == 401
    assert signed_in(app).get("/_dash-layout").status_code == 200  # a fresh sign-in works


def test_a_password_change_ends_the_other_sessions_but_not_ones_own(app):
    own = signed_in(app, "boss", ADMIN_PASSWORD)
    other_device = signed_in(app, "boss", ADMIN_PASSWORD, ip="10.0.0.8")
    key = next(k for k in app.callback_map if users_page.EDIT_PASSWORD + ".value" in k and users_page.EDIT_MSG in k)
    body = payload(app, key, {users_page.EDIT_RESET: 1},
                   {users_page.EDIT_USER: "boss", users_page.EDIT_PASSWORD: "brand-new-office-pass-2",
                    users_page.VERSION: 0})
    r = call(own, body)
    assert r.status_code == 200 and "已重置" in json.dumps(r.get_json(), ensure_ascii=False)
    assert own.get("/_dash-layout").status_code == 200
    assert other_device.get("/_dash-layout").status_code == 401


def test_a_session_ends_after_its_absolute_lifetime_however_active(tmp_path, clock):
    app = make_app(tmp_path, session_max_hours=2)
    accounts.create_user(store_of(app), None, "leader", "viewer", PASSWORD)
    c = signed_in(app)
    for _ in range(5):  # active every 20 minutes
        clock.advance(minutes=20)
        assert c.get("/_dash-layout").status_code == 200
    clock.advance(minutes=20, seconds=1)  # 2 h after sign-in
    assert c.get("/_dash-layout").status_code == 401


def test_session_max_hours_defaults_to_twelve_and_is_read_from_the_environment(monkeypatch):
    assert Settings.from_env().session_max_hours == 12
    monkeypatch.setenv("SESSION_MAX_HOURS", "8")
    assert Settings.from_env().session_max_hours == 8


def test_after_sign_out_an_open_page_is_told_signed_out_not_expired(app):
    c = signed_in(app)
    sign_out(c)
    r = c.get("/_dash-layout")
    assert r.status_code == 401 and r.get_json()["reason"] == "out"
    r = c.get("/units")
    assert r.headers["Location"].startswith("/login?out=1&next=/units")
    assert "您已退出登录" in c.get("/login?out=1").get_data(as_text=True)
    # A visitor who never signed in is not told they signed out.
    assert client_from(app).get("/_dash-layout").get_json()["reason"] == "signin"


def test_authenticated_responses_are_not_stored_by_the_browser(app):
    c = signed_in(app)
    for path in ("/", "/units", "/_dash-layout", "/_dash-dependencies", "/logout", "/login"):
        assert c.get(path).headers.get("Cache-Control") == "no-store", path
    body = payload(app, users_page.TABLE, {users_page.VERSION: 0})
    assert call(signed_in(app, "boss", ADMIN_PASSWORD), body).headers["Cache-Control"] == "no-store"
