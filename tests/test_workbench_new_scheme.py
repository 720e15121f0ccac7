"""发布为新方案 (issue #17, a county brings its own scheme): the pure YAML builder
(dashboard.workbench.rules.new_scheme_text) and a publication through the service that makes the
scheme, its region and its overview page appear at once."""
from __future__ import annotations

import json
from datetime import date

import pytest
import yaml

from dashboard.workbench import rules
from indicators.draft import draft_text
from indicators.registry import load_registry, load_text
from tests.test_auth import app  # noqa: F401  (fixture: one user per role, sign-in required)

FIXTURE = open("tests/fixtures/workbench_luzhou.txt", encoding="utf-8").read()
REG = load_registry()


def _rows():
    rows = rules.review_rows(draft_text(FIXTURE).to_dict(), REG.schemes["luzhou"], [])
    for r in rows:   # the excerpt names no units: the office fills them in the grid
        r["lead_units"] = "泸州市市场监管局"
    return rows


def _meta(**kw):
    return {**rules.new_scheme_defaults(FIXTURE), "id": "luzhou_new", **kw}


def _build(meta, rows=None):
    return rules.new_scheme_text(meta, _rows() if rows is None else rows, REG.schemes, REG.indicators.values(),
                                 REG.schemes["luzhou"].reference_series)


def test_the_document_prefills_title_period_region_and_notice():
    d = rules.new_scheme_defaults(FIXTURE)
    assert d["name"] == "泸州市专利转化运用专项行动实施方案(2024—2025年)"      # the first line's 《…》
    assert (d["start"], d["end"]) == ("2024-05", "2025-12")   # years named; starts with the notice's month
    assert (d["region"], d["region_level"], d["short_name"]) == ("泸州市", "city", "泸州")
    assert (d["issuer"], d["number"], d["date"]) == ("泸州市人民政府办公室", "泸市府办发〔2024〕23号", "2024-05-27")


def test_a_luzhou_draft_becomes_a_valid_new_scheme():
    text, problems = _build(_meta())
    assert problems == []
    sf, errors = load_text(text)
    assert errors == [] and sf.scheme.id == "luzhou_new"
    assert [i.id for i in sf.indicators] == [f"luzhou_new_{n}" for n in range(1, 7)]
    assert [(s.id, str(s.start), str(s.end)) for s in sf.scheme.stages] == [("y2025", "2025-01", "2025-12")]
    assert sf.scheme.dimensions == ["质量"]             # the dimensions the rows use
    ref = sf.indicators[0].target.reference            # 高于全省平均水平: a series of the new scheme
    assert [r.id for r in sf.scheme.reference_series] == [ref] == ["luzhou_new_ref_1"]


def test_stages_one_per_deadline_year_clipped_to_the_period():
    rows = _rows()
    rows[1]["deadline"] = "2024-12-31"
    stages = rules.new_scheme_stages(rows, (2024, 5), (2025, 12))
    assert stages == [{"id": "y2024", "name": "2024年度任务", "start": "2024-05", "end": "2024-12"},
                      {"id": "y2025", "name": "2025年度任务", "start": "2025-01", "end": "2025-12"}]
    text, problems = _build(_meta(), rows)
    assert problems == [] and yaml.safe_load(text)["indicators"][1]["stage"] == "y2024"


def test_rows_without_dimension_get_zonghe():
    rows = _rows()
    for r in rows:
        r["dimension"] = ""
    text, problems = _build(_meta(), rows)
    assert problems == [] and yaml.safe_load(text)["scheme"]["dimensions"] == ["综合"]


@pytest.mark.parametrize("meta,message", [
    (dict(id="Luzhou-2"), "字段 方案编号:“Luzhou-2”格式错误"),
    (dict(id="luzhou"), "字段 方案编号:方案编号已存在(luzhou)"),
    (dict(start="2024/05"), "字段 起止年月:起止年月格式错误"),
    (dict(start="2026-01"), "字段 起止年月:止(2025-12)早于起(2026-01)"),
    (dict(region_level="town"), "字段 地区级别"),
    (dict(name=""), "字段 方案名称:请填写方案名称"),
])
def test_bad_form_fields_are_named(meta, message):
    text, problems = _build(dict(_meta(), **meta))
    assert text == "" and any(message in p for p in problems), problems


