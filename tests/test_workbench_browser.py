"""方案工作台 end to end in Chromium (issue #17): an admin uploads Luzhou's scheme document, reviews
the drafted candidates beside the document (the selected candidate's sentence highlighted), accepts
them and publishes; enters one value and sees its light; adjusts a target and sees the verdict before
and after the effective date. Bad documents and a draft that fails validation are refused on the page."""
from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

from PIL import Image
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import ids
from dashboard.pages import schemes
from dashboard.workbench import review
from indicators.periods import Quarter
from tests.test_entry_browser import INDICATOR, QUARTER, REGION, click, open_entry, open_overview, pid, summary, \
    type_into, wait_until
from tests.test_schemes_browser import _click, _fill, _pick, _versions

FIXTURE = Path(__file__).parent / "fixtures" / "workbench_luzhou.txt"
REASON = "泸州市专利转化运用专项行动实施方案(泸市府办发〔2024〕23号)"
ADJ_REASON = "泸州市专利转化运用专项行动调整(泸市府办发〔2025〕5号)"


def _upload(dash_duo, path) -> None:
    dash_duo.find_element(f"#{review.DR_UPLOAD} input[type=file]").send_keys(str(path))


def _shoot(drv, name: str, anchor: str = "") -> None:
    """The review view (document beside candidates; or the section around ``anchor``'s id) at both
    screen sizes, when asked for."""
    out = os.environ.get("SCHEMES_SCREENSHOTS")   # set to docs/screenshots to refresh the pictures
    if not out:
        return
    find = (f"document.getElementById('{anchor}')" if anchor
            else f"document.getElementById('{review.DR_UPLOAD}').closest('section')")
    for w, h in ((1366, 768), (1920, 1080)):
        drv.set_window_size(w, h)
        top = ("document.activeElement.blur();"
               f"const s = {find}; s.scrollIntoView();"
               "const e = document.scrollingElement;"
               "return Math.abs(s.getBoundingClientRect().top) < 2 || e.scrollTop + e.clientHeight >= e.scrollHeight - 2;")
        WebDriverWait(drv, 10).until(lambda d: d.execute_script(top))
        drv.save_screenshot(os.path.join(out, f"{name}_{w}x{h}.png"))


def _rows(drv) -> list:
    return drv.find_elements(By.CSS_SELECTOR, f"#{review.DR_GRID} .ag-center-cols-container .ag-row")


