"""Issue 19, the overview's CPU per request: the memos that cut it (each data version's results
list and series keys, dashboard/service.py; the board's pure markup pieces, dashboard/markup.py)
must show exactly what the full path shows, also after saves; and the store's per-region reads
find the region by its index instead of scanning the scheme's rows of every region."""
from __future__ import annotations

import json
import random
from datetime import date

import pytest
from plotly.utils import PlotlyJSONEncoder

from dashboard import markup
from dashboard.pages import overview
from dashboard.pages.common import View
from dashboard.service import MonitorService
from data.db import make_engine, upgrade
from data.errors import InvalidValueError
from data.store import Store
from indicators.periods import Quarter, quarter_range
from indicators.registry import load_registry
from indicators.status import evaluate

SCHEME = "anning"
REGIONS = ["甲县", "乙县", "丙县"]
QUARTERS = [Quarter(2023, 2), Quarter(2024, 1), Quarter(2024, 4), Quarter(2025, 2)]
SERIES = "yunnan_invention_per_10k"


@pytest.fixture()
def store(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/ov.db")
    upgrade(engine)
    s = Store(engine)
    yield s
    s.dispose()


def _fill(store, registry, seed: int) -> None:
    """Values for every indicator of every region in a few quarters, a reference series, a baseline."""
    rng = random.Random(seed)
    inds = registry.scheme_indicators(SCHEME)
    for region in REGIONS:
        store.ensure_region(SCHEME, region)
        for ind in rng.sample(inds, 12):
            for q in rng.sample(quarter_range(Quarter(2022, 4), Quarter(2025, 2)), 3):
                value = rng.choice([0, 1]) if ind.kind.value == "milestone" else rng.uniform(0, 200)
                try:
                    store.save_value(ind, region, q, round(value, ind.decimals or 0), None, "tester", None)
                except InvalidValueError:   # out of an indicator's range: the other values suffice
                    pass


def _page(service, view: View) -> str:
    """The overview's layout as the browser receives it (JSON)."""
    search = view.search()
    return json.dumps(overview.layout(service, search).to_plotly_json(), cls=PlotlyJSONEncoder, sort_keys=True)


def _fresh(service_store, registry) -> MonitorService:
    """A service with no caches, and the markup's memos emptied: the full path."""
    for f in (markup.light, markup.data_badge, markup.trend_arrow):
        f.cache_clear()
    return MonitorService(registry, service_store)


def test_overview_with_the_memos_equals_the_full_path_after_saves(store):
    registry = load_registry()
    _fill(store, registry, 1)
    warm = MonitorService(registry, store)
    views = [View(SCHEME, r, q) for r in REGIONS for q in QUARTERS]
    before = {v: _page(warm, v) for v in views}
    assert before == {v: _page(_fresh(store, registry), v) for v in views}
    # Saves in one region (a value, the reference series, a baseline): the warm service's memos
    # of the old data version must not show through.
    ind = next(i for i in registry.scheme_indicators(SCHEME) if i.target.reference == SERIES)
    store.save_reference(SCHEME, REGIONS[0], SERIES, Quarter(2024, 4), 30.0, "tester", None)
    row = store.observation(ind.id, REGIONS[0], Quarter(2024, 4))
    store.save_value(ind, REGIONS[0], Quarter(2024, 4), 45.0, None, "tester", row.version if row else None)
    stock = registry.indicators["anning_trademark_registrations_valid"]
    store.save_baseline(stock, REGIONS[0], 5000, date(2022, 6, 30), "tester", None)
    after = {v: _page(warm, v) for v in views}
    assert after == {v: _page(_fresh(store, registry), v) for v in views}
    changed = [v for v in views if after[v] != before[v]]
    assert changed and all(v.region == REGIONS[0] for v in changed)


def test_results_memo_is_a_fresh_evaluation(store):
    registry = load_registry()
    _fill(store, registry, 2)
    service = MonitorService(registry, store)
    for region in REGIONS:
        for q in QUARTERS:
            service.results(SCHEME, region, q)   # fill the memos
            d = store.observations(SCHEME, region)
            refs, bases = store.references(SCHEME, region), store.baselines(SCHEME, region)
            scheme = registry.schemes[SCHEME]
            expected = [evaluate(i, scheme, d.get(i.id, {}), q.end,
                                 reference=refs.get(i.target.reference, {}) if i.target.reference else None,
                                 baseline=bases.get(i.id))
                        for i in registry.scheme_indicators(SCHEME)]
            assert service.results(SCHEME, region, q) == expected


@pytest.mark.parametrize("read", ["references", "submission_states"])
def test_region_reads_find_the_region_by_its_index(store, read):
    """SQLite's plan: the region by its unique (scheme, name) index, then its rows by region id;
    without ``Region.scheme_id`` in the query it read the rows of every region of the scheme
    (2.5 ms per overview at 1,000 regions for the one reference series)."""
    from sqlalchemy import event

    store.ensure_region(SCHEME, REGIONS[0])
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        getattr(store, read)(SCHEME, REGIONS[0])
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    statement, parameters = next((s, p) for s, p in seen if "JOIN region" in s)
    with store.engine.connect() as c:
        plan = " | ".join(row[-1] for row in c.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
    assert "SEARCH region USING COVERING INDEX" in plan and "region_id=?" in plan, plan
