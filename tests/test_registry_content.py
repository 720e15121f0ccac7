"""Content of the registry for the two primary schemes (安宁, 泸州), checked against the documents.

The documents are kept in the repo (indicators/sources/) so the tests need nothing outside the clone;
their SHA-256 pins them to the published seed texts.
"""
from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from indicators.model import Kind, Reporting
from indicators.periods import Month
from indicators.registry import load_registry

SOURCES = Path(__file__).resolve().parents[1] / "indicators" / "sources"
SOURCE_SHA256 = {
    "anning": "2940841e80e158e55994977253ea76e831d7cc24f0397638b6b1154b637ccadc",
    "luzhou": "ab186f45640e921a65fd399bf39beea4060690fc1ddfbe91d6b8e8d27a0df103",
}
SCHEMES = tuple(SOURCE_SHA256)


@pytest.fixture(scope="module")
def reg():
    return load_registry()


@pytest.fixture(scope="module")
def texts():
    return {s: (SOURCES / f"{s}.txt").read_text(encoding="utf-8") for s in SCHEMES}


def m(text: str) -> Month:
    return Month.parse(text)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_source_copy_is_the_published_text(scheme):
    data = (SOURCES / f"{scheme}.txt").read_bytes()
    assert hashlib.sha256(data).hexdigest() == SOURCE_SHA256[scheme]


def test_anning_scheme_and_stages(reg):
    s = reg.schemes["anning"]
    assert s.region == "安宁市" and s.document.date == date(2022, 10, 18)
    got = [(st.id, st.name, st.start, st.end) for st in s.stages]
    assert got == [
        ("optimize", "优化方案", m("2022-08"), m("2022-10")),
        ("implement", "组织实施", m("2022-10"), m("2025-04")),
        ("acceptance", "总结验收", m("2025-05"), m("2025-07")),
        ("consolidate", "巩固提高", m("2025-08"), None),
    ]
    assert s.leading_group and "市市场监管局" in s.leading_group.office


