"""The quarterly loop's rules, called directly: who owes what (one rule for the form,
审核, 催报 and 待办), deadlines, returns, pasting, carried milestones, notes that must be
written now, confirmations and the bad inputs of issue 13 (reporters bound to regions:
tests/security/test_entry_hardening.py)."""
from __future__ import annotations

import itertools
from datetime import date

import pytest

from dashboard.entry import forms
from dashboard.entry import reporting
from dashboard.permissions import Forbidden
from dashboard.entry.reporting import Handover, Stored, unit_status
from data.store import ConflictError
from indicators.periods import Quarter
from tests.test_entry_callbacks import (ADMIN, ALICE, AN, CUSTODY, LZ, LZ_REGION, MARKET, POOL, Q4, TODAY,  # noqa: F401
                                        app, ctx, demo_db, edit, reporter, service, shown, texts, value)

Q = Quarter(2025, 2)


# ---------------------------------------------------------------- the one rule (pure)

def test_deadline_is_the_15th_day_after_the_quarter_by_default():
    assert reporting.report_deadline(Quarter(2025, 1)) == date(2025, 4, 15)
    assert reporting.report_deadline(Quarter(2025, 4)) == date(2026, 1, 15)
    assert reporting.report_deadline(Quarter(2025, 2), 30) == date(2025, 7, 30)
    for bad in ("", "abc", "0", "91", None, "1.5"):
        with pytest.raises(ValueError):
            reporting.check_deadline_days(bad)
    assert reporting.check_deadline_days(" 20 ") == 20


ROWS = ("a", "b", "c")
VALUES = {"value": Stored(5.0, ""), "explained": Stored(None, "本季度无统计"), "empty": None,
          "blank_note": Stored(None, "  ")}
HANDOVERS = {
    "none": None,
    "submitted": Handover("submitted", 1, "submit", "r"),
    "returned": Handover("draft", 2, "reopen", "office", None, "请核实"),
    "approved": Handover("approved", 2, "approve", "office"),
}


@pytest.mark.parametrize("a, b, handover, carried", itertools.product(VALUES, VALUES, HANDOVERS, (False, True)))
def test_every_combination_of_value_explained_gap_and_state(a, b, handover, carried):
    """Each row is owed unless it has a value, a note saying why, or is a milestone done earlier."""
    stored = {k: v for k, v in (("a", VALUES[a]), ("b", VALUES[b])) if v is not None}
    earlier = {"c"} if carried else set()
    h = HANDOVERS[handover]
    st = unit_status("u", Q, ROWS, stored, earlier, h, today=date(2025, 8, 1))
    owed = {k for k, kind in (("a", a), ("b", b)) if kind in ("empty", "blank_note")} | ({"c"} if not carried else set())
    assert set(st.missing) == owed
    assert st.done == 3 - len(owed) and st.total == 3
    assert set(st.entered) == {k for k, kind in (("a", a), ("b", b)) if kind == "value"}
    assert set(st.explained) == {k for k, kind in (("a", a), ("b", b)) if kind == "explained"}
    expected_state = {"none": "draft" if stored else "not_started", "submitted": "submitted",
                      "returned": "returned", "approved": "approved"}[handover]
    assert st.state == expected_state
    # Past the deadline (2025-07-15) only units that still have to act are late.
    assert st.late == (expected_state in ("not_started", "draft", "returned"))
    assert st.owes == st.late
    assert st.returned_reason == ("请核实" if handover == "returned" else "")


def test_not_late_before_the_deadline_and_nothing_owed_without_rows():
    st = unit_status("u", Q, ROWS, {}, set(), None, today=date(2025, 7, 15))
    assert not st.late and st.owes and st.deadline == date(2025, 7, 15)
    st = unit_status("u", Q, (), {}, set(), None, today=date(2026, 1, 1))
    assert not st.late and not st.owes


