"""The whole quarterly loop in a real browser, signed in through the form:

the reporter lands on its to-do list, pastes a column from Excel, saves, submits (with
confirmation); the office returns it with a reason; the reporter sees 已退回 and the
reason on sign-in and on the form, corrects and resubmits; the office approves.
At every step the form's counts, the to-do lists, the review table and the chase
list (责任单位) agree.
"""
from __future__ import annotations

import json
from datetime import date
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By

from dashboard import Settings, create_app, datastatus, ids
from dashboard.accounts import demo_accounts
from dashboard.entry.forms import plain_number
from indicators.periods import Quarter
from tests.test_entry_browser import click, pid, type_into, wait_until

SCHEME, UNIT = "luzhou", "市市场监管局"
# Luzhou's deadline quarter: its figures are the ones the overview judges, and in the demo
# the unit has entered them but not yet handed them in.
QUARTER = Quarter(2025, 4)


@pytest.fixture
def loop_app(tmp_path):
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", demo=True, secret_key="test",
                               login_disabled=False))


def sign_in(dash_duo, username):
    d = dash_duo.driver
    d.delete_all_cookies()
    d.get(dash_duo.server.url.rstrip("/") + "/")
    dash_duo.wait_for_element("#username", timeout=20)
    dash_duo.find_element("#username").send_keys(username)
    dash_duo.find_element("#password").send_keys("demo")
    dash_duo.find_element("#login-submit").click()


def go(dash_duo, path):
    dash_duo.driver.get(dash_duo.server.url.rstrip("/") + path)


def paste(dash_duo, selector, text):
    """A paste as the browser fires it for clipboard text copied from an Excel column."""
    el = dash_duo.find_element(selector)
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus();"
        "var dt = new DataTransfer(); dt.setData('text/plain', arguments[1]);"
        "arguments[0].dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true,"
        " cancelable: true}));", el, text)


# ---------------------------------------------------------------- what each page says

def form_counts(dash_duo):
    el = dash_duo.find_element("#en-counts")
    return int(el.get_attribute("data-total")), int(el.get_attribute("data-missing"))


def form_state(dash_duo):
    return dash_duo.find_element(f"#{ids.EN_STATUS} .status-text [data-state]").get_attribute("data-state")


def todo_state(dash_duo, quarter):
    sel = f".todo-item[data-scheme='{SCHEME}'][data-unit='{UNIT}'][data-quarter='{quarter}']"
    return dash_duo.find_element(sel).get_attribute("data-state")


def review_state(dash_duo):
    return dash_duo.find_element(f"#{ids.RV_BODY} tr[data-unit='{UNIT}']").get_attribute("data-state")


def review_missing(dash_duo):
    row = dash_duo.find_element(f"#{ids.RV_BODY} tr[data-unit='{UNIT}']")
    return int(row.find_elements(By.CSS_SELECTOR, "td")[5].text)


def chased(dash_duo):
    """The indicators the 责任单位 page chases the unit for."""
    return sorted(e.get_attribute("data-chase-indicator")
                  for e in dash_duo.find_elements(f".chase[data-unit='{UNIT}'] [data-chase-indicator]"))


def overview_marks(dash_duo, service, region):
    """The overview's data-status badges of the unit's figures, and what the service says they are."""
    go(dash_duo, f"/?scheme={SCHEME}&region={quote(region)}&q={QUARTER}")
    dash_duo.wait_for_element(f"#{ids.OV_COUNTS} .data-approved-line", timeout=20)
    ds = service.data_status(SCHEME, region, QUARTER)
    theirs = [i.id for i in service.indicators(SCHEME) if i.reporting_unit == UNIT and ds.of(i.id)]
    assert theirs, "the unit's figures are judged at the deadline quarter"
    seen = {}
    for i in theirs:
        badges = dash_duo.find_elements(f"#{ids.OV_BOARD} [data-indicator-row='{i}'] [data-review]")
        seen[i] = badges[0].get_attribute("data-review") if badges else None
    return seen, {i: datastatus.mark(ds.of(i)) for i in theirs}


