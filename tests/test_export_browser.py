"""Exports off the request thread (issue 15), in headless Chromium: 导出PDF on the overview and the
detail page and the Word report run as background callbacks, the buttons show 正在生成… while the
job runs, and the browser receives the file."""
from __future__ import annotations

import os
import unicodedata

import pytest

from selenium.webdriver.support.ui import WebDriverWait

from dashboard import background, ids
from tests.conftest import pytest_setup_options  # noqa: F401  (dash[testing] hook)

JOB_SECONDS = 90   # Chromium start and print on a busy 2-core machine


def _downloaded(dash_duo, suffix: str) -> str:
    """Wait for a finished download ending in ``suffix`` and return its path."""
    path = dash_duo.download_path

    def done(_):
        names = [n for n in os.listdir(path) if n.endswith(suffix)]
        return os.path.join(path, names[0]) if names else False
    return WebDriverWait(dash_duo.driver, JOB_SECONDS).until(done)


def _export(dash_duo, button: str, running: str, message: str, suffix: str) -> bytes:
    dash_duo.find_element(f"#{button}").click()
    # While the job runs: the button is disabled and says so beside it.
    WebDriverWait(dash_duo.driver, 20).until(
        lambda d: d.find_element("id", button).get_attribute("disabled")
        and d.find_element("id", running).text == background.RUNNING_TEXT)
    dash_duo.wait_for_contains_text(f"#{message}", "已生成", timeout=JOB_SECONDS)
    WebDriverWait(dash_duo.driver, 20).until(
        lambda d: d.find_element("id", running).text == "" and d.find_element("id", button).get_attribute("disabled") is None)
    with open(_downloaded(dash_duo, suffix), "rb") as fh:
        return fh.read()


def test_the_overview_exports_pdf_and_word_as_background_jobs(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + "/?scheme=anning&region=安宁市&q=2025Q2")
    dash_duo.wait_for_element(f"#{ids.OV_EXPORT_PDF}", timeout=20)
    pdf = _export(dash_duo, ids.OV_EXPORT_PDF, ids.OV_EXPORT_RUNNING, ids.OV_EXPORT_MSG, "工作进展总览.pdf")
    assert pdf.startswith(b"%PDF-")
    docx = _export(dash_duo, ids.OV_EXPORT_DOCX, ids.OV_EXPORT_RUNNING, ids.OV_EXPORT_MSG, ".docx")
    assert docx.startswith(b"PK")   # a zip: the Word file
    assert dash_duo.get_logs() == []


def test_the_detail_page_exports_pdf_as_a_background_job(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + "/indicator/anning_design_grants_annual?region=安宁市&q=2026Q3")
    dash_duo.wait_for_element(f"#{ids.DT_EXPORT_PDF}", timeout=20)
    pdf = _export(dash_duo, ids.DT_EXPORT_PDF, ids.DT_EXPORT_RUNNING, ids.DT_EXPORT_MSG, ".pdf")
    assert pdf.startswith(b"%PDF-")
    assert dash_duo.get_logs() == []


def _browser_print(dash_duo) -> list:
    """The page as Chromium prints it (Ctrl+P, A4 portrait, the stylesheet's @page margins): per page
    its size, its text and the right edge of everything drawn."""
    import base64
    import io

    import pdfplumber

    out = dash_duo.driver.execute_cdp_cmd("Page.printToPDF", {
        "paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True, "preferCSSPageSize": True})
    pages = []
    with pdfplumber.open(io.BytesIO(base64.b64decode(out["data"]))) as pdf:
        for p in pdf.pages:
            drawn = p.chars + p.rects + p.curves + p.lines + p.images
            pages.append({"size": (p.width, p.height), "text": (p.extract_text() or "").strip(), "drawn": len(drawn),
                          "right": max((o["x1"] for o in drawn), default=0)})
    return pages


def test_printing_the_overview_gives_a4_pages_none_blank_charts_inside(dash_duo, demo_app):
    dash_duo.start_server(demo_app)
    dash_duo.driver.get(dash_duo.server_url + "/?scheme=anning&region=安宁市&q=2025Q2")
    dash_duo.wait_for_element(f"#{ids.OV_HEATMAP} .main-svg .hm", timeout=30)
    dash_duo.wait_for_element(f"#{ids.OV_TIMELINE} .main-svg", timeout=30)
    wide = dash_duo.driver.execute_script(f"return document.getElementById('{ids.OV_HEATMAP}').offsetWidth")
    assert wide > 800   # drawn wider than the page: the print has to scale it
    pages = _browser_print(dash_duo)
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert page["size"] == pytest.approx((595.3, 841.9), abs=1), f"page {n} is not A4 portrait"
        assert page["text"] and page["drawn"] > 20, f"page {n} is blank"
        assert page["right"] <= page["size"][0] - 12 / 25.4 * 72 + 2, (f"page {n} is cut off at the right", pages)
    # NFKC: Chromium's CJK font maps some characters to Kangxi-radical look-alikes (⼯ for 工).
    text = unicodedata.normalize("NFKC", "".join(p["text"] for p in pages))
    assert "指标红绿灯" in text and "各季度状态变化" in text
    for chrome in ("导出", "数据大屏", "指标库"):   # no buttons, no menu
        assert chrome not in text, (chrome, text[max(0, text.find(chrome) - 80):text.find(chrome) + 80])
    # The page is back to its screen size afterwards.
    assert dash_duo.driver.execute_script(f"return document.getElementById('{ids.OV_HEATMAP}').style.zoom") == ""
