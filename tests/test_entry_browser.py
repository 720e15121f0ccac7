"""Data entry in a real browser: enter, save, submit, approve, lock, reopen — and the
overview's light changes.

    DASH_TEST_CHROMEPATH=/usr/bin/chromium .venv/bin/pytest -q -p no:cacheprovider \
        --webdriver Chrome --headless tests/test_entry_browser.py
"""
from __future__ import annotations

import json
import time
from urllib.parse import quote

from selenium.webdriver.common.by import By
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from dashboard import Settings, create_app, ids

SCHEME, REGION, QUARTER, UNIT = "luzhou", "泸州市", "2025Q4", "市市场监管局"
# Cumulative flow, 6 in 2025Q3 and 7 in 2025Q4 in the demo: 逾期未达标 at 2025Q4 (its deadline).
INDICATOR = "luzhou_ip_custody_enterprises"


def pid(type_: str, **keys) -> str:
    """CSS selector of a pattern-matching component (Dash writes the id as sorted JSON)."""
    text = json.dumps({**keys, "type": type_}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "[id='" + text + "']"


def wait_until(predicate, timeout=20, what=""):
    """Poll until ``predicate()`` is true (returned); ``what`` may be a callable saying what was seen."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # element re-rendered between find and read
            last = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what} (last: {last!r})")


def light(dash_duo, indicator):
    sel = f"#{ids.OV_BOARD} [data-indicator='{indicator}'][data-status]"
    dash_duo.wait_for_element(sel, timeout=20)
    return dash_duo.find_element(sel).get_attribute("data-status")


def open_overview(dash_duo):
    dash_duo.driver.get(dash_duo.server_url + f"/?scheme={SCHEME}&q={QUARTER}")
    dash_duo.wait_for_contains_text(f"#{ids.OV_TITLE}", "2025年第4季度", timeout=20)
    return light(dash_duo, INDICATOR)


def open_entry(dash_duo):
    dash_duo.driver.get(dash_duo.server_url + f"/entry?scheme={SCHEME}&region={quote(REGION)}&q={QUARTER}"
                        f"&unit={quote(UNIT)}")
    dash_duo.wait_for_contains_text(f"#{ids.EN_TITLE}", UNIT, timeout=20)
    dash_duo.wait_for_element(pid(ids.EN_VALUE, indicator=INDICATOR), timeout=20)


def type_into(dash_duo, selector, text):
    el = dash_duo.find_element(selector)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus()", el)
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(Keys.BACKSPACE)
    el.send_keys(text)
    el.send_keys(Keys.TAB)  # the inputs commit on blur (debounce)


def click(dash_duo, selector):
    """Click once the element can take it (a modal fading in, a re-rendered row)."""
    def attempt():
        el = dash_duo.find_element(selector)
        if not (el.is_displayed() and el.is_enabled()):
            return False
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
        el.click()  # raises while something still covers it: tried again
        return True

    wait_until(attempt, what=f"{selector} clicked")


def drafts(dash_duo):
    """The unsaved inputs the page keeps in this tab (dcc.Store with storage_type="session")."""
    return dash_duo.driver.execute_script(f"return window.sessionStorage.getItem('{ids.EN_DRAFTS}')")


def summary(dash_duo):
    return dash_duo.find_element(f"#{ids.EN_SUMMARY}").text


def state(dash_duo):
    return dash_duo.find_element(f"#{ids.EN_STATUS} .status-text [data-state]").get_attribute("data-state")


def review_row(dash_duo):
    return dash_duo.find_element(f"#{ids.RV_BODY} tr[data-unit='{UNIT}']")


def test_enter_save_submit_approve_lock_reopen_and_the_light_changes(dash_duo, tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/d.db", demo=True, secret_key="t",
                              login_disabled=True))
    dash_duo.start_server(app)
    before = open_overview(dash_duo)
    assert before == "missed"

    # Enter a value far above last quarter's: the warning asks for a note and nothing is saved.
    open_entry(dash_duo)
    assert state(dash_duo) == "draft"
    value_sel = pid(ids.EN_VALUE, indicator=INDICATOR)
    type_into(dash_duo, value_sel, "abc")
    msg_sel = pid(ids.EN_MSG, indicator=INDICATOR)
    dash_duo.wait_for_contains_text(msg_sel, "不是有效数字", timeout=20)  # checked while typing
    type_into(dash_duo, value_sel, "250")
    click(dash_duo, f"#{ids.EN_SAVE}")
    dash_duo.wait_for_contains_text(msg_sel, "超过上季度的3倍,请在备注中说明", timeout=20)
    wait_until(lambda: "未保存" in summary(dash_duo), what="未保存")
    row_sel = pid(ids.EN_ROW, indicator=INDICATOR)
    assert "row-warning" in dash_duo.find_element(row_sel).get_attribute("class")
    store = app.server.extensions["monitor"]["service"].store
    assert store.observation(INDICATOR, REGION, QUARTER).value == 7.0

    type_into(dash_duo, pid(ids.EN_NOTE, indicator=INDICATOR), "本季度集中办理托管,已核实")
    click(dash_duo, f"#{ids.EN_SAVE}")
    wait_until(lambda: "已保存1项" in summary(dash_duo), what="已保存1项")
    dash_duo.wait_for_contains_text(msg_sel, "已保存", timeout=20)
    assert "250" in dash_duo.find_element(pid(ids.EN_CURRENT, indicator=INDICATOR)).text
    assert store.observation(INDICATOR, REGION, QUARTER).value == 250.0

    click(dash_duo, f"#{ids.EN_SUBMIT}")
    click(dash_duo, f"#{ids.EN_SUBMIT_CONFIRM}")  # 报送 asks first
    wait_until(lambda: state(dash_duo) == "submitted", what="submitted")
    assert "等待办公室审核" in summary(dash_duo)
    wait_until(lambda: not dash_duo.find_element(value_sel).is_enabled(), what="inputs disabled after submit")

    # The office approves, from the unit's review view and after a confirmation: the quarter is locked.
    review = f"/review?scheme={SCHEME}&region={quote(REGION)}&q={QUARTER}&unit={quote(UNIT)}"
    dash_duo.driver.get(dash_duo.server_url + review)
    wait_until(lambda: review_row(dash_duo).get_attribute("data-state") == "submitted", what="review row")
    click(dash_duo, f"#{ids.RV_APPROVE}")
    click(dash_duo, f"#{ids.RV_CONFIRM}")
    wait_until(lambda: review_row(dash_duo).get_attribute("data-state") == "approved", what="approved")
    assert "已审核通过" in dash_duo.find_element("#rv-alert").text

    open_entry(dash_duo)
    wait_until(lambda: state(dash_duo) == "approved", what="approved on the entry page")
    assert "已审核锁定" in dash_duo.find_element("#en-locked").text
    assert not dash_duo.find_element(value_sel).is_enabled()
    assert not dash_duo.find_element(f"#{ids.EN_SAVE}").is_enabled()
    assert dash_duo.find_element(value_sel).get_attribute("value") == "250"

    # Reopening needs a reason.
    dash_duo.driver.get(dash_duo.server_url + review)
    wait_until(lambda: review_row(dash_duo).get_attribute("data-state") == "approved", what="review row")
    click(dash_duo, f"#{ids.RV_REOPEN}")
    wait_until(lambda: "退回须填写原因" in dash_duo.find_element("#rv-alert").text, what="reason required")
    assert review_row(dash_duo).get_attribute("data-state") == "approved"
    type_into(dash_duo, f"#{ids.RV_REASON}", "托管企业名单需补充佐证")
    click(dash_duo, f"#{ids.RV_REOPEN}")
    click(dash_duo, f"#{ids.RV_CONFIRM}")
    wait_until(lambda: review_row(dash_duo).get_attribute("data-state") == "returned", what="reopened")
    events = dash_duo.find_element(f"#{ids.RV_BODY} .events-table").text
    assert "托管企业名单需补充佐证" in events and "审核通过" in events

    open_entry(dash_duo)
    wait_until(lambda: state(dash_duo) == "returned", what="returned: editable again")
    assert dash_duo.find_element(value_sel).is_enabled()

    # The overview shows the new value's status on its next render.
    after = open_overview(dash_duo)
    assert after == "achieved" and after != before
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []


def test_unsaved_input_survives_leaving_the_form(dash_duo, tmp_path):
    """Nothing typed is lost: leaving the form (another page, a reload, another quarter) keeps the
    unsaved input in this tab and brings it back, marked as not yet saved; saving clears it."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/d.db", demo=True, secret_key="t",
                              login_disabled=True))
    dash_duo.start_server(app)
    store = app.server.extensions["monitor"]["service"].store
    open_entry(dash_duo)
    value_sel = pid(ids.EN_VALUE, indicator=INDICATOR)
    type_into(dash_duo, value_sel, "9")
    # the draft is kept (in the tab's session storage) by a callback after the input commits
    wait_until(lambda: '"9"' in (drafts(dash_duo) or ""), what="draft kept")

    open_overview(dash_duo)  # a full page load elsewhere
    open_entry(dash_duo)
    wait_until(lambda: dash_duo.find_element(value_sel).get_attribute("value") == "9", what="restored input")
    assert "已恢复" in summary(dash_duo) and "尚未保存" in summary(dash_duo)
    assert store.observation(INDICATOR, REGION, QUARTER).value == 7.0  # restored, not saved

    click(dash_duo, f"#{ids.EN_SAVE}")
    wait_until(lambda: "已保存1项" in summary(dash_duo), what="已保存1项")
    assert store.observation(INDICATOR, REGION, QUARTER).value == 9.0
    wait_until(lambda: INDICATOR not in (drafts(dash_duo) or ""), what="draft cleared after saving")
    open_entry(dash_duo)
    wait_until(lambda: dash_duo.find_element(value_sel).get_attribute("value") == "9", what="stored value")
    wait_until(lambda: dash_duo.find_element(f"#{ids.EN_STATUS} .status-text"), what="form drawn")
    assert "已恢复" not in summary(dash_duo)
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []


