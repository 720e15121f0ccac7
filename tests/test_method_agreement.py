"""Issue 18: the registry's notes and the engine read a part year the same way (docs/status-method.md §2):
an annual target in a year not counted whole is pro-rated by the quarters counted, the deadline
quarter counted whole (Anning 2025-07-31: 3/4, not 7/12)."""
from __future__ import annotations

import pytest

from indicators.model import Kind
from indicators.periods import Quarter
from indicators.registry import load_registry
from indicators.status import PART_YEAR_RULE, evaluate

REGISTRY = load_registry()
PART_YEAR = [i for i in REGISTRY.indicators.values()
             if i.kind is Kind.annual and (Quarter.containing(i.deadline).end != i.deadline
                                           or (i.start is not None and i.start.month != 1))]


def test_there_are_part_year_annual_targets():
    assert {"anning_invention_grants_annual"} <= {i.id for i in PART_YEAR}


@pytest.mark.parametrize("ind", PART_YEAR, ids=lambda i: i.id)
def test_notes_state_the_engine_rule(ind):
    assert PART_YEAR_RULE in ind.interpretation
    assert "月数折算" not in ind.interpretation


@pytest.mark.parametrize("ind", [i for i in PART_YEAR if Quarter.containing(i.deadline).end != i.deadline],
                         ids=lambda i: i.id)
def test_mid_quarter_deadline_judged_against_quarters_counted(ind):
    scheme = REGISTRY.schemes[ind.scheme]
    dq = Quarter.containing(ind.deadline)
    n = dq.q   # quarters of the deadline year up to the deadline quarter
    per_quarter = ind.target.value / 4
    flows = {Quarter(dq.year, k): per_quarter for k in range(1, n + 1)}
    r = evaluate(ind, scheme, flows, dq.end)
    assert r.target == pytest.approx(ind.target.value * n / 4)
    assert r.status.value == "achieved"
    # A month-based reading (7/12) would accept less: one unit under the quarter rule misses.
    short = {**flows, dq: per_quarter - 1}
    assert evaluate(ind, scheme, short, dq.end).status.value == "missed"
