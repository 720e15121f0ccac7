"""Issue 14, findings 2, 8 and 10 (the entry side): reporters bound to their region, values
too large for the database, and a save racing a 报送. Findings 1, 5, 7, 9 and 16 are in the
other files of this folder; docs/security.md lists them all."""
from __future__ import annotations

import threading

import pytest

from dashboard.entry import forms
from dashboard import ids
from dashboard.permissions import Forbidden, Identity
from data.store import InvalidValueError, LockedError, StoreError
from indicators.periods import Quarter
from tests.test_entry_callbacks import (CUSTODY, LZ, LZ_REGION, MARKET, Q4, TODAY, _find, app, ctx,  # noqa: F401
                                        data_url, demo_db, edit, service, shown, value, xlsx)
from tests.test_store import FLOW, REGION, UNIT_A

pytest_plugins = ["tests.conftest_db"]

BOUND = Identity("dave", "dave", "reporter", (MARKET,), (LZ,), regions=(LZ_REGION,))
ANY_REGION = Identity("erin", "erin", "reporter", (MARKET,), (LZ,))


def test_reporter_bound_to_a_region_may_not_save_import_or_see_another(service):
    other = "纳溪区"
    service.store.ensure_region(LZ, other)
    assert forms.visible_regions(BOUND, service, LZ) == [LZ_REGION]
    assert set(forms.visible_regions(ANY_REGION, service, LZ)) == {LZ_REGION, other}
    c_other = ctx(region=other)
    inputs, metas = shown(service, c_other)
    out = forms.save_form(service, BOUND, c_other, edit(inputs, CUSTODY, raw="3"), metas, today=TODAY)
    assert not out.ok and "纳溪区" in out.alert[1] and value(service, CUSTODY, region=other) is None
    out = forms.submit_form(service, BOUND, c_other, inputs, metas, today=TODAY)
    assert not out.submitted
    with pytest.raises(Forbidden):
        forms.template_bytes(service, BOUND, c_other, TODAY)
    upload = forms.preview_upload(service, BOUND, LZ, other, data_url(xlsx([(CUSTODY, str(Q4), 3, "")])),
                                  "x.xlsx", TODAY)
    assert not upload.ok and any("纳溪区" in e for e in upload.errors)
    # In its own region all is as before; its to-do list names only that region.
    c = ctx()
    inputs, metas = shown(service, c)
    assert forms.save_form(service, BOUND, c, edit(inputs, CUSTODY, raw="8"), metas, today=TODAY).ok
    assert all(it.region == LZ_REGION for it in forms.reporter_todo(service, BOUND, TODAY)[0])


def test_entry_page_offers_a_bound_reporter_only_its_regions(service, app, monkeypatch):
    from dashboard.entry import page as entry

    service.store.ensure_region(LZ, "纳溪区")
    monkeypatch.setattr(forms, "identity", lambda: BOUND)
    with app.server.test_request_context("/entry"):
        sid, reg, *_ = entry._choose(service, BOUND, LZ, "纳溪区", str(Q4), MARKET)
        page = entry.layout(service, f"?scheme={LZ}&region=纳溪区")
    assert reg == LZ_REGION
    region = _find(page, ids.EN_REGION)
    assert region.options == [LZ_REGION] and region.value == LZ_REGION


@pytest.mark.parametrize("raw", ["100000000000000", "1,000,000,000,000", "1e20"])
def test_values_too_large_are_refused_with_a_message(service, raw):
    c = ctx()
    inputs, metas = shown(service, c)
    before = service.store.data_version()
    out = forms.save_form(service, ANY_REGION, c, edit(inputs, CUSTODY, raw=raw), metas, today=TODAY)
    text = " ".join(t for _, t in out.rows[CUSTODY])
    assert not out.ok and ("过大" in text or "不是有效数字" in text), text
    assert service.store.data_version() == before


def test_the_store_refuses_values_beyond_numeric_20_6_on_both_databases(store):
    with pytest.raises(InvalidValueError) as exc:
        store.save_value(FLOW, REGION, Quarter(2024, 1), 1e14, "", "alice", None)
    assert "过大" in str(exc.value)
    store.save_value(FLOW, REGION, Quarter(2024, 1), 999_999_999_999, "", "alice", None)
    row = store.save_value(FLOW, REGION, Quarter(2024, 1), 999_999_999_998, "", "alice", 1)
    assert row.value == 999_999_999_998 and row.version == 2  # a change of 1 is a change


def test_a_save_never_lands_after_the_submission_on_both_databases(store):
    """20 races of 报送 against a save: the save is before the submission or refused."""
    for n in range(20):
        q = Quarter(2024 + n // 4, n % 4 + 1)  # a fresh quarter each round
        version = store.save_value(FLOW, REGION, q, 1, "", "alice", None).version
        start = threading.Barrier(2)
        errors: list[Exception] = []

        def submit():
            start.wait()
            store.submit("anning", REGION, UNIT_A, q, "alice")

        def save():
            start.wait()
            try:
                store.save_value(FLOW, REGION, q, 2, "", "bob", version)
            except StoreError as exc:  # a LockedError is the right refusal; anything else fails below
                errors.append(exc)

        threads = [threading.Thread(target=submit), threading.Thread(target=save)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        submitted_at = [e.at for e in store.submission_events("anning", REGION, UNIT_A, q) if e.action == "submit"][-1]
        last = store.history(FLOW.id, REGION, q)[-1]
        if errors:
            assert all(isinstance(e, LockedError) for e in errors) and last.new_value == 1
        else:
            assert last.new_value == 2 and last.at <= submitted_at
