from datetime import date

import pytest

from indicators.periods import Month, Quarter, parse_date, quarter_range


def test_parse_and_label():
    q = Quarter.parse("2024Q2")
    assert (q.year, q.q) == (2024, 2)
    assert str(q) == "2024Q2" and q.label == "2024年第2季度"
    assert q.start == date(2024, 4, 1) and q.end == date(2024, 6, 30)


@pytest.mark.parametrize("bad", ["2024Q5", "2024-06", "", "Q2 2024", "24Q1"])
def test_parse_rejects(bad):
    with pytest.raises(ValueError):
        Quarter.parse(bad)


@pytest.mark.parametrize("as_of, expected", [
    (date(2024, 6, 30), "2024Q2"),   # a quarter's last day evaluates that quarter
    (date(2024, 6, 29), "2024Q1"),
    (date(2025, 1, 1), "2024Q4"),
    (date(2025, 7, 31), "2025Q2"),
])
def test_latest_ended(as_of, expected):
    assert str(Quarter.latest_ended(as_of)) == expected


def test_arithmetic_and_range():
    q = Quarter(2024, 4)
    assert str(q.next()) == "2025Q1" and str(q.prev()) == "2024Q3"
    assert str(q + 5) == "2026Q1" and (Quarter(2026, 1) - q) == 5
    assert [str(x) for x in quarter_range(Quarter(2024, 3), Quarter(2025, 1))] == ["2024Q3", "2024Q4", "2025Q1"]
    assert quarter_range(Quarter(2025, 1), Quarter(2024, 1)) == []


def test_month_and_date():
    m = Month.parse("2025-07")
    assert m.first_day == date(2025, 7, 1) and m.last_day == date(2025, 7, 31) and m.label == "2025年7月"
    with pytest.raises(ValueError):
        Month.parse("2025-13")
    assert parse_date("2024-06-30") == date(2024, 6, 30)
    with pytest.raises(ValueError):
        parse_date("2024/06/30")
