"""Data status (已审核 / 待审核 / 已退回 / 未报送) of the figures shown: the pure rule
(dashboard/datastatus.py) for every state, and MonitorService.data_status on the demo data."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from dashboard import datastatus as ds
from indicators.periods import Quarter
from indicators.registry import load_registry

Q = Quarter(2025, 2)


@pytest.fixture(scope="module")
def template():
    return load_registry().scheme_indicators("anning")[0]


def _ind(template, id_, unit):
    return template.model_copy(update={"id": id_, "lead_units": [], "responsible_units": [unit]})


# ---------------------------------------------------------------- unit_state

@pytest.mark.parametrize("state, last_action, expected", [
    ("approved", "approve", ds.APPROVED),
    ("submitted", "submit", ds.SUBMITTED),
    ("submitted", None, ds.SUBMITTED),
    ("draft", "reopen", ds.RETURNED),         # returned by the office
    ("draft", None, ds.DRAFT),                # a draft row without events
    (None, None, ds.DRAFT),                   # no submission at all
])
def test_unit_state(state, last_action, expected):
    assert ds.unit_state(state, last_action) == expected


def test_labels():
    assert [ds.label(s) for s in ds.DATA_STATUSES] == ["已审核", "待审核", "已退回", "未报送"]
    assert ds.label(None) == ""


# ---------------------------------------------------------------- data_status

def test_every_state_and_no_value(template):
    inds = [_ind(template, f"i_{s}", f"单位_{s}") for s in ds.DATA_STATUSES]
    inds.append(_ind(template, "i_empty", "单位_approved"))     # approved unit, but no value this quarter
    inds.append(_ind(template, "i_gap", "单位_approved"))       # explained gap: stored None
    inds.append(_ind(template, "i_old", "单位_approved"))       # value in another quarter only
    obs = {f"i_{s}": {Q: 1.0} for s in ds.DATA_STATUSES}
    obs["i_gap"] = {Q: None}
    obs["i_old"] = {Q.prev(): 5.0}
    units = {Q: {"单位_approved": ds.APPROVED, "单位_submitted": ds.SUBMITTED, "单位_returned": ds.RETURNED}}
    out = ds.data_status(inds, Q, obs, units)
    assert out.by_indicator == {"i_approved": ds.APPROVED, "i_submitted": ds.SUBMITTED, "i_returned": ds.RETURNED,
                                "i_draft": ds.DRAFT,  # a unit without a submission: not yet submitted
                                "i_empty": None, "i_gap": None, "i_old": None}
    assert out.reported == 4 and out.approved == 1
    assert out.counts == {ds.APPROVED: 1, ds.SUBMITTED: 1, ds.RETURNED: 1, ds.DRAFT: 1}
    assert out.summary_text() == "截至2025年第2季度,状态评价所用的4项填报数值中,已审核1项(待审核1项、已退回1项、未报送1项)。"
    assert [ds.mark(out.of(i.id)) for i in inds] == [None, ds.SUBMITTED, ds.RETURNED, ds.DRAFT, None, None, None]


def test_zero_is_a_value(template):
    out = ds.data_status([_ind(template, "i", "u")], Q, {"i": {Q: 0.0}}, {Q: {"u": ds.APPROVED}})
    assert out.of("i") == ds.APPROVED and out.approved == out.reported == 1


def test_a_unit_with_several_indicators_governs_all_of_them(template):
    inds = [_ind(template, f"a{n}", "甲局") for n in range(3)] + [_ind(template, "b0", "乙局")]
    obs = {"a0": {Q: 1.0}, "a1": {Q: 2.0}, "a2": {}, "b0": {Q: 3.0}}
    submitted = ds.data_status(inds, Q, obs, {Q: {"甲局": ds.SUBMITTED, "乙局": ds.APPROVED}})
    assert submitted.by_indicator == {"a0": ds.SUBMITTED, "a1": ds.SUBMITTED, "a2": None, "b0": ds.APPROVED}
    assert (submitted.approved, submitted.reported) == (1, 3)
    approved = ds.data_status(inds, Q, obs, {Q: {"甲局": ds.APPROVED, "乙局": ds.APPROVED}})
    assert set(approved.by_indicator.values()) == {ds.APPROVED, None}
    assert (approved.approved, approved.reported) == (3, 3)
    assert approved.summary_text() == "截至2025年第2季度,状态评价所用的3项填报数值中,已审核3项。"


def test_the_selected_quarters_submission_governs(template):
    """The unit's approval of another quarter does not cover this quarter's value."""
    ind = _ind(template, "i", "甲局")
    obs = {"i": {Q.prev(): 1.0, Q: 2.0}}
    states = {Q.prev(): {"甲局": ds.APPROVED}}
    assert ds.data_status([ind], Q, obs, states).of("i") == ds.DRAFT
    assert ds.data_status([ind], Q.prev(), obs, states).of("i") == ds.APPROVED


def _res(iid, value_period, stale=False):
    return SimpleNamespace(indicator_id=iid, value_period=value_period, stale=stale)


def test_a_figure_from_another_quarter_is_governed_by_that_quarter(template):
    """After the deadline the status engine shows the deadline quarter's value: its submission
    governs, not the selected quarter's (here a draft); a carried-forward figure is not marked."""
    deadline_q, later = Quarter(2025, 3), Quarter(2026, 2)
    inds = [_ind(template, "past", "甲局"), _ind(template, "stale", "甲局"), _ind(template, "own", "甲局"),
            _ind(template, "none", "甲局")]
    obs = {"past": {deadline_q: 10.0, later: 12.0}, "stale": {deadline_q: 3.0}, "own": {later: 1.0}}
    results = [_res("past", deadline_q), _res("stale", deadline_q, stale=True), _res("own", later),
               _res("none", None)]
    shown = ds.shown_quarters(results)
    assert shown == {"past": deadline_q, "stale": None, "own": later, "none": None}
    states = {deadline_q: {"甲局": ds.APPROVED}, later: {"甲局": ds.SUBMITTED}}
    out = ds.data_status(inds, later, obs, states, shown)
    assert out.by_indicator == {"past": ds.APPROVED, "stale": None, "own": ds.SUBMITTED, "none": None}
    assert (out.approved, out.reported) == (1, 2)


