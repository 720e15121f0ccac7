"""Registry versions in the app's service (issue 17): a publication by one worker is used by every
worker at once (no restart), each quarter is judged by the version in force, and the detail page
and the Word report show a target's adjustment history."""
from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from flask import Flask

from dashboard import reports
from dashboard.printing import component_html
from dashboard.pages import detail
from dashboard.service import MonitorService
from data.db import make_engine, upgrade
from data.scheme_versions import adjust_target
from data.store import Store
from indicators.periods import Quarter
from indicators.registry import load_registry
from indicators.statuses import Status
from tests.test_auth import app  # noqa: F401  (fixture: one user per role, sign-in required)

IND = "anning_utility_model_grants_annual"   # annual, 500件
REGION = "安宁市"
REASON = "安宁市知识产权强县试点调整方案(安政办〔2024〕8号)"
HISTORY = f"2024-06-30起由500件调整为600件,依据{REASON}"


@pytest.fixture
def two_workers(tmp_path):
    """Two services on one database, as two gunicorn workers."""
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(make_engine(url))
    registry = load_registry()
    a, b = (MonitorService(registry, Store(make_engine(url))) for _ in range(2))
    ind = registry.indicators[IND]
    for q in (Quarter(2024, 1), Quarter(2024, 2)):
        a.store.save_value(ind, REGION, q, 130, "", "rep", None)
    return a, b


def test_a_publication_by_one_worker_is_used_by_the_other_at_once(two_workers):
    a, b = two_workers
    ind = b.registry.indicators[IND]
    assert b.result(ind, REGION, Quarter(2024, 2)).status is Status.on_track        # 260 of 500/年 by mid-year
    a.adjust_target(IND, 600, date(2024, 6, 30), REASON, "office")
    # Worker b has not been told: it sees the store's version counter move.
    assert b.registry.indicators[IND].target.value == 600
    assert b.result(ind, REGION, Quarter(2024, 2)).status is Status.warning         # judged by 600 from 2024-06-30
    assert b.result(ind, REGION, Quarter(2024, 1)).status is Status.on_track        # before: still 500
    heat = b.status_history("anning", REGION, [Quarter(2024, 1), Quarter(2024, 2)])[IND]
    assert heat == {Quarter(2024, 1): Status.on_track, Quarter(2024, 2): Status.warning}
    assert b.target_history(IND) == [HISTORY]


def test_in_a_request_the_counter_is_read_once(two_workers):
    a, b = two_workers
    app = Flask(__name__)
    with app.test_request_context("/"):
        assert b.registry.indicators[IND].target.value == 500
        adjust_target(a.store, a.base_registry, IND, 600, date(2024, 6, 30), REASON, "office")   # another worker
        assert b.registry.indicators[IND].target.value == 500   # one request sees one registry
    with app.test_request_context("/"):
        assert b.registry.indicators[IND].target.value == 600   # the next request the new one


def test_the_detail_page_shows_the_target_history(two_workers):
    a, b = two_workers
    ind = b.registry.indicators[IND]
    assert "target-history" not in component_html(detail._citation(b, ind))   # noqa: SLF001
    a.adjust_target(IND, 600, date(2024, 6, 30), REASON, "office")
    html = component_html(detail._citation(b, b.registry.indicators[IND]))          # noqa: SLF001
    assert "目标调整" in html and "target-history" in html and HISTORY in html


def test_the_word_report_shows_the_target_history_and_the_target_in_force(two_workers):
    a, b = two_workers
    a.adjust_target(IND, 600, date(2024, 6, 30), REASON, "office")
    before = reports.gather(b, "anning", REGION, Quarter(2024, 1), today=date(2024, 7, 15))
    after = reports.gather(b, "anning", REGION, Quarter(2024, 2), today=date(2024, 7, 15))
    line = lambda data: next(ln for ln in data.lines if ln.ind.id == IND)           # noqa: E731
    assert "500" in line(before).target_text and line(before).res.status is Status.on_track
    assert "600" in line(after).target_text and line(after).res.status is Status.warning
    buf = io.BytesIO()
    reports.build_docx(b, "anning", REGION, Quarter(2024, 2), buf, today=date(2024, 7, 15))
    text = "\n".join(p.text for p in Document(io.BytesIO(buf.getvalue())).paragraphs)
    assert "目标调整" in text and f"实用新型专利年授权量:{HISTORY}" in text


def _data_url(text: str) -> str:
    import base64

    return "data:application/x-yaml;base64," + base64.b64encode(text.encode("utf-8")).decode()