def test_upload_review_publish_enter_and_adjust(dash_duo, demo_app, tmp_path):
    service = demo_app.server.extensions["monitor"]["service"]
    dash_duo.start_server(demo_app)
    drv = dash_duo.driver
    drv.get(dash_duo.server_url + schemes.PATH)
    dash_duo.wait_for_element(f"#{schemes.VERSIONS} tbody tr", timeout=20)
    _pick(dash_duo, schemes.SCHEME, "泸州")
    dash_duo.wait_for_contains_text(f"#{schemes.VERSIONS}", "第1版", timeout=10)

    # Bad documents: the reader's message, nothing drafted.
    scan = tmp_path / "扫描件.pdf"
    buf = io.BytesIO()
    Image.new("RGB", (600, 800), "white").save(buf, "PDF")
    scan.write_bytes(buf.getvalue())
    _upload(dash_duo, scan)
    dash_duo.wait_for_contains_text(f"#{review.DR_MSG}", "未能从PDF中读出文字,可能是扫描件", timeout=20)
    old = tmp_path / "方案.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    _upload(dash_duo, old)
    dash_duo.wait_for_contains_text(f"#{review.DR_MSG}", "这是旧版Word(.doc)文件", timeout=20)
    none = tmp_path / "通知.txt"
    none.write_text("关于开展宣传活动的通知\n一、活动内容\n各单位要认真组织宣传活动。\n", encoding="utf-8")
    _upload(dash_duo, none)
    dash_duo.wait_for_contains_text(f"#{review.DR_MSG}", "未找到量化目标", timeout=20)
    assert _rows(drv) == []

    # The document: six candidates, all matching Luzhou's registered targets, accepted and valid.
    _upload(dash_duo, FIXTURE)
    dash_duo.wait_for_contains_text(f"#{review.DR_MSG}", "候选6项(其中6项与方案 luzhou 已登记的指标相同)", timeout=20)
    WebDriverWait(drv, 20).until(lambda d: len(_rows(d)) == 6)
    dash_duo.wait_for_contains_text(f"#{review.DR_CHECK}", "校验通过:接受6项候选", timeout=20)
    checks = drv.find_elements(By.CSS_SELECTOR, f"#{review.DR_GRID} .ag-center-cols-container input[type=checkbox],"
                                                f"#{review.DR_GRID} .ag-pinned-left-cols-container input[type=checkbox]")
    assert len(checks) == 6 and all(c.is_selected() for c in checks)

    # Selecting a candidate highlights its sentence in the document.
    cell = drv.find_element(By.CSS_SELECTOR, f"#{review.DR_GRID} .ag-pinned-left-cols-container [row-id='c2'] "
                                             "[col-id='cid']")
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", cell)
    WebDriverWait(drv, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#{review.DR_DOC} .sv-dr-hl"))
    hl = drv.find_element(By.CSS_SELECTOR, f"#{review.DR_DOC} .sv-dr-hl").text
    assert "建设省级高价值专利育成中心2家以上" in hl
    _shoot(drv, "workbench_review")

    # Publish without a date: refused; then published as Luzhou's version 2.
    _fill(dash_duo, review.DR_REASON, REASON)
    _click(dash_duo, review.DR_PUBLISH)
    dash_duo.wait_for_contains_text(f"#{review.DR_PUB_MSG}", "请填写生效日期", timeout=15)
    assert [v.version for v in service.registry_history().versions("luzhou")] == [1]
    _fill(dash_duo, review.DR_EFFECTIVE, "2024-05-01")
    _click(dash_duo, review.DR_PUBLISH)
    dash_duo.wait_for_contains_text(f"#{review.DR_PUB_MSG}", "已发布方案 luzhou 第2版,2024-05-01起生效", timeout=20)
    WebDriverWait(drv, 10).until(lambda d: _versions(d) == ["2", "1"])
    assert len(service.indicators("luzhou")) == len(service.registry_history().versions("luzhou")[0].indicators)

    # One value on the entry form: its light on the overview.
    assert open_overview(dash_duo) == "missed"      # 48 of 50 at the deadline
    open_entry(dash_duo)
    value_sel = pid(ids.EN_VALUE, indicator=INDICATOR)
    type_into(dash_duo, value_sel, "9")
    click(dash_duo, f"#{ids.EN_SAVE}")
    wait_until(lambda: "已保存1项" in summary(dash_duo), what="已保存1项")
    assert open_overview(dash_duo) == "achieved"    # 50 of 50

    # Adjust the target from 2025-10-01: 2025Q3 is judged by 50, 2025Q4 by 55.
    drv.get(dash_duo.server_url + schemes.PATH)
    dash_duo.wait_for_element(f"#{schemes.VERSIONS} tbody tr", timeout=20)
    _pick(dash_duo, schemes.SCHEME, "泸州")
    WebDriverWait(drv, 10).until(lambda d: _versions(d) == ["2", "1"])
    name = service.registry.indicators[INDICATOR].name
    _pick(dash_duo, schemes.ADJ_INDICATOR, name)
    dash_duo.wait_for_contains_text(f"#{schemes.ADJ_CURRENT}", "当前目标", timeout=10)
    _fill(dash_duo, schemes.ADJ_VALUE, "55")
    _fill(dash_duo, schemes.ADJ_EFFECTIVE, "2025-10-01")
    _fill(dash_duo, schemes.ADJ_REASON, ADJ_REASON)
    _click(dash_duo, schemes.ADJ_BUTTON)
    dash_duo.wait_for_contains_text(f"#{schemes.ADJ_MSG}", "已发布方案 luzhou 第3版,2025-10-01起生效", timeout=15)
    ind = service.registry.indicators[INDICATOR]
    for q, target, status in ((Quarter(2025, 3), "目标50家", "warning"), (Quarter(2025, 4), "目标55家", "missed")):
        res = service.result(ind, REGION, q)
        assert target in res.explanation and res.status.value == status, (q, res.explanation)
        drv.get(f"{dash_duo.server_url}/indicator/{INDICATOR}?region={REGION}&q={q}")
        dash_duo.wait_for_contains_text(f"#{ids.DT_STATUS}", res.explanation, timeout=20)
    assert QUARTER == "2025Q4" and date(2025, 10, 1) <= Quarter(2025, 4).end
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []


def test_a_draft_failing_validation_is_refused_naming_candidate_and_field(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    dash_duo.start_server(demo_app)
    drv = dash_duo.driver
    drv.get(dash_duo.server_url + schemes.PATH)
    dash_duo.wait_for_element(f"#{schemes.VERSIONS} tbody tr", timeout=20)
    _pick(dash_duo, schemes.SCHEME, "泸州")
    dash_duo.wait_for_contains_text(f"#{schemes.VERSIONS}", "第1版", timeout=10)
    _upload(dash_duo, FIXTURE)
    WebDriverWait(drv, 20).until(lambda d: len(_rows(d)) == 6)
    # Edit c2's target to a negative number in the grid: the live check names the candidate and field.
    sel = f"#{review.DR_GRID} [row-id='c2'] [col-id='value']"

    def editing():
        """Click the cell until its editor is open (a click while the grid re-renders is lost)."""
        cell = drv.find_element(By.CSS_SELECTOR, sel)
        if not cell.find_elements(By.CSS_SELECTOR, "input"):
            drv.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
            ActionChains(drv).click(cell).perform()
        found = cell.find_elements(By.CSS_SELECTOR, "input")
        return found[0] if found else False

    editor = wait_until(editing, what="the editor of c2's 目标值")
    editor.send_keys("\ue009a")         # Ctrl+A
    editor.send_keys("-2\n")
    dash_duo.wait_for_contains_text(f"#{review.DR_CHECK}", "候选 c2(省级高价值专利育成中心数)、字段 target.value",
                                    timeout=20)
    _fill(dash_duo, review.DR_EFFECTIVE, "2024-05-01")
    _fill(dash_duo, review.DR_REASON, REASON)
    _click(dash_duo, review.DR_PUBLISH)
    dash_duo.wait_for_contains_text(f"#{review.DR_PUB_MSG}", "校验未通过(未发布)", timeout=20)
    assert "候选 c2(省级高价值专利育成中心数)、字段 target.value" in dash_duo.find_element(f"#{review.DR_PUB_MSG}").text
    assert [v.version for v in service.registry_history().versions("luzhou")] == [1]

    # A missed target: select a sentence, add it; split a candidate; both checked at once.
    sent = drv.find_elements(By.CSS_SELECTOR, f"#{review.DR_DOC} .sv-dr-sent")[0]
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", sent)
    dash_duo.wait_for_contains_text(f"#{review.DR_PICKED}", "已选句子:" + sent.text[:10], timeout=10)
    assert "sv-dr-hl" in sent.get_attribute("class")
    _click(dash_duo, review.DR_ADD)
    WebDriverWait(drv, 20).until(lambda d: len(_rows(d)) == 7)
    dash_duo.wait_for_contains_text(f"#{review.DR_CHECK}", "候选 m7(未命名)、字段 name", timeout=20)
    cell = drv.find_element(By.CSS_SELECTOR, f"#{review.DR_GRID} .ag-pinned-left-cols-container [row-id='c3'] "
                                             "[col-id='cid']")
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", cell)
    _click(dash_duo, review.DR_SPLIT)
    WebDriverWait(drv, 20).until(lambda d: len(_rows(d)) == 8)
    assert drv.find_elements(By.CSS_SELECTOR, f"#{review.DR_GRID} [row-id='c3.2']")


def test_a_draft_is_published_as_a_new_scheme_and_offered_at_once(dash_duo, demo_app):
    service = demo_app.server.extensions["monitor"]["service"]
    dash_duo.start_server(demo_app)
    drv = dash_duo.driver
    drv.get(dash_duo.server_url + schemes.PATH)
    dash_duo.wait_for_element(f"#{schemes.VERSIONS} tbody tr", timeout=20)
    _pick(dash_duo, schemes.SCHEME, "泸州")
    dash_duo.wait_for_contains_text(f"#{schemes.VERSIONS}", "第1版", timeout=10)
    _upload(dash_duo, FIXTURE)
    dash_duo.wait_for_contains_text(f"#{review.DR_CHECK}", "校验通过:接受6项候选", timeout=20)
    # 发布为 新方案: the form opens, prefilled from the document; an empty id is named.
    label = next(e for e in drv.find_elements(By.CSS_SELECTOR, f"#{review.DR_MODE} label") if e.text == "新方案")
    drv.execute_script("arguments[0].click()", label)
    dash_duo.wait_for_element(f"#{review.DR_NEW}", timeout=10)
    WebDriverWait(drv, 10).until(lambda d: d.find_element(By.ID, review.DR_NEW).is_displayed())
    name = drv.find_element(By.ID, review.NEW_IDS["name"])
    assert name.get_attribute("value") == "泸州市专利转化运用专项行动实施方案(2024—2025年)"
    assert drv.find_element(By.ID, review.NEW_IDS["start"]).get_attribute("value") == "2024-05"
    dash_duo.wait_for_contains_text(f"#{review.DR_CHECK}", "字段 方案编号", timeout=20)
    _fill(dash_duo, review.NEW_IDS["id"], "luzhou")
    dash_duo.wait_for_contains_text(f"#{review.DR_CHECK}", "方案编号已存在(luzhou)", timeout=20)
    _fill(dash_duo, review.NEW_IDS["id"], "luzhou_county")
    _fill(dash_duo, review.NEW_IDS["short_name"], "泸州县试点")
    dash_duo.wait_for_contains_text(f"#{review.DR_CHECK}", "发布后为新方案 luzhou_county(泸州县试点)", timeout=20)
    _fill(dash_duo, review.DR_EFFECTIVE, "2024-05-27")
    _fill(dash_duo, review.DR_REASON, REASON)
    _shoot(drv, "workbench_new_scheme", review.DR_NEW)
    _click(dash_duo, review.DR_PUBLISH)
    dash_duo.wait_for_contains_text(f"#{review.DR_PUB_MSG}", "已发布方案 luzhou_county 第1版,2024-05-27起生效",
                                    timeout=20)
    # The selector offers and shows the new scheme; the luzhou scheme is unchanged.
    dash_duo.wait_for_contains_text(f"#{schemes.SCHEME}", "泸州县试点", timeout=10)
    WebDriverWait(drv, 10).until(lambda d: _versions(d) == ["1"])
    assert [v.version for v in service.registry_history().versions("luzhou")] == [1]
    assert len(service.indicators("luzhou_county")) == 6
    # The overview of the new scheme.
    drv.get(dash_duo.server_url + "/?scheme=luzhou_county")
    dash_duo.wait_for_contains_text(f"#{ids.PAGE}", "泸州县试点", timeout=20)   # its selector shows it
    dash_duo.wait_for_contains_text(f"#{ids.PAGE}", "泸州市", timeout=20)       # and its region
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []
