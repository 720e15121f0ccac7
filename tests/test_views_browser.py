"""The monitoring views driven in headless Chromium (dash[testing])."""
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from indicators.periods import Quarter
from tests.conftest import pytest_setup_options


def choose(dash_duo, dropdown_id, text):
    """Pick an option of a Dash 4 dropdown by its visible text."""
    dash_duo.find_element(f"#{dropdown_id}").click()
    for _ in range(50):
        opts = [o for o in dash_duo.driver.find_elements(By.CSS_SELECTOR, "[role=option]") if o.text.strip() == text]
        if opts:
            opts[0].click()
            return
        time.sleep(0.1)
    raise AssertionError(f"option {text!r} not found in #{dropdown_id}")


def lights(driver, scope="#" + ids.OV_BOARD):
    els = driver.find_elements(By.CSS_SELECTOR, f"{scope} [data-status][data-indicator]")
    return {e.get_attribute("data-indicator"): e.get_attribute("data-status") for e in els}


def wait_title(dash_duo, text, element=ids.OV_TITLE):
    dash_duo.wait_for_contains_text(f"#{element}", text, timeout=20)


def wait_lights(driver, condition, timeout=20):
    """The board's lights once ``condition(lights)`` holds (the board redraws after the title)."""
    seen = {}

    def ready(_):
        seen["lights"] = lights(driver)
        return condition(seen["lights"])

    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(ready)
    except TimeoutException:
        raise AssertionError(f"the board's lights never met the condition; last seen: {seen.get('lights')}")
    return seen["lights"]


def test_overview_scheme_and_quarter_change_lights_and_titles(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + "/?scheme=anning&q=2025Q2")
    wait_title(dash_duo, "截至2025年第2季度")
    assert "安宁市" in dash_duo.find_element(f"#{ids.OV_TITLE}").text
    dash_duo.wait_for_element(f"#{ids.OV_BOARD} [data-status]", timeout=20)
    before = lights(dash_duo.driver)
    service = demo_app.server.extensions["monitor"]["service"]
    assert set(before) == {i.id for i in service.indicators("anning")}
    expected = {r.indicator_id: r.status.value for r in service.results("anning", "安宁市", Quarter(2025, 2))}
    assert before == expected

    choose(dash_duo, ids.OV_QUARTER, "2023年第4季度")
    wait_title(dash_duo, "截至2023年第4季度")
    expected_2023 = {r.indicator_id: r.status.value for r in service.results("anning", "安宁市", Quarter(2023, 4))}
    assert expected_2023 != before
    wait_lights(dash_duo.driver, lambda seen: seen == expected_2023)
    assert "q=2023Q4" in dash_duo.driver.current_url

    choose(dash_duo, ids.OV_SCHEME, "泸州 · " + service.scheme("luzhou").name)
    wait_title(dash_duo, "泸州市")
    wait_lights(dash_duo.driver, lambda seen: seen and all(i.startswith("luzhou_") for i in seen))
    assert "scheme=luzhou" in dash_duo.driver.current_url


def test_detail_opened_from_board_shows_chart_and_citation(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + "/?scheme=anning&q=2025Q2")
    dash_duo.wait_for_element(f"#{ids.OV_BOARD} .ind-link", timeout=20)
    row = dash_duo.find_elements(f"#{ids.OV_BOARD} [data-indicator-row]")[0]
    ind_id = row.get_attribute("data-indicator-row")
    link = row.find_element(By.CSS_SELECTOR, ".ind-link")
    # A DOM click on the board's link (dcc.Link navigates client-side, as a user's click does).
    dash_duo.driver.execute_script("arguments[0].click()", link)
    wait_title(dash_duo, "截至2025年第2季度", ids.DT_TITLE)
    assert f"/indicator/{ind_id}" in dash_duo.driver.current_url
    dash_duo.wait_for_element(f"#{ids.DT_CHART} .main-svg", timeout=20)
    ind = demo_app.server.extensions["monitor"]["service"].registry.indicators[ind_id]
    citation = dash_duo.find_element(f"#{ids.DT_CITATION}").text
    assert ind.quote in citation and ind.clause in citation
    light = dash_duo.find_element(f"#{ids.DT_STATUS} [data-status]")
    assert light.get_attribute("data-indicator") == ind_id


def test_url_reproduces_view_in_another_session(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + "/")
    dash_duo.wait_for_element(f"#{ids.OV_BOARD} [data-status]", timeout=20)
    choose(dash_duo, ids.OV_QUARTER, "2024年第3季度")
    wait_title(dash_duo, "截至2024年第3季度")
    service = demo_app.server.extensions["monitor"]["service"]
    expected = {r.indicator_id: r.status.value for r in service.results("anning", "安宁市", Quarter(2024, 3))}
    seen = wait_lights(dash_duo.driver, lambda now: now == expected)
    url, title = dash_duo.driver.current_url, dash_duo.find_element(f"#{ids.OV_TITLE}").text

    options = pytest_setup_options()  # a second, independent browser session
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    other = webdriver.Chrome(options=options)
    try:
        other.get(url)
        WebDriverWait(other, 20, poll_frequency=0.2).until(
            lambda d: d.find_elements(By.ID, ids.OV_TITLE) and "2024年第3季度" in d.find_element(By.ID, ids.OV_TITLE).text)
        assert other.find_element(By.ID, ids.OV_TITLE).text == title
        wait_lights(other, lambda now: now == seen)
    finally:
        other.quit()


def test_unit_view_lists_exactly_the_indicators_lacking_values(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    quarter = service.default_quarter("anning", "安宁市")
    # Independent of the page's code: straight from the stored values.
    stored = service.store.observations("anning", "安宁市")
    scheme = service.scheme("anning")
    expected = set()
    for ind in service.indicators("anning"):
        series = stored.get(ind.id, {})
        started = (ind.start or scheme.period.start).first_day <= quarter.end
        done_before = ind.kind.value == "milestone" and any(v >= 1 for q, v in series.items() if q < quarter)
        if started and series.get(quarter) is None and not done_before:
            expected.add(ind.id)
    assert expected, "the demo leaves the latest quarter partly unfilled"

    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + f"/units?scheme=anning&q={quarter}")
    wait_title(dash_duo, f"截至{quarter.label}", ids.UN_TITLE)
    dash_duo.wait_for_element("[data-chase-indicator]", timeout=20)
    found = [e.get_attribute("data-chase-indicator") for e in dash_duo.find_elements("[data-chase-indicator]")]
    assert sorted(found) == sorted(expected)
    # Each is chased from the unit that reports it.
    for block in dash_duo.find_elements(".chase[data-unit]"):
        unit = block.get_attribute("data-unit")
        for e in block.find_elements(By.CSS_SELECTOR, "[data-chase-indicator]"):
            assert service.registry.indicators[e.get_attribute("data-chase-indicator")].reporting_unit == unit