def test_luzhou_scheme_and_stages(reg):
    s = reg.schemes["luzhou"]
    assert s.document.number == "泸市府办发〔2024〕23号"
    assert s.document.date == date(2024, 5, 27)
    assert (s.period.start, s.period.end) == (m("2024-05"), m("2025-12"))
    got = [(st.id, st.name, st.start, st.end) for st in s.stages]
    assert got == [
        ("y2024", "2024年度任务", m("2024-05"), m("2024-12")),
        ("y2025", "2025年度任务", m("2025-01"), m("2025-12")),
    ]
    assert s.leading_group.name == "泸州市知识产权工作和打击侵权假冒领导小组"
    assert [r.id for r in s.reference_series] == ["sichuan_hv_invention_per_10k_growth"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_quotes_target_texts_and_units_are_verbatim(reg, texts, scheme):
    src = texts[scheme]
    inds = reg.scheme_indicators(scheme)
    assert inds
    for ind in inds:
        assert ind.quote.strip() and ind.quote in src, ind.id
        assert ind.target.text and ind.target.text in ind.quote, ind.id
        for unit in ind.all_units:
            assert unit in src, (ind.id, unit)


# Indicators whose number is not written as such in the quote.
_NUMBER_NOT_IN_QUOTE = {
    "anning_street_rights_protection_stations": "各街道 = 9个街道",
    "luzhou_stock_patent_evaluation_coverage": "全覆盖 = 100%",
}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_target_numbers_come_from_the_quote(reg, scheme):
    for ind in reg.scheme_indicators(scheme):
        if ind.id in _NUMBER_NOT_IN_QUOTE or ind.kind is Kind.milestone:
            continue
        t = ind.target
        if ind.kind is Kind.range:
            assert f"{t.min:g}—{t.max:g}" in ind.quote, ind.id
        elif ind.kind is Kind.relative_reference:
            assert t.factor == 1 or f"{t.factor:g}倍" in ind.quote, ind.id
        else:
            assert f"{t.value:g}" in ind.quote, ind.id


def test_every_kind_in_the_documents_is_present(reg):
    kinds = {i.kind for s in SCHEMES for i in reg.scheme_indicators(s)}
    # Neither document sets a target relative to its own baseline (在…基础上翻一番).
    assert kinds == set(Kind) - {Kind.relative_baseline}
    luzhou = {i.kind for i in reg.scheme_indicators("luzhou")}
    assert {Kind.cumulative, Kind.share, Kind.relative_reference, Kind.milestone} <= luzhou


@pytest.mark.parametrize("scheme", SCHEMES)
def test_structural_rules(reg, scheme):
    s = reg.schemes[scheme]
    inds = reg.scheme_indicators(scheme)
    assert {i.dimension for i in inds} == set(s.dimensions), "every dimension has an indicator"
    for ind in inds:
        if ind.kind is Kind.milestone:
            assert (ind.unit, ind.target.value, ind.reporting) == ("项", 1, Reporting.stock), ind.id
        if ind.kind is Kind.annual:
            assert ind.reporting is Reporting.flow, ind.id
        assert ind.baseline is None, "neither document gives a baseline"
        assert s.stage(ind.stage).start.first_day <= ind.deadline, ind.id


def test_anning_deadlines_follow_the_pilot_period(reg):
    by_stage = {}
    for ind in reg.scheme_indicators("anning"):
        by_stage.setdefault(ind.stage, set()).add(ind.deadline)
    assert by_stage["optimize"] == {date(2022, 10, 31)}
    assert by_stage["implement"] == {date(2025, 7, 31)}
    assert by_stage["acceptance"] == {date(2025, 7, 31)}
    assert by_stage["consolidate"] == {date(2025, 12, 31)}


def test_luzhou_deadlines_follow_the_task_years(reg):
    for ind in reg.scheme_indicators("luzhou"):
        assert ind.deadline in (date(2024, 12, 31), date(2025, 12, 31)), ind.id
        assert ind.stage == f"y{ind.deadline.year}", ind.id


def test_anning_spot_checks(reg):
    ind = reg.indicators
    sw = ind["anning_software_copyright_registrations"]
    assert (sw.kind, sw.target.value, sw.unit) == (Kind.cumulative, 700, "件")
    tm = ind["anning_trademark_registrations_valid"]
    assert (tm.kind, tm.target.value, tm.reporting) == (Kind.cumulative, 6500, Reporting.stock)
    closure = ind["anning_admin_case_on_time_closure_rate"]
    assert (closure.kind, closure.target.value, closure.unit) == (Kind.rate, 100, "%")
    for key, value in [("anning_invention_grants_annual", 45), ("anning_utility_model_grants_annual", 500),
                       ("anning_design_grants_annual", 35), ("anning_ip_publicity_events_annual", 10),
                       ("anning_ip_publicity_beneficiaries_annual", 1500)]:
        assert (ind[key].kind, ind[key].target.value) == (Kind.annual, value), key
    sat = ind["anning_rights_holder_satisfaction"]
    assert (sat.kind, sat.target.value, sat.target.strict) == (Kind.share, 90, True)
    assert ind["anning_public_ip_awareness"].target.strict is False
    rel = ind["anning_invention_per_10k_vs_province"]
    assert (rel.target.factor, rel.target.reference, rel.target.strict) == (2, "yunnan_invention_per_10k", False)
    ranges = {k: (ind[k].target.min, ind[k].target.max) for k in (
        "anning_patent_industrialization_enterprises_10m", "anning_patent_backbone_enterprises_100m",
        "anning_key_ip_advantage_enterprises")}
    assert list(ranges.values()) == [(2, 3), (1, 2), (5, 6)]
    fund = ind["anning_ip_fund_budget_share"]
    assert (fund.kind, fund.target.value) == (Kind.rate, 0.12)
    stations = ind["anning_street_rights_protection_stations"]
    assert stations.target.value == 9
    for street in ("连然", "金方", "八街", "县街", "温泉", "太平新城", "青龙", "草铺", "禄脿"):
        assert street in stations.interpretation
    assert ind["anning_key_industry_patent_analysis_report"].kind is Kind.milestone
    lg = ind["anning_leading_group_established"]
    assert (lg.kind, lg.stage, lg.deadline) == (Kind.milestone, "optimize", date(2022, 10, 31))
    acc = ind["anning_acceptance_inspection"]
    assert (acc.stage, acc.deadline) == ("acceptance", date(2025, 7, 31))
    assert ind["anning_demonstration_county_application"].stage == "consolidate"
    # Verbatim unit list of 四(五)1, in the document's order.
    assert ind["anning_ip_publicity_events_annual"].responsible_units == [
        "市委宣传部", "市市场监管局", "市人民法院", "市公安局", "市工科信局", "市文旅局", "市农业农村局", "市林草局"]


def test_luzhou_spot_checks(reg):
    ind = reg.indicators
    pledge = ind["luzhou_ip_pledge_financing"]
    assert (pledge.kind, pledge.target.value, pledge.unit, pledge.deadline) == (
        Kind.cumulative, 2, "亿元", date(2025, 12, 31))
    assert pledge.lead_units == ["市财政局", "市市场监管局", "国家金融监管总局泸州监管分局"]
    assert pledge.responsible_units == ["市版权局", "人行泸州市分行"]
    stock = ind["luzhou_stock_patent_evaluation_coverage"]
    assert (stock.deadline, stock.stage, stock.target.value) == (date(2024, 12, 31), "y2024", 100)
    growth = ind["luzhou_hv_invention_per_10k_growth_vs_province"]
    assert (growth.kind, growth.unit, growth.target.factor, growth.target.strict, growth.target.reference) == (
        Kind.relative_reference, "%", 1, True, "sichuan_hv_invention_per_10k_growth")
    expected = {
        "luzhou_patent_transfers": 100, "luzhou_patent_intensive_products_filed": 100,
        "luzhou_ip_custody_enterprises": 50, "luzhou_ip_talent_trained": 400,
        "luzhou_ip_service_professionals": 100, "luzhou_hv_patent_incubation_centres": 2,
        "luzhou_ip_strong_enterprises": 5,
    }
    for key, value in expected.items():
        assert (ind[key].kind, ind[key].target.value, ind[key].deadline) == (
            Kind.cumulative, value, date(2025, 12, 31)), key
    assert ind["luzhou_ip_talent_trained"].responsible_units == ["各区县人民政府", "各园区管委会", "市版权局"]


@pytest.mark.parametrize("scheme, clauses", [
    ("anning", ["三(二)1", "三(二)2", "三(二)3", "三(二)4", "三(二)5", "四(一)1", "四(一)2", "四(二)1",
                "四(三)1", "四(四)2", "四(五)1", "四(六)", "五 第一阶段1", "五 第一阶段2", "五 第一阶段3",
                "五 第三阶段", "五 第四阶段", "六(二)", "六(三)", "六(四)"]),
    ("luzhou", ["一", "二(一)1", "二(二)5", "二(三)6", "二(三)7", "二(四)9", "二(四)10", "二(四)11",
                "二(四)13", "三(一)"]),
])
def test_clauses_with_numbers_or_dates_are_covered(reg, scheme, clauses):
    covered = {i.clause for i in reg.scheme_indicators(scheme)}
    assert set(clauses) <= covered, set(clauses) - covered