def test_the_schemes_page_checks_an_upload_before_publishing(two_workers):
    from dashboard.pages import schemes

    a, b = two_workers
    text = b.base_registry.file_text("anning")
    assert schemes.check_upload(b, _data_url(text), "anning.yaml") == (
        True, f"校验通过:方案 anning(安宁),{len(b.indicators('anning'))}项指标,发布后为第2版")
    ok, message = schemes.check_upload(b, _data_url(text.replace("unit: 件\n    kind: annual", "unit: 斤\n    kind: annual", 1)),
                                       "anning.yaml")
    assert not ok and "anning.yaml未通过校验,未发布" in message and "字段 unit" in message
    assert schemes.check_upload(b, "data:;base64,//79", "x.yaml") == (False, "文件不是UTF-8编码的YAML文本")
    assert schemes.check_upload(b, "garbage", "x.yaml") == (False, "无法读取上传的文件,请重新选择")
    assert schemes.REQUIRES == "admin"


def test_the_ranking_of_another_worker_follows_a_publication(two_workers):
    from dashboard.region_rollup import RegionRanking

    a, b = two_workers
    q = Quarter(2024, 2)
    before = RegionRanking(b).rows("anning", q)[0].counts
    adjust_target(a.store, a.base_registry, IND, 600, date(2024, 6, 30), REASON, "office")   # another worker
    after = RegionRanking(b).rows("anning", q)[0].counts
    assert after[Status.warning] == before[Status.warning] + 1
    assert after[Status.on_track] == before[Status.on_track] - 1


@pytest.mark.parametrize("who", ["leader", "reporter_a"])
def test_only_admins_reach_the_schemes_page_and_its_adjust_callback(app, who):
    import json

    from dashboard import ids
    from dashboard.pages import schemes
    from tests.test_auth import call, payload, signed_in

    service = app.server.extensions["monitor"]["service"]
    c = signed_in(app, who)
    route = payload(app, "page.children", {ids.ROUTE: {"pathname": schemes.PATH, "search": ""}})
    text = json.dumps(call(c, route).get_json(), ensure_ascii=False)
    assert "无权访问" in text and "调整目标" not in text
    body = payload(app, schemes.ADJ_MSG, {schemes.ADJ_BUTTON: 1},
                   {schemes.ADJ_INDICATOR: IND, schemes.ADJ_VALUE: "600", schemes.BASED_ON: 1,
                    schemes.ADJ_EFFECTIVE: "2024-06-30", schemes.ADJ_REASON: REASON})
    text = json.dumps(call(c, body).get_json(), ensure_ascii=False)
    assert "只有领导小组办公室管理员可以进行此操作" in text
    assert [v.version for v in service.registry_history().versions("anning")] == [1]
    admin = signed_in(app, "boss")
    text = json.dumps(call(admin, body).get_json(), ensure_ascii=False)
    assert "已发布方案 anning 第2版" in text and service.registry.indicators[IND].target.value == 600


def test_the_versions_table_names_people_by_display_name(two_workers):
    from dashboard.pages import schemes

    a, b = two_workers
    a.store.add_user("office", "admin", display_name="领导小组办公室张三")
    a.adjust_target(IND, 600, date(2024, 6, 30), REASON, "office")
    html = component_html(schemes.versions_table(b, "anning"))
    assert "领导小组办公室张三" in html and ">office<" not in html
    assert "系统" in html   # version 1, the shipped file


def test_a_scheme_published_in_the_database_takes_evidence_and_marks(tmp_path):
    """A county's own scheme, published (not shipped): the app's evidence files and 已核验 marks
    follow the registry in force, not the one loaded at start."""
    import re

    from dashboard import Settings, create_app
    from data.evidence import Office
    from data.evidence_demo import tiny_pdf
    from dashboard.permissions import Identity
    from indicators.registry import SCHEMES_DIR

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/c.db", secret_key="k" * 40, login_disabled=True))
    service = app.server.extensions["monitor"]["service"]
    text = (SCHEMES_DIR / "luzhou.yaml").read_text(encoding="utf-8")
    text = text.replace("id: luzhou\n", "id: xuyong\n", 1).replace("region: 泸州市", "region: 叙永县")
    text = re.sub(r"(\n\s+- id: )luzhou_", r"\1xuyong_", text)
    service.publish_scheme(text, date(2024, 6, 1), "叙永县方案", "office")
    assert "xuyong" in service.registry.schemes and service.regions("xuyong") == ["叙永县"]

    ind = "xuyong_ip_custody_enterprises"
    row = service.evidence.add(Office("office"), ind, "叙永县", "2025Q4", "托管协议.pdf", tiny_pdf("x", ["y"]))
    assert row.indicator_id == ind
    mark = service.acceptance.set(Identity("office", "办公室", "admin"), "xuyong", "叙永县", ind, True)
    assert mark is not None and mark.verified_by == "office"
    assert app.server.test_client().get("/?scheme=xuyong").status_code == 200
