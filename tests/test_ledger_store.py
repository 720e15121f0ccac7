"""Ledgers in the store, on SQLite and PostgreSQL: every bad input of issue 16 that concerns
ledgers is refused with a clear Chinese message and stores nothing; permissions as for values;
removal is a correction kept in the record; counts and flags as the rules say."""
from __future__ import annotations

from datetime import date

import pytest

from dashboard.permissions import Identity
from data.evidence import Office
from data.ledger import LedgerRefused, Ledgers
from indicators.periods import Quarter
from indicators.registry import load_registry

pytest_plugins = ["tests.conftest_db"]

REGION, Q, TODAY = "安宁市", "2025Q2", date(2025, 7, 15)
IND = "anning_ip_advantage_demo_enterprises"      # stock, 市市场监管局 reports it
FLOW_IND = "anning_ip_management_standard_enterprises"
UNIT = "市市场监管局"
CODE, CODE2 = "91350100M000100Y43", "914403001922038216"

REPORTER = Identity("rep", "市场监管局填报员", "reporter", (UNIT,), ("anning",))
OTHER_REPORTER = Identity("rep2", "财政局填报员", "reporter", ("市财政局",), ("anning",))
BOUND_ELSEWHERE = Identity("rep3", "外地填报员", "reporter", (UNIT,), ("anning",), ("别的市",))
VIEWER = Identity("boss", "县领导", "viewer")
PARK = Identity("park", "工业园区填报员", "reporter", ("安宁工业园区",), ("anning",))   # a responsible unit of IND
OFFICE = Identity("office", "办公室", "admin")


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture
def led(store, registry):
    store.ensure_region("anning", REGION)
    store.ensure_region("anning", "别的市")
    return Ledgers(store, registry)


def row(**over):
    r = {"name": "云南甲科技有限公司", "credit_code": CODE, "certificate": "云知〔2023〕5号",
         "date": "2023-05-10", "source": "省局公告"}
    r.update(over)
    return r


def add(led, who=REPORTER, ind=IND, period=Q, region=REGION, **over):
    return led.add(who, ind, region, period, row(**over), today=TODAY)




@pytest.mark.parametrize("over,words", [
    ({"credit_code": "911100001000095117"}, "校验位错误(第18位应为B)"),
    ({"credit_code": "91350100M0001O0Y43"}, "不允许的字符"),
    ({"name": ""}, "缺少企业名称"),
    ({"date": "2025-08-01"}, "晚于2025-06-30"),
])
def test_bad_rows_store_nothing(led, over, words):
    with pytest.raises(LedgerRefused) as exc:
        add(led, **over)
    assert words in str(exc.value)
    assert led.rows() == []


def test_a_reporter_adds_for_its_unit_while_a_draft_and_the_row_keeps_its_columns(led):
    r = add(led, credit_code=" 91350100m000100y43 ")
    assert (r.name, r.credit_code, r.valid_from, r.entered_by, r.state_at_entry) == \
        ("云南甲科技有限公司", CODE, date(2023, 5, 10), "rep", "draft")
    assert r.values["certificate"] == "云知〔2023〕5号" and r.period == Quarter.parse(Q)
    assert led.rows(include_removed=False)[0].to_dict(led.registry.indicators[IND])["企业名称"] == "云南甲科技有限公司"


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_a_reporter_may_not_enter_into_a_handed_in_quarter_the_office_may_recorded(led, state):
    led.store.submit("anning", REGION, UNIT, Q, "rep")
    if state == "approved":
        led.store.approve("anning", REGION, UNIT, Q, "office")
    with pytest.raises(LedgerRefused, match="已审核锁定" if state == "approved" else "已报送") as exc:
        add(led)
    assert "登记或更正台账" in str(exc.value)
    assert led.rows() == []
    r = add(led, who=OFFICE)
    assert r.state_at_entry == state and r.entered_by == "office"
    # Removing there is refused to the reporter too, allowed to the office.
    with pytest.raises(LedgerRefused, match="已审核锁定" if state == "approved" else "已报送"):
        led.remove(REPORTER, r.id, Q, "录入有误", today=TODAY)
    assert not led.get(r.id).removed


@pytest.mark.parametrize("who,words", [
    (VIEWER, "只读账号"),
    (OTHER_REPORTER, "您没有为“市市场监管局”"),
    (BOUND_ELSEWHERE, "您没有为“安宁市”"),
    (None, "请先登录"),
])
def test_who_may_not_enter(led, who, words):
    with pytest.raises(LedgerRefused) as exc:
        add(led, who=who)
    assert words in str(exc.value)
    assert led.rows() == []


def test_unknown_targets_are_refused(led):
    with pytest.raises(LedgerRefused, match="没有台账"):
        add(led, ind="anning_invention_grants_annual")
    with pytest.raises(LedgerRefused, match="未知地区"):
        add(led, region="火星")
    with pytest.raises(LedgerRefused, match="不在可登记台账的季度内"):
        add(led, period="2026Q1")
    assert led.rows() == []


