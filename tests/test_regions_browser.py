"""The regions roll-up (地区排名) in headless Chromium (dash[testing])."""
from __future__ import annotations

import time

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from dashboard import ids
from data.bulk import bulk_load
from data.demo import plan_scheme
from indicators.model import Kind
from indicators.periods import Quarter
from indicators.rollup import summarise

Q = Quarter(2025, 2)
EXTRA = {"乙县": 1.3, "丙县": 0.5}


@pytest.fixture
def province_app(tmp_path):
    """The demo app (安宁市) plus two more regions of the Anning scheme with their own values."""
    from dashboard import Settings, create_app

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/d.db", demo=True, secret_key="t",
                              login_disabled=True))
    service = app.server.extensions["monitor"]["service"]
    registry = service.registry
    plan = plan_scheme(registry, "anning", first=Quarter(2022, 3), last=Q)
    values = {}
    for region, factor in EXTRA.items():
        values[region] = {}
        for ind_id, series in plan.values.items():
            ind = registry.indicators[ind_id]
            if ind.kind is Kind.milestone:
                values[region][ind_id] = dict(series) if factor >= 1 else {q: 0.0 for q in series}
            else:
                cap = 100.0 if ind.unit == "%" else float("inf")
                values[region][ind_id] = {q: min(cap, round(v * factor, ind.decimals)) for q, v in series.items()}
    bulk_load(service.store.engine, "anning", registry.indicators, values, "测试",
              references={r: plan.references for r in values}, source="demo")
    return app


def _rows(driver):
    try:
        return [(e.get_attribute("data-region"), int(e.get_attribute("data-rank")))
                for e in driver.find_elements(By.CSS_SELECTOR, f"#{ids.RN_TABLE} [data-region]")]
    except StaleElementReferenceException:  # the table was re-rendered while being read
        return []


def _wait_rows(dash_duo, want: int):
    for _ in range(100):
        rows = _rows(dash_duo.driver)
        if len(rows) == want:
            return rows
        time.sleep(0.2)
    raise AssertionError(f"expected {want} rows, saw {_rows(dash_duo.driver)}")


def test_regions_page_ranks_filters_and_links_to_overview(dash_duo, province_app):
    service = province_app.server.extensions["monitor"]["service"]
    expected = sorted(service.regions("anning"),
                      key=lambda r: -(summarise(r, service.results("anning", r, Q)).completion_index or -1))
    dash_duo.start_server(province_app)
    dash_duo.driver.get(dash_duo.server_url + f"/regions?scheme=anning&q={Q}")
    dash_duo.wait_for_contains_text(f"#{ids.RN_TITLE}", "2025年第2季度", timeout=20)
    rows = _wait_rows(dash_duo, 3)
    assert [r for r, _ in rows] == expected and [k for _, k in rows] == [1, 2, 3]
    # One heat cell per dimension, each with its value printed.
    first = dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.RN_TABLE} [data-region] .heat-strip")[0]
    cells = first.find_elements(By.CSS_SELECTOR, ".heat-cell")
    assert [c.get_attribute("data-dimension") for c in cells] == service.scheme("anning").dimensions
    assert all(c.text.strip() for c in cells)
    # Status counts per region add up to the scheme's indicators.
    counts = dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ids.RN_TABLE} [data-region]")[0] \
        .find_elements(By.CSS_SELECTOR, "[data-count]")
    assert sum(int(c.get_attribute("data-count")) for c in counts) == len(service.indicators("anning"))

    search = dash_duo.find_element(f"#{ids.RN_SEARCH}")
    search.send_keys("丙")
    search.send_keys("\n")
    rows = _wait_rows(dash_duo, 1)
    assert rows[0][0] == "丙县" and rows[0][1] == expected.index("丙县") + 1
    for _ in range(50):  # the URL follows the callback's answer
        if "search=" in dash_duo.driver.current_url:
            break
        time.sleep(0.1)
    assert "search=" in dash_duo.driver.current_url

    link = dash_duo.driver.find_element(By.CSS_SELECTOR, f"#{ids.RN_TABLE} [data-region='丙县'] .region-link")
    dash_duo.driver.execute_script("arguments[0].click()", link)
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "丙县", timeout=20)
    assert "region=%E4%B8%99%E5%8E%BF" in dash_duo.driver.current_url and f"q={Q}" in dash_duo.driver.current_url
    dash_duo.wait_for_element(f"#{ids.OV_BOARD} [data-status]", timeout=20)
