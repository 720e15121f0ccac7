"""Store.save_values: a form's rows are saved all or none (SQLite and PostgreSQL)."""
import pytest

from data.store import ConflictError, EditsRejected, LockedError, ValueEdit
from tests.test_store import FLOW, OTHER_UNIT, Q1, Q2, REGION, STOCK, UNIT_A

pytest_plugins = ["tests.conftest_db"]


def test_all_rows_saved_in_one_go(store):
    rows = store.save_values([ValueEdit(FLOW, REGION, Q1, 5, "", None), ValueEdit(STOCK, REGION, Q1, 40, "注", None)],
                             "alice")
    assert [(r.value, r.version) for r in rows] == [(5.0, 1), (40.0, 1)]
    assert store.observations("anning", REGION) == {FLOW.id: {Q1: 5.0}, STOCK.id: {Q1: 40.0}}
    assert {h.user for h in store.history(FLOW.id) + store.history(STOCK.id)} == {"alice"}


def test_one_conflict_writes_nothing(store):
    store.save_value(FLOW, REGION, Q1, 5, "", "alice", None)
    version = store.data_version()
    with pytest.raises(EditsRejected) as exc:
        store.save_values([ValueEdit(STOCK, REGION, Q1, 40, "", None),
                           ValueEdit(FLOW, REGION, Q1, 6, "", None)], "bob")  # stale: FLOW exists at version 1
    (index, problem), = exc.value.problems
    assert index == 1 and isinstance(problem, ConflictError) and problem.current.value == 5.0
    assert store.data_version() == version
    assert store.observations("anning", REGION) == {FLOW.id: {Q1: 5.0}}


def test_locked_quarter_refused_whole_batch(store):
    store.save_value(FLOW, REGION, Q2, 1, "", "alice", None)
    store.submit("anning", REGION, UNIT_A, Q2, "alice")
    store.approve("anning", REGION, UNIT_A, Q2, "office")
    version = store.data_version()
    with pytest.raises(EditsRejected) as exc:
        store.save_values([ValueEdit(OTHER_UNIT, REGION, Q2, 3, "", None),
                           ValueEdit(STOCK, REGION, Q2, 9, "", None)], "alice")
    assert [type(p) for _, p in exc.value.problems] == [LockedError]
    assert store.data_version() == version and OTHER_UNIT.id not in store.observations("anning", REGION)
