"""The status snapshot equals a fresh evaluation after random writes, on SQLite and PostgreSQL."""
from __future__ import annotations

import random
from datetime import date

import pytest

from dashboard.service import MonitorService
from data.bulk import bulk_load
from data.demo import plan_scheme
from data.models import SNAPSHOT_STATUSES
from data.store import ImportRow, Store, ValueEdit
from indicators.model import Kind
from indicators.periods import Quarter, quarter_range
from indicators.registry import load_registry
from indicators.rollup import by_dimension, summarise
from indicators.snapshot import Evaluator, snapshot_quarters
from indicators.statuses import Status

pytest_plugins = ["tests.conftest_db"]

FIRST, LAST = Quarter(2022, 3), Quarter(2025, 2)
SCHEME = "anning"


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _value(ind, plan_value, rng):
    if ind.kind is Kind.milestone:
        return float(rng.random() < 0.5)
    v = round((plan_value or 1.0) * rng.uniform(0.3, 1.5), ind.decimals)
    return min(v, 100.0) if ind.unit == "%" else v


def _fresh(service, store, registry):
    """Every region and quarter the snapshot keeps, evaluated through the service's own path
    (indicators.status.evaluate at each quarter's end), in the snapshot's terms."""
    out = {}
    for region in store.regions(SCHEME):
        for q in snapshot_quarters(registry, SCHEME):
            results = service.results(SCHEME, region, q)
            out[(region, str(q))] = " ".join(r.status.value for r in results)
    return out


def test_snapshot_equals_a_fresh_evaluation_after_random_writes(store, registry):
    rng = random.Random(19)
    plan = plan_scheme(registry, SCHEME, first=FIRST, last=LAST)
    inds = registry.scheme_indicators(SCHEME)
    bulk_load(store.engine, SCHEME, registry.indicators,
              {n: {i: dict(s) for i, s in list(plan.values.items())[k::3]} for k, n in enumerate(["甲县", "乙县", "丙县"])},
              "测试", references={"甲县": plan.references})
    service = MonitorService(registry, store)       # hands the store its evaluator
    assert store.snapshot_check(SCHEME)             # bulk-loaded: nothing computed yet
    assert store.rebuild_snapshot([SCHEME], workers=2) == 3 * len(snapshot_quarters(registry, SCHEME))
    assert store.snapshot_check(SCHEME) == []

    quarters = quarter_range(FIRST, LAST)
    regions = ["甲县", "乙县", "丙县", "丁县"]       # 丁县: created by a save
    for step in range(40):
        region, q = rng.choice(regions), rng.choice(quarters)
        ind = rng.choice(inds)
        what = rng.random()
        if what < 0.45:
            row = store.observation(ind.id, region, q)
            value = None if (row is not None and rng.random() < 0.2) else _value(ind, plan.values.get(ind.id, {}).get(q), rng)
            store.save_value(ind, region, q, value, "随机", "测试", row.version if row else None)
        elif what < 0.6:
            edits = []
            for other in rng.sample(inds, 3):
                row = store.observation(other.id, region, q)
                edits.append(ValueEdit(other, region, q, _value(other, None, rng), "", row.version if row else None))
            store.save_values(edits, "测试")
        elif what < 0.75:
            store.import_rows([ImportRow(i, rng.choice(regions), q, _value(i, None, rng)) for i in rng.sample(inds, 4)],
                              "导入")
        elif what < 0.88:
            rows = store.reference_rows(SCHEME, region, "yunnan_invention_per_10k")
            old = next((r for r in rows if r.period == q), None)
            store.save_reference(SCHEME, region, "yunnan_invention_per_10k", q, round(rng.uniform(1, 5), 3), "测试",
                                 old.version if old else None)
        else:
            line = next(i for i in inds if i.kind is Kind.cumulative)
            old = store.baseline_rows(SCHEME, region).get(line.id)
            store.save_baseline(line, region, round(rng.uniform(0, 20), line.decimals), date(2022, 6, 30), "测试",
                                old.version if old else None)

    assert store.snapshot_check(SCHEME) == []
    stored = store.snapshot_rows(SCHEME)
    fresh = _fresh(service, store, registry)
    assert set(stored) == set(fresh) and len(stored) == 4 * len(snapshot_quarters(registry, SCHEME))
    for key, statuses in fresh.items():
        version, total, due, share, index, counts, dims, snap_statuses, reported = stored[key]
        assert snap_statuses == statuses, key
        assert counts == {s: statuses.split().count(s) for s in SNAPSHOT_STATUSES}
        assert total == len(inds) and due == total - counts["not_due"]
        # The snapshot classifies without wording (indicators.status.classify_quarters): its figures
        # equal the roll-ups of the service's full results.
        results = service.results(SCHEME, key[0], Quarter.parse(key[1]))
        overall, by_dim = summarise(key[0], results), by_dimension(results, registry)
        assert (share, index) == (overall.share_achieved, overall.completion_index), key
        assert dims == [by_dim[d].completion_index if d in by_dim else None
                        for d in registry.schemes[SCHEME].dimensions], key
    # The overview's heatmap reads the snapshot; the same statuses as evaluating.
    qs = snapshot_quarters(registry, SCHEME)[-12:]
    for region in regions:
        assert service.status_history(SCHEME, region, qs) == \
            {i: {q: r.status for q, r in by_q.items()} for i, by_q in service.history(SCHEME, region, qs).items()}


