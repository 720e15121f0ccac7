"""方案管理 in Chromium (issue 17): an admin adjusts a target, the bad inputs are refused with a
message and change nothing, the detail page then shows the adjustment and judges the quarter before
the effective date by the old target and the quarter after by the new one."""
from __future__ import annotations

import os
from datetime import date

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from dashboard.pages import detail, schemes
from indicators.periods import Quarter

IND = "anning_utility_model_grants_annual"
REASON = "安宁市知识产权强县试点调整方案(安政办〔2024〕8号)"


def _pick(dash_duo, dropdown_id: str, text: str) -> None:
    """Pick the option of a Dash 4 dropdown whose visible text starts with ``text``."""
    dash_duo.find_element(f"#{dropdown_id}").click()

    def option(d):
        found = [o for o in d.find_elements(By.CSS_SELECTOR, "[role=option]") if o.text.strip().startswith(text)]
        return found[0] if found else False

    WebDriverWait(dash_duo.driver, 10).until(option).click()


def _fill(dash_duo, element_id: str, text: str) -> None:
    el = dash_duo.find_element(f"#{element_id}")
    el.clear()
    el.send_keys(text)


def _click(dash_duo, element_id: str) -> None:
    # A script click: the form grows as messages appear, so a pointer click can land on a moving target.
    dash_duo.driver.execute_script("arguments[0].click()", dash_duo.find_element(f"#{element_id}"))


def _versions(drv) -> list[str]:
    # Read in one script: the table may be redrawn between finding its rows and reading them.
    return drv.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(r => r.getAttribute('data-version'))",
        f"#{schemes.VERSIONS} tbody tr")


def _shoot(drv, name: str) -> None:
    out = os.environ.get("SCHEMES_SCREENSHOTS")   # set to docs/screenshots to refresh the pictures
    if not out:
        return
    for w, h in ((1366, 768), (1920, 1080)):
        drv.set_window_size(w, h)
        drv.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        drv.save_screenshot(os.path.join(out, f"{name}_{w}x{h}.png"))


def test_admin_adjusts_a_target_and_the_verdict_follows_the_effective_date(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    dash_duo.start_server(demo_app)
    drv = dash_duo.driver
    drv.get(dash_duo.server_url + schemes.PATH)
    dash_duo.wait_for_element(f"#{schemes.VERSIONS} tbody tr", timeout=20)
    assert _versions(drv) == ["1"]

    _pick(dash_duo, schemes.ADJ_INDICATOR, "实用新型专利年授权量")
    dash_duo.wait_for_contains_text(f"#{schemes.ADJ_CURRENT}", "当前目标:实用新型专利500件以上", timeout=10)
    _fill(dash_duo, schemes.ADJ_VALUE, "600")
    _fill(dash_duo, schemes.ADJ_EFFECTIVE, "2024/6/30")
    _fill(dash_duo, schemes.ADJ_REASON, REASON)
    _click(dash_duo, schemes.ADJ_BUTTON)
    dash_duo.wait_for_contains_text(f"#{schemes.ADJ_MSG}", "请填写生效日期,格式为 YYYY-MM-DD", timeout=10)
    assert _versions(drv) == ["1"]

    _fill(dash_duo, schemes.ADJ_EFFECTIVE, "2024-06-30")
    _click(dash_duo, schemes.ADJ_BUTTON)
    dash_duo.wait_for_contains_text(f"#{schemes.ADJ_MSG}", "已发布方案 anning 第2版,2024-06-30起生效", timeout=15)
    WebDriverWait(drv, 10).until(lambda d: _versions(d) == ["2", "1"])
    assert service.registry.indicators[IND].target.value == 600
    dash_duo.wait_for_contains_text(f"#{schemes.ADJ_CURRENT}", "当前目标:实用新型专利600件以上", timeout=10)

    # Earlier than the version in force: refused, nothing published.
    _fill(dash_duo, schemes.ADJ_EFFECTIVE, "2024-01-01")
    _click(dash_duo, schemes.ADJ_BUTTON)
    dash_duo.wait_for_contains_text(f"#{schemes.ADJ_MSG}", "早于当前第2版的生效日期2024-06-30", timeout=10)
    assert _versions(drv) == ["2", "1"]
    _shoot(drv, "schemes")

    # The detail page: the history, and each quarter judged by the target then in force.
    ind = service.registry.indicators[IND]
    for q, target in ((Quarter(2024, 1), "500"), (Quarter(2024, 2), "600")):
        res = service.result(ind, "安宁市", q)
        assert f"{target}件" in res.explanation, res.explanation
        drv.get(f"{dash_duo.server_url}/indicator/{IND}?region=安宁市&q={q}")
        dash_duo.wait_for_contains_text(f"#{ids.DT_STATUS}", res.explanation, timeout=20)
        dash_duo.wait_for_contains_text(f"#{detail.TARGET_HISTORY}", f"2024-06-30起由500件调整为600件,依据{REASON}")
    assert dash_duo.get_logs() == []


def test_a_stale_page_cannot_publish_over_another_admins_version(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    dash_duo.start_server(demo_app)
    drv = dash_duo.driver
    drv.get(dash_duo.server_url + schemes.PATH)
    dash_duo.wait_for_element(f"#{schemes.VERSIONS} tbody tr", timeout=20)
    # Another admin publishes while this page shows version 1.
    service.adjust_target(IND, 550, date(2024, 3, 31), "另一位管理员的调整", "admin2")
    _pick(dash_duo, schemes.ADJ_INDICATOR, "实用新型专利年授权量")
    dash_duo.wait_for_contains_text(f"#{schemes.ADJ_CURRENT}", "2024-03-31起由500件调整为550件", timeout=10)
    _fill(dash_duo, schemes.ADJ_VALUE, "600")
    _fill(dash_duo, schemes.ADJ_EFFECTIVE, "2024-06-30")
    _fill(dash_duo, schemes.ADJ_REASON, REASON)
    _click(dash_duo, schemes.ADJ_BUTTON)
    dash_duo.wait_for_contains_text(f"#{schemes.ADJ_MSG}", "而您是在第1版的基础上修改的", timeout=15)
    assert [v.version for v in service.registry_history().versions("anning")] == [1, 2]
    assert service.registry.indicators[IND].target.value == 550