def test_form_counts_chase_list_review_and_todo_agree(service, monkeypatch):
    """The four views read the same statuses: check them against each other after each step."""
    c = ctx()
    quarter = c.quarter

    def views():
        statuses = {st.unit: st for st in service.unit_statuses(LZ, LZ_REGION, quarter, TODAY)}
        chase = service.chase_list(LZ, LZ_REGION, quarter, TODAY)
        form = forms.unit_status(service, c, TODAY)
        mine = [it.status for it in forms.reporter_todo(service, ALICE, TODAY)[0]
                if it.scheme_id == LZ and it.status.quarter == quarter]
        return statuses[MARKET], [i.id for i in chase.get(MARKET, [])], form, mine

    monkeypatch.setattr(forms, "today_date", lambda: TODAY)
    inputs, metas = shown(service, c)
    st, chased, form, _ = views()
    assert list(st.missing) == chased == list(form.missing)
    # Explain every gap with a note: nothing is chased any more, the form counts none.
    for ind_id in st.missing:
        inputs = edit(inputs, ind_id, note="本季度无统计", done=inputs[ind_id].done)
    out = forms.submit_form(service, ALICE, c, inputs, metas, today=TODAY)
    assert out.ok and out.submitted, out.alert
    st, chased, form, _ = views()
    assert st.missing == form.missing == () and chased == [] and st.state == "submitted"
    forms.reopen_unit(service, ADMIN, LZ, LZ_REGION, quarter, MARKET, "备注不充分")
    st, chased, form, _ = views()
    assert st.state == form.state == "returned" and st.returned_reason == "备注不充分" and chased == []


# ---------------------------------------------------------------- the form

def submit_all(service, c):
    """报送 the form as shown, every gap explained by a note."""
    inputs, metas = shown(service, c)
    for ind_id in forms.unit_status(service, c, TODAY).missing:
        inputs = edit(inputs, ind_id, note="暂无数据", done=inputs[ind_id].done)
    assert forms.submit_form(service, ALICE, c, inputs, metas, today=TODAY).submitted


def test_returned_form_says_so_with_the_reason_until_submitted_again(service):
    c = ctx()
    submit_all(service, c)
    forms.reopen_unit(service, ADMIN, LZ, LZ_REGION, Q4, MARKET, "托管数量请按台账更正")
    st = forms.unit_status(service, c, TODAY)
    text = forms.status_text(st, {"office": "领导小组办公室"})
    assert "已退回" in text and "托管数量请按台账更正" in text and "领导小组办公室" in text and "office" not in text
    inputs, metas = shown(service, c)
    assert forms.submit_form(service, ALICE, c, edit(inputs, CUSTODY, raw="8"), metas, today=TODAY).submitted
    assert forms.unit_status(service, c, TODAY).state == "submitted"
    assert "已退回" not in forms.status_text(forms.unit_status(service, c, TODAY))


def test_second_submit_of_an_unchanged_form_is_refused(service):
    c = ctx()
    submit_all(service, c)
    inputs, metas = shown(service, c)
    out = forms.submit_form(service, ALICE, c, inputs, metas, today=TODAY)
    assert not out.ok and not out.submitted and "已报送" in out.alert[1]


def test_old_note_does_not_silence_the_growth_warning(service):
    c = ctx()
    inputs, metas = shown(service, c)
    # Store a note first, as an earlier quarter's edit would have.
    assert forms.save_form(service, ALICE, c, edit(inputs, CUSTODY, note="口径说明"), metas, today=TODAY).ok
    inputs, metas = shown(service, c)
    before = value(service, CUSTODY)
    out = forms.save_form(service, ALICE, c, edit(inputs, CUSTODY, raw="250"), metas, today=TODAY)
    assert not out.ok and "备注仍适用" in texts(out, CUSTODY) and value(service, CUSTODY) == before
    # A note written now explains it ...
    out = forms.save_form(service, ALICE, c, edit(inputs, CUSTODY, raw="250", note="集中托管,已核实"), metas,
                          today=TODAY)
    assert out.ok and value(service, CUSTODY) == 250
    # ... and so does the reporter's confirmation that the stored note still applies.
    inputs, metas = shown(service, c)
    out = forms.save_form(service, ALICE, c, edit(inputs, CUSTODY, raw="900"), metas, today=TODAY)
    assert not out.ok
    out = forms.save_form(service, ALICE, c, edit(inputs, CUSTODY, raw="900", confirm=True), metas, today=TODAY)
    assert out.ok and value(service, CUSTODY) == 900


