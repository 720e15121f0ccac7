"""The service's ledger API (used by the acceptance checklist and package), the workbook of all
ledgers and the spreadsheet template read back: bounded, row-numbered, all or none."""
from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from dashboard.ledger.export import ledgers_xlsx
from dashboard.service import MonitorService
from data import ledger_xlsx
from data.evidence import Office
from data.ledger import LedgerRefused
from indicators.registry import load_registry

pytest_plugins = ["tests.conftest_db"]

REGION, Q, TODAY = "安宁市", "2025Q2", date(2025, 7, 15)
IND = "anning_ip_advantage_demo_enterprises"
OFFICE = Office("office")
CODE, CODE2 = "91350100M000100Y43", "914403001922038216"


@pytest.fixture
def service(sqlite_store):
    sqlite_store.ensure_region("anning", REGION)
    return MonitorService(load_registry(), sqlite_store)


def row(name="云南甲科技有限公司", code=CODE, d="2023-05-10"):
    return {"name": name, "credit_code": code, "certificate": "云知〔2023〕5号", "date": d, "source": "=1+1"}


def test_counts_rows_flags_and_workbook(service):
    led = service.ledgers
    led.add(OFFICE, IND, REGION, Q, row(), today=TODAY)
    led.add(OFFICE, IND, REGION, Q, row("乙公司", CODE2, "2025-05-01"), today=TODAY)
    ind = service.registry.indicators[IND]
    service.store.save_value(ind, REGION, Q, 3, "", "office", None)
    counts = service.ledger_counts("anning", REGION, Q)
    assert counts[IND] == 2 and set(counts) == {i.id for i in led.indicators("anning")}
    assert service.ledger_counts("anning", REGION, "2025Q1")[IND] == 1
    rows = service.ledger_rows("anning", REGION)
    assert [r["企业名称"] for r in rows[IND]] == ["云南甲科技有限公司", "乙公司"]
    assert rows["anning_ip_service_ports"] == []
    flags = service.ledger_flags("anning", REGION, Q)
    assert flags[IND] == ["2025年第2季度填报值3家与台账不一致:台账季末有效2家(相差+1)。"]
    wb = load_workbook(io.BytesIO(ledgers_xlsx(service, "anning", REGION)))
    assert len(wb.sheetnames) == len(counts)
    ws = wb[ind.name[:31]]
    got = [[c.value for c in r] for r in ws.iter_rows()]
    assert got[0][:5] == ["企业名称", "统一社会信用代码", "认定文件/证书编号", "认定日期", "来源"]
    assert got[1][:5] == ["云南甲科技有限公司", CODE, "云知〔2023〕5号", "2023-05-10", "'=1+1"]   # never a formula


def _filled(ind, rows, headers=None) -> bytes:
    wb = load_workbook(io.BytesIO(ledger_xlsx.template(ind)))
    ws = wb["台账"]
    if headers is not None:
        for i, h in enumerate(headers, start=1):
            ws.cell(1, i, h)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_template_reads_back_with_row_numbers_and_stores_all_or_none(service):
    ind = service.registry.indicators[IND]
    header = [c.value for c in load_workbook(io.BytesIO(ledger_xlsx.template(ind)))["台账"][1]]
    assert header == ["企业名称*", "统一社会信用代码*", "认定文件/证书编号", "认定日期*", "来源"]
    from datetime import datetime
    bad = _filled(ind, [["甲公司", CODE, "1号", datetime(2023, 5, 10), "公告"], [],
                        [None, CODE2, "", "2023-01-01", ""], ["丙公司", "911100001000095117", "", "2023-01-01", ""]])
    rows, numbers = ledger_xlsx.read(ind, bad)
    assert numbers == [2, 4, 5]
    with pytest.raises(LedgerRefused) as exc:
        service.ledgers.add_many(OFFICE, IND, REGION, Q, rows, today=TODAY, numbers=numbers, source="import")
    assert "第4行:缺少企业名称" in str(exc.value) and "第5行:统一社会信用代码“911100001000095117”校验位错误" in str(exc.value)
    assert service.ledgers.rows() == []
    good = _filled(ind, [["甲公司", CODE, "1号", datetime(2023, 5, 10), "公告"]])
    rows, numbers = ledger_xlsx.read(ind, good)
    made = service.ledgers.add_many(OFFICE, IND, REGION, Q, rows, today=TODAY, numbers=numbers, source="import")
    assert made[0].valid_from == date(2023, 5, 10) and made[0].source == "import"


@pytest.mark.parametrize("make,words", [
    (lambda ind: b"", "文件为空"),
    (lambda ind: b"name,code\n", "不是Excel工作簿"),
    (lambda ind: b"PK\x03\x04garbage", "无法读取Excel文件"),
    (lambda ind: _filled(ind, [["甲", CODE, "", "2023-01-01", ""]], headers=["名字", "代码", "", "", ""]),
     "第1行缺少列:企业名称、统一社会信用代码、认定日期"),
    (lambda ind: _filled(ind, []), "没有数据行"),
])
def test_unreadable_files_are_refused_with_a_message(service, make, words):
    ind = service.registry.indicators[IND]
    with pytest.raises(LedgerRefused) as exc:
        ledger_xlsx.read(ind, make(ind))
    assert words in str(exc.value)


def test_a_sheet_declaring_a_huge_range_is_refused_before_reading(service):
    ind = service.registry.indicators[IND]
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["企业名称*"])
    ws.cell(ledger_xlsx.MAX_SCAN_ROWS + 5, 1, "x")
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(LedgerRefused, match="超过4000行"):
        ledger_xlsx.read(ind, out.getvalue())


def test_the_demo_has_complete_missing_and_mismatched_ledgers(sqlite_store):
    from data.demo import LEDGER_COMPLETE, LEDGER_ONE_MISSING, LEDGER_ONE_TWICE, load_demo

    registry = load_registry()
    load_demo(sqlite_store, registry, schemes=("anning",))
    service = MonitorService(registry, sqlite_store)
    last = max(service.store.observed_periods("anning"))
    flags = service.ledger_flags("anning", REGION, last)
    rows = service.ledger_rows("anning", REGION)
    for ind_id in LEDGER_COMPLETE:
        assert rows[ind_id] and flags[ind_id] == [], (ind_id, flags[ind_id])
    assert any("与台账不一致" in f for f in flags[LEDGER_ONE_MISSING])
    assert any("同时登记在市市场监管局、市工科信局的台账中" in f for f in flags[LEDGER_ONE_TWICE])
    assert len({r["unit"] for r in rows[LEDGER_COMPLETE[0]]}) == 4      # kept by four units, counted together
    empty = [i for i, r in rows.items() if not r]
    before = service.ledger_flags("anning", REGION, last.prev())
    assert empty and all(any(f.startswith("尚未登记台账") for f in before[i]) for i in empty)
    # Every stored code passes the check.
    assert all(not any("校验位" in f for f in fl) for fl in flags.values())
