"""A missing baseline filled by a stand-in is a fact of the result (Result.baseline_pending,
Result.baseline_standin), so every page and export can say it next to the target."""
from __future__ import annotations

from datetime import date

import pytest

from indicators.status import baseline_pending_text

from .test_status import Q, obs, run

NO_BASE = {"baseline": None}


def test_doubling_without_baseline_says_the_target_rests_on_a_standin():
    # Guangxi-like: 在基础上翻一番, no baseline entered, first value 120 (2024Q1) stands in -> target 240.
    r = run("relative_baseline", obs(q2024_1=120, q2024_2=150), date(2024, 6, 30), **NO_BASE)
    assert r.target == 240
    assert (r.baseline_pending, r.baseline_standin) == (True, Q("2024Q1"))
    assert r.baseline_pending_text == "基线待录入,暂以2024年第1季度值代替"
    assert r.to_dict()["baseline_standin"] == "2024Q1" and r.to_dict()["baseline_pending"] is True


def test_recorded_baseline_is_not_pending():
    r = run("relative_baseline", obs(q2024_2=150), date(2024, 6, 30))
    assert (r.baseline_pending, r.baseline_standin, r.baseline_pending_text) == (False, None, "")


@pytest.mark.parametrize("kind", ["cumulative", "share", "range", "relative_reference"])
def test_every_line_kind_without_baseline_names_its_standin(kind):
    r = run(kind, obs(q2023_1=1, q2024_2=2), date(2024, 6, 30), obs(q2024_2=1), **NO_BASE)
    assert r.baseline_pending and r.baseline_standin == Q("2023Q1")


def test_nothing_to_stand_in_is_still_pending_and_stale_results_keep_the_standin():
    only = run("relative_baseline", obs(q2024_2=150), date(2024, 6, 30), **NO_BASE)
    assert (only.baseline_pending, only.baseline_standin) == (True, None)
    assert only.baseline_pending_text == "基线待录入"
    stale = run("share", obs(q2023_1=10, q2024_1=20), date(2024, 6, 30), **NO_BASE)
    assert stale.stale and stale.baseline_standin == Q("2023Q1")


@pytest.mark.parametrize("kind", ["annual", "cumulative_flow", "milestone", "rate"])
def test_kinds_not_measured_from_a_baseline_are_never_pending(kind):
    r = run(kind, obs(q2024_2=1), date(2024, 6, 30))
    assert not r.baseline_pending


def test_before_the_start_nothing_is_pending():
    assert not run("share", {}, date(2022, 12, 31), **NO_BASE).baseline_pending


def test_wording():
    assert baseline_pending_text(False, Q("2024Q1")) == ""
