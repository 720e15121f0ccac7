"""Registry versions in the store, on SQLite and PostgreSQL (issue 17): who/when/why recorded,
the shipped file stored as version 1, bad publications refused with nothing written (validation,
an effective date before the previous version's, two admins publishing at once), values and the
status snapshot across a publication."""
from __future__ import annotations

import threading
from datetime import date

import pytest

from data.errors import ConflictError, StoreError
from data.scheme_versions import SchemeVersions, adjust_target, export_text, load_history, publish_text
from indicators.periods import Quarter
from indicators.registry import load_registry
from indicators.snapshot import Evaluator
from indicators.versions import VersionRefused, dump_definition

pytest_plugins = ["tests.conftest_db"]

IND = "anning_utility_model_grants_annual"
REASON = "安宁市知识产权强县试点调整方案(安政办〔2024〕8号)"


@pytest.fixture(scope="module")
def base():
    return load_registry()


def test_an_adjustment_stores_the_shipped_file_as_version_1_and_records_who_when_why(store, base):
    sv = SchemeVersions(store)
    assert sv.counter() == 0 and load_history(store, base).current("anning").version == 1
    data_before = store.data_version()
    rec = adjust_target(store, base, IND, 600, date(2024, 6, 30), REASON, "office")
    assert (rec.version, rec.action, rec.published_by, rec.reason) == (2, "adjust", "office", REASON)
    assert rec.published_at is not None and store.data_version() > data_before
    rows = sv.rows("anning")
    assert [(r.version, r.action, r.effective_from) for r in rows] == [
        (1, "shipped", date(2022, 8, 1)), (2, "adjust", date(2024, 6, 30))]
    assert rows[0].definition == base.file_text("anning")       # the shipped YAML, comments and all
    assert sv.counter() > 0
    h = load_history(store, base)
    assert h.registry.indicators[IND].target.value == 600
    assert h.target_history_text(IND) == [f"2024-06-30起由500件调整为600件,依据{REASON}"]
    assert "value: 600" in export_text(h, "anning") and export_text(h, "anning", 1) == base.file_text("anning")


def test_a_publication_that_fails_validation_is_refused_naming_field_and_indicator(store, base):
    bad = base.file_text("anning").replace("target: {value: 500,", "target: {value: -5,", 1)
    with pytest.raises(VersionRefused) as exc:
        publish_text(store, base, bad, date(2024, 6, 30), REASON, "office", name="anning.yaml")
    assert f"指标 {IND}、字段 target.value" in str(exc.value)
    assert SchemeVersions(store).rows() == []


def test_an_effective_date_before_the_previous_version_is_refused(store, base):
    adjust_target(store, base, IND, 600, date(2024, 6, 30), REASON, "office")
    with pytest.raises(StoreError, match="生效日期2024-01-01早于当前第2版的生效日期2024-06-30"):
        adjust_target(store, base, IND, 700, date(2024, 1, 1), REASON, "office")
    with pytest.raises(StoreError, match="请填写调整依据"):
        adjust_target(store, base, IND, 700, date(2024, 9, 30), "  ", "office")
    assert [r.version for r in SchemeVersions(store).rows("anning")] == [1, 2]


def test_two_admins_publishing_from_the_same_version_one_is_refused(store, base):
    text = dump_definition(base.schemes["anning"], base.scheme_indicators("anning"))
    publish_text(store, base, text, date(2024, 1, 1), "甲的修订", "admin_a", expected_version=1)
    with pytest.raises(ConflictError, match=r"当前已是第2版.由admin_a于.*发布.,而您是在第1版的基础上修改的"):
        publish_text(store, base, text, date(2024, 1, 1), "乙的修订", "admin_b", expected_version=1)
    assert [(r.version, r.published_by) for r in SchemeVersions(store).rows("anning")] == [
        (1, "系统"), (2, "admin_a")]


def test_two_admins_publishing_at_the_same_moment(store, base):
    """Both start from version 1 and publish at once: exactly one version 2, the other refused."""
    text = dump_definition(base.schemes["luzhou"], base.scheme_indicators("luzhou"))
    start, outcomes = threading.Barrier(2), []

    def publish(who):
        start.wait()
        try:
            outcomes.append(publish_text(store, base, text, date(2024, 6, 1), "修订", who, expected_version=1))
        except ConflictError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=publish, args=(w,)) for w in ("admin_a", "admin_b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(type(o).__name__ for o in outcomes) == ["ConflictError", "VersionRecord"]
    assert [r.version for r in SchemeVersions(store).rows("luzhou")] == [1, 2]


def test_values_stay_attached_and_a_removed_indicator_keeps_its_values(store, base):
    ind = base.indicators[IND]
    store.save_value(ind, "安宁市", Quarter(2024, 1), 130, "", "rep", None)
    without = dump_definition(base.schemes["anning"], [i for i in base.scheme_indicators("anning") if i.id != IND])
    publish_text(store, base, without, date(2025, 1, 1), "指标取消", "office")
    assert IND not in load_history(store, base).registry.indicators
    assert store.observations("anning", "安宁市")[IND] == {Quarter(2024, 1): 130}     # never deleted
    publish_text(store, base, base.file_text("anning"), date(2025, 4, 1), "恢复指标", "office")
    h = load_history(store, base)
    assert IND in h.registry.indicators and store.observations("anning", "安宁市")[IND] == {Quarter(2024, 1): 130}
    assert h.target_history_text(IND)[-1].startswith("2025-04-01起调整为500件(重新纳入)")


def test_a_publication_invalidates_the_status_snapshot_of_its_scheme(store, base):
    store.set_snapshot_evaluator(Evaluator(base))
    ind = base.indicators[IND]
    store.save_value(ind, "安宁市", Quarter(2024, 1), 130, "", "rep", None)
    store.save_value(base.scheme_indicators("luzhou")[0], "泸州市", Quarter(2024, 3), 1, "", "rep", None)
    assert store.snapshot_rows("anning") and store.snapshot_rows("luzhou")
    adjust_target(store, base, IND, 600, date(2024, 6, 30), REASON, "office")
    assert store.snapshot_rows("anning") == {}            # derived from the old definition: gone
    assert store.snapshot_rows("luzhou")                  # other schemes untouched
    # Refilled with the new history's fingerprint and the version in force per quarter.
    store.set_snapshot_evaluator(Evaluator(base, load_history(store, base)))
    assert store.fill_snapshot("anning", Quarter(2024, 1)) == 1
    store.rebuild_snapshot(["anning"])
    rows = store.snapshot_rows("anning")
    idx = [i.id for i in base.scheme_indicators("anning")].index(IND)
    assert rows[("安宁市", "2024Q1")][7].split()[idx] == "on_track"     # 130 of 500/年: on the pace
    assert store.snapshot_check("anning") == []


def test_a_database_not_yet_migrated_reads_as_the_shipped_registry(tmp_path, base):
    from data.db import make_engine, upgrade
    from data.store import Store

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0004")
    assert SchemeVersions(Store(engine)).counter() == 0
    assert load_history(Store(engine), base).current("anning").version == 1
    engine.dispose()
