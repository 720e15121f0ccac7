"""Regions roll-up (地区排名) and the bulk loader, on SQLite and PostgreSQL."""
from __future__ import annotations

import dataclasses
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import event, func, select, text

from benchmarks import payloads
from dashboard.pages.regions import heat_colour
from dashboard.region_rollup import RegionRanking, RegionSummary, ranked
from dashboard.service import MonitorService
from data import bulk
from data.bulk import bulk_load, defers_constraints
from data.demo import plan_scheme
from data.models import Revision
from data.store import DuplicateError, InvalidValueError, StoreError
from indicators.model import Kind
from indicators.periods import Quarter
from indicators.registry import load_registry
from indicators.rollup import by_dimension, summarise
from indicators.statuses import Status

pytest_plugins = ["tests.conftest_db"]

Q = Quarter(2025, 2)
FIRST = Quarter(2022, 3)
AHEAD, BEHIND, SPARSE = "甲县", "乙县", "丙县"


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def _scaled(registry, factor: float) -> dict:
    """The demo plan's values for every Anning indicator, scaled (milestones kept or never done)."""
    plan = plan_scheme(registry, "anning", first=FIRST, last=Q)
    out = {}
    for ind_id, series in plan.values.items():
        ind = registry.indicators[ind_id]
        if ind.kind is Kind.milestone:
            out[ind_id] = dict(series) if factor >= 1 else {q: 0.0 for q in series}
        else:
            cap = 100.0 if ind.unit == "%" else float("inf")
            out[ind_id] = {q: min(cap, round(v * factor, ind.decimals)) for q, v in series.items()}
    return out


@pytest.fixture
def province(store, registry):
    """Three regions: one ahead of plan, one well behind, one that reported almost nothing."""
    ahead = _scaled(registry, 1.25)
    sparse = {k: v for k, v in list(ahead.items())[:3]}
    refs = plan_scheme(registry, "anning", first=FIRST, last=Q).references
    values = {AHEAD: ahead, BEHIND: _scaled(registry, 0.5), SPARSE: sparse}
    summary = bulk_load(store.engine, "anning", registry.indicators, values, "测试",
                        references={name: refs for name in values}, source="import", reason="测试数据")
    return values, summary


def _independent(service, region: str) -> tuple:
    """Completion index and counts straight from the per-region service path (not the roll-up cache)."""
    results = service.results("anning", region, Q)
    r = summarise(region, results)
    return r.completion_index, r.counts, {d: x.completion_index for d, x in by_dimension(results, service.registry).items()}


def test_ranking_orders_regions_by_completion_index(store, registry, province, tmp_path):
    service = MonitorService(registry, store)
    rows = RegionRanking(service).rows("anning", Q)
    assert [r.region for r in rows] == [AHEAD, BEHIND, SPARSE]
    assert [r.rank for r in rows] == [1, 2, 3]
    for r in rows:
        index, counts, dims = _independent(service, r.region)
        assert r.completion_index == index
        assert r.counts == counts and sum(r.counts.values()) == len(registry.scheme_indicators("anning"))
        assert list(r.dimensions) == registry.schemes["anning"].dimensions
        assert all(r.dimensions[d] == dims.get(d) for d in r.dimensions)
    assert rows[0].completion_index > rows[1].completion_index > rows[2].completion_index
    assert rows[2].counts[Status.no_data] > rows[0].counts[Status.no_data]


def test_ranking_follows_a_save_in_one_region(store, registry, province, tmp_path):
    service = MonitorService(registry, store)
    ranking = RegionRanking(service)
    before = {r.region: r for r in ranking.rows("anning", Q)}
    # 丙县 reports one more indicator: only its summary changes, and it matches a fresh computation.
    ind = next(i for i in registry.scheme_indicators("anning")
               if i.kind is Kind.milestone and i.id not in province[0][SPARSE])
    store.save_value(ind, SPARSE, Q, 1.0, "", "测试", None)
    after = {r.region: r for r in ranking.rows("anning", Q)}
    assert after[SPARSE].counts != before[SPARSE].counts
    assert after[SPARSE].completion_index == _independent(service, SPARSE)[0]
    assert after[AHEAD] == before[AHEAD]
    # A new region without values appears (every due indicator unreported).
    store.ensure_region("anning", "丁县")
    names = [r.region for r in ranking.rows("anning", Q)]
    assert "丁县" in names and len(names) == 4