def test_no_accepted_rows_is_refused():
    rows = [dict(r, accept=False) for r in _rows()]
    text, problems = _build(_meta(), rows)
    assert text == "" and problems == ["没有接受任何候选:新方案至少要有一项指标。"]


def test_a_bad_row_names_the_candidate_and_field():
    rows = _rows()
    rows[1]["value"] = "-3"
    _text, problems = _build(_meta(), rows)
    assert any(p.startswith(f"候选 {rows[1]['cid']}({rows[1]['name']})、字段 target.value") for p in problems)


def test_a_published_new_scheme_appears_in_the_registry_regions_and_overview(tmp_path):
    from dashboard import Settings, create_app
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'n.db'}", secret_key="t", login_disabled=True))
    service = app.server.extensions["monitor"]["service"]
    text, problems = rules.new_scheme_text(_meta(short_name="泸州新"), _rows(), service.registry.schemes,
                                           service.registry.indicators.values())
    assert problems == []
    rec = service.publish_scheme(text, date(2024, 5, 27), "泸市府办发〔2024〕23号", "admin", name="泸州草稿")
    assert (rec.scheme_id, rec.version) == ("luzhou_new", 1)
    assert "luzhou_new" in service.registry.schemes
    assert service.regions("luzhou_new") == ["泸州市"]
    client = app.server.test_client()
    assert client.get("/?scheme=luzhou_new").status_code == 200
    layout = client.get("/_dash-layout", headers={"Referer": "http://localhost/?scheme=luzhou_new"})
    assert layout.status_code == 200
    shown = json.dumps(layout.get_json(), ensure_ascii=False)
    assert "泸州新" in shown and "泸州市" in shown   # the overview of the new scheme and its region


def _publish_new_body(app, rows, store, meta):
    from dashboard.workbench import review
    from tests.test_auth import payload
    state = {review.DR_GRID: rows, review.DR_STORE: store, review.DR_EFFECTIVE: "2024-05-27",
             review.DR_REASON: "泸市府办发〔2024〕23号", review.DR_MODE: "new"}
    state.update({review.NEW_IDS[f]: v for f, v in meta.items()})
    return payload(app, review.DR_PUB_MSG, {review.DR_PUBLISH: 1}, state)


@pytest.mark.parametrize("who", ["leader", "reporter_a"])
def test_the_page_publishes_a_new_scheme_for_admins_only_and_offers_it(app, who):  # noqa: F811
    from dashboard.workbench import review
    from tests.test_auth import call, signed_in
    service = app.server.extensions["monitor"]["service"]
    store = {"scheme": "luzhou", "source": "泸州.txt", "text": FIXTURE, "based_on": 1}
    body = _publish_new_body(app, _rows(), store, _meta())
    text = json.dumps(call(signed_in(app, who), body).get_json(), ensure_ascii=False)
    assert "只有领导小组办公室管理员可以进行此操作" in text and "luzhou_new" not in service.registry.schemes
    bad = _publish_new_body(app, _rows(), store, _meta(id="luzhou"))
    text = json.dumps(call(signed_in(app, "boss"), bad).get_json(), ensure_ascii=False)
    assert "方案编号已存在(luzhou)" in text and "未发布" in text
    assert [v.version for v in service.registry_history().versions("luzhou")] == [1]
    out = call(signed_in(app, "boss"), body).get_json()["response"]
    text = json.dumps(out, ensure_ascii=False)
    assert "已发布方案 luzhou_new 第1版,2024-05-27起生效" in text
    assert out["sv-scheme"]["value"] == "luzhou_new"
    assert "luzhou_new" in [o["value"] for o in out["sv-scheme"]["options"]]
    assert service.regions("luzhou_new") == ["泸州市"]
