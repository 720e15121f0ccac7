"""数据大屏 in Chromium at 1920×1080 (dash[testing]): every status count, no scroll bar, the
indicator pages cycle, and the screen redraws itself after a data change."""
from collections import Counter

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from dashboard.screen import page as screen
from indicators.periods import Quarter
from indicators.statuses import SEVERITY

NO_SCROLL = ("var d = document.documentElement; return [d.scrollHeight, window.innerHeight, "
             "d.scrollWidth, window.innerWidth];")


def _open(dash_duo, app, path):
    dash_duo.start_server(app)
    drv = dash_duo.driver
    drv.set_window_size(1920, 1080)
    # A headless window's viewport can be a few pixels short of its size: pin it to the screen's.
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False})
    drv.get(dash_duo.server_url + path)
    assert drv.execute_script("return [innerWidth, innerHeight]") == [1920, 1080]
    dash_duo.wait_for_element(".screen-row", timeout=20)


def test_screen_shows_every_status_count_without_scroll_bar(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    _open(dash_duo, demo_app, "/screen?scheme=anning&q=2025Q2")
    drv = dash_duo.driver
    expected = Counter(r.status.value for r in service.results("anning", "安宁市", Quarter(2025, 2)))
    for s in SEVERITY:
        cell = drv.find_element(By.CSS_SELECTOR, f".screen-counts [data-count-status='{s.value}']")
        assert cell.is_displayed() and s.label in cell.text
        assert cell.find_element(By.CSS_SELECTOR, ".screen-count-n").text == str(expected.get(s.value, 0))
        box = cell.rect
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 1920 and box["y"] + box["height"] <= 1080
    total = drv.find_element(By.CSS_SELECTOR, ".screen-counts [data-count-status='total'] .screen-count-n")
    assert total.text == str(len(service.indicators("anning")))

    height, inner_h, width, inner_w = drv.execute_script(NO_SCROLL)
    assert height <= inner_h and width <= inner_w, (height, inner_h, width, inner_w)
    # Nothing of the shown indicator page is cut off at the bottom of its column.
    clipped = drv.execute_script(
        "return [...document.querySelectorAll('.screen-page:not([hidden]) .screen-row')].filter(function (r) {"
        " var c = r.closest('.screen-col').getBoundingClientRect(), b = r.getBoundingClientRect();"
        " return b.bottom > c.bottom + 1 || b.bottom > innerHeight; }).length")
    assert clipped == 0
    assert drv.find_element(By.CSS_SELECTOR, "[data-screen-quarter]").text == "2025年第2季度"
    assert not drv.find_element(By.CSS_SELECTOR, ".app-header").is_displayed()   # the screen is all there is


def test_screen_cycles_pages_and_redraws_after_a_data_change(dash_duo, demo_app, monkeypatch):
    monkeypatch.setattr(screen, "CYCLE_MS", 400)
    monkeypatch.setattr(screen, "POLL_MS", 500)
    service = demo_app.server.extensions["monitor"]["service"]
    _open(dash_duo, demo_app, "/screen?scheme=anning")   # the latest ended quarter; 44 indicators: two pages
    drv = dash_duo.driver
    shown = "return [...document.querySelectorAll('.screen-page')].map(function (p) { return !p.hidden; })"
    assert drv.execute_script(shown) == [True, False]
    WebDriverWait(drv, 10).until(lambda d: d.execute_script(shown) == [False, True])
    WebDriverWait(drv, 10).until(lambda d: d.execute_script(shown) == [True, False])   # and round again

    view = screen.screen_view(service, "?scheme=anning")
    ind = next(i for i in service.indicators("anning") if i.kind.value != "milestone" and i.unit != "%")
    current = service.store.observation(ind.id, view.region, view.quarter)
    service.store.save_value(ind, view.region, view.quarter, 4321, "", "admin", current.version if current else None)
    first = f".screen-changes .screen-change:first-child[data-change='{ind.id}']"
    WebDriverWait(drv, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, first))
    assert "4,321" in drv.find_element(By.CSS_SELECTOR, first).text


def test_overview_links_to_the_screen_of_its_scheme_and_region(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + "/?scheme=luzhou&q=2025Q2")
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "泸州市", timeout=20)
    link = dash_duo.find_element(f"#{ids.OV_SCREEN_LINK}")
    assert link.get_attribute("href").endswith("/screen?scheme=luzhou&region=%E6%B3%B8%E5%B7%9E%E5%B8%82")
    assert link.text == "数据大屏"