def test_workers_share_the_snapshot_and_a_save_evaluates_one_region(store, registry, province, monkeypatch):
    """A second worker reads the ranking the first one's request filled (nothing evaluated);
    a save re-evaluates just the saved region, in the store's transaction, and every worker
    sees the same ranking as a fresh evaluation."""
    from indicators.snapshot import Evaluator

    first = RegionRanking(MonitorService(registry, store))
    rows = first.rows("anning", Q)
    second = RegionRanking(MonitorService(registry, store))
    evaluated: list[str] = []
    original = Evaluator.evaluate

    def counting(self, scheme_id, region, *args):
        evaluated.append(region)
        return original(self, scheme_id, region, *args)

    monkeypatch.setattr(Evaluator, "evaluate", counting)
    assert second.rows("anning", Q) == rows and evaluated == []
    ind = next(i for i in registry.scheme_indicators("anning") if i.kind is Kind.milestone
               and i.id not in province[0][SPARSE])
    store.save_value(ind, SPARSE, Q, 1.0, "", "测试", None)
    assert evaluated == [SPARSE]
    updated = second.rows("anning", Q)
    assert first.rows("anning", Q) == updated and evaluated == [SPARSE]
    service = MonitorService(registry, store)
    assert [(r.region, r.completion_index, r.counts) for r in updated] == \
        [(n, *_independent(service, n)[:2]) for n in (r.region for r in updated)]


def test_sql_ranking_pages_search_and_order_agree_with_the_python_rule(store, registry, province):
    """Rank, order (both ways), search and paging from SQL equal ranked() + shown_rows()."""
    from dashboard.pages.regions import shown_rows
    from dashboard.region_rollup import totals

    for extra in ("丁县", "戊县", "己县"):      # nothing reported: equal indexes share a rank
        store.ensure_region("anning", extra)
    ranking = RegionRanking(MonitorService(registry, store))
    python = ranked([dataclasses.replace(r, rank=0) for r in ranking.rows("anning", Q)])
    assert ranking.rows("anning", Q) == python
    assert len({r.rank for r in python}) < len(python)
    for text in ("", "县", "乙", "无此地"):
        for order in ("desc", "asc"):
            expected = shown_rows(python, text, order)
            assert ranking.page("anning", Q, text, order) == (len(expected), expected)
            assert ranking.page("anning", Q, text, order, 2, 2) == (len(expected), expected[2:4])
    t = ranking.totals("anning", Q)
    want = totals(python)
    assert (t.regions, t.counts, t.lagging, t.median_index) == \
        (want.regions, want.counts, want.lagging, want.median_index)
    assert t.mean_index == pytest.approx(want.mean_index)


def test_ties_share_a_rank_and_none_goes_last():
    def s(name, ci, sa=None):
        return RegionSummary(name, {}, 0, 0, sa, ci, {})

    rows = ranked([s("b", 50.0), s("a", 80.0), s("c", 50.0), s("d", None), s("e", 80.0, 0.5)])
    assert [(r.region, r.rank) for r in rows] == [("e", 1), ("a", 1), ("b", 3), ("c", 3), ("d", 5)]


def test_heat_colours_follow_bands():
    assert heat_colour(None)[0] != heat_colour(95.0)[0]
    assert heat_colour(95.0) == heat_colour(90.0) != heat_colour(89.9)
    assert heat_colour(10.0) == heat_colour(0.0)


def _two_region_client(sqlite_url, registry):
    """(test client, callbacks) of an app over two regions: one ahead of plan, one well behind."""
    from dashboard import Settings, create_app
    from data.db import make_engine, upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    bulk_load(engine, "anning", registry.indicators,
              {AHEAD: _scaled(registry, 1.25), BEHIND: _scaled(registry, 0.5)}, "测试")
    engine.dispose()
    app = create_app(Settings(database_url=sqlite_url, secret_key="t", login_disabled=True))
    client = app.server.test_client()
    cb = payloads.Callbacks(client.get("/_dash-dependencies").get_json())
    return client, cb


