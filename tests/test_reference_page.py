"""基线与参照值: the pending list and the rows' hints follow a save without a reload."""
from __future__ import annotations

import json
from datetime import date

import pytest

from dashboard import Settings, create_app, ids

AN, AN_REGION = "anning", "安宁市"


@pytest.fixture
def app(tmp_path):
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'd.db'}", demo=True, secret_key="t",
                               login_disabled=True))


def refresh(app, indicator_ids):
    key = [k for k in app.callback_map if ids.RF_PENDING in k]
    assert len(key) == 1, key
    body = {
        "output": key[0],
        "outputs": [{"id": ids.RF_PENDING, "property": "children"},
                    [{"id": {"type": ids.RF_BASE_PENDING, "indicator": i}, "property": "children"}
                     for i in indicator_ids]],
        "inputs": [{"id": ids.RF_BASE_MSG, "property": "children", "value": "已保存"},
                   {"id": ids.RF_REF_MSG, "property": "children", "value": None}],
        "state": [{"id": ids.RF_SCHEME, "property": "value", "value": AN},
                  {"id": ids.RF_REGION, "property": "value", "value": AN_REGION}],
        "changedPropIds": [f"{ids.RF_BASE_MSG}.children"],
    }
    resp = app.server.test_client().post("/_dash-update-component", json=body)
    assert resp.status_code == 200, resp.data[:500]
    out = resp.get_json()["response"]
    # Each matched id of a pattern-matching output comes back under its own JSON key.
    rows = {json.loads(k)["indicator"]: v["children"] for k, v in out.items() if ids.RF_BASE_PENDING in k}
    assert set(rows) == set(indicator_ids)
    return json.dumps(out[ids.RF_PENDING]["children"], ensure_ascii=False), rows


def test_pending_list_and_row_hints_follow_a_saved_baseline(app):
    service = app.server.extensions["monitor"]["service"]
    from dashboard.pages.reference import _pending

    pending = _pending(service, AN, AN_REGION)
    assert pending, "the demo leaves some baselines to the office"
    target = next(iter(pending))
    listed, rows = refresh(app, list(pending))
    assert f"{len(pending)}项基线待录入" in listed and rows[target] is not None

    ind = service.registry.indicators[target]
    service.store.save_baseline(ind, AN_REGION, 1.0, date(2022, 6, 30), "admin", None, note="测试")
    listed, rows = refresh(app, list(pending))
    assert rows[target] is None
    left = len(pending) - 1
    assert (f"{left}项基线待录入" in listed) if left else ("均已录入基期值" in listed)
