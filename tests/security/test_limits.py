"""Issue 14, finding 7: texts are limited on the server (indicators/limits.py), not only by the
browser's maxlength, and a request body over MAX_CONTENT_LENGTH gets 413 in Chinese."""
from __future__ import annotations

import json
from datetime import date

import pytest

from dashboard import Settings, create_app
from dashboard.entry import forms
from dashboard.entry.forms import FormContext, RowInput
from dashboard.permissions import Identity
from data.importer import import_file
from data.store import StoreError
from indicators.limits import DISPLAY_NAME_MAX, NOTE_MAX, REASON_MAX, note_problem, reason_problem
from indicators.periods import Quarter

SCHEME, REGION = "anning", "安宁市"
TODAY = date(2025, 11, 20)
Q = Quarter(2025, 3)
ADMIN = Identity("office", "办公室", "admin")
FIVE_MB = "备" * (5 * 1024 * 1024 // 3)


@pytest.fixture
def app(tmp_path):
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'l.db'}", secret_key="l" * 40,
                               login_disabled=True))


@pytest.fixture
def service(app):
    return app.server.extensions["monitor"]["service"]


def numeric_row(service):
    ind = next(i for i in service.indicators(SCHEME) if i.kind.value != "milestone"
               and i in forms.unit_indicators(service, SCHEME, i.reporting_unit, Q))
    return ind, FormContext(SCHEME, REGION, Q, ind.reporting_unit)


def test_the_rules():
    assert note_problem("备" * NOTE_MAX) is None
    assert note_problem("备" * (NOTE_MAX + 1)) == f"备注过长(共{NOTE_MAX + 1}字),最多{NOTE_MAX}字"
    assert reason_problem("因" * (REASON_MAX + 1), "退回原因").startswith("退回原因过长")
    assert note_problem(None) is None and reason_problem("") is None


@pytest.mark.parametrize("note", ["备" * (NOTE_MAX + 1), FIVE_MB])
def test_a_long_note_from_the_form_is_refused_and_nothing_saved(service, note):
    ind, c = numeric_row(service)
    before = service.store.data_version()
    out = forms.save_form(service, ADMIN, c, {ind.id: RowInput(raw="5", note=note)}, {}, today=TODAY)
    assert not out.ok and out.rows[ind.id] == [("error", note_problem(note))]
    assert service.store.data_version() == before
    ok = forms.save_form(service, ADMIN, c, {ind.id: RowInput(raw="5", note="备" * NOTE_MAX)}, {}, today=TODAY)
    assert ok.ok and ok.saved == 1


def test_a_long_milestone_note_counts_date_and_evidence(service):
    ind = next(i for i in service.indicators(SCHEME) if i.kind.value == "milestone"
               and i in forms.unit_indicators(service, SCHEME, i.reporting_unit, Q))
    c = FormContext(SCHEME, REGION, Q, ind.reporting_unit)
    inp = RowInput(done="1", done_date="2025-08-01", evidence="文" * 300, note="备" * 300)
    out = forms.save_form(service, ADMIN, c, {ind.id: inp}, {}, today=TODAY)
    assert not out.ok and "备注过长" in out.rows[ind.id][0][1]


def test_a_long_note_in_a_file_is_refused_with_its_row(service):
    ind, _ = numeric_row(service)
    data = f"indicator_id,period,value,note\n{ind.id},{Q},5,{'备' * (NOTE_MAX + 1)}\n".encode()
    preview = import_file(service.store, service.registry, data, "tester", filename="a.csv", today=TODAY)
    assert preview.errors == [f"第2行:备注过长(共{NOTE_MAX + 1}字),最多{NOTE_MAX}字"]
    assert service.store.data_version() == 0


def test_long_reasons_are_refused(service):
    ind, c = numeric_row(service)
    out = forms.save_form(service, ADMIN, c, {ind.id: RowInput(raw="5")}, {}, reason="因" * (REASON_MAX + 1),
                          today=TODAY)
    assert not out.ok and "修改原因过长" in out.alert[1]
    assert service.store.data_version() == 0
    service.store.save_value(ind, REGION, Q, 5, "", "office", None)
    service.store.submit(SCHEME, REGION, c.unit, Q, "office")
    with pytest.raises(forms.Refused, match="退回原因过长"):
        forms.reopen_unit(service, ADMIN, SCHEME, REGION, Q, c.unit, "因" * (REASON_MAX + 1))
    assert forms.submission_state(service, c)[0] == "submitted"


def test_a_long_baseline_note_is_refused(service):
    ind = forms.baseline_indicators(service, SCHEME)[0]
    out = forms.save_baselines(service, ADMIN, SCHEME, REGION, {ind.id: ("5", "2022-06-30", "备" * 501)}, {},
                               today=TODAY)
    assert not out.ok and out.rows[ind.id] == [("error", note_problem("备" * 501))]
    assert service.store.baseline_rows(SCHEME, REGION) == {}


def test_a_long_display_name_is_refused_by_the_store(service):
    with pytest.raises(StoreError, match="姓名或单位名称过长"):
        service.store.add_user("longname", "viewer", display_name="名" * (DISPLAY_NAME_MAX + 1))
    service.store.add_user("shortname", "viewer", display_name="名" * DISPLAY_NAME_MAX)
    with pytest.raises(StoreError, match="姓名或单位名称过长"):
        service.store.update_user("shortname", display_name="名" * (DISPLAY_NAME_MAX + 1))


def test_a_request_over_the_limit_gets_413_in_chinese(app):
    client = app.server.test_client()
    limit = app.server.config["MAX_CONTENT_LENGTH"]
    too_big = json.dumps({"output": "page.children", "pad": "x" * (limit + 1)})
    resp = client.post("/_dash-update-component", data=too_big, content_type="application/json")
    assert resp.status_code == 413
    assert resp.get_json()["error"].startswith(f"提交的内容过大(上限{limit / 1024 / 1024:.0f} MB)")
    page = client.post("/login", data={"username": "x" * (limit + 1)})
    assert page.status_code == 413 and "提交的内容过大" in page.get_data(as_text=True)


def test_a_five_megabyte_upload_fits_under_the_limit(app):
    # base64 of 5 MB is 6.7 MB: the request is read (and refused by the callback, not by size)
    client = app.server.test_client()
    body = json.dumps({"output": "page.children", "outputs": {"id": "page", "property": "children"},
                       "inputs": [{"id": "page-route", "property": "data",
                                   "value": {"pathname": "/" + "x" * (7 * 1024 * 1024), "search": ""}}],
                       "state": [], "changedPropIds": ["page-route.data"]})
    resp = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert resp.status_code == 200


def test_a_twenty_megabyte_evidence_file_fits_but_not_much_more(tmp_path):
    # 20 MB is 26.7 MB as base64 inside Dash's JSON; the limit leaves 3 MB for the rest.
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'e.db'}", secret_key="e" * 40))
    limit = app.server.config["MAX_CONTENT_LENGTH"]
    assert 20 * 1024 * 1024 * 4 / 3 + 1024 * 1024 < limit <= 30 * 1024 * 1024


def test_the_limit_is_configurable(monkeypatch, tmp_path):
    monkeypatch.setenv("MAX_REQUEST_MB", "1")
    settings = Settings.from_env()
    settings.database_url, settings.secret_key = f"sqlite:///{tmp_path / 'c.db'}", "c" * 40
    app = create_app(settings)
    assert app.server.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
