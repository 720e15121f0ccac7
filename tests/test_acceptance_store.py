"""已核验 marks in the store (data/acceptance.py) on SQLite and PostgreSQL: only the office marks
and undoes, who and when are kept, an undo keeps the record, marking twice keeps the first mark."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dashboard.permissions import Identity
from data.acceptance import AcceptanceMarks, MarkRefused
from indicators.registry import load_registry

pytest_plugins = ["tests.conftest_db"]

REGION = "安宁市"
OFFICE = Identity("office", "办公室", "admin")
OFFICE2 = Identity("office2", "办公室二", "admin")
VIEWER = Identity("boss", "县领导", "viewer")
REPORTER = Identity("rep", "填报员", "reporter", ("市市场监管局",), ("anning",))
T1 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
T2 = datetime(2026, 1, 6, 10, 30, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.fixture
def marks(store, registry):
    store.ensure_region("anning", REGION)
    return AcceptanceMarks(store, registry)


def ind_id(registry, n=0):
    return registry.scheme_indicators("anning")[n].id


def test_mark_and_undo_keep_who_and_when(marks, registry):
    a = ind_id(registry)
    m = marks.set(OFFICE, "anning", REGION, a, True, now=T1)
    assert (m.verified_by, m.verified_at) == ("office", T1)
    assert marks.current("anning", REGION)[a].verified_at == T1
    assert marks.set(OFFICE2, "anning", REGION, a, False, now=T2) is None
    assert marks.current("anning", REGION) == {}
    (old,) = marks.history("anning", REGION, a)
    assert (old.verified_by, old.undone_by, old.undone_at, old.current) == ("office", "office2", T2, False)
    again = marks.set(OFFICE2, "anning", REGION, a, True, now=T2)
    assert again.verified_by == "office2" and len(marks.history("anning", REGION)) == 2


def test_marking_twice_keeps_the_first_mark(marks, registry):
    a = ind_id(registry)
    marks.set(OFFICE, "anning", REGION, a, True, now=T1)
    m = marks.set(OFFICE2, "anning", REGION, a, True, now=T2)
    assert (m.verified_by, m.verified_at) == ("office", T1)
    assert len(marks.history("anning", REGION, a)) == 1
    assert marks.set(OFFICE, "anning", REGION, ind_id(registry, 1), False) is None   # undo of nothing: no-op
    assert len(marks.history("anning", REGION)) == 1


@pytest.mark.parametrize("who,words", [(VIEWER, "只有领导小组办公室管理员"), (REPORTER, "只有领导小组办公室管理员"),
                                       (None, "请先登录")])
def test_only_the_office_marks_or_undoes(marks, registry, who, words):
    a = ind_id(registry)
    for verified in (True, False):
        with pytest.raises(MarkRefused) as exc:
            marks.set(who, "anning", REGION, a, verified)
        assert words in str(exc.value)
    assert marks.history("anning", REGION) == []
    marks.set(OFFICE, "anning", REGION, a, True)
    with pytest.raises(MarkRefused):
        marks.set(who, "anning", REGION, a, False)
    assert a in marks.current("anning", REGION)


def test_unknown_indicator_or_region_is_refused(marks, registry):
    with pytest.raises(MarkRefused, match="没有指标"):
        marks.set(OFFICE, "anning", REGION, "no_such_indicator", True)
    other_scheme = next(s for s in registry.schemes if s != "anning")
    with pytest.raises(MarkRefused, match="没有指标"):
        marks.set(OFFICE, other_scheme, REGION, ind_id(registry), True)
    with pytest.raises(MarkRefused, match="未知地区"):
        marks.set(OFFICE, "anning", "火星市", ind_id(registry), True)
    assert marks.history("anning", REGION) == []


def test_marks_are_per_region(marks, store, registry):
    store.ensure_region("anning", "别的市")
    a = ind_id(registry)
    marks.set(OFFICE, "anning", "别的市", a, True)
    assert marks.current("anning", REGION) == {} and set(marks.current("anning", "别的市")) == {a}
