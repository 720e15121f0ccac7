"""The one number parser (indicators.values.parse_number): form, import and commands."""
from __future__ import annotations

from decimal import Decimal

import pytest

from data.__main__ import main
from data.db import make_engine
from data.store import Store
from indicators.values import MAX_ABS_VALUE, NumberError, parse_number, same_value

IND = "anning_invention_grants_annual"


@pytest.mark.parametrize("text, value", [
    ("1,234", "1234"), ("12,345.6", "12345.6"), ("1,234,567", "1234567"), ("12", "12"), (" 7.75 ", "7.75"),
    ("１２３", "123"), ("１，２３４", "1234"), ("１２．５", "12.5"), ("-3", "-3"), ("+4", "4"), (".5", "0.5"),
    ("0", "0"), ("999,999,999,999.99", "999999999999.99"),
])
def test_accepted(text, value):
    assert parse_number(text) == Decimal(value)


@pytest.mark.parametrize("text, why", [
    ("12 142 30 41", "空格"),      # a column pasted into one input by a browser
    ("7.7 5", "空格"),
    ("1 234", "空格"),
    ("7,75", "千位分隔符"), ("1,5", "千位分隔符"), ("12,34,567", "千位分隔符"), ("1234,567", "千位分隔符"),
    ("1,234.5,6", "不是有效数字"),
    ("1.2.3", "小数点"),
    ("1e5", "不是有效数字"), ("12件", "不是有效数字"), ("abc", "不是有效数字"), ("nan", "不是有效数字"),
    ("1,000,000,000,000", "过大"), ("100000000000000", "过大"),
])
def test_refused(text, why):
    with pytest.raises(NumberError) as exc:
        parse_number(text)
    assert why in str(exc.value)


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_empty(raw):
    assert parse_number(raw) is None


def test_numbers_from_spreadsheets_pass_through():
    assert parse_number(12) == 12 and parse_number(0.1 + 0.2) == Decimal("0.30000000000000004")
    assert parse_number(12.5) == Decimal("12.5")
    with pytest.raises(NumberError):
        parse_number(float("inf"))
    with pytest.raises(NumberError):
        parse_number(True)
    with pytest.raises(NumberError):
        parse_number(float(MAX_ABS_VALUE))


def test_same_value_is_absolute():
    # Relative tolerance once made 10^14 and 10^14+1 "the same" (a change silently dropped).
    assert not same_value(99_999_999_999.0, 99_999_999_998.0)
    assert not same_value(123_456_789.01, 123_456_789.02)
    assert same_value(0.1 + 0.2, 0.3) and same_value(None, None) and not same_value(None, 0.0)


def test_import_command_refuses_misplaced_separators_and_writes_nothing(monkeypatch, tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    f = tmp_path / "bad.csv"
    f.write_text(f"indicator_id,period,value\n{IND},2024Q1,12\n{IND},2024Q2,\"7,75\"\n{IND},2024Q3,12 142\n",
                 encoding="utf-8")
    assert main(["import", str(f), "--today", "2024-11-20"]) == 1
    err = capsys.readouterr().err
    assert "第3行:填报值“7,75”不是有效数字:千位分隔符" in err
    assert "第4行:填报值“12 142”不是有效数字:数字中间有空格" in err
    assert "未写入任何数据" in err
    store = Store(make_engine(url))
    assert store.observations("anning", "安宁市") == {}
    store.dispose()
