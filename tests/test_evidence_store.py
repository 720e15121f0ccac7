"""Evidence files in the store, on SQLite and PostgreSQL: every bad input of issue 16 that
concerns files is refused with a clear message and stores nothing (no file, no row);
permissions as for values; removal is a correction; the same content is stored once."""
from __future__ import annotations

from datetime import date

import pytest

from dashboard.permissions import Identity
from data.evidence import Evidence, EvidenceRefused, Office
from indicators.registry import load_registry
from tests import evidence_files as f

pytest_plugins = ["tests.conftest_db"]

REGION, Q, TODAY = "安宁市", "2025Q2", date(2025, 7, 15)
IND = "anning_invention_grants_annual"          # reported by 市市场监管局
OTHER_UNIT_IND = None                           # set in the fixture: one reported by another unit
UNIT = "市市场监管局"

REPORTER = Identity("rep", "市场监管局填报员", "reporter", (UNIT,), ("anning",))
OTHER_REPORTER = Identity("rep2", "财政局填报员", "reporter", ("市财政局",), ("anning",))
BOUND_ELSEWHERE = Identity("rep3", "外地填报员", "reporter", (UNIT,), ("anning",), ("别的市",))
VIEWER = Identity("boss", "县领导", "viewer")
OFFICE = Identity("office", "办公室", "admin")


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture
def ev(store, registry, tmp_path):
    store.ensure_region("anning", REGION)
    store.ensure_region("anning", "别的市")
    return Evidence(store, registry, tmp_path / "evidence")


def stored_files(ev) -> list:
    return [p for p in ev.blobs.root.rglob("*") if p.is_file()] if ev.blobs.root.exists() else []


def assert_nothing_stored(ev):
    assert ev.rows() == [] and stored_files(ev) == []


def add(ev, who=REPORTER, name="证书.pdf", data=None, ind=IND, period=Q, region=REGION, note=""):
    return ev.add(who, ind, region, period, name, f.pdf() if data is None else data, note, today=TODAY)


@pytest.mark.parametrize("name,make,words", [
    ("通知.pdf", f.exe, "可执行程序"),
    ("总结.docx", f.zip_bomb_docx, "疑似压缩炸弹"),
    ("空文件.pdf", lambda: b"", "空文件"),
    ("扫描件.pdf", lambda: b"%PDF-1.4\n" + b"0" * (21 * 1024 * 1024), "超过上限20 MB"),
])
def test_bad_files_store_nothing(ev, name, make, words):
    with pytest.raises(EvidenceRefused) as exc:
        add(ev, name=name, data=make())
    assert words in str(exc.value) and name in str(exc.value)
    assert_nothing_stored(ev)


def test_a_name_with_path_separators_keeps_only_its_base_name(ev):
    row = add(ev, name="..\\..\\windows/system32/证书.pdf")
    assert row.name == "证书.pdf"
    assert ev.path(row).parent.parent == ev.blobs.root   # stored under its hash, never under the name
    assert ev.path(row).name == row.sha256


def test_a_300_character_name_is_shortened_keeping_the_extension(ev):
    row = add(ev, name="关" * 300 + ".pdf")
    assert len(row.name) == 200 and row.name.endswith(".pdf")
    assert ev.get(row.id).name == row.name


def test_a_reporter_may_add_for_its_unit_and_region_while_a_draft(ev):
    row = add(ev, note="2025年第2季度授权清单")
    assert (row.uploaded_by, row.state_at_upload, row.note, row.content_type) == ("rep", "draft", "2025年第2季度授权清单",
                                                                                   "application/pdf")
    assert ev.path(row).read_bytes() == f.pdf()


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_a_locked_quarter_refuses_the_reporter_but_not_the_office(ev, state):
    ev.store.submit("anning", REGION, UNIT, Q, "rep")
    if state == "approved":
        ev.store.approve("anning", REGION, UNIT, Q, "office")
    with pytest.raises(EvidenceRefused, match="已审核锁定" if state == "approved" else "已报送"):
        add(ev)
    assert_nothing_stored(ev)
    row = add(ev, who=OFFICE)
    assert (row.uploaded_by, row.state_at_upload) == ("office", state)   # recorded: added to a handed-in quarter


