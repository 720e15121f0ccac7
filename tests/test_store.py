"""Store tests; every test using ``store`` runs on SQLite and on PostgreSQL."""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from data.db import current_revision, head_revision, make_engine, normalize_url, upgrade
from data.store import (ConflictError, DuplicateError, ImportRejected, ImportRow, InvalidValueError, LockedError,
                        NotFoundError, Store, StoreError, TransitionError)
from indicators.model import Baseline, Indicator
from indicators.periods import Quarter

pytest_plugins = ["tests.conftest_db"]

REGION = "安宁市"
UNIT_A = "市市场监管局"
UNIT_B = "市科技局"


def make_indicator(id_: str, unit: str = "件", kind: str = "annual", reporting: str = "flow",
                   lead: str = UNIT_A) -> Indicator:
    return Indicator(id=id_, scheme="anning", name=f"测试指标{id_[-1]}", dimension="创造", unit=unit, kind=kind,
                     target={"value": 45}, deadline=date(2025, 7, 31), stage="implement", reporting=reporting,
                     lead_units=[lead], responsible_units=[lead], clause="三(二)1", quote="测试原文")


FLOW = make_indicator("anning_test_a")
STOCK = make_indicator("anning_test_b", kind="cumulative", reporting="stock")
OTHER_UNIT = make_indicator("anning_test_c", lead=UNIT_B)
Q1, Q2 = Quarter(2024, 1), Quarter(2024, 2)


def is_chinese(msg: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in msg)


# ------------------------------------------------------------ schema

def test_upgrade_is_idempotent_and_seeds_data_version(db_url):
    eng = make_engine(db_url)
    try:
        upgrade(eng)
        upgrade(eng)
        assert current_revision(eng) == head_revision() == "0008_baseline_region_index"
        assert Store(eng).data_version() == 0
        assert not Store(eng).is_demo()
    finally:
        eng.dispose()


def test_a_regions_baselines_are_read_through_an_index(db_url):
    """Every overview reads one region's baselines: by index, not by scanning the table (0008)."""
    from sqlalchemy import inspect

    eng = make_engine(db_url)
    try:
        upgrade(eng)
        idx = {i["name"]: i["column_names"] for i in inspect(eng).get_indexes("baseline_value")}
        assert idx.get("ix_baseline_value_region") == ["region_id"]
        if eng.dialect.name == "sqlite":
            with eng.connect() as c:
                plan = " ".join(str(r[-1]) for r in c.execute(text(
                    "EXPLAIN QUERY PLAN SELECT * FROM baseline_value WHERE region_id = 1")))
            assert "ix_baseline_value_region" in plan, plan
    finally:
        eng.dispose()


def test_url_mapping_to_psycopg3():
    assert normalize_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///instance/monitor.db").database.endswith("/instance/monitor.db")
    assert normalize_url("sqlite:///instance/monitor.db").database.startswith("/")


def test_sqlite_pragmas_and_parent_dir(tmp_path):
    url = f"sqlite:///{tmp_path / 'nested' / 'dir' / 'm.db'}"
    eng = make_engine(url)
    upgrade(eng)
    with eng.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
        with pytest.raises(Exception):  # the region FK is enforced
            c.execute(text("INSERT INTO observation (indicator_id, scheme_id, region_id, period, note, version, "
                           "entered_by, updated_at) VALUES ('x', 'anning', 999, '2024Q1', '', 1, '', "
                           "'2024-01-01')"))
    eng.dispose()
    assert (tmp_path / "nested" / "dir" / "m.db").exists()


# ------------------------------------------------------------ values

