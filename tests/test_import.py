"""Importer tests: every bad file gives one clear message and changes nothing."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from data.importer import MAX_BYTES, escape_cell, import_file, read_file, write_template
from indicators.periods import Quarter
from indicators.registry import load_registry

pytest_plugins = ["tests.conftest_db"]

TODAY = date(2024, 11, 20)  # current quarter 2024Q4
REGION = "测试县"
UNIT_A = "县市场监管局"
UNIT_B = "县财政局"

SCHEME_YAML = f"""
scheme:
  id: testcounty
  name: 测试县知识产权强县试点工作方案
  short_name: 测试县
  region: {REGION}
  document: {{title: 测试县方案, issuer: 测试县人民政府, date: 2022-10-18}}
  period: {{start: 2022-08, end: 2025-12}}
  stages:
    - {{id: implement, name: 组织实施, start: 2022-08, end: 2025-12}}
  dimensions: [创造, 保障]
indicators:
  - id: testcounty_grants
    name: 发明专利年授权量
    dimension: 创造
    unit: 件
    kind: annual
    target: {{value: 40}}
    deadline: 2025-07-31
    stage: implement
    reporting: flow
    responsible_units: [{UNIT_A}]
    clause: 三(一)
    quote: 年新增40件以上
  - id: testcounty_stock
    name: 示范企业数
    dimension: 创造
    unit: 家
    kind: cumulative
    target: {{value: 25}}
    deadline: 2025-07-31
    stage: implement
    reporting: stock
    responsible_units: [{UNIT_A}]
    clause: 三(二)
    quote: 累计达25家
  - id: testcounty_rate
    name: 经费占比
    dimension: 保障
    unit: "%"
    kind: rate
    target: {{value: 1.5}}
    deadline: 2025-07-31
    stage: implement
    reporting: stock
    responsible_units: [{UNIT_B}]
    clause: 六(三)
    quote: 不低于1.5%
  - id: testcounty_milestone
    name: =成立领导小组
    dimension: 保障
    unit: 项
    kind: milestone
    deadline: 2022-12-31
    stage: implement
    reporting: stock
    responsible_units: [{UNIT_A}]
    clause: 六(一)
    quote: 成立领导小组
  - id: testcounty_later
    name: 后期指标
    dimension: 创造
    unit: 件
    kind: cumulative
    target: {{value: 10}}
    start: 2025-01
    deadline: 2025-07-31
    stage: implement
    reporting: flow
    responsible_units: [{UNIT_A}]
    clause: 三(三)
    quote: 累计10件
