"""验收清单 rules (dashboard/acceptance/rules.py): what each row lacks, states, filters, the judged quarter."""
from __future__ import annotations

from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from dashboard.acceptance import rules
from indicators.periods import Quarter
from indicators.registry import load_registry
from indicators.statuses import Status


@pytest.mark.parametrize("kind,actual,evidence,ledger,ledger_rows,expected", [
    ("annual", None, 0, False, None, [rules.NO_VALUE]),
    ("annual", None, 3, False, None, [rules.NO_VALUE]),
    ("annual", 12.0, 0, False, None, [rules.NO_EVIDENCE]),
    ("annual", 0.0, 0, False, None, [rules.NO_EVIDENCE]),      # a reported zero is a figure too
    ("annual", 12.0, 1, False, None, []),
    ("milestone", 1.0, 0, False, None, [rules.MILESTONE_NO_DOCUMENT]),
    ("milestone", 1.0, 2, False, None, []),
    ("milestone", 0.0, 0, False, None, []),                    # not done: nothing to prove yet
    ("cumulative", 700.0, 1, True, 0, [rules.NO_LEDGER]),      # a count without a ledger
    ("cumulative", 700.0, 1, True, None, [rules.NO_LEDGER]),   # no ledger data at all
    ("cumulative", 700.0, 0, True, 0, [rules.NO_EVIDENCE, rules.NO_LEDGER]),
    ("cumulative", 700.0, 1, True, 5, []),
    ("cumulative", 700.0, 1, False, 0, []),                    # not a ledger indicator: no ledger asked
    ("cumulative", None, 0, True, 0, [rules.NO_VALUE]),        # no figure: the ledger is not the gap yet
])
def test_missing_items(kind, actual, evidence, ledger, ledger_rows, expected):
    assert rules.missing_items(kind, actual, evidence, ledger, ledger_rows) == expected


def test_ledger_flags_are_added_once():
    got = rules.missing_items("annual", 5.0, 1, True, 3, ["台账合计3行,与填报数5不符", "台账合计3行,与填报数5不符"])
    assert got == ["台账合计3行,与填报数5不符"]


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _line(ind, actual, status=Status.achieved):
    res = SimpleNamespace(actual=actual, status=status)
    return SimpleNamespace(ind=ind, res=res, target_text="目标", actual_text="—" if actual is None else str(actual))


def _inds(registry, n=4):
    inds = registry.scheme_indicators("anning")
    counts = [i for i in inds if i.kind.value != "milestone"]
    miles = [i for i in inds if i.kind.value == "milestone"]
    return counts[:2] + miles[:2]


def test_rows_states_marks_and_ledgers(registry):
    a, b, m1, m2 = _inds(registry)
    ledger_ind = a.model_copy(update={"ledger": True}) if "ledger" in type(a).model_fields else \
        SimpleNamespace(**{k: getattr(a, k) for k in ("id", "name", "dimension", "kind", "reporting_unit", "all_units",
                                                      "clause", "quote")}, ledger={"columns": []})
    mark = SimpleNamespace(verified_by="office", verified_at=datetime(2026, 1, 5, tzinfo=timezone.utc))
    rows = rules.build_rows(
        [_line(ledger_ind, 10.0), _line(b, None, Status.no_data), _line(m1, 1.0), _line(m2, 1.0)],
        evidence={a.id: 2, m2.id: 1}, marks={m2.id: mark}, ledger_counts={a.id: 0})
    by = {r.indicator_id: r for r in rows}
    assert by[a.id].ledger == 0 and by[a.id].missing == (rules.NO_LEDGER,) and by[a.id].state == rules.INCOMPLETE
    assert by[b.id].ledger is None and by[b.id].missing == (rules.NO_VALUE,)
    assert by[m1.id].missing == (rules.MILESTONE_NO_DOCUMENT,)
    assert by[m2.id].missing == () and by[m2.id].state == rules.VERIFIED and by[m2.id].verified_by == "office"
    assert by[m2.id].state_text == "已核验" and by[b.id].ledger_text == "—" and by[a.id].ledger_text == "0行"
    s = rules.summarise(rows)
    assert (s.total, s.complete, s.incomplete, s.verified) == (4, 1, 3, 1)
    assert s.by_missing == {rules.NO_LEDGER: 1, rules.NO_VALUE: 1, rules.MILESTONE_NO_DOCUMENT: 1}
    assert s.text == "共4项,材料齐全1项,有缺项3项,已核验1项。"


