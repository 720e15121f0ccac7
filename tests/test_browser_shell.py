"""Walking skeleton in a real browser: the home page loads offline, in Chinese, with the demo banner."""
from urllib.parse import urlparse

from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids


def test_home_page_loads_from_own_origin_only(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "截至", timeout=20)
    dash_duo.wait_for_element("[data-status]", timeout=20)
    assert "示例数据" in dash_duo.find_element("#demo-banner").text
    assert dash_duo.driver.execute_script("return document.documentElement.lang") == "zh-CN"

    origin = urlparse(dash_duo.server_url)
    urls = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])")
    assert len(urls) > 5, urls  # the Dash bundles, our CSS, the layout and callbacks
    foreign = [u for u in urls if (urlparse(u).hostname, urlparse(u).port) != (origin.hostname, origin.port)
               and not u.startswith(("data:", "blob:"))]
    assert foreign == [], f"requests to other hosts: {foreign}"
    # Our stylesheets, Bootstrap's included, come as one file (dashboard/shell.py).
    assert dash_duo.driver.execute_script(
        "return getComputedStyle(document.querySelector('.btn-primary')).backgroundColor") == "rgb(13, 110, 253)"
    assert dash_duo.get_logs() == [], "browser console errors"


def test_layout_is_preloaded_once_and_navigation_marks_the_current_page(dash_duo, demo_app):
    """The layout preloaded from <head> is the one the renderer uses (one request), and the
    server-rendered navigation bar moves its "active" mark on in-app navigation, without a reload."""
    dash_duo.start_server(demo_app)
    dash_duo.wait_for_element("#ov-board [data-status]", timeout=20)
    driver = dash_duo.driver
    layouts = driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/_dash-layout')).length")
    assert layouts == 1

    def active():
        return [a.get_attribute("data-nav") for a in driver.find_elements("css selector", "#nav a.active")]

    assert active() == ["/"]
    driver.execute_script("window.__sameDocument = true")
    driver.find_element("css selector", '#nav a[data-nav="/stages"]').click()
    dash_duo.wait_for_contains_text(f"#{ids.ST_TITLE}", "阶段任务", timeout=20)
    assert active() == ["/stages"]
    driver.find_element("css selector", '#nav a[data-nav="/"]').click()
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "工作进展总览", timeout=20)
    assert active() == ["/"]
    assert driver.execute_script("return window.__sameDocument") is True, "navigation reloaded the page"
    assert dash_duo.get_logs() == [], "browser console errors"


def test_back_leaves_a_page_opened_from_the_menu(dash_duo, demo_app):
    """Filling a page's selection into its address replaces the history entry: one Back
    returns to the previous page (it used to show the same page again first)."""
    dash_duo.start_server(demo_app)
    dash_duo.wait_for_element("#ov-board [data-status]", timeout=20)
    driver = dash_duo.driver
    WebDriverWait(driver, 20).until(lambda d: "scheme=" in d.current_url)
    overview_url = driver.current_url
    driver.find_element("css selector", '#nav a[data-nav="/stages"]').click()
    dash_duo.wait_for_contains_text(f"#{ids.ST_TITLE}", "阶段任务", timeout=20)
    WebDriverWait(driver, 20).until(lambda d: "/stages?" in d.current_url)
    driver.back()
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "工作进展总览", timeout=20)
    assert driver.current_url == overview_url
    assert dash_duo.get_logs() == [], "browser console errors"


def test_the_grid_bundle_loads_only_when_a_page_shows_a_grid(dash_duo, demo_app):
    """dashboard/shell.py: the overview does not load dash-ag-grid's 1.3 MB bundle; the registry
    page, reached in-app, loads it once and draws its grid, with no console error."""
    dash_duo.start_server(demo_app)
    dash_duo.wait_for_element("#ov-board [data-status]", timeout=20)
    driver = dash_duo.driver
    count = ("return performance.getEntriesByType('resource')"
             ".filter(e => e.name.indexOf('/dash_ag_grid/dash_ag_grid') >= 0).length")
    assert driver.execute_script(count) == 0
    assert driver.execute_script("return typeof regeneratorRuntime") == "object"
    driver.find_element("css selector", "#nav a[data-nav='/registry']").click()
    WebDriverWait(driver, 20).until(
        lambda d: d.find_elements("css selector", f"#{ids.RG_TABLE} .ag-center-cols-container .ag-row"))
    assert driver.execute_script(count) == 1
    assert dash_duo.get_logs() == [], "browser console errors"
