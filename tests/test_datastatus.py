"""Data status (已审核 / 待审核 / 已退回 / 未报送) of the figures shown: the pure rule
(dashboard/datastatus.py) for every state, and MonitorService.data_status on the demo data."""
from __future__ import annotations

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
    units = {"单位_approved": ds.APPROVED, "单位_submitted": ds.SUBMITTED, "单位_returned": ds.RETURNED}
    out = ds.data_status(inds, Q, obs, units)
    assert out.by_indicator == {"i_approved": ds.APPROVED, "i_submitted": ds.SUBMITTED, "i_returned": ds.RETURNED,
                                "i_draft": ds.DRAFT,  # a unit without a submission: not yet submitted
                                "i_empty": None, "i_gap": None, "i_old": None}
    assert out.reported == 4 and out.approved == 1
    assert out.counts == {ds.APPROVED: 1, ds.SUBMITTED: 1, ds.RETURNED: 1, ds.DRAFT: 1}
    assert out.summary_text() == "2025年第2季度已填报的4项数据中,已审核1项(待审核1项、已退回1项、未报送1项)。"


def test_zero_is_a_value(template):
    out = ds.data_status([_ind(template, "i", "u")], Q, {"i": {Q: 0.0}}, {"u": ds.APPROVED})
    assert out.of("i") == ds.APPROVED and out.approved == out.reported == 1


def test_a_unit_with_several_indicators_governs_all_of_them(template):
    inds = [_ind(template, f"a{n}", "甲局") for n in range(3)] + [_ind(template, "b0", "乙局")]
    obs = {"a0": {Q: 1.0}, "a1": {Q: 2.0}, "a2": {}, "b0": {Q: 3.0}}
    submitted = ds.data_status(inds, Q, obs, {"甲局": ds.SUBMITTED, "乙局": ds.APPROVED})
    assert submitted.by_indicator == {"a0": ds.SUBMITTED, "a1": ds.SUBMITTED, "a2": None, "b0": ds.APPROVED}
    assert (submitted.approved, submitted.reported) == (1, 3)
    approved = ds.data_status(inds, Q, obs, {"甲局": ds.APPROVED, "乙局": ds.APPROVED})
    assert set(approved.by_indicator.values()) == {ds.APPROVED, None}
    assert (approved.approved, approved.reported) == (3, 3)
    assert approved.summary_text() == "2025年第2季度已填报的3项数据中,已审核3项。"


def test_the_selected_quarters_submission_governs(template):
    """The unit's approval of another quarter does not cover this quarter's value."""
    ind = _ind(template, "i", "甲局")
    obs = {"i": {Q.prev(): 1.0, Q: 2.0}}
    assert ds.data_status([ind], Q, obs, {}).of("i") == ds.DRAFT
    assert ds.data_status([ind], Q.prev(), obs, {"甲局": ds.APPROVED}).of("i") == ds.APPROVED


def test_nothing_reported(template):
    out = ds.data_status([_ind(template, "i", "u")], Q, {}, {"u": ds.APPROVED})
    assert out.by_indicator == {"i": None} and out.reported == 0 and out.approved == 0
    assert out.summary_text() == "2025年第2季度尚无已填报的数据。"


# ---------------------------------------------------------------- MonitorService on the demo data

SCHEME, REGION = "anning", "安宁市"
SUBMITTED_Q = Quarter(2026, 2)   # the demo submits every other unit in the last quarter but one


def _expected(service, quarter, states):
    obs = service.store.observations(SCHEME, REGION)
    return {i.id: (states.get(i.reporting_unit, ds.DRAFT) if obs.get(i.id, {}).get(quarter) is not None else None)
            for i in service.indicators(SCHEME)}


def test_service_approved_quarter(demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    q = Quarter(2025, 2)
    out = service.data_status(SCHEME, REGION, q)
    assert out.reported > 0 and out.approved == out.reported
    assert set(out.by_indicator.values()) <= {ds.APPROVED, None}


def test_service_submitted_returned_approved(demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    store = service.store
    subs = {s.unit: s.state for s in store.submissions(SCHEME, REGION, SUBMITTED_Q)}
    submitted = sorted(u for u, st in subs.items() if st == "submitted")
    assert len(submitted) >= 2, "the demo submits some units' last quarter but one"
    states = {u: ds.SUBMITTED for u in submitted}
    out = service.data_status(SCHEME, REGION, SUBMITTED_Q)
    assert out.by_indicator == _expected(service, SUBMITTED_Q, states)
    assert {ds.SUBMITTED, ds.DRAFT} <= set(out.by_indicator.values())
    assert out.approved == 0

    approve, ret = submitted[0], submitted[1]
    store.approve(SCHEME, REGION, approve, SUBMITTED_Q, "admin")
    store.reopen(SCHEME, REGION, ret, SUBMITTED_Q, "admin", "数据有误")
    states.update({approve: ds.APPROVED, ret: ds.RETURNED})
    after = service.data_status(SCHEME, REGION, SUBMITTED_Q)   # new data_version: not the cached one
    assert after.by_indicator == _expected(service, SUBMITTED_Q, states)
    n_approve = sum(1 for i in service.indicators(SCHEME) if i.reporting_unit == approve and after.of(i.id))
    assert n_approve and after.approved == n_approve
    assert after.counts[ds.RETURNED] == sum(1 for i in service.indicators(SCHEME)
                                            if i.reporting_unit == ret and after.of(i.id))
    # Resubmitted after the return: waiting for review again.
    store.submit(SCHEME, REGION, ret, SUBMITTED_Q, ret)
    assert service.unit_states(SCHEME, REGION, SUBMITTED_Q)[ret] == ds.SUBMITTED


def test_service_data_status_is_cached_on_data_version(demo_app, monkeypatch):
    service = demo_app.server.extensions["monitor"]["service"]
    first = service.data_status(SCHEME, REGION, SUBMITTED_Q)
    calls = []
    monkeypatch.setattr(service.store, "submissions", lambda *a: calls.append(a) or [])
    assert service.data_status(SCHEME, REGION, SUBMITTED_Q) is first and not calls


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
