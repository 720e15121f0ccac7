"""Issue 18: the engine decides (a small typed Decision with named fields) and then words the
decision (_explain); evaluate() is the two together, verdicts unchanged (tests/test_status.py)."""
from __future__ import annotations

import dataclasses
from datetime import date

from indicators import status as engine
from indicators.periods import Quarter
from indicators.statuses import Status

from .test_status import SCHEME, make_indicator, obs


def _decide(kind, values, as_of, **kw):
    ind = make_indicator(kind, **kw)
    c = engine._make_ctx(ind, SCHEME, values, None, None)
    q = Quarter.latest_ended(as_of)
    d = engine._decide(c, q, q, q, {k: v for k, v in c.obs.items() if c.start_q <= k <= q}, final=False)
    return c, d, engine.evaluate(ind, SCHEME, values, as_of)


def test_decision_is_typed_and_says_no_words():
    c, d, r = _decide("annual", obs(q2024_1=8, q2024_2=8), date(2024, 6, 30))
    assert dataclasses.is_dataclass(d) and isinstance(d, engine.Decision)
    assert (d.status, d.actual, d.expected, d.quarters_counted, d.met) == (Status.warning, 16, 20, 2, False)
    assert d.p == 0.8
    # The wording is a separate step, and it is what evaluate() says.
    assert engine._explain(c, d) == r.explanation and r.status is d.status


def test_decision_of_a_missing_reference_carries_the_reason_not_a_sentence():
    c, d, r = _decide("relative_reference", obs(q2024_2=10), date(2024, 6, 30))
    assert (d.status, d.missing, d.target) == (Status.no_data, "reference", None)
    assert "缺少参照值" in engine._explain(c, d) == r.explanation
