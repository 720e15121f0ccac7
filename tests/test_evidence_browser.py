"""佐证材料 on the detail page in a real browser: upload (the file input of dcc.Upload), list,
preview through /evidence/<id>, remove with a reason.

    flock /tmp/browser.lock env DASH_TEST_CHROMEPATH=/usr/bin/chromium .venv/bin/pytest -q -p no:cacheprovider \
        --webdriver Chrome --headless tests/test_evidence_browser.py
"""
from __future__ import annotations

import urllib.request

from selenium.webdriver.common.by import By

from dashboard.evidence import page as ev
from tests import evidence_files as f
from tests.test_entry_browser import wait_until

IND, QUARTER = "anning_design_grants_annual", "2025Q2"


def test_upload_preview_and_remove(dash_duo, demo_app, tmp_path):
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + f"/indicator/{IND}?q={QUARTER}")
    dash_duo.wait_for_contains_text(f"#{ev.LIST}", "暂无佐证材料", timeout=30)

    path = tmp_path / "外观设计授权通知书.pdf"
    path.write_bytes(f.pdf("design grants"))
    dash_duo.find_element(f"#{ev.NOTE}").send_keys("2025年第2季度")
    dash_duo.find_element(f"#{ev.UPLOAD} input[type=file]").send_keys(str(path))
    dash_duo.wait_for_contains_text(f"#{ev.MSG}", "已上传“外观设计授权通知书.pdf”", timeout=30)
    dash_duo.wait_for_contains_text(f"#{ev.LIST} .evidence-table", "外观设计授权通知书.pdf", timeout=20)
    assert "2025年第2季度" in dash_duo.find_element(f"#{ev.LIST} .evidence-table").text

    link = dash_duo.find_element(f"#{ev.LIST} a.evidence-name")
    assert link.get_attribute("target") == "_blank"
    with urllib.request.urlopen(link.get_attribute("href")) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"] == "application/pdf"
        assert resp.headers["Content-Disposition"].startswith("inline")
        assert resp.read() == path.read_bytes()

    # A bad file: the page says what was wrong and the list is unchanged.
    bad = tmp_path / "setup.pdf"
    bad.write_bytes(f.exe())
    # The upload area re-renders after each upload: find its input afresh until it takes the path.
    wait_until(lambda: dash_duo.find_element(f"#{ev.UPLOAD} input[type=file]").send_keys(str(bad)) or True,
               what="the file input")
    dash_duo.wait_for_contains_text(f"#{ev.MSG}", "可执行程序", timeout=30)
    assert len(dash_duo.find_elements(f"#{ev.LIST} .evidence-table tbody tr")) == 1

    button = dash_duo.find_element(f"#{ev.LIST} .evidence-table button")
    # Below the fold of the test window: clicked by script (what the click does is what is tested).
    dash_duo.driver.execute_script("arguments[0].click();", button)
    dash_duo.wait_for_contains_text(f"#{ev.MODAL_NAME}", "外观设计授权通知书.pdf", timeout=20)
    dash_duo.find_element(f"#{ev.CONFIRM}").click()
    dash_duo.wait_for_contains_text(f"#{ev.MODAL_MSG}", "请填写移除原因", timeout=20)
    dash_duo.find_element(f"#{ev.REASON}").send_keys("上传错了季度")
    dash_duo.find_element(f"#{ev.CONFIRM}").click()
    dash_duo.wait_for_contains_text(f"#{ev.LIST} .evidence-removed", "上传错了季度", timeout=20)
    removed = dash_duo.find_element(f"#{ev.LIST} .evidence-removed").text
    assert "已移除" in removed and "外观设计授权通知书.pdf" in removed
    wait_until(lambda: not dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{ev.LIST} .evidence-table"),
               what="the active list to empty")
    assert dash_duo.get_logs() == []


def test_upload_from_a_row_of_the_entry_form(dash_duo, demo_app, tmp_path):
    from urllib.parse import quote

    from tests.test_entry_browser import pid

    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + f"/entry?scheme=anning&region={quote('安宁市')}&q=2026Q3"
                        f"&unit={quote('市市场监管局')}")
    count = pid(ev.ROW_COUNT, indicator=IND)
    dash_duo.wait_for_contains_text(count, "暂无佐证材料", timeout=30)
    path = tmp_path / "授权清单.png"
    path.write_bytes(f.png(seed=3))
    dash_duo.find_element(pid(ev.ROW_UPLOAD, indicator=IND) + " input[type=file]").send_keys(str(path))
    dash_duo.wait_for_contains_text(pid(ev.ROW_MSG, indicator=IND), "已上传“授权清单.png”", timeout=30)
    dash_duo.wait_for_contains_text(count, "佐证材料1份", timeout=20)
    rows = demo_app.server.extensions["monitor"]["service"].evidence.rows(indicator_id=IND, period="2026Q3")
    assert [(r.name, r.content_type) for r in rows] == [("授权清单.png", "image/png")]
    assert dash_duo.get_logs() == []