def test_several_rows_are_stored_all_or_none_with_row_numbers(led):
    with pytest.raises(LedgerRefused) as exc:
        led.add_many(REPORTER, IND, REGION, Q, [row(), row(name=""), row(credit_code="123")], today=TODAY,
                     numbers=[2, 3, 4], source="import")
    text = str(exc.value)
    assert "第3行:缺少企业名称" in text and "第4行:统一社会信用代码“123”应为18位" in text
    assert led.rows() == []
    made = led.add_many(REPORTER, IND, REGION, Q, [row(), row(name="乙公司", credit_code=CODE2)], today=TODAY,
                        source="import")
    assert [m.source for m in made] == ["import", "import"] and len(led.rows()) == 2


def test_removal_is_a_correction_with_a_reason_and_an_optional_end(led):
    r1 = add(led)
    r2 = add(led, name="乙公司", credit_code=CODE2, date="2024-01-10")
    with pytest.raises(LedgerRefused, match="请填写移除原因"):
        led.remove(REPORTER, r1.id, Q, "  ", today=TODAY)
    with pytest.raises(LedgerRefused, match="只读账号"):
        led.remove(VIEWER, r1.id, Q, "录入有误", today=TODAY)
    with pytest.raises(LedgerRefused, match="失效日期应晚于"):
        led.remove(REPORTER, r2.id, Q, "称号到期", valid_until="2023-12-31", today=TODAY)
    assert not led.get(r1.id).removed and not led.get(r2.id).removed
    gone = led.remove(REPORTER, r1.id, Q, "录入有误", today=TODAY)
    lapsed = led.remove(REPORTER, r2.id, Q, "称号到期", valid_until="2025-01-01", today=TODAY)
    assert gone.removed and gone.remove_reason == "录入有误" and gone.removed_by == "rep" and gone.valid_until is None
    assert lapsed.valid_until == date(2025, 1, 1)
    assert len(led.rows()) == 2 and led.rows(include_removed=False) == []        # never deleted
    with pytest.raises(LedgerRefused, match="已于之前被移除"):
        led.remove(REPORTER, r1.id, Q, "再次", today=TODAY)
    # r1 (in error) counts nowhere; r2 counted until it lapsed.
    assert led.counts("anning", REGION, Quarter.parse("2024Q4"))[IND] == 1
    assert led.counts("anning", REGION, Quarter.parse("2025Q1"))[IND] == 0


def test_counts_and_flags(led):
    add(led)
    add(led, name="乙公司", credit_code=CODE2, date="2024-11-10")
    add(led, name="甲公司重复登记")                                  # same code as the first
    add(led, region="别的市", who=OFFICE, name="丙公司", credit_code=CODE2)   # in another region's ledger too
    led.add(OFFICE, FLOW_IND, REGION, Q, row(date="2025-04-02"), today=TODAY)
    counts = led.counts("anning", REGION, Quarter.parse("2024Q3"))
    assert counts[IND] == 2 and counts[FLOW_IND] == 0 and counts["anning_ip_service_ports"] == 0
    q = Quarter.parse(Q)
    assert led.counts("anning", REGION, q)[FLOW_IND] == 1
    flags = led.flags("anning", REGION, q, {IND: 25, FLOW_IND: 1})
    assert any("填报值25家与台账不一致:台账季末有效3家" in f for f in flags[IND])
    assert any(CODE in f and "出现2次" in f for f in flags[IND])
    assert any(CODE2 in f and "别的市" in f for f in flags[IND])
    assert flags[FLOW_IND] == []
    assert flags["anning_ip_service_ports"] == []


def test_the_command_line_office_may_always_enter(led):
    led.store.submit("anning", REGION, UNIT, Q, "rep")
    led.store.approve("anning", REGION, UNIT, Q, "office")
    assert add(led, who=Office("命令行")).state_at_entry == "approved"


def test_each_responsible_unit_keeps_its_own_ledger_and_the_count_is_over_all(led):
    mine = add(led)
    park = led.add(PARK, IND, REGION, Q, row(name="乙公司", credit_code=CODE2), today=TODAY, unit="安宁工业园区")
    assert (mine.unit, park.unit) == (UNIT, "安宁工业园区")
    assert led.counts("anning", REGION, Quarter.parse(Q))[IND] == 2
    # Not its unit's ledger; not a unit of the indicator.
    with pytest.raises(LedgerRefused, match="您没有为“市市场监管局”"):
        led.add(PARK, IND, REGION, Q, row(name="丙公司"), today=TODAY)
    with pytest.raises(LedgerRefused, match="不是指标.*的责任单位"):
        led.add(OFFICE, IND, REGION, Q, row(name="丙公司"), today=TODAY, unit="市财政局")
    assert len(led.rows()) == 2
    # The same enterprise in two units' ledgers is flagged.
    led.add(PARK, IND, REGION, Q, row(name="甲公司(园区)"), today=TODAY, unit="安宁工业园区")
    flags = led.flags("anning", REGION, Quarter.parse(Q), {})
    assert any(f"“{CODE}" in f and "同时登记在市市场监管局、安宁工业园区的台账中" in f for f in flags[IND]), flags[IND]


def test_a_units_ledger_is_locked_with_the_figure_it_proves(led):
    """The quarter is locked by the submission of the unit that reports the figure."""
    led.store.submit("anning", REGION, UNIT, Q, "rep")
    led.store.approve("anning", REGION, UNIT, Q, "office")
    with pytest.raises(LedgerRefused) as exc:
        led.add(PARK, IND, REGION, Q, row(), today=TODAY, unit="安宁工业园区")
    assert "市市场监管局2025年第2季度的数据已审核锁定" in str(exc.value)
    assert led.rows() == []