def test_save_and_read_back(store):
    row = store.save_value(FLOW, REGION, Q1, 12, " 首次填报 ", "alice", None)
    assert (row.value, row.note, row.version, row.entered_by, row.period) == (12.0, "首次填报", 1, "alice", Q1)
    assert row.updated_at.tzinfo is not None
    store.save_value(FLOW, REGION, "2024Q2", 3.0, "", "alice", None)
    assert store.observations("anning", REGION) == {FLOW.id: {Q1: 12.0, Q2: 3.0}}
    assert isinstance(store.observations("anning", REGION)[FLOW.id][Q1], float)
    assert store.observations("anning", REGION, [STOCK.id]) == {}
    assert store.observations("anning", "别的市") == {}
    assert [r.period for r in store.observation_rows(FLOW.id, REGION)] == [Q1, Q2]
    assert store.observation(FLOW.id, REGION, Q2).value == 3.0
    assert set(store.observations_at("anning", REGION, Q1)) == {FLOW.id}
    assert store.latest_period("anning", REGION) == Q2
    assert store.latest_period("anning", "别的市") is None
    assert store.regions("anning") == [REGION]
    assert store.data_version() == 2


def test_update_needs_current_version_and_appends_revision(store):
    store.save_value(FLOW, REGION, Q1, 12, "", "alice", None)
    row = store.save_value(FLOW, REGION, Q1, 14, "补报", "bob", 1, reason="更正")
    assert (row.value, row.version, row.entered_by) == (14.0, 2, "bob")
    hist = store.history(FLOW.id)
    assert [(h.old_value, h.new_value, h.user, h.source) for h in hist] == [(None, 12.0, "alice", "form"),
                                                                             (12.0, 14.0, "bob", "form")]
    assert hist[1].old_note == "" and hist[1].new_note == "补报" and hist[1].reason == "更正"
    assert hist[1].period == Q1 and hist[1].region == REGION


def test_conflict_when_row_appeared_meanwhile(store):
    store.save_value(FLOW, REGION, Q1, 12, "", "alice", None)
    version = store.data_version()
    with pytest.raises(ConflictError) as exc:
        store.save_value(FLOW, REGION, Q1, 13, "", "bob", None)
    assert exc.value.current.value == 12.0 and exc.value.current.entered_by == "alice"
    assert "alice" in str(exc.value) and is_chinese(str(exc.value))
    assert store.data_version() == version
    assert store.observation(FLOW.id, REGION, Q1).value == 12.0
    assert len(store.history(FLOW.id)) == 1


def test_conflict_on_stale_version(store):
    store.save_value(FLOW, REGION, Q1, 12, "", "alice", None)
    store.save_value(FLOW, REGION, Q1, 15, "", "carol", 1)
    with pytest.raises(ConflictError) as exc:
        store.save_value(FLOW, REGION, Q1, 13, "", "bob", 1)
    assert (exc.value.current.value, exc.value.current.version, exc.value.current.entered_by) == (15.0, 2, "carol")
    with pytest.raises(ConflictError):
        store.save_value(STOCK, REGION, Q1, 13, "", "bob", 4)  # believes a row exists that does not
    assert store.observation(STOCK.id, REGION, Q1) is None


def test_identical_save_is_a_noop(store):
    first = store.save_value(FLOW, REGION, Q1, 12, "说明", "alice", None)
    version = store.data_version()
    again = store.save_value(FLOW, REGION, Q1, 12.0, " 说明 ", "bob", 1)
    assert again == first
    assert store.data_version() == version
    assert len(store.history(FLOW.id)) == 1
    # a stale version does not matter when nothing would change
    assert store.save_value(FLOW, REGION, Q1, 12, "说明", "bob", None).version == 1


def test_note_only_change_is_a_revision(store):
    store.save_value(FLOW, REGION, Q1, 12, "", "alice", None)
    row = store.save_value(FLOW, REGION, Q1, 12, "口径调整", "alice", 1)
    assert row.version == 2 and store.history(FLOW.id)[-1].new_note == "口径调整"


def test_empty_value_with_note_is_stored_but_not_an_observation(store):
    row = store.save_value(FLOW, REGION, Q1, None, "本季度暂无统计", "alice", None)
    assert row.value is None and row.note == "本季度暂无统计"
    assert store.observations("anning", REGION) == {}
    assert store.latest_period("anning", REGION) is None
    with pytest.raises(InvalidValueError):
        store.save_value(STOCK, REGION, Q1, None, "", "alice", None)