def test_milestone_done_earlier_is_carried_and_asks_nothing(service):
    c = ctx(q=Quarter(2026, 4))  # the current quarter: nothing entered yet
    inds = forms.unit_indicators(service, LZ, MARKET, c.quarter)
    # Record the pool done in 2025Q4 (with its date and evidence).
    q4 = ctx()
    inputs, metas = shown(service, q4)
    out = forms.save_form(service, ALICE, q4, edit(inputs, POOL, done="1", done_date="2025-12-01",
                                                   evidence="泸市监〔2025〕12号"), metas, today=TODAY)
    assert out.ok, out.rows
    carried = forms.carried_milestones(service, c, inds)
    assert POOL in carried and carried[POOL].quarter == Quarter(2025, 4)
    assert "2025-12-01" in carried[POOL].text() and "泸市监〔2025〕12号" in carried[POOL].text()
    st = forms.unit_status(service, c, TODAY)
    assert POOL in st.carried and POOL not in st.missing
    # Changing it later is a correction: it needs a reason.
    inputs, metas = shown(service, c)
    out = forms.save_form(service, ALICE, c, edit(inputs, POOL, done="0", note="资源池尚未验收"), metas, today=TODAY)
    assert not out.ok and "更正" in texts(out, POOL)
    out = forms.save_form(service, ALICE, c, edit(inputs, POOL, done="0", note="资源池尚未验收"), metas,
                          reason="验收未通过,更正为未完成", today=TODAY)
    assert out.ok
    assert service.store.history(POOL, LZ_REGION, c.quarter)[-1].reason == "验收未通过,更正为未完成"


@pytest.mark.parametrize("text, expected, dropped", [
    ("12\r\n142\r\n30\r\n", ["12", "142", "30"], 0),
    ("12\n142", ["12", "142"], 0),
    ("7\t备注\n8\t\n", ["7", "8"], 0),          # a copied block: its first column
    ("1\n2\n3\n4\n5\n6\n", ["1", "2", "3", "4"], 2),
])
def test_distribute_paste(text, expected, dropped):
    rows = ["w", "x", "y", "z"]
    got = forms.distribute_paste(rows, "w", text)
    assert list(got.values.values()) == expected and list(got.values) == rows[:len(expected)]
    assert got.dropped == dropped and (("多出的" in got.message) == bool(dropped))


def test_distribute_paste_starts_at_the_row_pasted_into_and_ignores_nonsense():
    got = forms.distribute_paste(["w", "x", "y"], "x", "5\n6\n7")
    assert got.values == {"x": "5", "y": "6"} and got.dropped == 1
    assert forms.distribute_paste(["w"], "nope", "1\n2") is None
    assert forms.distribute_paste(["w"], "w", "\n\n") is None
    assert forms.distribute_paste(["w"], "w", 5) is None


def test_pasted_misplaced_separators_are_refused_row_by_row(service):
    c = ctx()
    inputs, metas = shown(service, c)
    out = forms.save_form(service, ALICE, c, edit(inputs, CUSTODY, raw="12 142 30 41"), metas, today=TODAY)
    assert not out.ok and "数字中间有空格" in texts(out, CUSTODY)
    out = forms.save_form(service, ALICE, c, edit(inputs, CUSTODY, raw="7,75"), metas, today=TODAY)
    assert not out.ok and "千位分隔符" in texts(out, CUSTODY)
    assert value(service, CUSTODY) == 7.0


