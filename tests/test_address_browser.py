"""Pages follow the address (issue 15): Back, Forward, a menu link and a scheme switch
in headless Chromium."""
from urllib.parse import parse_qs, urlsplit

from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from dashboard.pages.common import subtitle_id
from tests.test_views_browser import choose, wait_title

OV_SUBTITLE = "#" + subtitle_id(ids.OV_TITLE)


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def wait_url(driver, test, timeout=20):
    WebDriverWait(driver, timeout).until(lambda d: test(query(d.current_url)))


def nav(driver, path):
    return driver.find_element("css selector", f'#{ids.NAV} a[data-nav="{path}"]')


def test_back_and_forward_after_a_quarter_change_show_that_quarter(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    driver = dash_duo.driver
    driver.get(dash_duo.server_url + "/?scheme=anning&q=2025Q2")
    wait_title(dash_duo, "截至2025年第2季度")
    dash_duo.wait_for_element(f"#{ids.OV_BOARD} [data-status]", timeout=20)
    # A selector change is drawn by the page's own callbacks: the page is not rendered again.
    driver.execute_script("document.querySelector('.overview').__kept = true")

    choose(dash_duo, ids.OV_QUARTER, "2023年第4季度")
    wait_title(dash_duo, "截至2023年第4季度")
    wait_url(driver, lambda q: q.get("q") == "2023Q4")
    assert driver.execute_script("return document.querySelector('.overview').__kept") is True

    driver.back()
    wait_url(driver, lambda q: q.get("q") == "2025Q2")
    wait_title(dash_duo, "截至2025年第2季度")
    assert "2025年第2季度" in dash_duo.find_element(f"#{ids.OV_QUARTER}").text  # the selector follows too

    driver.forward()
    wait_url(driver, lambda q: q.get("q") == "2023Q4")
    wait_title(dash_duo, "截至2023年第4季度")

    # Back to a view rendered before (the same address twice in a row) still renders it.
    driver.back()
    wait_title(dash_duo, "截至2025年第2季度")
    choose(dash_duo, ids.OV_QUARTER, "2023年第4季度")
    wait_title(dash_duo, "截至2023年第4季度")
    # The address is written just after the heading: Back before that would leave the page.
    wait_url(driver, lambda q: q.get("q") == "2023Q4")
    driver.back()
    wait_title(dash_duo, "截至2025年第2季度")
    assert query(driver.current_url)["q"] == "2025Q2"
    assert dash_duo.get_logs() == [], "browser console errors"


def test_menu_links_keep_scheme_region_and_quarter(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    driver = dash_duo.driver
    driver.get(dash_duo.server_url + "/?scheme=anning&q=2025Q2")
    wait_title(dash_duo, "截至2025年第2季度")
    choose(dash_duo, ids.OV_QUARTER, "2024年第3季度")
    wait_title(dash_duo, "截至2024年第3季度")
    WebDriverWait(driver, 20).until(lambda d: query(nav(d, "/units").get_attribute("href")).get("q") == "2024Q3")
    assert query(nav(driver, "/units").get_attribute("href")) == {"scheme": "anning", "region": "安宁市", "q": "2024Q3"}
    assert query(nav(driver, "/regions").get_attribute("href")) == {"scheme": "anning", "q": "2024Q3"}
    assert query(nav(driver, "/review").get_attribute("href")) == {"scheme": "anning", "region": "安宁市"}
    assert nav(driver, "/registry").get_attribute("href").endswith("/registry")  # reads no scheme: a filter there

    driver.execute_script("window.__sameDocument = true")
    nav(driver, "/units").click()
    wait_title(dash_duo, "截至2024年第3季度", ids.UN_TITLE)
    assert "/units?" in driver.current_url and query(driver.current_url)["q"] == "2024Q3"
    assert "active" in nav(driver, "/units").get_attribute("class")
    nav(driver, "/").click()
    wait_title(dash_duo, "截至2024年第3季度")
    assert driver.execute_script("return window.__sameDocument") is True, "navigation reloaded the page"

    # Back across pages: path and query together.
    driver.back()
    wait_title(dash_duo, "截至2024年第3季度", ids.UN_TITLE)
    assert dash_duo.get_logs() == [], "browser console errors"


def test_subtitle_follows_the_scheme(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    anning, luzhou = service.scheme("anning"), service.scheme("luzhou")
    dash_duo.start_server(demo_app)
    driver = dash_duo.driver
    driver.get(dash_duo.server_url + "/?scheme=anning")
    dash_duo.wait_for_text_to_equal(OV_SUBTITLE, anning.name, timeout=20)
    choose(dash_duo, ids.OV_SCHEME, f"{luzhou.short_name} · {luzhou.name}")
    dash_duo.wait_for_text_to_equal(OV_SUBTITLE, luzhou.name, timeout=20)
    assert anning.short_name not in dash_duo.find_element(OV_SUBTITLE).text
    driver.back()  # and Back shows the previous scheme again, subtitle included
    dash_duo.wait_for_text_to_equal(OV_SUBTITLE, anning.name, timeout=20)

    # The 地区排名 page names the scheme's document too.
    driver.get(dash_duo.server_url + "/regions?scheme=anning")
    sub = "#" + subtitle_id(ids.RN_TITLE)
    dash_duo.wait_for_text_to_equal(sub, anning.name, timeout=20)
    choose(dash_duo, ids.RN_SCHEME, f"{luzhou.short_name} · {luzhou.name}")
    dash_duo.wait_for_text_to_equal(sub, luzhou.name, timeout=20)
    assert dash_duo.get_logs() == [], "browser console errors"


def test_a_pasted_address_with_a_bad_scheme_shows_the_default_view(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    driver = dash_duo.driver
    driver.get(dash_duo.server_url + "/stages?scheme=nowhere&region=x&q=2099Q1")
    dash_duo.wait_for_contains_text(f"#{ids.ST_TITLE}", "阶段任务", timeout=20)
    wait_url(driver, lambda q: q.get("scheme") == "anning")
    assert query(driver.current_url)["region"] == "安宁市"
    assert dash_duo.get_logs() == [], "browser console errors"
