from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from indicators.model import Indicator
from indicators.values import check_value, plausibility


def ind(unit="件", kind="annual", reporting="flow", direction="increase", target=None) -> Indicator:
    return Indicator(id="anning_x", scheme="anning", name="测试", dimension="创造", unit=unit, kind=kind,
                     direction=direction, target=target or {"value": 10}, deadline=date(2025, 7, 31),
                     stage="implement", reporting=reporting, responsible_units=["市市场监管局"], clause="一",
                     quote="原文")


COUNT = ind()
MONEY = ind(unit="亿元", kind="cumulative", reporting="stock")
PERCENT = ind(unit="%", kind="rate", reporting="stock", target={"value": 100})
MILESTONE = ind(kind="milestone", reporting="stock", target={})
HOURS = ind(unit="小时", kind="cumulative", reporting="stock", direction="decrease")


@pytest.mark.parametrize("raw, value", [
    ("12", 12.0), (12, 12.0), (" 1,200 ", 1200.0), ("12", 12.0), (0, 0.0), ("3.0", 3.0), (12.0, 12.0),
])
def test_count_accepts_whole_numbers(raw, value):
    c = check_value(COUNT, raw)
    assert c.ok and c.value == value and isinstance(c.value, float)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_empty_is_not_an_error(raw):
    c = check_value(COUNT, raw)
    assert c.ok and c.empty and c.value is None


@pytest.mark.parametrize("raw", ["abc", "12件", "1.2.3", "nan", "inf", float("nan"), True, "=1+1"])
def test_not_a_number(raw):
    c = check_value(COUNT, raw)
    assert len(c.errors) == 1 and c.errors[0].startswith("不是有效数字") and c.value is None


def test_negative_and_decimals():
    assert check_value(COUNT, -1).errors == ["数量不能为负数"]
    assert check_value(COUNT, "1.5").errors == ["最多保留0位小数(只能填写整数)"]
    assert check_value(MONEY, "1.234").errors == ["最多保留2位小数"]
    assert check_value(MONEY, "1.23").value == 1.23
    assert check_value(MONEY, 0.1 + 0.2).errors == ["最多保留2位小数"]  # 0.30000000000000004 has 17 decimals
    assert check_value(MONEY, 0.3).ok
    assert check_value(HOURS, "2.5").ok and check_value(HOURS, "2.55").errors == ["最多保留1位小数"]


def test_percentages():
    assert check_value(PERCENT, "100").value == 100.0
    assert check_value(PERCENT, "95.5%").value == 95.5
    assert check_value(PERCENT, "100.01").errors == ["百分比不能超过100%"]
    assert check_value(PERCENT, "-1").errors == ["数量不能为负数"]


def test_milestone_only_zero_or_one():
    assert check_value(MILESTONE, 1).value == 1.0 and check_value(MILESTONE, "0").value == 0.0
    for bad in (2, "0.5", -1):
        assert check_value(MILESTONE, bad).errors == ["里程碑只能填写1(已完成)或0(未完成)"]


def test_unknown_unit_defaults_to_two_decimals():
    other = ind(unit="件/万人", kind="cumulative", reporting="stock")
    assert check_value(other, "3.45").ok and not check_value(other, "3.456").ok


@given(st.integers(min_value=0, max_value=10**9))
def test_any_non_negative_integer_is_a_valid_count(n):
    assert check_value(COUNT, str(n)).value == n


def test_plausibility_stock_falls():
    stock = ind(kind="cumulative", reporting="stock")
    assert plausibility(stock, 90, 100) == ["存量较上季度下降"]
    assert plausibility(stock, 100, 100) == []
    assert plausibility(COUNT, 1, 100) == []               # a flow may fall
    assert plausibility(HOURS, 1, 5) == []                 # decreasing is the goal
    assert plausibility(PERCENT, 90, 100) == []            # a rate is not a stock
    assert plausibility(MILESTONE, 0, 1) == ["存量较上季度下降"]


def test_plausibility_jump():
    assert plausibility(COUNT, 31, 10) == ["超过上季度的3倍"]
    assert plausibility(COUNT, 30, 10) == []
    assert plausibility(COUNT, 31, 0) == []                # no ratio from zero
    assert plausibility(COUNT, 31, None) == [] and plausibility(COUNT, None, 10) == []
    assert plausibility(MILESTONE, 1, 0) == []
