"""Data status in the browser: the overview marks figures not yet approved and says how many
are approved; an approval clears the marks of the unit's figures (dash[testing], Chromium)."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import datastatus, ids
from indicators.periods import Quarter

SCHEME, REGION = "luzhou", "泸州市"
QUARTER = Quarter(2025, 4)   # luzhou's deadline quarter: not yet submitted in the demo
UNIT = "市科技局"             # reports two of its indicators


def _marks(driver):
    rows = driver.find_elements(By.CSS_SELECTOR, f"#{ids.OV_BOARD} [data-indicator-row]")
    out = {}
    for row in rows:
        badges = row.find_elements(By.CSS_SELECTOR, "[data-review]")
        out[row.get_attribute("data-indicator-row")] = (
            (badges[0].get_attribute("data-review"), badges[0].text, badges[0].get_attribute("title"))
            if badges else None)
    return out


def _expected(service):
    ds = service.data_status(SCHEME, REGION, QUARTER)
    return {iid: (s, datastatus.LABELS[s], datastatus.EXPLANATIONS[s]) if datastatus.mark(s) else None
            for iid, s in ds.by_indicator.items()}, ds


def _approved_line(dash_duo, approved):
    sel = f"#{ids.OV_COUNTS} .data-approved-line[data-approved='{approved}']"
    WebDriverWait(dash_duo.driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, sel))
    return dash_duo.driver.find_element(By.CSS_SELECTOR, sel)


def test_overview_marks_unapproved_figures_until_approval(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    expected, ds = _expected(service)
    assert {m[0] for m in expected.values() if m} == {datastatus.DRAFT}
    theirs = [i.id for i in service.indicators(SCHEME) if i.reporting_unit == UNIT and ds.of(i.id)]
    assert len(theirs) == 2

    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + f"/?scheme={SCHEME}&q={QUARTER}")
    line = _approved_line(dash_duo, ds.approved)
    assert line.get_attribute("data-reported") == str(ds.reported)
    assert f"状态评价所用的{ds.reported}项填报数值中,已审核{ds.approved}项" in line.text and "未报送" in line.text
    assert _marks(dash_duo.driver) == expected
    assert all(_marks(dash_duo.driver)[i][1] == "未报送" for i in theirs)

    service.store.submit(SCHEME, REGION, UNIT, QUARTER, "luzhou_r03")
    dash_duo.driver.refresh()
    _approved_line(dash_duo, ds.approved)
    WebDriverWait(dash_duo.driver, 20).until(lambda d: all((_marks(d).get(i) or ("",))[0] == "submitted" for i in theirs))
    assert _marks(dash_duo.driver) == _expected(service)[0]

    service.store.approve(SCHEME, REGION, UNIT, QUARTER, "admin")
    dash_duo.driver.refresh()
    line = _approved_line(dash_duo, ds.approved + 2)
    assert f"已审核{ds.approved + 2}项" in line.text
    marks = _marks(dash_duo.driver)
    assert marks == _expected(service)[0]
    assert all(marks[i] is None for i in theirs)


def test_detail_marks_the_quarters_figure_and_each_quarter_in_the_values_table(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    ds = service.data_status(SCHEME, REGION, QUARTER)
    old_q = Quarter(2025, 3)
    before = service.data_status(SCHEME, REGION, old_q)
    ind_id = next(i for i, s in ds.by_indicator.items() if s == datastatus.DRAFT and before.of(i) == datastatus.APPROVED)
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + f"/indicator/{ind_id}?q={QUARTER}")
    dash_duo.wait_for_text_to_equal(f"#{ids.DT_STATUS} [data-review]", "未报送", timeout=20)
    dash_duo.wait_for_element(f"#{ids.DT_VALUES} tr[data-period='{QUARTER}']", timeout=20)
    cell = dash_duo.find_element(f"#{ids.DT_VALUES} tr[data-period='{QUARTER}'] [data-review]")
    assert cell.text == "未报送" and cell.get_attribute("title") == datastatus.EXPLANATIONS[datastatus.DRAFT]
    # An approved quarter says so in the table (and is not marked in the status line).
    old = dash_duo.find_element(f"#{ids.DT_VALUES} tr[data-period='{old_q}'] [data-review]")
    assert old.text == "已审核"
