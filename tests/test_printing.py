"""导出PDF (dashboard/printing.py) and the background export guard (dashboard/background.py).

The overview and one detail page are printed once per module by the real Chromium
(Debian's, through kaleido): start-up dominates the run time.
"""
from __future__ import annotations

import io
import json
import logging
import re
import unicodedata

import pdfplumber
import pytest
from dash import html
from dash._callback_context import context_value
from dash._utils import AttributeDict

from dashboard import background, printing
from dashboard.datastatus import DataStatus
from dashboard.permissions import Identity
from dashboard.service import MonitorService
from data.db import make_engine, upgrade
from data.demo import load_demo
from data.store import Store
from indicators.periods import Quarter
from indicators.registry import load_registry

SCHEME = "anning"
QUARTER = Quarter(2025, 2)
A4_PT = (595.3, 841.9)
# pdfplumber's words for the header and footer band, in points from the page's top and bottom edges.
HEADER_PT, FOOTER_PT = printing.MARGIN_TOP_IN * 72, printing.MARGIN_BOTTOM_IN * 72

logging.getLogger("pdfminer").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("printing")
    engine = make_engine(f"sqlite:///{tmp}/d.db")
    upgrade(engine)
    store = Store(engine)
    registry = load_registry()
    load_demo(store, registry)
    return MonitorService(registry, store)


def _pages(pdf: bytes) -> list[dict]:
    """Per page: size, the text of the header band, the body band and the footer band, and the
    number of drawn objects in the body (text, pictures, vector shapes)."""
    out = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for p in doc.pages:
            body = p.within_bbox((0, HEADER_PT, p.width, p.height - FOOTER_PT))
            # NFKC: Chromium's CJK font maps some characters to their Kangxi-radical look-alikes (⾄ for 至).
            text = lambda region: unicodedata.normalize("NFKC", region.extract_text() or "")  # noqa: E731
            out.append({
                "size": (p.width, p.height),
                "header": text(p.within_bbox((0, 0, p.width, HEADER_PT))),
                "footer": text(p.within_bbox((0, p.height - FOOTER_PT, p.width, p.height))),
                "body": text(body),
                "objects": len(body.chars) + len(body.images) + len(body.rects) + len(body.curves),
            })
    return out


@pytest.fixture(scope="module")
def overview_pdf(service):
    return printing.build_pdf(service, "overview", scheme_id=SCHEME, region=None, quarter=str(QUARTER))


def test_the_overview_prints_to_a4_pages_none_blank(overview_pdf):
    name, pdf = overview_pdf
    assert name.endswith("_2025Q2_工作进展总览.pdf")
    pages = _pages(pdf)
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert page["size"] == pytest.approx(A4_PT, abs=1), f"page {n} is not A4 portrait"
        assert page["body"].strip() and page["objects"] > 20, f"page {n} is blank"


def test_every_printed_page_has_the_header_and_its_page_number(service, overview_pdf):
    _, pdf = overview_pdf
    pages = _pages(pdf)
    scheme = service.scheme(SCHEME)
    region = service.default_region(SCHEME)
    for n, page in enumerate(pages, 1):
        header = page["header"].replace("\n", "")
        assert scheme.name[:10] in header and region in header and "截至2025年第2季度" in header
        assert "数据审核" in header
        # 页 is drawn with a radical look-alike NFKC does not map: any one character stands for it.
        assert re.search(rf"第 {n} \S / 共 {len(pages)} \S", page["footer"]), page["footer"]


def test_the_charts_are_scaled_to_the_page_width(overview_pdf):
    _, pdf = overview_pdf
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        images = [im for p in doc.pages for im in p.images]
        width = doc.pages[0].width
    assert images, "the heatmap picture is missing"
    for im in images:
        assert im["x0"] >= printing.MARGIN_SIDE_IN * 72 - 1 and im["x1"] <= width - printing.MARGIN_SIDE_IN * 72 + 1


def test_the_detail_page_prints_with_its_data_status(service):
    ind = service.indicators(SCHEME)[0]
    name, pdf = printing.build_pdf(service, "detail", indicator_id=ind.id, quarter=str(QUARTER))
    assert name.endswith(".pdf") and ind.name in name
    pages = _pages(pdf)
    assert pages
    for n, page in enumerate(pages, 1):
        assert page["size"] == pytest.approx(A4_PT, abs=1)
        assert page["body"].strip(), f"page {n} is blank"
        assert "本指标数据" in page["header"].replace("\n", "")
    body = "".join(p["body"] for p in pages)
    assert all(h in body for h in ("完成情况走势", "填报记录", "指标来源", "修改记录"))


# ---------------------------------------------------------------- pure parts

