"""Issue 14, finding 6 (saving): a locked or read-only database gives, within seconds, a clear
Chinese message on the page and a logged error; never a silent HTTP 500 after 30 s."""
from __future__ import annotations

import json
import logging
import sqlite3
import time

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from dashboard import Settings, create_app, ids
from dashboard.entry import forms
from dashboard.guard import ALERT_ID, MSG_DB, classify
from data.db import make_engine, upgrade
from data.store import Store

pytest_plugins = ["tests.conftest_db"]

SCHEME, REGION = "anning", "安宁市"


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "db.sqlite"
    return create_app(Settings(database_url=f"sqlite:///{path}", secret_key="d" * 40, login_disabled=True,
                               db_lock_timeout=1)), path


def save_baseline_body(app, service, value="5"):
    """保存基期值 for one indicator, as the browser posts it."""
    ind = forms.baseline_indicators(service, SCHEME)[0]
    key = next(k for k in app.callback_map if k.startswith(f"..{ids.RF_BASE_MSG}.children"))

    def pattern(kind, v):
        return [{"id": {"type": kind, "indicator": ind.id}, "property": "value" if kind != ids.RF_BASE_META
                 else "data", "value": v}]

    return {
        "output": key,
        "outputs": [{"id": ids.RF_BASE_MSG, "property": "children"},
                    [{"id": {"type": ids.RF_BASE_ROWMSG, "indicator": ind.id}, "property": "children"}],
                    [{"id": {"type": ids.RF_BASE_META, "indicator": ind.id}, "property": "data"}]],
        "inputs": [{"id": ids.RF_SAVE_BASE, "property": "n_clicks", "value": 1}],
        "state": [pattern(ids.RF_BASE_VALUE, value), pattern(ids.RF_BASE_ASOF, "2022-06-30"),
                  pattern(ids.RF_BASE_NOTE, ""), pattern(ids.RF_BASE_META, {}),
                  {"id": ids.RF_SCHEME, "property": "value", "value": SCHEME},
                  {"id": ids.RF_REGION, "property": "value", "value": REGION}],
        "changedPropIds": [f"{ids.RF_SAVE_BASE}.n_clicks"],
    }, ind


def post(app, body):
    started = time.perf_counter()
    resp = app.server.test_client().post("/_dash-update-component", data=json.dumps(body),
                                         content_type="application/json")
    return resp, time.perf_counter() - started


def assert_db_message(resp, caplog):
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    answer = resp.get_json()
    assert answer["sideUpdate"][ALERT_ID]["children"] == MSG_DB
    assert answer["sideUpdate"][ALERT_ID]["is_open"] is True
    assert answer["response"] == {}  # the form keeps what was typed
    logged = [r for r in caplog.records if r.name == "dashboard.guard" and r.levelno >= logging.ERROR]
    assert logged and ids.RF_BASE_MSG in logged[0].getMessage() and "OperationalError" in logged[0].getMessage()


def test_saving_while_another_writer_holds_the_lock_says_so_within_seconds(app, caplog):
    app, path = app
    service = app.server.extensions["monitor"]["service"]
    body, ind = save_baseline_body(app, service)
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # e.g. a long import or a backup holding the write lock
    try:
        resp, seconds = post(app, body)
    finally:
        holder.rollback()
        holder.close()
    assert_db_message(resp, caplog)
    assert seconds < 5
    assert service.store.baseline_rows(SCHEME, REGION) == {}
    # once the lock is gone the same click saves
    resp, _ = post(app, body)
    assert "已保存1项" in json.dumps(resp.get_json()["response"], ensure_ascii=False)
    assert service.store.baseline_rows(SCHEME, REGION)[ind.id].value == 5


def test_saving_to_a_read_only_database_says_so(app, caplog):
    app, path = app
    service = app.server.extensions["monitor"]["service"]
    body, _ = save_baseline_body(app, service)
    read_only = create_engine(f"sqlite:///{path}")
    event.listen(read_only, "connect", lambda conn, _rec: conn.execute("PRAGMA query_only=ON"))
    service.store.engine = read_only  # as a database file that became read-only
    resp, _ = post(app, body)
    assert_db_message(resp, caplog)


def test_a_page_whose_database_is_gone_answers_503_in_chinese(app):
    app, _ = app
    service = app.server.extensions["monitor"]["service"]
    service.store.engine = create_engine("sqlite:////nonexistent-dir/none.db")
    resp = app.server.test_client().get("/_dash-layout", headers={"Referer": "http://localhost/entry"})
    assert resp.status_code == 503 and resp.get_json() == {"error": MSG_DB}


def _hold_lock(db_url: str):
    """Another connection holding the write lock (the row every write updates first)."""
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0)
        conn.execute("BEGIN IMMEDIATE")
        return conn.rollback, conn.close
    engine = make_engine(db_url)
    conn = engine.connect()
    conn.execute(text("UPDATE meta SET value = value WHERE key = 'data_version'"))
    return conn.rollback, lambda: (conn.close(), engine.dispose())


def test_lock_waits_are_bounded_on_sqlite_and_postgresql(db_url):
    upgrade(db_url).dispose()
    store = Store(make_engine(db_url, lock_timeout=1))
    store.ensure_region(SCHEME, REGION)  # a first write: the data_version row exists
    release, close = _hold_lock(db_url)
    try:
        started = time.perf_counter()
        with pytest.raises(OperationalError) as exc:
            store.ensure_region(SCHEME, "另一个县")
        assert time.perf_counter() - started < 4
    finally:
        release()
        close()
        store.dispose()
    assert classify(exc.value) == (MSG_DB, 503)


def test_the_browser_shows_the_message_and_keeps_the_input(dash_duo, tmp_path):
    """In Chromium: the database turns read-only after the page loaded; 保存基期值 shows the
    message in the global alert and what was typed stays in the form."""
    path = tmp_path / "b.sqlite"
    app = create_app(Settings(database_url=f"sqlite:///{path}", secret_key="d" * 40, login_disabled=True))
    service = app.server.extensions["monitor"]["service"]
    ind = forms.baseline_indicators(service, SCHEME)[0]
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + f"/reference?scheme={SCHEME}")

    def field(kind):
        sel = "[id='" + json.dumps({"indicator": ind.id, "type": kind}, sort_keys=True, separators=(",", ":"),
                                   ensure_ascii=False) + "']"
        return dash_duo.wait_for_element(sel, timeout=20)

    field(ids.RF_BASE_VALUE).send_keys("5")
    field(ids.RF_BASE_ASOF).send_keys("2022-06-30")
    read_only = create_engine(f"sqlite:///{path}")
    event.listen(read_only, "connect", lambda conn, _rec: conn.execute("PRAGMA query_only=ON"))
    service.store.engine = read_only
    button = dash_duo.find_element(f"#{ids.RF_SAVE_BASE}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", button)
    dash_duo.wait_for_contains_text(f"#{ALERT_ID}", MSG_DB, timeout=20)
    assert field(ids.RF_BASE_VALUE).get_attribute("value") == "5"
