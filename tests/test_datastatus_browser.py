"""Data status in the browser: the overview marks figures not yet approved and says how many
are approved; an approval clears the marks of the unit's figures (dash[testing], Chromium)."""
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import datastatus, ids
from indicators.periods import Quarter

SCHEME, REGION = "anning", "安宁市"
QUARTER = Quarter(2026, 2)   # the demo submits every other unit's data of this quarter


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
    assert {m[0] for m in expected.values() if m} == {datastatus.SUBMITTED, datastatus.DRAFT}
    assert ds.approved == 0 and ds.reported > 0

    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + f"/?scheme={SCHEME}&q={QUARTER}")
    line = _approved_line(dash_duo, 0)
    assert line.get_attribute("data-reported") == str(ds.reported)
    assert f"已填报的{ds.reported}项数据中,已审核0项" in line.text
    assert _marks(dash_duo.driver) == expected

    unit = sorted(s.unit for s in service.store.submissions(SCHEME, REGION, QUARTER) if s.state == "submitted")[0]
    theirs = [i.id for i in service.indicators(SCHEME) if i.reporting_unit == unit and ds.of(i.id)]
    assert theirs and all(_marks(dash_duo.driver)[i][1] == "待审核" for i in theirs)
    service.store.approve(SCHEME, REGION, unit, QUARTER, "admin")
    dash_duo.driver.refresh()
    line = _approved_line(dash_duo, len(theirs))
    assert f"已审核{len(theirs)}项" in line.text
    after, _ = _expected(service)
    marks = _marks(dash_duo.driver)
    assert marks == after
    assert all(marks[i] is None for i in theirs)


def test_detail_marks_the_quarters_figure_and_each_quarter_in_the_values_table(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    ds = service.data_status(SCHEME, REGION, QUARTER)
    old_q = Quarter(2025, 1)
    before = service.data_status(SCHEME, REGION, old_q)
    ind_id = next(i for i, s in ds.by_indicator.items()
                  if s == datastatus.SUBMITTED and before.of(i) == datastatus.APPROVED)
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + f"/indicator/{ind_id}?q={QUARTER}")
    dash_duo.wait_for_text_to_equal(f"#{ids.DT_STATUS} [data-review]", "待审核", timeout=20)
    dash_duo.wait_for_element(f"#{ids.DT_VALUES} tr[data-period='{QUARTER}']", timeout=20)
    cell = dash_duo.find_element(f"#{ids.DT_VALUES} tr[data-period='{QUARTER}'] [data-review]")
    assert cell.text == "待审核" and cell.get_attribute("title") == datastatus.EXPLANATIONS[datastatus.SUBMITTED]
    # An approved quarter says so in the table (and is not marked in the status line).
    old = dash_duo.find_element(f"#{ids.DT_VALUES} tr[data-period='{old_q}'] [data-review]")
    assert old.text == "已审核"
