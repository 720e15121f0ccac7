"""指标库 in Chromium: the grid speaks Chinese, its column filter narrows the rows, the export
counts what is shown, and the page loads nothing from another origin."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids

ROWS = f"#{ids.RG_TABLE} .ag-center-cols-container .ag-row"


def test_registry_grid_filters_and_exports_in_chinese(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    dash_duo.start_server(demo_app)
    drv = dash_duo.driver
    drv.get(dash_duo.server_url + "/registry?scheme=anning")
    anning = len(service.indicators("anning"))
    count = f"#{ids.RG_COUNT}"
    WebDriverWait(drv, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, count).get_attribute("textContent").startswith("共"))
    assert drv.find_element(By.CSS_SELECTOR, count).get_attribute("textContent").startswith(
        f"共 {anning} 项指标(全库 {len(service.registry.indicators)} 项)")
    dash_duo.wait_for_element(ROWS, timeout=20)
    panel = drv.find_element(By.CSS_SELECTOR, f"#{ids.RG_TABLE} .ag-paging-panel").text
    assert "第" in panel and "Page" not in panel and " of " not in panel, panel

    # The name column's filter box: only the indicators whose name contains 专利.
    box = drv.find_element(By.CSS_SELECTOR, f"#{ids.RG_TABLE} .ag-floating-filter input")
    box.send_keys("专利")
    expected = sorted(i.name for i in service.indicators("anning") if "专利" in i.name)
    WebDriverWait(drv, 10).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, f"#{ids.RG_TABLE} .ag-pinned-left-cols-container .ag-row")) == len(expected))
    names = sorted(e.text for e in drv.find_elements(By.CSS_SELECTOR, f"#{ids.RG_TABLE} .ag-pinned-left-cols-container .ag-row a"))
    assert names == expected

    dash_duo.find_element(f"#{ids.RG_EXPORT}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.RG_EXPORT_NOTE}", f"已导出 {len(expected)} 项指标", timeout=20)

    # A name is a link that opens the indicator's page in the app.
    drv.find_element(By.CSS_SELECTOR, f"#{ids.RG_TABLE} .ag-pinned-left-cols-container .ag-row a").click()
    WebDriverWait(drv, 10).until(lambda d: "/indicator/" in d.current_url)
    dash_duo.wait_for_element(f"#{ids.DT_STATUS} *", timeout=20)
    origins = drv.execute_script(
        "return [...new Set(performance.getEntriesByType('resource').map(function (e) { return new URL(e.name).origin; }))]")
    assert origins == [dash_duo.server_url.rstrip("/")], origins   # no font, script or style from elsewhere
    assert dash_duo.get_logs() == []
