"""Issue 18: kinds that follow the text (a platform to build is a milestone; 年均 is an average over
the period) and 累计 read by one rule (docs/registry.md), argued in each 口径说明."""
from __future__ import annotations

from datetime import date

from indicators.model import Kind, Reporting
from indicators.periods import Quarter, quarter_range
from indicators.registry import load_registry
from indicators.status import evaluate
from indicators.statuses import Status

REGISTRY = load_registry()


def _eval(iid, values, as_of):
    ind = REGISTRY.indicators[iid]
    return evaluate(ind, REGISTRY.schemes[ind.scheme], values, as_of)


def test_a_platform_to_build_is_a_milestone_not_due_before_its_deadline():
    ind = REGISTRY.indicators["anning_ip_operation_app_platform"]
    assert (ind.kind, ind.unit, ind.target.value) == (Kind.milestone, "项", 1)
    # Not built yet, a year before the deadline: 未到期 (a count would read 0 of 1 as 滞后).
    assert _eval(ind.id, {Quarter(2024, 2): 0}, date(2024, 6, 30)).status is Status.not_due
    assert _eval(ind.id, {Quarter(2025, 2): 1}, date(2025, 6, 30)).status is Status.achieved


def test_every_build_one_thing_target_is_a_milestone():
    for ind in REGISTRY.indicators.values():
        if ind.target.text.startswith(("构建1个", "建成1个", "建立1个")):
            assert ind.kind is Kind.milestone, ind.id


def test_annual_average_is_judged_over_the_period():
    ind = REGISTRY.indicators["anshan_foreign_applications_annual"]
    assert (ind.kind, ind.reporting) == (Kind.cumulative, Reporting.flow)
    quarters = quarter_range(Quarter(2015, 2), Quarter(2020, 4))
    assert ind.target.value == 10 * len(quarters) / 4
    # A poor year (2016: 4) made up by later ones: the average is 10 or more, so achieved,
    # where a yearly minimum would have failed 2016.
    flows = {q: (1.0 if q.year == 2016 else 3.0) for q in quarters}
    assert sum(flows.values()) / (len(quarters) / 4) >= 10
    assert _eval(ind.id, flows, date(2020, 12, 31)).status is Status.achieved
    # On average below 10 a year: missed.
    assert _eval(ind.id, {q: 2.0 for q in quarters}, date(2020, 12, 31)).status is Status.missed


def test_every_cumulative_quote_argues_its_reading():
    checked = []
    for ind in REGISTRY.indicators.values():
        if "累计" in ind.quote and ind.kind is Kind.cumulative:
            assert "累计读法" in ind.interpretation, ind.id
            # Flow = new since the start (a start month is stated), stock = a level incl. history.
            if ind.reporting is Reporting.flow:
                assert ind.start is not None and "起算" in ind.interpretation, ind.id
            else:
                assert "存量" in ind.interpretation, ind.id
            checked.append(ind.id)
    assert {"anning_software_copyright_registrations", "anning_trademark_registrations_valid",
            "luzhou_patent_intensive_products_filed", "luzhou_ip_talent_trained",
            "luzhou_ip_pledge_financing"} <= set(checked)
