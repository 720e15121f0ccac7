"""The detail page's 台账 section: its functions (form entry, template upload, the summary) and
its layout for ledger and non-ledger indicators, and the entry form's ledger line."""
from __future__ import annotations

import base64
import io

import pytest
from openpyxl import load_workbook

from dashboard import Settings, create_app
from dashboard.ledger import page as lg
from dashboard.permissions import Identity
from data import ledger_xlsx
from indicators.periods import Quarter

IND, REGION, Q = "anning_ip_advantage_demo_enterprises", "安宁市", "2025Q2"
UNIT = "市市场监管局"
REP = Identity("rep", "填报员", "reporter", (UNIT,), ("anning",))
VIEWER = Identity("leader", "县领导", "viewer")
CODE = "91350100M000100Y43"


@pytest.fixture
def service(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'lg.db'}", secret_key="e" * 40))
    svc = app.server.extensions["monitor"]["service"]
    svc.store.ensure_region("anning", REGION)
    return svc


def fields(**over):
    v = {"name": "云南甲科技有限公司", "credit_code": CODE, "certificate": "", "date": "2023-05-10", "source": ""}
    v.update(over)
    return v


def xlsx_url(ind, rows) -> str:
    wb = load_workbook(io.BytesIO(ledger_xlsx.template(ind)))
    for r in rows:
        wb["台账"].append(r)
    out = io.BytesIO()
    wb.save(out)
    return "data:application/octet-stream;base64," + base64.b64encode(out.getvalue()).decode()


def test_form_entry_and_refusals(service):
    assert lg.add_row(service, REP, IND, REGION, Q, fields()) == ("success", "已登记“云南甲科技有限公司”。")
    color, msg = lg.add_row(service, REP, IND, REGION, Q, fields(credit_code="911100001000095117"))
    assert color == "danger" and "校验位错误" in msg
    color, msg = lg.add_row(service, REP, IND, REGION, Q, fields(name=""))
    assert color == "danger" and "缺少企业名称" in msg
    color, msg = lg.add_row(service, VIEWER, IND, REGION, Q, fields())
    assert color == "danger" and "只读账号" in msg
    assert len(service.ledgers.rows()) == 1


def test_template_upload_is_all_or_none_with_row_numbers(service):
    ind = service.registry.indicators[IND]
    color, msg = lg.upload_template(service, REP, IND, REGION, Q, "台账.xlsx",
                                    xlsx_url(ind, [["甲", CODE, "", "2023-01-01", ""], ["", CODE, "", "2023-01-01", ""]]))
    assert color == "danger" and "整份文件未写入任何一行" in msg and "第3行:缺少企业名称" in msg
    assert service.ledgers.rows() == []
    color, msg = lg.upload_template(service, REP, IND, REGION, Q, "台账.xlsx",
                                    xlsx_url(ind, [["甲", CODE, "", "2023-01-01", ""]]))
    assert color == "success" and "导入1行" in msg
    color, msg = lg.upload_template(service, REP, IND, REGION, Q, "x.xlsx", "data:;base64,@@")
    assert color == "danger"


def test_the_summary_shows_the_ledger_count_next_to_the_reported_value_and_the_flags(service):
    ind = service.registry.indicators[IND]
    lg.add_row(service, REP, IND, REGION, Q, fields())
    service.store.save_value(ind, REGION, Q, 2, "", "rep", None)
    text = str(lg.summary(service, ind, REGION, Quarter.parse(Q)))
    assert "台账季末有效:" in text and "1家" in text and "不一致" in text
    assert "填报值2家与台账不一致" in text


def test_the_section_is_on_ledger_indicators_only_and_the_entry_line_flags_a_difference(service):
    reg = service.registry
    assert lg.section(service, reg.indicators[IND], None) is not None
    assert lg.section(service, reg.indicators["anning_invention_grants_annual"], None) is None
    q = Quarter.parse(Q)
    assert "与已存值不一致" in str(lg.entry_line(reg.indicators[IND], 1, 2, REGION, q))
    assert "与已存值不一致" not in str(lg.entry_line(reg.indicators[IND], 2, 2, REGION, q))
    assert lg.entry_line(reg.indicators["anning_invention_grants_annual"], None, 2, REGION, q) is None


def test_hint_says_why_a_locked_quarter_is_closed_to_a_reporter(service):
    service.store.submit("anning", REGION, UNIT, Q, "rep")
    service.store.approve("anning", REGION, UNIT, Q, "office")
    text, disabled = lg.hint(service, REP, service.registry.indicators[IND], REGION, Quarter.parse(Q))
    assert disabled and "已审核锁定" in text and "登记或更正台账" in text