def test_writes_without_an_evaluator_leave_rows_to_fill(store, registry):
    """A write through a store that has no evaluator (a command) deletes the rows it makes stale;
    the next reader computes them, for every worker at once."""
    flow = next(i for i in registry.scheme_indicators(SCHEME) if i.kind is Kind.annual)
    MonitorService(registry, store)
    store.save_value(flow, "甲县", Quarter(2024, 2), 5, "", "测试", None)
    assert store.snapshot_check(SCHEME) == []
    bare = Store(store.engine)
    bare.save_value(flow, "甲县", Quarter(2024, 3), 6, "", "命令", None)
    gone = store.snapshot_check(SCHEME)
    assert gone and all("缺少" in p for p in gone)
    q = Quarter(2024, 4)
    service = MonitorService(registry, store)
    history = {i: {q: r.status for q, r in by_q.items()} for i, by_q in service.history(SCHEME, "甲县", [q]).items()}
    assert service.status_history(SCHEME, "甲县", [q]) == history        # a missing row: evaluated instead
    assert store.fill_snapshot(SCHEME, q) == 1 and store.fill_snapshot(SCHEME, q) == 0
    assert service.status_history(SCHEME, "甲县", [q]) == history
    assert store.rebuild_snapshot([SCHEME]) and store.snapshot_check(SCHEME) == []


def test_every_status_has_a_count_column():
    assert set(SNAPSHOT_STATUSES) == {s.value for s in Status}


def test_registry_change_makes_rows_stale(store, registry):
    flow = next(i for i in registry.scheme_indicators(SCHEME) if i.kind is Kind.annual)
    MonitorService(registry, store)
    store.save_value(flow, "甲县", Quarter(2024, 2), 5, "", "测试", None)
    changed = load_registry()
    # Any change of the scheme's definition (a fresh registry object: the module's stays as it is).
    changed.schemes[SCHEME] = changed.schemes[SCHEME].model_copy(update={"note": "改过"})
    other = Evaluator(changed)
    assert other.version(SCHEME) != Evaluator(registry).version(SCHEME)
    store.set_snapshot_evaluator(other)
    assert store.fill_snapshot(SCHEME, Quarter(2024, 2)) == 1       # the old version's row counts as missing


def test_snapshot_command_rebuilds_and_checks(sqlite_store, registry, capsys):
    from data.__main__ import main

    url = sqlite_store.engine.url.render_as_string(hide_password=False)
    flow = next(i for i in registry.scheme_indicators(SCHEME) if i.kind is Kind.annual)
    sqlite_store.save_value(flow, "甲县", Quarter(2024, 2), 5, "", "命令", None)   # no evaluator: no rows
    assert main(["--url", url, "snapshot", "--check", "--scheme", SCHEME]) == 1
    assert "缺少" in capsys.readouterr().out
    assert main(["--url", url, "snapshot", "--rebuild"]) == 0
    assert "状态快照已重建" in capsys.readouterr().out
    assert main(["--url", url, "snapshot", "--check"]) == 0
    assert main(["--url", url, "snapshot", "--check", "--scheme", "nope"]) == 2


@pytest.mark.parametrize("workers, defer_min_rows", [(1, None), (2, None), (2, 1)])
def test_bulk_load_writes_the_snapshot_of_new_regions(store, registry, workers, defer_min_rows):
    """Given the evaluator, the bulk loader commits the new regions' snapshot with their values
    (computed from the values in hand, in worker processes): equal to a fresh evaluation.
    A region that held values before loses its rows (readers or --rebuild fill them).
    ``defer_min_rows=1``: the same when the load re-creates its tables' constraints (PostgreSQL)."""
    plan = plan_scheme(registry, SCHEME, first=FIRST, last=LAST)
    flow = next(i for i in registry.scheme_indicators(SCHEME) if i.kind is Kind.annual)
    service = MonitorService(registry, store)
    store.save_value(flow, "旧县", Quarter(2022, 4), 5, "", "测试", None)
    assert store.snapshot_check(SCHEME) == []
    names = [f"新县{k}" for k in range(5)]
    values = {n: {i: {q: (None if (k + q.q) % 5 == 0 else v) for q, v in s.items()}
                  for i, s in list(plan.values.items())[k::2]} for k, n in enumerate(names)}
    values["旧县"] = {flow.id: {Quarter(2023, 1): 7}}
    bulk_load(store.engine, SCHEME, registry.indicators, values, "测试", references={names[0]: plan.references},
              snapshot=Evaluator(registry), workers=workers,
              **({} if defer_min_rows is None else {"defer_min_rows": defer_min_rows}))
    rows = store.snapshot_rows(SCHEME)
    assert {r for r, _ in rows} == set(names)                   # 旧县's rows were made stale
    assert store.snapshot_check(SCHEME) == [f"旧县 {q}:状态快照缺少" for q in snapshot_quarters(registry, SCHEME)]
    fresh = _fresh(service, store, registry)
    assert all(rows[key][7] == statuses for key, statuses in fresh.items() if key[0] != "旧县")