"""


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    d = tmp_path_factory.mktemp("schemes")
    (d / "testcounty.yaml").write_text(SCHEME_YAML, encoding="utf-8")
    return load_registry(d)


def snapshot(store):
    obs = {i: store.observation_rows(i, REGION) for i in ("testcounty_grants", "testcounty_stock",
                                                         "testcounty_rate", "testcounty_milestone")}
    return store.data_version(), obs


def run(store, registry, data, filename="x.csv", **kw):
    kw.setdefault("today", TODAY)
    return import_file(store, registry, data, user="importer", filename=filename, **kw)


def csv_bytes(text: str, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + text.strip() + "\n").encode("utf-8")


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


GOOD_CSV = """
indicator_id,period,value,note
testcounty_grants,2024Q1,12,
testcounty_grants,2024Q2,9,二季度
testcounty_stock,2024Q2,15,
testcounty_rate,2024Q2,1.6,
"""


# ------------------------------------------------------------ good files

def test_csv_with_bom_commits_every_row(store, registry):
    p = run(store, registry, csv_bytes(GOOD_CSV, bom=True))
    assert p.ok and p.committed, p.errors
    assert [(c.row, c.indicator_id, str(c.period), c.old_value, c.new_value, c.action) for c in p.changes] == [
        (2, "testcounty_grants", "2024Q1", None, 12.0, "new"), (3, "testcounty_grants", "2024Q2", None, 9.0, "new"),
        (4, "testcounty_stock", "2024Q2", None, 15.0, "new"), (5, "testcounty_rate", "2024Q2", None, 1.6, "new")]
    assert store.observations("testcounty", REGION)["testcounty_grants"] == {Quarter(2024, 1): 12.0,
                                                                             Quarter(2024, 2): 9.0}
    assert store.observation("testcounty_grants", REGION, "2024Q2").note == "二季度"
    assert store.data_version() == 1  # one transaction
    h = store.history("testcounty_grants")
    assert {r.source for r in h} == {"import"} and {r.user for r in h} == {"importer"}
    assert "新增" in p.changes[0].describe() and "12" in p.changes[0].describe()


def test_chinese_headers_xlsx_and_update_preview(store, registry):
    run(store, registry, csv_bytes(GOOD_CSV))
    data = xlsx_bytes({"填报": [["指标编号", "报告期", "填报值", "备注"],
                                ["testcounty_grants", "2024Q1", 13, "更正"],
                                ["testcounty_stock", "2024Q2", 15, None]]})
    p = run(store, registry, data, filename="f.xlsx", dry_run=True)
    assert p.ok and not p.committed
    assert [(c.action, c.old_value, c.new_value) for c in p.changes] == [("update", 12.0, 13.0),
                                                                         ("unchanged", 15.0, 15.0)]
    assert store.observation("testcounty_grants", REGION, "2024Q1").value == 12.0  # dry run wrote nothing
    p = run(store, registry, data, filename="f.xlsx")
    assert p.committed and store.observation("testcounty_grants", REGION, "2024Q1").value == 13.0


def test_named_sheet_is_found_when_not_first(store, registry):
    data = xlsx_bytes({"说明": [["随便写点什么"]],
                       "填报": [["indicator_id", "period", "value"], ["testcounty_grants", "2024Q3", 5]]})
    p = run(store, registry, data, filename="f.xlsx")
    assert p.ok and p.committed


def test_empty_values_are_skipped_and_note_optional(store, registry):
    data = csv_bytes("indicator_id,period,value\ntestcounty_grants,2024Q1,\n\ntestcounty_stock,2024Q1,3")
    p = run(store, registry, data)
    assert p.ok and p.skipped == 1 and len(p.changes) == 1


def test_dry_run_changes_nothing(store, registry):
    before = snapshot(store)
    p = run(store, registry, csv_bytes(GOOD_CSV), dry_run=True)
    assert p.ok and len(p.changed) == 4 and not p.committed
    assert snapshot(store) == before


def test_region_option(store, registry):
    p = run(store, registry, csv_bytes(GOOD_CSV), region="另一县")
    assert p.ok and store.observations("testcounty", "另一县") and not store.observations("testcounty", REGION)


# ------------------------------------------------------------ bad files: one message, nothing written

def bad_file_cases():
    big = b"indicator_id,period,value,note\n" + b"testcounty_grants,2024Q1,1," + b"x" * MAX_BYTES + b"\n"
    return {
        "garbage text": (csv_bytes("Lorem ipsum dolor sit amet\nconsectetur adipiscing elit"), "x.csv", "表头"),
        "binary bytes": (bytes(range(256)) * 20, "x.csv", "无法识别"),
        "non-utf8 text": ("指标编号,报告期,填报值\n".encode("gbk"), "x.csv", "UTF-8"),
        "damaged xlsx": (b"PK\x03\x04" + b"\x00garbage" * 50, "x.xlsx", "Excel"),
        "old xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "x.xls", ".xls"),
        "wrong sheet": (xlsx_bytes({"Sheet1": [["名称", "数值"], ["a", 1]]}), "x.xlsx", "填报"),
        "missing columns": (csv_bytes("indicator_id,period,note\ntestcounty_grants,2024Q1,x"), "x.csv", "填报值"),
        "empty file": (b"", "x.csv", "为空"),
        "header only": (csv_bytes("indicator_id,period,value"), "x.csv", "没有数据行"),
        "over 5 MB": (big, "x.csv", "5 MB"),
    }


@pytest.mark.parametrize("case", list(bad_file_cases()))
def test_bad_files_give_one_clear_message(sqlite_store, registry, case):
    data, filename, expected = bad_file_cases()[case]
    run(sqlite_store, registry, csv_bytes(GOOD_CSV))
    before = snapshot(sqlite_store)
    p = run(sqlite_store, registry, data, filename=filename)
    assert not p.ok and len(p.errors) == 1, p.errors
    assert expected in p.errors[0]
    assert not p.changes and not p.committed
    assert snapshot(sqlite_store) == before


def test_bad_rows_are_all_reported_with_file_row_numbers_and_nothing_written(store, registry):
    run(store, registry, csv_bytes(GOOD_CSV))
    before = snapshot(store)
    data = csv_bytes("""
indicator_id,period,value,note
testcounty_grants,2024Q3,5,
no_such_indicator,2024Q3,5,