def test_tabbing_down_the_form_never_hides_the_focused_field_under_the_save_bar(dash_duo, tmp_path):
    """The sticky save bar once covered 9 of 60 tab stops: each focused field must be visible."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/d.db", demo=True, secret_key="t",
                              login_disabled=True))
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/entry?scheme=anning&q=2026Q3&unit=" + quote("市市场监管局"))
    dash_duo.wait_for_contains_text(f"#{ids.EN_TITLE}", "市市场监管局", timeout=20)
    first = dash_duo.wait_for_element(f"#{ids.EN_FORM} input:not([disabled])", timeout=20)
    dash_duo.driver.execute_script("arguments[0].focus()", first)
    hidden, seen = [], 0
    covered = """
        var el = document.activeElement, r = el.getBoundingClientRect();
        var x = r.left + Math.min(r.width / 2, 8), y = r.top + r.height / 2;
        var top = document.elementFromPoint(x, y);
        // A row's evidence upload: its file input lies transparent over its 上传 link (same box).
        var box = el.type === "file" ? el.parentElement : el;
        return (top === el || box.contains(top) || (top && top.contains(el))) ? null : (el.id || el.name || el.tagName + ":" + el.textContent);
    """
    while seen < 200:
        in_form = dash_duo.driver.execute_script(
            f"return !!document.activeElement.closest('#{ids.EN_FORM}')")
        if not in_form:
            break
        seen += 1
        # The page moves a covered field above the bar in its next frame: wait for that, briefly.
        end, who = time.time() + 2, dash_duo.driver.execute_script(covered)
        while who and time.time() < end:
            time.sleep(0.05)
            who = dash_duo.driver.execute_script(covered)
        if who:
            hidden.append(who)
        # The keyboard, not an element's send_keys: a row's evidence upload is a file input,
        # where send_keys would type a file name.
        ActionChains(dash_duo.driver).send_keys(Keys.TAB).perform()
    assert seen > 40, seen  # the form of 36 rows has many stops
    assert hidden == []
