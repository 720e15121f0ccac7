"""Issue 14, finding 16: no callback answers HTTP 500, whatever a signed-in user sends.

Every callback of the app (enumerated from ``app.callback_map``, so new ones are covered
without editing this file) is posted to ``/_dash-update-component`` as a signed-in admin
with wrong types in its inputs and states: numbers, lists, dicts, None, booleans, huge
strings and unknown ids. A failing callback must answer with the shell's alert
(``sideUpdate`` of :data:`dashboard.guard.ALERT_ID`) or a 4xx, never a 500.
"""
from __future__ import annotations

import itertools
import json
import re
import shutil

import pytest

from dashboard import Settings, accounts, create_app
from dashboard.guard import ALERT_ID, MSG_INPUT

PASSWORD = "Fuzz-Admin-Passphrase-2026!x"
HUGE = "填" * 200_000
BAD_VALUES = [12345, -1.5, True, None, [1, "x", None], {"a": 1, "scheme": [2]}, HUGE, "no_such_id", ""]
WILDCARDS = ("ALL", "MATCH", "ALLSMALLER")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "demo.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", demo=True, secret_key="f" * 40,
                              login_disabled=True))
    app.server.extensions["monitor"]["store"].dispose()
    return path


@pytest.fixture(scope="module")
def admin_client(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz-run") / "demo.db"
    shutil.copy(demo_db, path)
    app = create_app(Settings(database_url=f"sqlite:///{path}", demo=True, secret_key="f" * 40,
                              login_disabled=False))
    ext = app.server.extensions["monitor"]
    accounts.create_user(ext["store"], ext["registry"], "fuzzadmin", "admin", PASSWORD, "办公室")
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": "fuzzadmin", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return app, client


def _parse_id(text: str):
    return json.loads(text) if text.startswith("{") else text


def _concrete(pattern: dict, filler) -> dict:
    """A real-looking id for a pattern-matching one (ALL/MATCH replaced by ``filler``)."""
    return {k: (filler if isinstance(v, list) and v and v[0] in WILDCARDS else v) for k, v in pattern.items()}


def _outputs(key: str) -> list:
    outs = []
    for part in key.strip(".").split("..."):
        cid, prop = part.rsplit(".", 1)
        cid = _parse_id(cid)
        outs.append([] if isinstance(cid, dict) else {"id": cid, "property": prop})
    return outs


def _arg(dep: dict, value, filler) -> object:
    cid = _parse_id(dep["id"]) if isinstance(dep["id"], str) else dep["id"]
    if isinstance(cid, dict):
        # the renderer sends a list for a wildcard; one item with the bad value
        return [{"id": _concrete(cid, filler), "property": dep["property"], "value": value}]
    return {"id": cid, "property": dep["property"], "value": value}


def body(key: str, cb: dict, values: list, changed: list[int], filler="no_such_id") -> dict:
    deps = cb["inputs"] + cb["state"]
    args = [_arg(d, v, filler) for d, v in zip(deps, values)]
    n_in = len(cb["inputs"])
    outs = _outputs(key)
    changed_ids = []
    for i in changed:
        d = cb["inputs"][i]
        cid = _parse_id(d["id"]) if isinstance(d["id"], str) else d["id"]
        cid = json.dumps(_concrete(cid, filler), separators=(",", ":"), sort_keys=True) \
            if isinstance(cid, dict) else cid
        changed_ids.append(f"{cid}.{d['property']}")
    return {"output": key, "outputs": outs if len(outs) > 1 else outs[0], "inputs": args[:n_in],
            "state": args[n_in:], "changedPropIds": changed_ids}


def requests_for(key: str, cb: dict):
    """Every argument bad at once (once per bad value), then each argument bad alone."""
    deps = cb["inputs"] + cb["state"]
    n_in = len(cb["inputs"])
    for value in BAD_VALUES:
        yield f"all={value!r:.30}", body(key, cb, [value] * len(deps), list(range(n_in)))
    cycle = itertools.cycle(BAD_VALUES)
    for i in range(len(deps)):
        value = next(cycle)
        values = [None] * len(deps)
        values[i] = value
        yield f"arg{i}={value!r:.30}", body(key, cb, values, [i] if i < n_in else [0], filler="anning")


def test_every_callback_survives_wrong_types_without_a_500(admin_client):
    app, client = admin_client
    assert len(app.callback_map) >= 20
    failures, alerts = [], 0
    for key, cb in app.callback_map.items():
        for what, payload in requests_for(key, cb):
            resp = client.post("/_dash-update-component", data=json.dumps(payload),
                               content_type="application/json")
            if resp.status_code >= 500:
                failures.append(f"{key[:80]} {what}: {resp.status_code} {resp.get_data(as_text=True)[:200]}")
                continue
            if resp.status_code == 200:
                answer = resp.get_json()
                side = answer.get("sideUpdate", {}).get(ALERT_ID)
                alerts += side is not None
    assert not failures, "\n".join(failures[:30])
    assert alerts > 0  # the guard answered some of them with its message


def test_unknown_indicator_id_gets_the_message_on_the_page(admin_client):
    app, client = admin_client
    key = next(k for k in app.callback_map if k.startswith("..dt-title.children"))
    cb = app.callback_map[key]
    # the detail page's quarter select with an indicator id that does not exist
    payload = body(key, cb, ["2025Q2", "no_such_indicator", "安宁市"], [0])
    resp = client.post("/_dash-update-component", data=json.dumps(payload), content_type="application/json")
    assert resp.status_code == 200
    side = resp.get_json()["sideUpdate"][ALERT_ID]
    assert side["children"] == MSG_INPUT and side["is_open"] is True
    assert resp.get_json()["response"] == {}  # the page's own outputs are left as they were


def test_malformed_request_bodies_get_4xx_not_500(admin_client):
    _, client = admin_client
    for data in ("not json", "[]", "{}", json.dumps({"output": "page.children"}),
                 json.dumps({"output": "page.children", "outputs": {"id": "page", "property": "children"},
                             "inputs": 5, "state": "x", "changedPropIds": 1})):
        resp = client.post("/_dash-update-component", data=data, content_type="application/json")
        assert 400 <= resp.status_code < 500, (data, resp.status_code, resp.get_data(as_text=True)[:200])
        if resp.is_json:
            assert resp.get_json().get("error")