def test_invalid_values_are_refused(store):
    for bad in (-1, 1.5, "abc"):
        with pytest.raises(InvalidValueError) as exc:
            store.save_value(FLOW, REGION, Q1, bad, "", "alice", None)
        assert is_chinese(str(exc.value))
    assert store.data_version() == 0 and store.history(FLOW.id) == []


def test_unknown_source_is_a_programming_error(store):
    with pytest.raises(ValueError):
        store.save_value(FLOW, REGION, Q1, 1, "", "alice", None, source="typo")


def test_data_version_bumps_once_per_write(store):
    v0 = store.data_version()
    store.save_value(FLOW, REGION, Q1, 1, "", "a", None)
    store.save_value(FLOW, REGION, Q1, 2, "", "a", 1)
    store.submit("anning", REGION, UNIT_A, Q1, "a")
    store.save_reference("anning", REGION, "ref_series", Q1, 3.1, "a", None)
    store.save_baseline(FLOW, REGION, 10, date(2022, 12, 31), "a", None)
    assert store.data_version() == v0 + 5
    store.add_user("zhang", "viewer")  # users do not change any status
    assert store.data_version() == v0 + 5


def test_concurrent_saves_with_same_version_only_one_wins(store):
    store.save_value(FLOW, REGION, Q1, 1, "", "seed", None)
    url = store.engine.url
    results: list[str] = []
    barrier = threading.Barrier(6)

    def worker(n: int) -> None:
        other = Store.from_url(url)  # an engine of its own, like another worker process
        try:
            barrier.wait()
            other.save_value(FLOW, REGION, Q1, 10 + n, "", f"user{n}", 1)
            results.append("ok")
        except ConflictError:
            results.append("conflict")
        finally:
            other.dispose()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 5 + ["ok"]
    row = store.observation(FLOW.id, REGION, Q1)
    assert row.version == 2 and len(store.history(FLOW.id)) == 2


# ------------------------------------------------------------ submissions and locking

def test_submit_approve_locks_only_that_unit_and_quarter(store):
    store.save_value(FLOW, REGION, Q1, 5, "", "alice", None)
    sub = store.submit("anning", REGION, UNIT_A, Q1, "alice")
    assert sub.state == "submitted" and sub.submitted_by == "alice" and not sub.locked
    with pytest.raises(LockedError) as exc:  # submitted: what the office reviews cannot change under it
        store.save_value(FLOW, REGION, Q1, 6, "", "alice", 1)
    assert "已报送" in str(exc.value)
    sub = store.reopen("anning", REGION, UNIT_A, Q1, "office", "请补充")
    store.save_value(FLOW, REGION, Q1, 6, "", "alice", 1)
    store.submit("anning", REGION, UNIT_A, Q1, "alice")
    sub = store.approve("anning", REGION, UNIT_A, Q1, "office")
    assert sub.state == "approved" and sub.locked and sub.approved_by == "office"
    version = store.data_version()
    with pytest.raises(LockedError) as exc:
        store.save_value(FLOW, REGION, Q1, 7, "", "alice", 2)
    assert UNIT_A in str(exc.value) and "锁定" in str(exc.value)
    assert store.data_version() == version
    store.save_value(OTHER_UNIT, REGION, Q1, 1, "", "bob", None)  # another unit's indicator
    store.save_value(FLOW, REGION, Q2, 1, "", "alice", None)      # another quarter
    store.save_value(FLOW, "别的市", Q1, 1, "", "alice", None)     # another region
    assert store.observation(FLOW.id, REGION, Q1).value == 6.0


def test_submission_states_all_quarters_with_the_last_event(store):
    store.submit("anning", REGION, UNIT_A, Q1, "alice")
    store.approve("anning", REGION, UNIT_A, Q1, "office")
    store.submit("anning", REGION, UNIT_A, Q2, "alice")
    store.reopen("anning", REGION, UNIT_A, Q2, "office", "数据有误")   # returned: a draft after a reopen
    store.submit("anning", REGION, "另一单位", Q2, "bob")
    store.submit("anning", "别的市", UNIT_A, Q1, "alice")               # another region: not listed
    got = [(sub.unit, sub.period, sub.state, last) for sub, last in store.submission_states("anning", REGION)]
    assert got == [(UNIT_A, Q1, "approved", "approve"), ("另一单位", Q2, "submitted", "submit"),
                   (UNIT_A, Q2, "draft", "reopen")]
    assert store.submission_states("anning", "无此地区") == []


