"""Finding 2 (data part): users carry the regions they may report for; the entry and
import code check them through Identity.can_report_region (enforced elsewhere)."""
from __future__ import annotations

import io
import json

from dashboard.__main__ import main as dashboard_main
from dashboard.auth import SessionUser
from dashboard.pages import users as users_page
from dashboard.permissions import Identity
from tests.test_auth import add_user_body, call, login, payload

from .conftest import ADMIN_PASSWORD, client_from, store_of


def test_can_report_region():
    rep = Identity("r", "r", "reporter", ("市市场监管局",), ("anning",), ("安宁市",))
    assert rep.can_report_region("anning", "市市场监管局", "安宁市")
    assert not rep.can_report_region("anning", "市市场监管局", "别的县")
    assert not rep.can_report_region("anning", "其他局", "安宁市")
    everywhere = Identity("r", "r", "reporter", ("市市场监管局",), ("anning",))
    assert everywhere.can_report_region("anning", "市市场监管局", "任何地区")
    assert Identity("a", "a", "admin").can_report_region("luzhou", "任何单位", "任何地区")
    assert not Identity("v", "v", "viewer").can_report_region("anning", "市市场监管局", "安宁市")


def test_store_and_identity_carry_the_regions(app):
    store = store_of(app)
    row = store.update_user("rep", regions=["安宁市"])
    assert row.regions == ["安宁市"] and store.get_user("rep").regions == ["安宁市"]
    assert SessionUser(row, "x").identity.regions == ("安宁市",)
    assert store.update_user("rep", regions=[]).regions == []


def test_cli_add_with_regions(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    argv = ["users", "add", "scj", "--role", "reporter", "--unit", "市市场监管局", "--scheme", "anning",
            "--region", "安宁市", "--password-stdin"]
    monkeypatch.setattr("sys.stdin", io.StringIO("reporter-pass-77\n"))
    assert dashboard_main(argv) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("reporter-pass-77\n"))
    assert dashboard_main(argv[:-1] + ["--region", "没有的县", "--password-stdin"]) == 1
    assert "没有这些地区:没有的县" in capsys.readouterr().err
    capsys.readouterr()
    assert dashboard_main(["users", "list"]) == 0
    assert "地区:安宁市" in capsys.readouterr().out
    from data.db import upgrade
    from data.store import Store

    assert Store(upgrade(f"sqlite:///{tmp_path / 'cli.db'}")).get_user("scj").regions == ["安宁市"]


def test_users_page_sets_regions(app):
    c = client_from(app)
    assert login(c, "boss", ADMIN_PASSWORD).status_code == 302
    unit = store_of(app).get_user("rep").units[0]
    key = next(k for k in app.callback_map if users_page.EDIT_SAVE in str(app.callback_map[k]["inputs"]))
    body = payload(app, key, {users_page.EDIT_SAVE: 1},
                   {users_page.EDIT_USER: "rep", users_page.EDIT_DISPLAY: "填报员", users_page.EDIT_ROLE: "reporter",
                    users_page.EDIT_UNITS: [unit], users_page.EDIT_SCHEMES: ["anning"],
                    users_page.EDIT_REGIONS: ["安宁市"], users_page.EDIT_ACTIVE: True, users_page.VERSION: 0})
    r = call(c, body)
    assert "已保存" in json.dumps(r.get_json(), ensure_ascii=False)
    assert store_of(app).get_user("rep").regions == ["安宁市"]
    body["state"] = [dict(s, value=["火星"]) if s["id"] == users_page.EDIT_REGIONS else s for s in body["state"]]
    assert "没有这些地区" in json.dumps(call(c, body).get_json(), ensure_ascii=False)
    assert store_of(app).get_user("rep").regions == ["安宁市"]
    # The edit form loads them; the add form takes them too.
    load = next(k for k in app.callback_map if users_page.EDIT_REGIONS + ".value" in k)
    r = call(c, payload(app, load, {users_page.EDIT_USER: "rep"}))
    assert r.get_json()["response"][users_page.EDIT_REGIONS]["value"] == ["安宁市"]
    body = add_user_body(app, "rep2", role="reporter", password="reporter-pass-77", units=[unit])
    body["state"] = [dict(s, value=["安宁市"]) if s["id"] == users_page.ADD_REGIONS else s for s in body["state"]]
    assert "已新增用户" in json.dumps(call(c, body).get_json(), ensure_ascii=False)
    assert store_of(app).get_user("rep2").regions == ["安宁市"]
