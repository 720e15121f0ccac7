"""验收清单 in headless Chromium: filters in the address, the office marks and unmarks 已核验, and
生成验收材料包 runs as a background job with progress and downloads a zip whose files match
its manifest.

    flock /tmp/browser.lock env DASH_TEST_CHROMEPATH=/usr/bin/chromium .venv/bin/pytest -q -p no:cacheprovider \\
        --webdriver Chrome --headless tests/test_acceptance_browser.py
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from selenium.webdriver.support.ui import WebDriverWait

from dashboard.acceptance import page as acc
from tests.conftest import pytest_setup_options  # noqa: F401  (dash[testing] hook)
from tests.test_acceptance_package import check_package
from tests.test_entry_browser import wait_until
from tests.test_export_browser import JOB_SECONDS, _downloaded


def _query(dash_duo) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(dash_duo.driver.current_url).query).items()}


def _rows(dash_duo) -> list:
    return dash_duo.find_elements(f"#{acc.TABLE} tr.acc-row")


def test_filter_mark_verified_and_download_the_package(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + "/acceptance?scheme=anning&region=安宁市&dim=创造")
    dash_duo.wait_for_element(f"#{acc.TABLE} tr.acc-row", timeout=30)
    # The address's filter: only 创造's indicators, complete and incomplete ones among them.
    rows = _rows(dash_duo)
    assert rows and all(r.find_element("css selector", "td").text == "创造" for r in rows)
    states = {r.get_attribute("data-state") for r in rows}
    assert {"complete", "incomplete"} <= states
    assert "有数值但无佐证材料" in dash_duo.find_element(f"#{acc.TABLE}").text

    # Another dimension chosen: the table and the address follow.
    dash_duo.select_dcc_dropdown(f"#{acc.DIM}", "保障")
    wait_until(lambda: _query(dash_duo).get("dim") == "保障", what=lambda: dash_duo.driver.current_url)
    wait_until(lambda: all(r.find_element("css selector", "td").text == "保障" for r in _rows(dash_duo)))
    assert "里程碑已完成但无佐证文件" in dash_duo.find_element(f"#{acc.TABLE}").text

    # The office marks the first row 已核验, then undoes it.
    first = _rows(dash_duo)[0]
    ind = first.get_attribute("data-indicator")
    row_css = f'#{acc.TABLE} tr[data-indicator="{ind}"]'
    switch = dash_duo.find_element(f"{row_css} .acc-verify input")
    dash_duo.driver.execute_script("arguments[0].click();", switch)
    dash_duo.wait_for_contains_text(f"#{acc.MSG}", "已核验", timeout=20)
    wait_until(lambda: dash_duo.find_element(row_css).get_attribute("data-state") == "verified")
    assert "已核验1项" in dash_duo.find_element(f"#{acc.SUMMARY}").text
    service = demo_app.server.extensions["monitor"]["service"]
    assert ind in service.acceptance.current("anning", "安宁市")
    switch = dash_duo.find_element(f"{row_css} .acc-verify input")
    dash_duo.driver.execute_script("arguments[0].click();", switch)
    dash_duo.wait_for_contains_text(f"#{acc.MSG}", "已撤销", timeout=20)
    wait_until(lambda: dash_duo.find_element(row_css).get_attribute("data-state") != "verified")
    assert service.acceptance.current("anning", "安宁市") == {}

    # The package: a background job; the button is disabled while it runs, then the zip downloads.
    dash_duo.find_element(f"#{acc.BUILD}").click()
    dash_duo.wait_for_contains_text(f"#{acc.BUILD_MSG}", "已生成", timeout=JOB_SECONDS)
    WebDriverWait(dash_duo.driver, 20).until(lambda d: d.find_element("id", acc.BUILD).get_attribute("disabled") is None)
    with open(_downloaded(dash_duo, ".zip"), "rb") as fh:
        zf, manifest = check_package(fh.read())
    assert manifest["region"] == "安宁市" and any(n.startswith("佐证材料/") for n in zf.namelist())
    assert dash_duo.get_logs() == []