def test_regions_page_ranks_and_links_carry_the_region(sqlite_url, registry):
    client, cb = _two_region_client(sqlite_url, registry)
    r = client.post(payloads.UPDATE_PATH, json=payloads.regions(cb, "anning", str(Q)))
    assert r.status_code == 200
    # The table is server-rendered HTML (data-html, put in place by assets/monitor_html.js).
    text = r.get_json()["response"]["rn-table"]["data-html"]
    assert text.index(AHEAD) < text.index(BEHIND)
    hrefs = [html.unescape(h) for h in re.findall(r'<a class="region-link" href="([^"]+)" data-dash-link>', text)]
    assert len(hrefs) == 2
    regions = {parse_qs(urlsplit(h).query)["region"][0] for h in hrefs}
    assert regions == {AHEAD, BEHIND}
    assert all(parse_qs(urlsplit(h).query)["q"] == [str(Q)] and urlsplit(h).path == "/" for h in hrefs)
    # Search narrows the list.
    r = client.post(payloads.UPDATE_PATH, json=payloads.regions(cb, "anning", str(Q), search="乙"))
    text = r.get_json()["response"]["rn-table"]["data-html"]
    assert BEHIND in text and AHEAD not in text


def test_ranking_table_escapes_region_names():
    """The ranking's HTML carries names from the database: escaped in text and attributes."""
    from dashboard.pages.regions import _table
    from indicators.registry import load_registry as load

    scheme = load().schemes["anning"]
    name = '<img src=x onerror="alert(1)">县&'
    row = RegionSummary(name, {Status.achieved: 2}, 2, 2, 1.0, 95.0, dict.fromkeys(scheme.dimensions, 95.0), rank=1)
    out = _table(scheme, [row], Q)
    assert "<img" not in out and 'onerror="' not in out
    assert html.escape(name) in out and f'data-region="{html.escape(name, quote=True)}"' in out
    assert 'data-count-status="achieved" data-count="2"' in out


def test_regions_export_lists_every_shown_region_with_numbers(sqlite_url, registry):
    """导出Excel: the regions the search and order list (all pages), indexes as numbers."""
    import base64
    import io

    from openpyxl import load_workbook

    client, cb = _two_region_client(sqlite_url, registry)
    values = {"rn-export.n_clicks": 1, "rn-scheme.value": "anning", "rn-quarter.value": str(Q),
              "rn-search.value": "", "rn-order.value": "asc"}
    r = client.post(payloads.UPDATE_PATH, json=cb.body("rn-download.data", values))
    out = r.get_json()["response"]
    assert out["rn-export-note"]["children"] == "已导出 2 个地区"
    ws = load_workbook(io.BytesIO(base64.b64decode(out["rn-download"]["data"]["content"]))).active
    assert [c.value for c in ws[4]][:4] == ["排名", "地区", "完成指数", "达标率(%)"]
    assert [ws.cell(row=5, column=2).value, ws.cell(row=6, column=2).value] == [BEHIND, AHEAD]   # worst first
    assert isinstance(ws.cell(row=5, column=3).value, (int, float))
    assert ws.cell(row=6, column=3).value > ws.cell(row=5, column=3).value

    r = client.post(payloads.UPDATE_PATH, json=cb.body("rn-download.data", {**values, "rn-search.value": "无此地"}))
    out = r.get_json()["response"]
    assert out["rn-export-note"]["children"] == "没有可导出的地区:请修改查找条件。" and "rn-download" not in out


# ---------------------------------------------------------------- bulk loader

def test_bulk_load_writes_values_and_one_revision_each(store, registry):
    inds = registry.scheme_indicators("anning")
    flow = next(i for i in inds if i.kind is Kind.annual)
    mile = next(i for i in inds if i.kind is Kind.milestone)
    values = {"甲县": {flow.id: {Quarter(2024, 1): 3, Quarter(2024, 2): 5.0}, mile.id: {Quarter(2024, 2): 1}},
              "乙县": {flow.id: {Quarter(2024, 1): 2, Quarter(2024, 3): None}}}
    refs = {"甲县": {"yunnan_invention_per_10k": {Quarter(2024, 1): 3.141}}}
    v0 = store.data_version()
    s = bulk_load(store.engine, "anning", registry.indicators, values, "载入员", references=refs, source="import",
                  notes={("甲县", flow.id, Quarter(2024, 2)): "季报"})
    assert (s.regions_created, s.observations, s.references, s.revisions) == (2, 4, 1, 5)
    assert store.data_version() == v0 + 1
    assert store.regions("anning") == sorted(["甲县", "乙县"])
    assert store.observations("anning", "甲县") == {flow.id: {Quarter(2024, 1): 3.0, Quarter(2024, 2): 5.0},
                                                   mile.id: {Quarter(2024, 2): 1.0}}
    assert store.observations("anning", "乙县") == {flow.id: {Quarter(2024, 1): 2.0}}
    assert store.references("anning", "甲县") == {"yunnan_invention_per_10k": {Quarter(2024, 1): 3.141}}
    row = store.observation(flow.id, "甲县", Quarter(2024, 2))
    assert (row.version, row.entered_by, row.note) == (1, "载入员", "季报")
    revs = store.history(flow.id, region="甲县")
    assert [(r.old_value, r.new_value, r.source, r.user) for r in revs] == [(None, 3.0, "import", "载入员"),
                                                                          (None, 5.0, "import", "载入员")]
    assert [r.period for r in store.history("ref:yunnan_invention_per_10k", region="甲县")] == [Quarter(2024, 1)]
    # The all-regions read agrees with the per-region one.
    assert store.observations_all_regions("anning") == {n: store.observations("anning", n) for n in ("甲县", "乙县")}
    assert store.observations_all_regions("anning", ["乙县"]) == {"乙县": store.observations("anning", "乙县")}
    # Ids continue after a bulk load (PostgreSQL's sequence was moved on).
    saved = store.save_value(flow, "乙县", Quarter(2024, 2), 4, "", "填报员", None)
    assert saved.value == 4.0
    last, changed = store.changed_regions("anning", 0)
    assert changed == {"甲县", "乙县"}
    assert store.changed_regions("anning", last) == (last, set())