testcounty_grants,2022Q2,5,
testcounty_grants,2025Q1,5,
testcounty_grants,24-Q3,5,
testcounty_stock,2024Q3,十二,
testcounty_stock,2024Q3,16,
testcounty_grants,2024Q3,6,
testcounty_grants,2024Q4,-1,
testcounty_stock,2024Q1,1.5,
testcounty_rate,2024Q3,101,
testcounty_milestone,2024Q3,2,
""")
    p = run(store, registry, data)
    errs = p.errors
    assert not p.ok and not p.committed
    by_row = {int(e[1:e.index("行")]): e for e in errs}
    assert "未知指标编号“no_such_indicator”" in by_row[3]
    assert "早于方案起始" in by_row[5]            # the blank line 4 still counts
    assert "晚于当前季度2024Q4" in by_row[6]
    assert "格式错误" in by_row[7]
    assert "“十二”不是有效数字" in by_row[8]
    assert "与第8行重复" in by_row[9]             # a duplicate even though row 8 is itself wrong
    assert "与第2行重复" in by_row[10]
    assert "数量不能为负数" in by_row[11]
    assert "最多保留0位小数" in by_row[12]
    assert "百分比不能超过100%" in by_row[13]
    assert "里程碑只能填写1" in by_row[14]
    assert len(errs) == 11
    assert snapshot(store) == before


def test_text_in_number_cells_of_xlsx(sqlite_store, registry):
    data = xlsx_bytes({"填报": [["指标编号", "报告期", "填报值"], ["testcounty_grants", "2024Q1", "约十件"],
                                ["testcounty_stock", "2024Q1", "5"]]})
    p = run(sqlite_store, registry, data, filename="f.xlsx")
    assert p.errors == ["第2行:填报值“约十件”不是有效数字"]
    assert sqlite_store.data_version() == 0


def test_plausibility_warning_needs_a_note(store, registry):
    run(store, registry, csv_bytes(GOOD_CSV))  # stock 2024Q2 = 15
    before = snapshot(store)
    p = run(store, registry, csv_bytes("indicator_id,period,value,note\ntestcounty_stock,2024Q3,12,"))
    assert len(p.errors) == 1 and "存量较上季度下降" in p.errors[0] and "备注" in p.errors[0]
    assert snapshot(store) == before
    # a jump within the same file is checked against the file's own previous quarter
    p = run(store, registry, csv_bytes("indicator_id,period,value,note\n"
                                       "testcounty_grants,2024Q3,2,\ntestcounty_grants,2024Q4,7,"))
    assert len(p.errors) == 1 and "超过上季度的3倍" in p.errors[0] and p.errors[0].startswith("第3行")
    p = run(store, registry, csv_bytes("indicator_id,period,value,note\ntestcounty_stock,2024Q3,12,企业注销"))
    assert p.ok and p.committed and "存量较上季度下降" in p.warnings[0]


def test_locked_quarter_rejects_the_whole_file(store, registry):
    run(store, registry, csv_bytes(GOOD_CSV))
    store.submit("testcounty", REGION, UNIT_B, "2024Q2", "b")
    store.approve("testcounty", REGION, UNIT_B, "2024Q2", "office")
    before = snapshot(store)
    data = csv_bytes("indicator_id,period,value\ntestcounty_grants,2024Q3,4\ntestcounty_rate,2024Q2,1.7")
    p = run(store, registry, data)
    assert len(p.errors) == 1 and p.errors[0].startswith("第3行") and "锁定" in p.errors[0]
    assert snapshot(store) == before
    # unchanged rows of a locked quarter are fine
    data = csv_bytes("indicator_id,period,value\ntestcounty_grants,2024Q3,4\ntestcounty_rate,2024Q2,1.6")
    assert run(store, registry, data).committed


def test_read_file_accepts_tabs_and_semicolons():
    rows = read_file(csv_bytes("指标编号\t报告期\t填报值\na\t2024Q1\t1"))
    assert (rows[0].indicator_id, rows[0].period, rows[0].value, rows[0].note) == ("a", "2024Q1", "1", None)
    rows = read_file(csv_bytes("indicator_id;period;value;note\na;2024Q1;1;x"))
    assert rows[0].note == "x" and rows[0].row == 2


# ------------------------------------------------------------ template

def test_escape_cell():
    assert escape_cell("=1+1") == "'=1+1" and escape_cell("+86") == "'+86" and escape_cell("-x") == "'-x"
    assert escape_cell("@SUM(A1)") == "'@SUM(A1)" and escape_cell("普通") == "普通" and escape_cell(-3) == -3


def test_template_is_prefilled_escaped_and_imports_back_unchanged(store, registry):
    run(store, registry, csv_bytes(GOOD_CSV))
    store.save_value(registry.indicators["testcounty_stock"], REGION, "2024Q3", 16, "=HYPERLINK(\"http://x\")",
                     "alice", None)
    buf = io.BytesIO()
    n = write_template(registry, "testcounty", REGION, UNIT_A, Quarter(2024, 3), store, buf)
    assert n == 3  # unit A's indicators started by 2024Q3: grants, stock, milestone (not testcounty_later)
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    assert wb.sheetnames[0] == "填报"
    ws = wb["填报"]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["指标编号", "报告期", "指标名称", "计量单位", "填报口径", "上季度值", "填报值", "备注"]
    by_id = {r[0]: r for r in rows[1:]}
    assert set(by_id) == {"testcounty_grants", "testcounty_stock", "testcounty_milestone"}
    assert by_id["testcounty_grants"][5] == 9 and by_id["testcounty_grants"][6] is None  # last quarter prefilled
    assert by_id["testcounty_stock"][5] == 15 and by_id["testcounty_stock"][6] == 16
    assert "存量" in by_id["testcounty_stock"][4] and "流量" in by_id["testcounty_grants"][4]
    # formula-looking text is escaped: a literal string, never a formula
    assert by_id["testcounty_milestone"][2] == "'=成立领导小组"
    assert by_id["testcounty_stock"][7] == "'=HYPERLINK(\"http://x\")"
    for r in ws.iter_rows():
        for c in r:
            assert c.data_type != "f"
    # importing the untouched template changes nothing; the escaped note reads back as written
    before = snapshot(store)
    p = run(store, registry, buf.getvalue(), filename="t.xlsx")
    assert p.ok and not p.committed and {c.action for c in p.changes} == {"unchanged"}
    assert snapshot(store) == before