@pytest.mark.parametrize("who,words", [
    (VIEWER, "只读账号"), (OTHER_REPORTER, "市市场监管局"), (BOUND_ELSEWHERE, "安宁市"), (None, "请先登录"),
])
def test_who_may_not_add_stores_nothing(ev, who, words):
    with pytest.raises(EvidenceRefused, match=words):
        add(ev, who=who)
    assert_nothing_stored(ev)


@pytest.mark.parametrize("kw,words", [
    ({"ind": "no_such_indicator"}, "未知指标"), ({"region": "不存在的市"}, "未知地区"),
    ({"period": "2025-2"}, "格式错误"), ({"period": "2026Q1"}, "不在可添加"), ({"period": "2021Q4"}, "不在可添加"),
    ({"note": "备" * 501}, "备注过长"),
])
def test_a_wrong_target_stores_nothing(ev, kw, words):
    with pytest.raises(EvidenceRefused, match=words):
        add(ev, **kw)
    assert_nothing_stored(ev)


def test_the_same_file_twice_is_stored_once(ev):
    a = add(ev)
    b = add(ev, ind="anning_utility_model_grants_annual", name="同一文件.pdf")
    assert a.sha256 == b.sha256 and a.id != b.id
    assert len(stored_files(ev)) == 1
    with pytest.raises(EvidenceRefused, match="内容相同"):
        add(ev, name="再传一次.pdf")
    assert len(ev.rows()) == 2 and len(stored_files(ev)) == 1


def test_removal_is_a_correction_that_keeps_the_file(ev):
    row = add(ev)
    with pytest.raises(EvidenceRefused, match="请填写移除原因"):
        ev.remove(REPORTER, row.id, "  ")
    with pytest.raises(EvidenceRefused, match="只读账号"):
        ev.remove(VIEWER, row.id, "传错了")
    with pytest.raises(EvidenceRefused, match="市市场监管局"):
        ev.remove(OTHER_REPORTER, row.id, "传错了")
    gone = ev.remove(REPORTER, row.id, "传错了季度")
    assert gone.removed and (gone.removed_by, gone.remove_reason) == ("rep", "传错了季度")
    assert ev.path(gone).is_file()                       # the bytes stay
    assert [r.id for r in ev.rows()] == [row.id]         # the row stays, listed as removed
    assert ev.rows(include_removed=False) == []
    with pytest.raises(EvidenceRefused, match="已于之前被移除"):
        ev.remove(OFFICE, row.id, "再移除")
    # The same file may be added again once the earlier copy is removed.
    assert add(ev).id != row.id


def test_a_reporter_may_not_remove_from_a_locked_quarter_but_the_office_may(ev):
    row = add(ev)
    ev.store.submit("anning", REGION, UNIT, Q, "rep")
    with pytest.raises(EvidenceRefused, match="已报送"):
        ev.remove(REPORTER, row.id, "传错了")
    assert ev.remove(OFFICE, row.id, "办公室核对后移除").removed_by == "office"


def test_deleting_a_value_never_deletes_its_evidence(ev, registry):
    ind = registry.indicators[IND]
    saved = ev.store.save_value(ind, REGION, Q, 12, "", "rep", None, source="form")
    row = add(ev)
    ev.store.save_value(ind, REGION, Q, None, "", "rep", saved.version, source="form", reason="清空")
    assert [r.id for r in ev.rows(indicator_id=IND, period=Q, include_removed=False)] == [row.id]
    assert ev.path(row).is_file()


def test_the_command_line_acts_as_the_office(ev):
    ev.store.submit("anning", REGION, UNIT, Q, "rep")
    ev.store.approve("anning", REGION, UNIT, Q, "office")
    assert add(ev, who=Office("命令行")).state_at_upload == "approved"
