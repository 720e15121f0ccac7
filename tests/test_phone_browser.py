"""Phones (issue 15): at 390×844 in Chromium the overview's indicator cards lie inside the
screen's width, no page scrolls sideways, and the menu folds behind its toggler."""
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids

WIDTH, HEIGHT = 390, 844

# Elements reaching past the screen's edges, unless a box inside the screen clips them (a
# dropdown's long value ends in "…"; the detail page's tables scroll in .table-responsive).
OVERFLOW = """
var w = document.documentElement.clientWidth, out = [];
function clipped(el) {
  for (var a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    var b = a.getBoundingClientRect();
    if (getComputedStyle(a).overflowX !== 'visible' && b.left >= -0.5 && b.right <= w + 0.5) return true;
  }
  return false;
}
document.querySelectorAll('.page *').forEach(function (el) {
  if (el.closest('svg')) return;
  var b = el.getBoundingClientRect();
  if (b.width > 0 && (b.right > w + 0.5 || b.left < -0.5) && !clipped(el)) out.push(el.tagName + '.' + el.className);
});
return [document.documentElement.scrollWidth, w, out.slice(0, 5)];
"""


def _phone(dash_duo, app, path):
    dash_duo.start_server(app)
    drv = dash_duo.driver
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 2, "mobile": True})
    drv.get(dash_duo.server_url + path)
    assert drv.execute_script("return innerWidth") == WIDTH
    return drv


def test_overview_cards_fit_the_phone_width(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    drv = _phone(dash_duo, demo_app, "/?scheme=anning&q=2025Q2")
    dash_duo.wait_for_element(f"#{ids.OV_BOARD} tr.board-row", timeout=20)
    cards = drv.find_elements(By.CSS_SELECTOR, f"#{ids.OV_BOARD} tr.board-row")
    assert len(cards) == len(service.indicators("anning"))
    boxes = drv.execute_script(
        "return [...arguments[0]].map(function (c) { var b = c.getBoundingClientRect();"
        " return [b.left, b.right, c.scrollWidth, c.clientWidth]; })", cards)
    outside = [i for i, (left, right, sw, cw) in enumerate(boxes) if left < 0 or right > WIDTH or sw > cw + 1]
    assert outside == [], [cards[i].text for i in outside[:3]]
    # Each card shows its light, its name and a progress bar, stacked (not a squeezed table row).
    first = cards[0]
    assert first.find_element(By.CSS_SELECTOR, "[data-status]").is_displayed()
    assert first.find_element(By.CSS_SELECTOR, ".ind-link").is_displayed()
    assert first.find_element(By.CSS_SELECTOR, ".pbar").is_displayed()
    assert not drv.find_element(By.CSS_SELECTOR, f"#{ids.OV_BOARD} thead").is_displayed()
    width, client, wide = drv.execute_script(OVERFLOW)
    assert width <= client and wide == [], wide


def test_menu_folds_behind_its_toggler_and_closes_after_a_link(dash_duo, demo_app):
    drv = _phone(dash_duo, demo_app, "/?scheme=anning&q=2025Q2")
    dash_duo.wait_for_element(f"#{ids.OV_BOARD} [data-status]", timeout=20)
    toggler = drv.find_element(By.CSS_SELECTOR, "[data-nav-toggle]")
    link = drv.find_element(By.CSS_SELECTOR, f'#{ids.NAV} a[data-nav="/stages"]')
    assert toggler.is_displayed() and not link.is_displayed()
    # Folded, the bar is one line: the page's title starts near the top of the screen.
    assert drv.find_element(By.CSS_SELECTOR, ".app-header").rect["height"] < 70
    toggler.click()
    WebDriverWait(drv, 10).until(lambda d: link.is_displayed())
    assert toggler.get_attribute("aria-expanded") == "true"
    link.click()
    dash_duo.wait_for_element(f"#{ids.ST_BODY} .stage-card", timeout=20)
    WebDriverWait(drv, 10).until(lambda d: not link.is_displayed())
    assert "q=2025Q2" in drv.current_url
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize("path, ready", [
    ("/stages?scheme=anning&q=2025Q2", f"#{ids.ST_BODY} .stage-table tr"),
    ("/units?scheme=anning&q=2025Q2", f"#{ids.UN_BODY} .unit-inds li"),
    ("/indicator/anning_design_grants_annual?q=2026Q3", f"#{ids.DT_CHART} .main-svg"),
])
def test_pages_do_not_scroll_sideways_on_a_phone(dash_duo, demo_app, path, ready):
    drv = _phone(dash_duo, demo_app, path)
    dash_duo.wait_for_element(ready, timeout=20)
    width, client, wide = drv.execute_script(OVERFLOW)
    assert width <= client and wide == [], wide


def test_detail_chart_hides_stage_names_on_a_phone_only(dash_duo, demo_app):
    """The stage names overlap in a 300 px plot: hidden on a phone, shown on a desktop."""
    drv = _phone(dash_duo, demo_app, "/indicator/anning_design_grants_annual?q=2026Q3")
    dash_duo.wait_for_element(f"#{ids.DT_CHART} g.annotation", timeout=20)
    shown = "return [...document.querySelectorAll('#%s g.annotation')].filter(function (a) {" \
            " return getComputedStyle(a).display !== 'none'; }).map(function (a) { return a.textContent; })" % ids.DT_CHART
    texts = drv.execute_script(shown)
    assert not any(name in texts for name in ("优化方案", "组织实施", "总结验收")), texts
    assert any(t.startswith("截止") for t in texts)
    drv.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                        {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False})
    WebDriverWait(drv, 10).until(lambda d: "组织实施" in d.execute_script(shown))
