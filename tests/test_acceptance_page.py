"""验收清单 page on the server: the 已核验 switch refused for anyone but the office (nothing stored),
filters read from the address, the package download only for the user who built it."""
from __future__ import annotations

import json
import zipfile
import io

import pytest

from dashboard import Settings, accounts, create_app
from dashboard.acceptance import page as acc
from tests.test_auth import PASSWORD, call, signed_in

REGION = "安宁市"


@pytest.fixture
def app(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'acc.db'}", secret_key="a" * 40,
                              export_cache_dir=str(tmp_path / "cache")))
    ext = app.server.extensions["monitor"]
    store, registry = ext["store"], ext["registry"]
    store.ensure_region("anning", REGION)
    accounts.create_user(store, registry, "boss", "admin", PASSWORD, "办公室")
    accounts.create_user(store, registry, "leader", "viewer", PASSWORD, "县领导")
    accounts.create_user(store, registry, "rep", "reporter", PASSWORD, "填报员", ["市市场监管局"], ["anning"])
    return app


def service_of(app):
    return app.server.extensions["monitor"]["service"]


def verify_body(indicator_id: str, value: bool) -> dict:
    pid = {"type": acc.VERIFY, "indicator": indicator_id}
    key = json.dumps(pid, sort_keys=True, separators=(",", ":"))
    return {"output": f"..{acc.MSG}.children...{acc.REFRESH}.data..",
            "outputs": [{"id": acc.MSG, "property": "children"}, {"id": acc.REFRESH, "property": "data"}],
            "inputs": [[{"id": pid, "property": "value", "value": value}]],
            "state": [{"id": acc.SCHEME, "property": "value", "value": "anning"},
                      {"id": acc.REGION, "property": "value", "value": REGION},
                      {"id": acc.REFRESH, "property": "data", "value": 0}],
            "changedPropIds": [f"{key}.value"]}


@pytest.mark.parametrize("user", ["leader", "rep"])
def test_only_the_office_marks_verified(app, user):
    ind = service_of(app).indicators("anning")[0].id
    resp = call(signed_in(app, user), verify_body(ind, True))
    assert resp.status_code == 200
    assert "只有领导小组办公室管理员" in json.dumps(resp.get_json(), ensure_ascii=False)
    assert service_of(app).acceptance.history("anning", REGION) == []
    resp = call(signed_in(app, "boss"), verify_body(ind, True))
    assert resp.status_code == 200 and "已将" in json.dumps(resp.get_json(), ensure_ascii=False)
    assert set(service_of(app).acceptance.current("anning", REGION)) == {ind}


def test_the_menu_and_page_for_every_role(app):
    for user in ("boss", "leader", "rep"):
        html = signed_in(app, user).get("/_dash-layout", headers={"Referer": "http://localhost/acceptance"})
        text = json.dumps(html.get_json(), ensure_ascii=False)
        assert "验收清单" in text and acc.TABLE in text
        # The switch is drawn for the office only.
        assert (acc.VERIFY in text) == (user == "boss")


def shown(component) -> list[str]:
    """The indicator ids of the checklist's rows in a layout."""
    found = []

    def walk(c):
        if isinstance(c, (list, tuple)):
            for x in c:
                walk(x)
            return
        if "acc-row" in (getattr(c, "className", "") or ""):
            found.append(getattr(c, "data-indicator"))
        walk(getattr(c, "children", None) or [])
    walk(component)
    return found


def test_filters_come_from_the_address_and_unknown_ones_are_ignored(app):
    svc = service_of(app)
    inds = svc.indicators("anning")
    with app.server.test_request_context("/"):
        assert shown(acc.layout(svc, "?scheme=anning&region=安宁市&dim=保障")) == \
            [i.id for i in inds if i.dimension == "保障"]
        unit = inds[0].reporting_unit
        assert set(shown(acc.layout(svc, f"?scheme=anning&unit={unit}"))) == {i.id for i in inds if unit in i.all_units}
        assert len(shown(acc.layout(svc, "?scheme=anning&dim=不存在&unit=不存在"))) == len(inds)


def test_the_download_is_its_builders_only(app):
    svc = service_of(app)
    settings = app.server.extensions["monitor"]["settings"]
    token, name, size = acc.store_package(svc, settings, "leader", "anning", REGION)
    url = acc.DOWNLOAD_PATH + token
    resp = signed_in(app, "leader").get(url)
    assert resp.status_code == 200 and resp.mimetype == "application/zip" and len(resp.data) == size
    assert "attachment" in resp.headers["Content-Disposition"] and resp.headers["Cache-Control"] == "no-store"
    assert "索引.docx" in zipfile.ZipFile(io.BytesIO(resp.data)).namelist()
    assert name.endswith(".zip")
    assert signed_in(app, "boss").get(url).status_code == 404
    assert signed_in(app, "leader").get(acc.DOWNLOAD_PATH + "0" * 32).status_code == 404
    anon = app.server.test_client().get(url)
    assert anon.status_code in (302, 401)