def test_reopen_needs_reason_and_unlocks(store):
    store.save_value(FLOW, REGION, Q1, 5, "", "alice", None)
    store.submit("anning", REGION, UNIT_A, Q1, "alice")
    store.approve("anning", REGION, UNIT_A, Q1, "office")
    for reason in ("", "   "):
        with pytest.raises(TransitionError) as exc:
            store.reopen("anning", REGION, UNIT_A, Q1, "office", reason)
        assert "原因" in str(exc.value)
    sub = store.reopen("anning", REGION, UNIT_A, Q1, "office", "数据有误")
    assert sub.state == "draft" and sub.approved_by is None
    store.save_value(FLOW, REGION, Q1, 7, "", "alice", 1)
    events = store.submission_events("anning", REGION, UNIT_A, Q1)
    assert [(e.action, e.user, e.reason) for e in events] == [("submit", "alice", ""), ("approve", "office", ""),
                                                              ("reopen", "office", "数据有误")]
    sub = store.submit("anning", REGION, UNIT_A, Q1, "alice")
    assert sub.state == "submitted" and sub.version == 4


@pytest.mark.parametrize("steps, bad", [
    ([], "approve"),
    ([], "reopen"),
    (["submit"], "submit"),
    (["submit", "approve"], "approve"),
    (["submit", "approve"], "submit"),
])
def test_illegal_transitions(store, steps, bad):
    calls = {
        "submit": lambda: store.submit("anning", REGION, UNIT_A, Q1, "u"),
        "approve": lambda: store.approve("anning", REGION, UNIT_A, Q1, "o"),
        "reopen": lambda: store.reopen("anning", REGION, UNIT_A, Q1, "o", "原因"),
    }
    for step in steps:
        calls[step]()
    before = store.submission("anning", REGION, UNIT_A, Q1)
    version = store.data_version()
    with pytest.raises(TransitionError) as exc:
        calls[bad]()
    assert isinstance(exc.value, StoreError) and is_chinese(str(exc.value))
    assert store.submission("anning", REGION, UNIT_A, Q1) == before
    assert store.data_version() == version


def test_transitions_in_one_transaction_all_or_nothing(store):
    rows = store.transitions("anning", REGION, [(UNIT_A, Q1, "submit"), (UNIT_A, Q1, "approve"),
                                                (UNIT_B, "2024Q1", "submit")], "office")
    assert [r.state for r in rows] == ["submitted", "approved", "submitted"]
    version = store.data_version()
    with pytest.raises(TransitionError):  # the second step is illegal: the first is undone too
        store.transitions("anning", REGION, [(UNIT_A, Q2, "submit"), (UNIT_B, Q1, "submit")], "office")
    assert store.submission("anning", REGION, UNIT_A, Q2) is None and store.data_version() == version
    with pytest.raises(TransitionError):
        store.transitions("anning", REGION, [(UNIT_A, Q1, "reopen")], "office")  # reopen needs a reason
    assert store.transitions("anning", REGION, [(UNIT_A, Q1, "reopen")], "office", reason="更正")[0].state == "draft"


def test_submissions_of_a_quarter(store):
    store.submit("anning", REGION, UNIT_B, Q1, "b")
    store.submit("anning", REGION, UNIT_A, Q1, "a")
    store.submit("anning", REGION, UNIT_A, Q2, "a")
    assert [s.unit for s in store.submissions("anning", REGION, Q1)] == sorted([UNIT_A, UNIT_B])
    assert store.submission("anning", REGION, UNIT_B, Q2) is None


# ------------------------------------------------------------ history