def test_bulk_load_is_all_or_nothing(store, registry):
    flow = next(i for i in registry.scheme_indicators("anning") if i.kind is Kind.annual)
    pct = next(i for i in registry.scheme_indicators("anning") if i.unit == "%")
    bulk_load(store.engine, "anning", registry.indicators, {"甲县": {flow.id: {Quarter(2024, 1): 3}}}, "u")
    v = store.data_version()
    with pytest.raises(DuplicateError):
        bulk_load(store.engine, "anning", registry.indicators,
                  {"甲县": {flow.id: {Quarter(2024, 1): 4, Quarter(2024, 2): 4}}, "乙县": {flow.id: {Quarter(2024, 1): 1}}},
                  "u")
    with pytest.raises(InvalidValueError):
        bulk_load(store.engine, "anning", registry.indicators, {"乙县": {pct.id: {Quarter(2024, 1): 120}}}, "u")
    with pytest.raises(InvalidValueError):
        bulk_load(store.engine, "anning", registry.indicators, {"乙县": {"luzhou_x": {Quarter(2024, 1): 1}}}, "u")
    assert store.data_version() == v
    assert store.regions("anning") == ["甲县"]
    with store.engine.connect() as c:
        assert c.execute(select(func.count()).select_from(Revision)).scalar() == 1


# ------------------------------------ bulk loader: a large load re-creates constraints (PostgreSQL)

FILLED = ["observation", "reference_value", "revision"]


def _catalogue(engine) -> tuple[set, set]:
    """The filled tables' constraints (name, type, validated, definition) and indexes."""
    with engine.connect() as c:
        cons = set(c.execute(text("SELECT conname, contype, convalidated, pg_get_constraintdef(oid) FROM pg_constraint "
                                  "WHERE conrelid = ANY(CAST(:t AS regclass[]))"), {"t": FILLED}).all())
        idx = set(c.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(:t)"),
                            {"t": FILLED}).all())
    return cons, idx


def _ddl(engine) -> list[str]:
    """The DROP/ADD CONSTRAINT and index statements the engine runs from now on."""
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *a: seen.append(sql) if "CONSTRAINT" in sql or "INDEX" in sql else None)
    return seen


def _counts(engine) -> list[int]:
    with engine.connect() as c:
        return [c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in FILLED + ["region", "status_snapshot"]]


def test_defers_constraints_only_for_a_large_load_that_at_least_doubles_the_tables():
    assert defers_constraints(400_000, 0, 200_000)
    assert defers_constraints(200_000, 200_000, 200_000)
    assert not defers_constraints(199_999, 0, 200_000)          # small: the triggers are cheaper
    assert not defers_constraints(300_000, 2_000_000, 200_000)  # re-creating would read 2 M rows, readers wait


