"""台账 on the detail page in a real browser: the demo's flags, a row entered by form, a bad
credit code refused with its message, removal with a reason.

    flock /tmp/browser.lock env DASH_TEST_CHROMEPATH=/usr/bin/chromium .venv/bin/pytest -q -p no:cacheprovider \\
        --webdriver Chrome --headless tests/test_ledger_browser.py
"""
from __future__ import annotations

from selenium.webdriver.common.by import By

from dashboard.ledger import page as lg
from tests.test_entry_browser import wait_until

IND, QUARTER = "anning_key_ip_advantage_enterprises", "2026Q3"


def field(dash_duo, key):
    return dash_duo.find_element(f'[id*="{lg.FIELD}"][id*="\\"{key}\\""]')


def fill(dash_duo, **values):
    for key, v in values.items():
        el = field(dash_duo, key)
        el.clear()
        el.send_keys(v)


def click(dash_duo, selector):
    # Below the fold of the test window: clicked by script (what the click does is what is tested).
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element(selector))


def test_flags_entry_and_removal(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + f"/indicator/{IND}?q={QUARTER}")
    dash_duo.wait_for_contains_text(f"#{lg.SUMMARY}", "与台账不一致", timeout=30)
    assert "同时登记在" in dash_duo.find_element(f"#{lg.SUMMARY}").text
    before = len(dash_duo.find_elements(f"#{lg.LIST} .ledger-table tbody tr"))

    fill(dash_duo, name="安宁示例新材料有限公司", credit_code="911100001000095117", certificate="云知〔2026〕3号")
    # The date input takes the digits in the browser's order; the server gets ISO text: set it by script.
    dash_duo.driver.execute_script(
        "var el = arguments[0], set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
        "set.call(el, '2026-07-15'); el.dispatchEvent(new Event('input', {bubbles: true}));", field(dash_duo, "date"))
    click(dash_duo, f"#{lg.ADD}")
    dash_duo.wait_for_contains_text(f"#{lg.MSG}", "校验位错误(第18位应为B)", timeout=20)
    assert len(dash_duo.find_elements(f"#{lg.LIST} .ledger-table tbody tr")) == before

    fill(dash_duo, credit_code="91350100M000100Y43")
    click(dash_duo, f"#{lg.ADD}")
    dash_duo.wait_for_contains_text(f"#{lg.MSG}", "已登记“安宁示例新材料有限公司”", timeout=20)
    dash_duo.wait_for_contains_text(f"#{lg.LIST} .ledger-table", "安宁示例新材料有限公司", timeout=20)
    wait_until(lambda: len(dash_duo.find_elements(f"#{lg.LIST} .ledger-table tbody tr")) == before + 1,
               what="the new row")

    row = next(r for r in dash_duo.find_elements(f"#{lg.LIST} .ledger-table tbody tr")
               if "安宁示例新材料有限公司" in r.text)
    dash_duo.driver.execute_script("arguments[0].click();", row.find_element(By.CSS_SELECTOR, "button"))
    dash_duo.wait_for_contains_text(f"#{lg.MODAL_NAME}", "安宁示例新材料有限公司", timeout=20)
    dash_duo.find_element(f"#{lg.CONFIRM}").click()
    dash_duo.wait_for_contains_text(f"#{lg.MODAL_MSG}", "请填写移除原因", timeout=20)
    dash_duo.find_element(f"#{lg.REASON}").send_keys("登记错了指标")
    dash_duo.find_element(f"#{lg.CONFIRM}").click()
    dash_duo.wait_for_contains_text(f"#{lg.LIST} .ledger-removed", "登记错了指标", timeout=20)
    assert "录入有误" in dash_duo.find_element(f"#{lg.LIST} .ledger-removed").text
    wait_until(lambda: len(dash_duo.find_elements(f"#{lg.LIST} .ledger-table tbody tr")) == before,
               what="the row to leave the list")
    assert dash_duo.get_logs() == []