def test_history_filters_and_order(store):
    store.save_value(FLOW, REGION, Q1, 1, "", "a", None)
    store.save_value(FLOW, REGION, Q2, 2, "", "a", None)
    store.save_value(FLOW, "别的市", Q1, 3, "", "b", None)
    store.save_value(FLOW, REGION, Q1, 4, "", "c", 1, source="correction", reason="统计口径更正")
    assert len(store.history(FLOW.id)) == 4
    mine = store.history(FLOW.id, region=REGION, period="2024Q1")
    assert [(h.new_value, h.source) for h in mine] == [(1.0, "form"), (4.0, "correction")]
    assert mine[0].at <= mine[1].at
    assert store.history(STOCK.id) == []


# ------------------------------------------------------------ reference series and baselines

def test_reference_values(store):
    r = store.save_reference("anning", REGION, "yunnan_invention_per_10k", Q1, 3.21, "office", None)
    assert r.version == 1
    assert store.references("anning", REGION) == {"yunnan_invention_per_10k": {Q1: 3.21}}
    assert store.save_reference("anning", REGION, "yunnan_invention_per_10k", Q1, 3.21, "x", None) == r
    with pytest.raises(ConflictError) as exc:
        store.save_reference("anning", REGION, "yunnan_invention_per_10k", Q1, 3.3, "x", None)
    assert exc.value.current.value == 3.21
    store.save_reference("anning", REGION, "yunnan_invention_per_10k", Q1, 3.3, "office", 1, reason="省局更正")
    hist = store.history("ref:yunnan_invention_per_10k")
    assert [(h.old_value, h.new_value) for h in hist] == [(None, 3.21), (3.21, 3.3)]
    assert hist[1].reason == "省局更正"
    assert [x.version for x in store.reference_rows("anning", REGION)] == [2]


def test_baselines(store):
    b = store.save_baseline(FLOW, REGION, 30, date(2022, 12, 31), "office", None, note="2022年统计公报")
    assert store.baselines("anning", REGION) == {
        FLOW.id: Baseline(value=30.0, as_of=date(2022, 12, 31), source="2022年统计公报")}
    assert store.save_baseline(FLOW, REGION, 30, date(2022, 12, 31), "x", None, note="2022年统计公报") == b
    with pytest.raises(ConflictError):
        store.save_baseline(FLOW, REGION, 31, date(2022, 12, 31), "x", None)
    store.save_baseline(FLOW, REGION, 30, date(2023, 6, 30), "office", 1, note="2022年统计公报")
    assert store.baseline_rows("anning", REGION)[FLOW.id].as_of == date(2023, 6, 30)
    hist = store.history("baseline:" + FLOW.id)
    assert len(hist) == 2 and hist[0].period is None and "2023-06-30" in hist[1].reason
    with pytest.raises(InvalidValueError):
        store.save_baseline(FLOW, REGION, -3, date(2022, 12, 31), "office", 2)


# ------------------------------------------------------------ import rows

def test_import_rows_all_or_nothing(store):
    store.save_value(FLOW, REGION, Q1, 5, "", "alice", None)
    store.submit("anning", REGION, UNIT_B, Q1, "b")
    store.approve("anning", REGION, UNIT_B, Q1, "o")
    version = store.data_version()
    rows = [ImportRow(FLOW, REGION, Q1, 6, None, row=2), ImportRow(OTHER_UNIT, REGION, Q1, 1, "", row=3)]
    with pytest.raises(ImportRejected) as exc:
        store.import_rows(rows, "importer")
    assert exc.value.errors and exc.value.errors[0].startswith("第3行")
    assert store.data_version() == version and store.observation(FLOW.id, REGION, Q1).value == 5.0

    rows = [ImportRow(FLOW, REGION, Q1, 6, None, row=2), ImportRow(STOCK, REGION, Q2, 9, "新", row=3),
            ImportRow(STOCK, REGION, Q1, None, None, row=4)]
    planned = store.import_rows(rows, "importer", dry_run=True)
    assert [(c.action, c.old_value, c.new_value) for c in planned] == [("update", 5.0, 6.0), ("new", None, 9.0)]
    assert store.data_version() == version and store.observation(STOCK.id, REGION, Q2) is None

    done = store.import_rows(rows, "importer")
    assert done == planned
    assert store.data_version() == version + 1
    assert store.observation(FLOW.id, REGION, Q1).version == 2
    assert store.history(STOCK.id)[0].source == "import" and store.history(STOCK.id)[0].user == "importer"
    again = store.import_rows(rows, "importer")
    assert {c.action for c in again} == {"unchanged"} and store.data_version() == version + 1


