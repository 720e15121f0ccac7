"""方案管理 → 从文件草拟 (dashboard/workbench/review.py) without a browser: bad documents are refused
with the reader's Chinese message, a draft that fails validation is not published and names the
candidate and field, only admins reach the callbacks, and an admin's draft becomes a new version."""
from __future__ import annotations

import base64
import io
import json

import pytest
from PIL import Image

from dashboard.service import MonitorService
from dashboard.workbench import review
from data.db import make_engine, upgrade
from data.store import Store
from indicators.registry import load_registry
from tests.test_auth import app  # noqa: F401  (fixture: one user per role, sign-in required)

LUZHOU = open("indicators/sources/luzhou.txt", encoding="utf-8").read()
REASON = "泸州市专利转化运用专项行动实施方案(泸市府办发〔2024〕23号)"


def _url(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


@pytest.fixture
def service(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(make_engine(url))
    return MonitorService(load_registry(), Store(make_engine(url)))


def _scanned_pdf() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(buf, "PDF")
    return buf.getvalue()


@pytest.mark.parametrize("data,name,message", [
    (b"", "empty.pdf", "文件是空的"),
    (None, "scan.pdf", "未能从PDF中读出文字,可能是扫描件(图片)或空白文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.doc", "这是旧版Word(.doc)文件"),
    (b"x", "table.xlsx", "不支持的文件类型“.xlsx”"),
])
def test_a_bad_document_is_refused_with_the_readers_message_and_changes_nothing(service, data, name, message):
    data = _scanned_pdf() if data is None else data
    msg, store, rows, doc, cols = review.draft_upload(_url(data), name, "luzhou", 1, service)
    assert message in json.dumps(msg.to_plotly_json(), ensure_ascii=False, default=str)
    assert msg.color == "danger"
    assert (store, rows, doc, cols) == (review.no_update,) * 4


def test_a_document_without_targets_says_so_and_offers_an_empty_review(service):
    text = "关于开展知识产权宣传周活动的通知\n一、活动内容\n各单位要高度重视,认真组织宣传活动。\n".encode()
    msg, store, rows, _doc, _cols = review.draft_upload(_url(text), "notice.txt", "luzhou", 1, service)
    flat = json.dumps(msg.to_plotly_json(), ensure_ascii=False, default=str)
    assert rows == [] and "未找到量化目标" in flat and msg.color == "warning"
    assert store["scheme"] == "luzhou"


def test_luzhou_draft_validates_and_a_bad_edit_names_candidate_and_field(service):
    _msg, store, rows, doc, cols = review.draft_upload(_url(LUZHOU.encode()), "luzhou.txt", "luzhou", 1, service)
    stage = next(c for c in cols if c["field"] == "stage")
    assert stage["cellEditorParams"]["values"] == ["y2024", "y2025"]   # the scheme's own stages to pick
    assert len(rows) == 10 and all(r["registered"] for r in rows)
    assert any(getattr(p, "id", None) and "建设省级高价值专利育成中心2家以上" in p.children for p in doc
               if not isinstance(p, str))
    ok, message, _text = review.check_rows(service, store, rows)
    assert ok and "校验通过:接受10项候选" in message
    rows[1]["unit"] = "件件"
    ok, message, _text = review.check_rows(service, store, rows)
    assert not ok and f"候选 {rows[1]['cid']}({rows[1]['name']})、字段 unit" in message


def _draft_bodies(app, rows, store, effective="2025-01-01"):
    from tests.test_auth import payload
    return payload(app, review.DR_PUB_MSG, {review.DR_PUBLISH: 1},
                   {review.DR_GRID: rows, review.DR_STORE: store, review.DR_EFFECTIVE: effective,
                    review.DR_REASON: REASON})


@pytest.mark.parametrize("who", ["leader", "reporter_a"])
def test_only_admins_publish_a_draft(app, who):  # noqa: F811
    from tests.test_auth import call, signed_in
    service = app.server.extensions["monitor"]["service"]
    _msg, store, rows, _doc, _cols = review.draft_upload(_url(LUZHOU.encode()), "luzhou.txt", "luzhou", 1, service)
    body = _draft_bodies(app, rows, store)
    text = json.dumps(call(signed_in(app, who), body).get_json(), ensure_ascii=False)
    assert "只有领导小组办公室管理员可以进行此操作" in text
    assert [v.version for v in service.registry_history().versions("luzhou")] == [1]
    bad = [dict(r) for r in rows]
    bad[0]["value"] = "-3"
    text = json.dumps(call(signed_in(app, "boss"), _draft_bodies(app, bad, store)).get_json(), ensure_ascii=False)
    assert f"候选 {bad[0]['cid']}({bad[0]['name']})、字段 target.value" in text and "未发布" in text
    assert [v.version for v in service.registry_history().versions("luzhou")] == [1]
    text = json.dumps(call(signed_in(app, "boss"), body).get_json(), ensure_ascii=False)
    assert "已发布方案 luzhou 第2版,2025-01-01起生效" in text
    assert [v.version for v in service.registry_history().versions("luzhou")] == [1, 2]