# ---------------------------------------------------------------- review

def test_return_needs_a_reason_and_approving_a_changed_submission_is_refused(service):
    c = ctx()
    submit_all(service, c)
    seen = service.store.submission(LZ, LZ_REGION, MARKET, Q4).version
    with pytest.raises(forms.TransitionError):
        forms.reopen_unit(service, ADMIN, LZ, LZ_REGION, Q4, MARKET, "   ", seen)
    with pytest.raises(forms.Refused):
        forms.reopen_unit(service, ADMIN, LZ, LZ_REGION, Q4, MARKET, "长" * 201, seen)
    # Meanwhile another officer returns it and the unit hands it in again, changed.
    forms.reopen_unit(service, ADMIN, LZ, LZ_REGION, Q4, MARKET, "请补充")
    inputs, metas = shown(service, c)
    assert forms.submit_form(service, ALICE, c, edit(inputs, CUSTODY, raw="8"), metas, today=TODAY).submitted
    with pytest.raises(ConflictError) as exc:
        forms.approve_unit(service, ADMIN, LZ, LZ_REGION, Q4, MARKET, seen)
    assert "已报送" in str(exc.value)  # the new state is named
    assert service.store.submission(LZ, LZ_REGION, MARKET, Q4).state == "submitted"
    now = service.store.submission(LZ, LZ_REGION, MARKET, Q4).version
    assert "已审核通过" in forms.approve_unit(service, ADMIN, LZ, LZ_REGION, Q4, MARKET, now)


def test_stored_warnings_are_shown_to_the_reviewer(service):
    ind = service.registry.indicators[CUSTODY]
    row = service.store.observation(CUSTODY, LZ_REGION, Q4)
    assert forms.stored_messages(ind, row, 1.0) == [("warning", "超过上季度的3倍,未说明原因")]
    noted = type(row)(**{**row.__dict__, "note": "集中托管"})
    assert forms.stored_messages(ind, noted, 1.0) == [("note", "超过上季度的3倍(备注:集中托管)")]
    assert forms.stored_messages(ind, row, 6.0) == []


def test_deadline_setting_is_admin_only_and_checked(service):
    with pytest.raises(Forbidden):
        forms.set_deadline(service, ALICE, LZ, 20)
    with pytest.raises(forms.Refused):
        forms.set_deadline(service, ADMIN, LZ, 0)
    with pytest.raises(forms.Refused):
        forms.set_deadline(service, ADMIN, "nope", 20)
    assert "第20天" in forms.set_deadline(service, ADMIN, LZ, "20")
    assert service.deadline_days(LZ) == 20 and service.deadline_days(AN) == 15
    assert forms.unit_status(service, ctx(), TODAY).deadline == date(2026, 1, 20)


def test_reporter_cannot_open_another_units_returned_form(service, app, monkeypatch):
    from dashboard.entry import page as entry

    c = ctx()
    submit_all(service, c)
    forms.reopen_unit(service, ADMIN, LZ, LZ_REGION, Q4, MARKET, "请核实")
    carol = reporter("carol", "市财政局")
    # Not editable and not offered: the unit list has only her own unit; saving is refused.
    assert not forms.may_edit(carol, c, "draft")
    monkeypatch.setattr(forms, "identity", lambda: carol)
    with app.server.test_request_context("/entry"):
        sid, reg, q, unit, _, units = entry._choose(service, carol, LZ, LZ_REGION, str(Q4), MARKET)
    assert unit == "市财政局" and MARKET not in units
    inputs, metas = shown(service, c)
    out = forms.save_form(service, carol, c, edit(inputs, CUSTODY, raw="9"), metas, today=TODAY)
    assert not out.ok and "没有填报" in out.alert[1]
    # Her to-do list does not show the other unit's return.
    assert all(it.status.unit == "市财政局" for it in forms.reporter_todo(service, carol, TODAY)[0])