def test_import_rows_rejects_duplicates_and_bad_values(store):
    rows = [ImportRow(FLOW, REGION, Q1, 6, row=2), ImportRow(FLOW, REGION, Q1, 7, row=3),
            ImportRow(STOCK, REGION, Q1, -1, row=4)]
    with pytest.raises(ImportRejected) as exc:
        store.import_rows(rows, "importer")
    assert len(exc.value.errors) == 2 and "第2行" in exc.value.errors[0]
    assert store.data_version() == 0 and store.observations("anning", REGION) == {}


# ------------------------------------------------------------ regions, meta, users

def test_regions_and_meta(store):
    store.ensure_region("anning", "安宁市")
    store.ensure_region("anning", "安宁市")
    store.ensure_region("luzhou", "泸州市")
    assert store.regions("anning") == ["安宁市"] and store.regions("luzhou") == ["泸州市"]
    store.set_meta("demo", "1")
    assert store.is_demo() and store.meta("demo") == "1" and store.meta("missing") is None
    with pytest.raises(ValueError):
        store.set_meta("data_version", "99")


def test_users(store):
    u = store.add_user("li", "reporter", password_hash="h1", display_name="李四", units=[UNIT_A], schemes=["anning"])
    assert (u.username, u.role, u.units, u.schemes, u.active, u.failed_count) == ("li", "reporter", [UNIT_A],
                                                                                 ["anning"], True, 0)
    with pytest.raises(DuplicateError):
        store.add_user("li", "viewer")
    with pytest.raises(StoreError):
        store.add_user("wang", "superuser")
    until = datetime.now(timezone.utc) + timedelta(minutes=15)
    u2 = store.update_user("li", failed_count=5, locked_until=until, units=[UNIT_A, UNIT_B], active=False)
    assert u2.failed_count == 5 and u2.units == [UNIT_A, UNIT_B] and not u2.active
    assert abs((u2.locked_until - until).total_seconds()) < 1
    assert store.get_user("li") == u2 and store.get_user("nobody") is None
    with pytest.raises(NotFoundError):
        store.update_user("nobody", active=True)
    with pytest.raises(TypeError):
        store.update_user("li", username="x")
    store.add_user("admin", "admin")
    assert [x.username for x in store.list_users()] == ["admin", "li"]
    store.record_login("li", False, "127.0.0.1")
    store.record_login("li", True, "127.0.0.1")
    store.record_login("admin", True)
    events = store.login_events("li")
    assert [e.success for e in events] == [True, False] and events[0].ip == "127.0.0.1"
    assert len(store.login_events()) == 3


# ------------------------------------------------------------ demo dataset

@pytest.fixture(scope="module")
def real_registry():
    from indicators.registry import load_registry

    return load_registry()