def test_the_quarter_closes_cleanly(dash_duo, loop_app):
    service = loop_app.server.extensions["monitor"]["service"]
    store = service.store
    region = service.default_region(SCHEME)
    q = QUARTER
    reporter = next(a.username for a in demo_accounts(service.registry) if a.units == (UNIT,)
                    and a.schemes == (SCHEME,))
    admin_name = next(a.display_name for a in demo_accounts(service.registry) if a.username == "admin")
    dash_duo.start_server(loop_app, navigate=False)
    entry_path = f"/entry?scheme={SCHEME}&region={quote(region)}&q={q}&unit={quote(UNIT)}"
    review_path = f"/review?scheme={SCHEME}&region={quote(region)}&q={q}&unit={quote(UNIT)}"
    units_path = f"/units?scheme={SCHEME}&region={quote(region)}&q={q}"

    def truth():
        return service.unit_statuses(SCHEME, region, q, date.today(), [UNIT])[0]

    start = truth()
    assert start.state in ("draft", "not_started") and start.late

    def marks_are(expected):
        seen, truth_marks = overview_marks(dash_duo, service, region)
        # (a milestone judged on the quarter it was done in keeps that quarter's approval: None)
        assert seen == truth_marks and expected in seen.values() and set(seen.values()) <= {expected, None}, seen

    # 1. The reporter signs in and lands on its to-do list: this quarter's form, its state.
    sign_in(dash_duo, reporter)
    wait_until(lambda: dash_duo.driver.current_url.endswith("/todo"), what="landing on 待办")
    wait_until(lambda: todo_state(dash_duo, q) == start.state, what="to-do state")
    marks_are("draft")  # the overview marks the unit's figures 未报送 ...
    go(dash_duo, "/todo")
    wait_until(lambda: todo_state(dash_duo, q) == start.state, what="to-do state")
    dash_duo.find_element(f".todo-item[data-scheme='{SCHEME}'][data-unit='{UNIT}'][data-quarter='{q}'] .todo-go").click()
    wait_until(lambda: form_counts(dash_duo) == (start.total, len(start.missing)), what="the form's counts")

    # 2. A column pasted from Excel: one line per value row from the first one, two lines too
    #    many, and one with a misplaced thousands separator.
    value_inputs = dash_duo.find_elements(f"#{ids.EN_FORM} input[id*='\"entry-value\"']")
    rows = [json.loads(e.get_attribute("id"))["indicator"] for e in value_inputs if e.is_enabled()]
    stored = store.observations_at(SCHEME, region, q)
    prev = store.observations_at(SCHEME, region, q.prev())

    def good(i):
        if stored.get(i) is not None and stored[i].value is not None:
            return plain_number(stored[i].value)
        return plain_number(prev[i].value) if prev.get(i) is not None and prev[i].value is not None else "1"

    lines = [good(i) for i in rows]
    inds = service.registry.indicators
    bad_row = next(i for i in rows if inds[i].unit != "%")
    column = ["1,5" if i == bad_row else v for i, v in zip(rows, lines)] + ["9", "9"]
    version_before_paste = store.data_version()
    paste(dash_duo, pid(ids.EN_VALUE, indicator=rows[0]), "\r\n".join(column) + "\r\n")
    wait_until(lambda: "多出的2行未填入" in dash_duo.find_element(f"#{ids.EN_SUMMARY}").text, what="paste message")
    for i, v in zip(rows, column):
        wait_until(lambda: dash_duo.find_element(pid(ids.EN_VALUE, indicator=i)).get_attribute("value") == v,
                   what=f"{i} filled")
    dash_duo.wait_for_contains_text(pid(ids.EN_MSG, indicator=bad_row), "千位分隔符", timeout=20)
    # Nothing is saved until 保存草稿.
    assert store.data_version() == version_before_paste

    # 3. 保存草稿 refused: the page takes the user to the bad row.
    click(dash_duo, f"#{ids.EN_SAVE}")
    wait_until(lambda: "未保存" in dash_duo.find_element(f"#{ids.EN_SUMMARY}").text, what="refused save")
    wait_until(lambda: dash_duo.driver.execute_script(
        "return document.activeElement && document.activeElement.closest('tr') &&"
        " document.activeElement.closest('tr').dataset.indicator") == bad_row, what="focus on the refused row")
    fixed = str(int(float(good(bad_row))) + 1)  # a change, small enough to need no note
    type_into(dash_duo, pid(ids.EN_VALUE, indicator=bad_row), fixed)
    # Milestones still open this quarter: 未完成 (nothing more asked); the carried ones ask nothing.
    for i in start.missing:
        if i not in rows:
            click(dash_duo, f"{pid(ids.EN_DONE, indicator=i)} input[value='0']")
    click(dash_duo, f"#{ids.EN_SAVE}")
    wait_until(lambda: "已保存" in dash_duo.find_element(f"#{ids.EN_SUMMARY}").text, what="saved")
    # The counts follow the save without a reload, and agree with the one rule.
    saved = truth()
    assert saved.missing == () and saved.state == "draft"
    wait_until(lambda: form_counts(dash_duo) == (saved.total, 0), what="counts after save")
    assert store.observations_at(SCHEME, region, q)[bad_row].value == float(fixed)

    # 4. 报送 asks first.
    click(dash_duo, f"#{ids.EN_SUBMIT}")
    dash_duo.wait_for_contains_text(f"#{ids.EN_SUBMIT_MODAL}", "确认报送", timeout=20)
    assert truth().state == "draft"
    click(dash_duo, f"#{ids.EN_SUBMIT_CONFIRM}")
    wait_until(lambda: form_state(dash_duo) == "submitted", what="submitted")
    assert truth().state == "submitted"

    # 5. The office: the overview marks the figures 待审核; waiting on its to-do list, nothing
    #    chased, the review view with the rows.
    sign_in(dash_duo, "admin")
    dash_duo.wait_for_element("[data-status]", timeout=20)
    marks_are("submitted")
    go(dash_duo, "/todo")
    mine = f".todo-item[data-scheme='{SCHEME}'][data-unit='{UNIT}'][data-quarter='{q}']"
    wait_until(lambda: dash_duo.find_element(f"#todo-waiting {mine}"), what="waiting for review")
    go(dash_duo, units_path)
    wait_until(lambda: dash_duo.find_element("#chase-summary"), what="chase list")
    assert chased(dash_duo) == []
    go(dash_duo, review_path)
    wait_until(lambda: review_state(dash_duo) == "submitted", what="review table")
    assert review_missing(dash_duo) == 0
    dash_duo.wait_for_element(f"#{ids.RV_VIEW} .review-rows tr[data-indicator='{bad_row}']", timeout=20)
    # 退回 needs a reason, then a confirmation.
    click(dash_duo, f"#{ids.RV_REOPEN}")
    wait_until(lambda: "退回须填写原因" in dash_duo.find_element("#rv-alert").text, what="reason required")
    reason = "托管企业数量与台账不符,请核实后重报"
    type_into(dash_duo, f"#{ids.RV_REASON}", reason)
    click(dash_duo, f"#{ids.RV_REOPEN}")
    dash_duo.wait_for_contains_text(f"#{ids.RV_MODAL}", reason, timeout=20)
    click(dash_duo, f"#{ids.RV_CONFIRM}")
    wait_until(lambda: review_state(dash_duo) == "returned", what="returned")
    assert truth().state == "returned" and truth().returned_reason == reason
    marks_are("returned")

    # 6. The reporter sees 已退回 and the reason on sign-in and on the form.
    sign_in(dash_duo, reporter)
    wait_until(lambda: todo_state(dash_duo, q) == "returned", what="returned on the to-do list")
    item = dash_duo.find_element(f".todo-item[data-scheme='{SCHEME}'][data-unit='{UNIT}'][data-quarter='{q}']").text
    assert reason in item and admin_name in item
    go(dash_duo, entry_path)
    dash_duo.wait_for_contains_text("#en-returned", reason, timeout=20)
    wait_until(lambda: form_state(dash_duo) == "returned", what="returned state on the form")  # the status may redraw
    corrected = good(bad_row)  # back to the figure the office expects
    type_into(dash_duo, pid(ids.EN_VALUE, indicator=bad_row), corrected)
    click(dash_duo, f"#{ids.EN_SUBMIT}")
    click(dash_duo, f"#{ids.EN_SUBMIT_CONFIRM}")
    wait_until(lambda: form_state(dash_duo) == "submitted",
               what=lambda: "resubmitted: " + dash_duo.find_element(f"#{ids.EN_SUMMARY}").text)
    assert store.observations_at(SCHEME, region, q)[bad_row].value == float(corrected)
    # The returned notice is gone once submitted again.
    assert not dash_duo.driver.find_elements(By.ID, "en-returned")

    # 7. The office approves (after a confirmation); everything agrees.
    sign_in(dash_duo, "admin")
    dash_duo.wait_for_element("[data-status]", timeout=20)
    go(dash_duo, review_path)
    wait_until(lambda: review_state(dash_duo) == "submitted", what="resubmitted on review")
    click(dash_duo, f"#{ids.RV_APPROVE}")
    dash_duo.wait_for_contains_text(f"#{ids.RV_MODAL}", "确认审核通过", timeout=20)
    click(dash_duo, f"#{ids.RV_CONFIRM}")
    wait_until(lambda: review_state(dash_duo) == "approved", what="approved")
    assert truth().state == "approved"
    marks_are(None)  # approved: no mark left
    go(dash_duo, units_path)
    wait_until(lambda: dash_duo.find_element("#chase-summary"), what="chase list")
    assert chased(dash_duo) == []
    go(dash_duo, "/todo")
    dash_duo.wait_for_element("#todo-waiting", timeout=20)
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#todo-waiting {mine}")
    severe = [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"]
    assert severe == [], severe