def test_nothing_reported(template):
    out = ds.data_status([_ind(template, "i", "u")], Q, {}, {Q: {"u": ds.APPROVED}})
    assert out.by_indicator == {"i": None} and out.reported == 0 and out.approved == 0
    assert out.summary_text() == "截至2025年第2季度尚无已填报的数值。"


def test_figure_status():
    assert ds.figure_status(None, {"u": ds.APPROVED}, "u") is None
    assert ds.figure_status(3.0, {"u": ds.RETURNED}, "u") == ds.RETURNED
    assert ds.figure_status(3.0, {}, "u") == ds.DRAFT


# ---------------------------------------------------------------- MonitorService on the demo data

SCHEME, REGION = "anning", "安宁市"
LZ, LZ_REGION, LZ_Q = "luzhou", "泸州市", Quarter(2025, 4)   # luzhou's deadline quarter: a draft in the demo


def test_service_approved_quarter(demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    out = service.data_status(SCHEME, REGION, Quarter(2025, 2))
    assert out.reported > 0 and out.approved == out.reported
    assert set(out.by_indicator.values()) <= {ds.APPROVED, None}


def test_service_draft_submitted_approved_returned(demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    store = service.store
    obs = store.observations(LZ, LZ_REGION)
    before = service.data_status(LZ, LZ_REGION, LZ_Q)
    drafts = [i for i in service.indicators(LZ) if before.of(i.id) == ds.DRAFT]
    assert drafts and all(obs[i.id][LZ_Q] is not None for i in drafts)
    unit = "市科技局"
    theirs = [i.id for i in drafts if i.reporting_unit == unit]
    assert len(theirs) == 2   # a unit with several indicators: its submission governs all of them

    store.submit(LZ, LZ_REGION, unit, LZ_Q, "luzhou_r03")
    out = service.data_status(LZ, LZ_REGION, LZ_Q)   # new data_version: not the cached one
    assert [out.of(i) for i in theirs] == [ds.SUBMITTED] * 2
    assert out.counts[ds.SUBMITTED] == 2 and out.counts[ds.DRAFT] == before.counts[ds.DRAFT] - 2

    store.approve(LZ, LZ_REGION, unit, LZ_Q, "admin")
    out = service.data_status(LZ, LZ_REGION, LZ_Q)
    assert [out.of(i) for i in theirs] == [ds.APPROVED] * 2 and out.approved == before.approved + 2

    store.reopen(LZ, LZ_REGION, unit, LZ_Q, "admin", "数据有误")
    out = service.data_status(LZ, LZ_REGION, LZ_Q)
    assert [out.of(i) for i in theirs] == [ds.RETURNED] * 2 and out.approved == before.approved
    assert service.unit_states(LZ, LZ_REGION, LZ_Q) == {unit: ds.RETURNED}
    # The other units' figures did not change.
    assert {i: s for i, s in out.by_indicator.items() if i not in theirs} == \
        {i: s for i, s in before.by_indicator.items() if i not in theirs}


def test_service_after_the_deadline_the_deadline_quarter_governs(demo_app):
    """Anning's deadlines are in 2025: as of 2026Q2 the board shows the deadline quarters'
    (approved) values, so the submitted 2026Q2 values do not mark them."""
    service = demo_app.server.extensions["monitor"]["service"]
    later = Quarter(2026, 2)
    assert ds.SUBMITTED in service.unit_states(SCHEME, REGION, later).values()
    res = service.result(service.registry.indicators["anning_invention_grants_annual"], REGION, later)
    assert res.value_period == Quarter(2025, 3) and not res.stale
    out = service.data_status(SCHEME, REGION, later)
    assert out.of("anning_invention_grants_annual") == ds.APPROVED
    # Reopening the deadline quarter marks the figure again.
    unit = service.registry.indicators["anning_invention_grants_annual"].reporting_unit
    service.store.reopen(SCHEME, REGION, unit, Quarter(2025, 3), "admin", "复核")
    assert service.data_status(SCHEME, REGION, later).of("anning_invention_grants_annual") == ds.RETURNED


def test_service_data_status_is_cached_on_data_version(demo_app, monkeypatch):
    service = demo_app.server.extensions["monitor"]["service"]
    first = service.data_status(LZ, LZ_REGION, LZ_Q)
    calls = []
    monkeypatch.setattr(service.store, "submission_states", lambda *a: calls.append(a) or [])
    assert service.data_status(LZ, LZ_REGION, LZ_Q) is first and not calls
    assert service.unit_states(LZ, LZ_REGION, Quarter(2025, 3)) and not calls


def test_service_display_names(demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    names = service.display_names()
    assert names["admin"] == "领导小组办公室(演示)"
    assert names["anning_r01"] == service.indicators(SCHEME)[0].reporting_unit   # demo reporters: the unit's name
    assert "示例数据" not in names   # the demo loader's name is no account: pages show it as stored
    service.store.update_user("admin", display_name="办公室张三")
    assert service.display_names()["admin"] == "办公室张三"   # outside a request: read afresh
    with demo_app.server.test_request_context("/"):
        cached = service.display_names()
        service.store.update_user("admin", display_name="办公室李四")
        assert service.display_names() is cached   # once per request
    assert service.display_names()["admin"] == "办公室李四"