def test_a_complete_unverified_row(registry):
    a = _inds(registry)[0]
    (row,) = rules.build_rows([_line(a, 3.0)], evidence={a.id: 1}, marks={})
    assert row.state == rules.COMPLETE and row.state_text == "材料齐全" and row.missing_text == "无"


def test_filters_by_unit_and_dimension(registry):
    inds = registry.scheme_indicators("anning")
    rows = rules.build_rows([_line(i, 1.0) for i in inds], evidence={}, marks={})
    unit = inds[0].reporting_unit
    dim = inds[-1].dimension
    assert {r.indicator_id for r in rules.filter_rows(rows, unit=unit)} == \
        {i.id for i in inds if unit in i.all_units}
    assert {r.indicator_id for r in rules.filter_rows(rows, dimension=dim)} == {i.id for i in inds if i.dimension == dim}
    both = rules.filter_rows(rows, unit=unit, dimension=dim)
    assert all(unit in r.units and r.dimension == dim for r in both)
    assert rules.filter_rows(rows) == rows
    assert rules.filter_rows(rows, unit="不存在的单位") == []
    assert rules.unit_options(rows)[0] == inds[0].reporting_unit
    assert set(rules.dimension_options(rows)) == {i.dimension for i in inds}


def test_judged_quarter(registry):
    scheme = registry.schemes["anning"]
    last = Quarter.containing(scheme.period.end.first_day)
    first = Quarter.containing(scheme.period.start.first_day)
    assert rules.judged_quarter(scheme, date(2030, 1, 1)) == last                 # after the scheme: its last
    assert rules.judged_quarter(scheme, date(2024, 8, 1)) == Quarter(2024, 2)     # during: the latest ended
    assert rules.judged_quarter(scheme, scheme.period.start.first_day) == first   # before any quarter ended


def test_the_summary_counts_ledger_flags_by_kind(registry):
    """Each ledger flag names an enterprise or a quarter; the summary line counts them by kind."""
    from datetime import date

    from indicators import ledger
    from indicators.periods import Quarter

    ind = next(i for i in registry.scheme_indicators("anning") if i.ledger)
    q = Quarter(2025, 4)
    twice = [ledger.Entry(1, "甲公司", "91350100M000100Y43", date(2024, 1, 1), unit="甲局"),
             ledger.Entry(2, "甲公司", "91350100M000100Y43", date(2024, 2, 1), unit="乙局"),
             ledger.Entry(3, "乙公司", "91350100M000100Y44", date(2024, 3, 1), unit="甲局")]
    flagged = ledger.flags(ind, "安宁市", {"安宁市": twice}, q, 5.0)
    empty = ledger.flags(ind, "安宁市", {}, q, 3.0)
    kinds = {rules.missing_kind(f) for f in flagged + empty}
    assert kinds == {"填报值与台账不一致", "台账重复", "台账中统一社会信用代码有误", "尚未登记台账"}, flagged + empty
    line = _line(ind, 5.0)
    rows = [rules.build_rows([line], {ind.id: 1}, {}, {ind.id: 3}, {ind.id: flagged})[0],
            rules.build_rows([line], {ind.id: 1}, {}, {ind.id: 0}, {ind.id: empty})[0]]
    s = rules.summarise(rows)
    assert s.by_missing["台账重复"] == 1 and s.by_missing["填报值与台账不一致"] == 1
    assert s.by_missing["尚未登记台账"] == 1
    assert all("“" not in kind for kind in s.by_missing)   # no enterprise's name in the summary
    # An empty ledger is reported once, by the ledger's own, more precise, flag.
    assert rules.NO_LEDGER not in rows[1].missing and rows[1].missing.count(empty[0]) == 1
    assert rules.missing_items("annual", 3.0, 1, True, 0, ()) == [rules.NO_LEDGER]