def test_the_printable_page_references_nothing_outside():
    doc = printing.PrintDoc(title="t", scheme="s", region="r", as_of="q", approval="a",
                            body="<p>正文</p>@@c@@", charts=(printing.Chart("@@c@@", None),))
    page = printing.document_html(doc, [b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"])
    assert "@@c@@" not in page and 'src="data:image/svg+xml;base64,' in page
    assert "\ufeff" not in page   # a BOM inside <style> voids the rule after it
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import""", page)


def test_the_header_escapes_and_names_the_view():
    doc = printing.PrintDoc(title="t", scheme="方案<b>", region="安宁市", as_of="2025年第2季度", approval="数据审核:x", body="")
    header = printing.header_template(doc)
    assert "方案&lt;b&gt;" in header and "截至2025年第2季度" in header and "数据审核:x" in header
    footer = printing.footer_template()
    assert 'class="pageNumber"' in footer and 'class="totalPages"' in footer


@pytest.mark.parametrize("counts, text", [
    ({}, "数据审核:尚无填报数值"),
    ({"approved": 3}, "数据审核:3项均已审核"),
    ({"approved": 3, "submitted": 1, "draft": 2}, "数据审核:已审核3/6项(待审核1项、未报送2项)"),
])
def test_approval_text(counts, text):
    assert printing.approval_text(DataStatus(QUARTER, {}, counts)) == text


def test_tall_charts_fit_one_page_unless_far_taller():
    room = printing.PAGE_BODY_PX - 120
    assert printing.fit_height(300) == 300
    assert printing.fit_height(room + 50) == room
    assert printing.fit_height(room * 2) == room * 2


def test_dash_components_render_as_escaped_html():
    import dash_bootstrap_components as dbc

    tree = html.Div([html.Span("<x>", className="a", title="t", **{"data-review": "draft"}),
                     dbc.Table([html.Tbody(html.Tr(html.Td("1")))], size="sm", striped=True), None],
                    style={"marginTop": "2px"})
    out = printing.component_html(tree)
    assert out.startswith('<div style="margin-top: 2px">')
    assert '<span class="a" title="t" data-review="draft">&lt;x&gt;</span>' in out
    assert '<table class="table table-striped table-sm"><tbody><tr><td>1</td></tr></tbody></table>' in out


def test_unknown_page_or_indicator_is_a_chinese_error(service):
    with pytest.raises(printing.PrintError, match="未找到指标"):
        printing.page_doc(service, "detail", indicator_id="nope")
    with pytest.raises(printing.PrintError, match="不能导出"):
        printing.page_doc(service, "users")


# ---------------------------------------------------------------- background jobs: who asked

def _in_job(identity_data):
    """The callback context a job sees: what the request's custom_data hook handed in."""
    context_value.set(AttributeDict(custom_data={background.IDENTITY_KEY: identity_data}))


def test_identity_survives_the_jobs_json():
    who = Identity("li", "李四", "reporter", ("知识产权局",), ("anning",), ("安宁市",))
    assert background.identity_from(json.loads(json.dumps(background.identity_data(who)))) == who
    assert background.identity_from(None) is None and background.identity_from({"x": 1}) is None


def test_a_job_without_a_signed_in_user_refuses():
    calls = []
    job = background.export_job("viewer", failed=lambda msg: ("failed", msg))(lambda: calls.append(1) or "ok")
    _in_job(None)
    assert job() == ("failed", "请先登录。") and not calls
    _in_job(background.identity_data(Identity("v", "王五", "viewer")))
    assert job() == "ok" and calls == [1]


def test_a_job_that_fails_says_so_in_chinese():
    _in_job(background.identity_data(Identity("v", "王五", "viewer")))

    def broken():
        raise KeyError("x")

    def refused():
        raise printing.PrintError("PDF 生成失败")

    assert background.export_job("viewer", failed=lambda m: m)(broken)() == background.FAILED
    assert background.export_job("viewer", failed=lambda m: m)(refused)() == "PDF 生成失败"
    assert background.export_job("admin", failed=lambda m: m)(refused)() == "只有领导小组办公室管理员可以进行此操作。"


def test_the_request_hands_its_user_to_the_job(demo_app):
    from dashboard.auth import TESTER

    with demo_app.server.test_request_context("/_dash-update-component", method="POST"):
        assert background.identity_from(background._request_identity(None)) == TESTER


def test_the_default_manager_is_diskcache_in_the_configured_directory(tmp_path):
    from dash import DiskcacheManager

    from dashboard.settings import Settings

    manager = background.callback_manager(Settings(export_cache_dir=str(tmp_path / "jobs")))
    assert isinstance(manager, DiskcacheManager) and (tmp_path / "jobs").is_dir()


def test_results_are_kept_as_long_as_configured(tmp_path, monkeypatch):
    from dashboard.settings import Settings

    monkeypatch.setenv("EXPORT_CACHE_DIR", str(tmp_path / "jobs"))
    monkeypatch.setenv("EXPORT_CACHE_SECONDS", "600")
    settings = Settings.from_env()
    assert settings.export_cache_seconds == 600
    assert background.callback_manager(settings).expire == 600
    for bad in ("abc", "30", "-5"):
        monkeypatch.setenv("EXPORT_CACHE_SECONDS", bad)
        with pytest.raises(ValueError, match="EXPORT_CACHE_SECONDS"):
            Settings.from_env()