def test_a_large_bulk_load_on_postgresql_re_creates_its_constraints_validated(pg_url, registry):
    from data.db import make_engine, upgrade
    from data.store import Store

    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        store = Store(engine)
        before = _catalogue(engine)
        names = {n for n, *_ in before[0]} | {n for n, _ in before[1]}
        assert {"fk_observation_region_id_region", "fk_revision_observation_id_observation", "uq_observation_key",
                "ix_observation_scheme_region_period", "ix_revision_indicator_region_period"} <= names
        seen = _ddl(engine)
        refs = plan_scheme(registry, "anning", first=FIRST, last=Q).references
        values = {AHEAD: _scaled(registry, 1.25), BEHIND: _scaled(registry, 0.5)}
        s = bulk_load(engine, "anning", registry.indicators, values, "测试", references={AHEAD: refs},
                      defer_min_rows=1)
        assert any("DROP CONSTRAINT" in sql for sql in seen) and any("ADD CONSTRAINT" in sql for sql in seen)
        after = _catalogue(engine)
        assert after == before                                   # same names, definitions, indexes
        assert all(validated for _, _, validated, _ in after[0])
        # Every value has exactly its one revision, written by the server from the stored rows.
        with engine.connect() as c:
            assert c.execute(text(
                "SELECT count(*) FROM observation o JOIN revision r ON r.observation_id = o.id "
                "AND r.indicator_id = o.indicator_id AND r.region_id = o.region_id AND r.period = o.period "
                "AND r.old_value IS NULL AND r.new_value = o.value AND r.user_name = o.entered_by "
                "AND r.at = o.updated_at AND r.source = 'import'")).scalar() == s.observations
            assert c.execute(text(
                "SELECT count(*) FROM reference_value v JOIN revision r ON r.observation_id IS NULL "
                "AND r.indicator_id = 'ref:' || v.series_id AND r.region_id = v.region_id AND r.period = v.period "
                "AND r.new_value = v.value")).scalar() == s.references
        assert s.revisions == s.observations + s.references == _counts(engine)[2]
        assert store.observations("anning", AHEAD) == {i: {q: float(v) for q, v in by_q.items()}
                                                       for i, by_q in values[AHEAD].items() if by_q}
        # A small load keeps them in place.
        seen.clear()
        bulk_load(engine, "anning", registry.indicators, {SPARSE: {k: v for k, v in list(values[AHEAD].items())[:2]}},
                  "测试")
        assert not any("DROP CONSTRAINT" in sql for sql in seen)
    finally:
        engine.dispose()


@pytest.mark.parametrize("violation", ["foreign key", "duplicate"])
def test_a_bulk_load_violating_a_constraint_is_refused_and_changes_nothing(store, registry, monkeypatch,
                                                                            violation):
    """The constraints a large load re-creates check every row: a violating row (here forced past
    the loader's own checks) makes the whole load fail with a message, nothing written, the
    constraints still in place."""
    flow = next(i for i in registry.scheme_indicators("anning") if i.kind is Kind.annual)
    bulk_load(store.engine, "anning", registry.indicators, {AHEAD: {flow.id: {Quarter(2024, 1): 3}}}, "u")
    pg = store.engine.dialect.name == "postgresql"
    before, counts, v = _catalogue(store.engine) if pg else None, _counts(store.engine), store.data_version()
    if violation == "foreign key":
        real = bulk._region_ids

        def no_such_region(c, scheme, names):   # BEHIND's rows point at a region that does not exist
            rids, created = real(c, scheme, names)
            return {n: (10_000 if n == BEHIND else rid) for n, rid in rids.items()}, created

        monkeypatch.setattr(bulk, "_region_ids", no_such_region)
        values = {BEHIND: {flow.id: {Quarter(2024, 1): 1, Quarter(2024, 2): 2}}}
    else:
        monkeypatch.setattr(bulk, "_refuse_duplicates", lambda *a: None)
        values = {AHEAD: {flow.id: {Quarter(2024, 1): 4}}, BEHIND: {flow.id: {Quarter(2024, 1): 1}}}
    with pytest.raises(StoreError, match="违反数据库约束,未写入任何数据"):
        bulk_load(store.engine, "anning", registry.indicators, values, "u", defer_min_rows=1)
    assert _counts(store.engine) == counts and store.data_version() == v
    assert store.regions("anning") == [AHEAD]
    if pg:
        assert _catalogue(store.engine) == before


def test_ranking_of_an_empty_database_lists_the_scheme_region(store, registry):
    """No region stored yet: the scheme's own region, nothing reported, and nothing written."""
    ranking = RegionRanking(MonitorService(registry, store))
    rows = ranking.rows("anning", Q)
    assert [(r.region, r.rank) for r in rows] == [(registry.schemes["anning"].region, 1)]
    assert rows[0].counts[Status.no_data] > 0
    t = ranking.totals("anning", Q)
    assert t.regions == 1 and sum(t.counts.values()) == rows[0].total
    assert ranking.page("anning", Q, "无此地") == (0, [])
    assert store.regions("anning") == [] and store.snapshot_rows("anning") == {}