def test_demo_loads_once_and_marks_the_database(store, real_registry):
    from data.demo import DEMO_LAST, DEMO_USER, load_demo

    summary = load_demo(store, real_registry)
    assert summary["anning"]["status"] == "loaded" and summary["luzhou"]["status"] == "loaded"
    assert store.is_demo()
    version = store.data_version()
    obs = store.observations("anning", "安宁市")
    again = load_demo(store, real_registry)
    assert again["anning"]["status"] == "already loaded"
    assert store.data_version() == version and store.observations("anning", "安宁市") == obs
    for scheme_id, first in (("anning", Quarter(2022, 3)), ("luzhou", Quarter(2024, 2))):
        scheme = real_registry.schemes[scheme_id]
        obs = store.observations(scheme_id, scheme.region)
        for ind in real_registry.scheme_indicators(scheme_id):
            start = max(first, Quarter.containing((ind.start or scheme.period.start).first_day))
            assert obs.get(ind.id), ind.id
            assert min(obs[ind.id]) >= start and max(obs[ind.id]) <= DEMO_LAST
        at_last = store.observations_at(scheme_id, scheme.region, DEMO_LAST)
        assert 0 < len(at_last) < len(real_registry.scheme_indicators(scheme_id))  # chase list not empty
    hist = store.history("anning_invention_grants_annual")
    assert hist and {h.source for h in hist} == {"demo"} and {h.user for h in hist} == {DEMO_USER}


def test_demo_refuses_a_database_with_real_entries(store, real_registry):
    from data.demo import load_demo

    store.save_value(real_registry.indicators["anning_invention_grants_annual"], "安宁市", "2024Q1", 3, "",
                     "alice", None)
    with pytest.raises(StoreError):
        load_demo(store, real_registry)
    assert not store.is_demo() and len(store.observations("anning", "安宁市")) == 1


def test_demo_details(sqlite_store, real_registry):
    from data.demo import CORRECTION_REASON, FALL_NOTE, load_demo, plan_scheme

    load_demo(sqlite_store, real_registry)
    refs = sqlite_store.references("anning", "安宁市")["yunnan_invention_per_10k"]
    values = [refs[q] for q in sorted(refs)]
    assert 3 <= values[0] < values[-1] <= 4.2
    plan = plan_scheme(real_registry, "anning")
    assert plan == plan_scheme(real_registry, "anning")  # deterministic
    falls = [(i, q) for (i, q), note in plan.notes.items() if note == FALL_NOTE]
    assert falls
    ind_id, q = falls[0]
    rows = {r.period: r for r in sqlite_store.observation_rows(ind_id, "安宁市")}
    assert rows[q].value < rows[q.prev()].value and rows[q].note == FALL_NOTE
    corrected = [h for h in sqlite_store.history(next(iter(plan.corrections))[0]) if h.reason == CORRECTION_REASON]
    assert len(corrected) == 1 and corrected[0].old_value != corrected[0].new_value
    assert sqlite_store.submission("anning", "安宁市", "市市场监管局", Quarter(2023, 1)).locked
    assert sqlite_store.submissions("anning", "安宁市", Quarter(2026, 3)) == []
    assert {len(plan.profiles)} == {len(real_registry.scheme_indicators("anning"))}
    assert {"ahead", "on_track", "warning", "behind", "gappy", "falling"} <= set(plan.profiles.values())
    assert {"early", "on_time", "late", "never"} <= set(plan.profiles.values())


def test_demo_plan_is_generic_over_every_scheme(real_registry):
    from data.demo import DEMO_LAST, plan_scheme
    from indicators.values import check_value

    for scheme_id, scheme in real_registry.schemes.items():
        plan = plan_scheme(real_registry, scheme_id)
        for ind in real_registry.scheme_indicators(scheme_id):
            if Quarter.containing((ind.start or scheme.period.start).first_day) > DEMO_LAST:
                continue
            assert plan.values.get(ind.id), ind.id
            for q, v in plan.values[ind.id].items():
                assert check_value(ind, v).ok, (ind.id, q, v)


def test_demo_shows_every_status_for_anning(sqlite_store, real_registry):
    from data.demo import load_demo, plan_scheme
    from indicators.status import evaluate_many
    from indicators.statuses import Status

    load_demo(sqlite_store, real_registry, schemes=("anning",))
    region = real_registry.schemes["anning"].region
    obs = sqlite_store.observations("anning", region)
    refs = sqlite_store.references("anning", region)
    bases = sqlite_store.baselines("anning", region)
    seen = set()
    for q in plan_scheme(real_registry, "anning").quarters:
        seen |= {r.status for r in evaluate_many(real_registry, "anning", obs, q.end, refs, bases)}
    assert seen == set(Status)
