"""导出PDF: the overview and the detail page as A4 portrait PDF, printed by headless Chromium.

The printable page is built here, on the server, as one self-contained HTML
document: the same content functions as the pages (the overview's board and
counts, the detail page's status line, tables and citation), the charts as
inline SVG (plotly through kaleido), the CSS inlined (bootstrap and
assets/app.css with its ``@media print`` rules). Chromium opens that document
from a temporary file and prints it with ``Page.printToPDF``: no network, no
sign-in to the app, nothing the browser could fetch. The header (scheme,
region, 截至…, the data's approval state) and the footer (第 X 页 / 共 Y 页) are
Chromium's header and footer templates, so they repeat on every page.

One Chromium session per PDF (kaleido's): the charts are rendered in it and the
page is printed in a tab of the same browser.
"""
from __future__ import annotations

import asyncio
import base64
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from .markup import escape
from .settings import ROOT

# A4 portrait in inches (Page.printToPDF's unit); margins leave room for header and footer.
A4_INCHES = (8.27, 11.69)
MARGIN_TOP_IN, MARGIN_BOTTOM_IN, MARGIN_SIDE_IN = 0.75, 0.6, 0.5
# Charts are drawn at the printable width in CSS px (96 per inch), so their text prints at its size.
CHART_PX = round((A4_INCHES[0] - 2 * MARGIN_SIDE_IN) * 96)
# The body's height on a page in CSS px; a chart up to this tall (with its heading) fits one page.
PAGE_BODY_PX = round((A4_INCHES[1] - MARGIN_TOP_IN - MARGIN_BOTTOM_IN) * 96)
CSS_FILES = (ROOT / "assets" / "vendor" / "bootstrap" / "bootstrap.min.css", ROOT / "assets" / "app.css")
PAGES = ("overview", "detail")


class PrintError(RuntimeError):
    """A PDF could not be built (message in Chinese, for the user)."""


@dataclass(frozen=True)
class Chart:
    """A plotly figure to be placed in the document at ``marker`` as an SVG picture."""

    marker: str
    figure: object
    height: Optional[int] = None


@dataclass(frozen=True)
class PrintDoc:
    """What a printed page shows: the running header's parts and the body (HTML with chart markers)."""

    title: str
    scheme: str
    region: str
    as_of: str                   # e.g. 2025年第2季度
    approval: str                # the data's approval state, e.g. 数据审核:已审核18/20项(待审核2项)
    body: str
    charts: tuple[Chart, ...] = ()
    filename: str = "打印.pdf"


# ---------------------------------------------------------------- pure parts

def approval_text(status) -> str:
    """The header's approval state of a quarter's figures (a datastatus.DataStatus)."""
    from . import datastatus

    if not status.reported:
        return "数据审核:尚无填报数值"
    if status.approved == status.reported:
        return f"数据审核:{status.reported}项均已审核"
    rest = [f"{datastatus.LABELS[s]}{status.counts[s]}项" for s in datastatus.DATA_STATUSES[1:] if status.counts.get(s)]
    return f"数据审核:已审核{status.approved}/{status.reported}项(" + "、".join(rest) + ")"


def header_template(doc: PrintDoc) -> str:
    """Chromium's header template: repeated on every page (it needs its own font size)."""
    parts = " · ".join(escape(p) for p in (doc.scheme, doc.region, f"截至{doc.as_of}", doc.approval) if p)
    return (f'<div style="{_MARGIN_FONT} width:100%; margin:0 {MARGIN_SIDE_IN}in; display:flex; '
            f'justify-content:space-between; border-bottom:0.5px solid #999; padding-bottom:2px;">'
            f'<span class="print-header">{parts}</span></div>')


def footer_template() -> str:
    """第 X 页 / 共 Y 页, filled in by Chromium (pageNumber, totalPages)."""
    return (f'<div style="{_MARGIN_FONT} width:100%; text-align:center;">第 <span class="pageNumber"></span> 页'
            ' / 共 <span class="totalPages"></span> 页</div>')


_MARGIN_FONT = ('font-family: \'Noto Sans CJK SC\', \'Noto Sans SC\', sans-serif; font-size:8.5px; color:#444; '
                '-webkit-print-color-adjust:exact;')


def fit_height(height_px: int, heading_px: int = 120) -> int:
    """A chart's print height: squeezed onto one page when it is at most a third taller than the
    page (a picture split by a page break is hard to read), left to run over pages otherwise."""
    room = PAGE_BODY_PX - heading_px
    return room if room < height_px <= room * 4 // 3 else height_px


def component_html(c) -> str:
    """HTML of a Dash component tree (html.*, dbc.Table/Alert; other components as a div).

    Text is escaped; only the attributes a printout needs are kept (class, style, title, data-*).
    """
    if c is None or c is False:
        return ""
    if isinstance(c, (str, int, float)):
        return escape(str(c))
    if isinstance(c, (list, tuple)):
        return "".join(component_html(x) for x in c)
    props = c.to_plotly_json()["props"]
    kind, namespace = c._type, c._namespace  # noqa: SLF001 - Dash's own component metadata
    classes = [props.get("className") or ""]
    if namespace == "dash_html_components":
        tag = kind.lower()
    elif kind == "Table":
        tag = "table"
        classes += ["table"] + [f"table-{k}" for k in ("striped", "bordered", "hover") if props.get(k)]
        classes += [f"table-{props['size']}"] if props.get("size") else []
    elif kind == "Alert":
        tag = "div"
        classes += ["alert", f"alert-{props.get('color') or 'secondary'}"]
    else:
        tag = "div"
    attrs = {"class": " ".join(x for x in classes if x).strip() or None, "title": props.get("title")}
    if isinstance(props.get("style"), dict):
        attrs["style"] = "; ".join(f"{_css_name(k)}: {v}" for k, v in props["style"].items())
    attrs.update({k: v for k, v in props.items() if k.startswith(("data-", "aria-"))})
    text = "".join(f' {k}="{escape(str(v), quote=True)}"' for k, v in attrs.items() if v not in (None, ""))
    return f"<{tag}{text}>{component_html(props.get('children'))}</{tag}>"


def _css_name(key: str) -> str:
    return "".join("-" + ch.lower() if ch.isupper() else ch for ch in key)


def document_html(doc: PrintDoc, svgs: Sequence[bytes] = ()) -> str:
    """The self-contained printable page: inlined CSS, charts as inline SVG pictures, no external reference."""
    # utf-8-sig: bootstrap.min.css starts with a BOM, which inlined would void its first rule (:root, the variables).
    css = "\n".join(p.read_text(encoding="utf-8-sig") for p in CSS_FILES)
    body = doc.body
    for chart, svg in zip(doc.charts, svgs):
        data = base64.b64encode(svg).decode("ascii")
        body = body.replace(chart.marker, f'<img class="print-chart" alt="" src="data:image/svg+xml;base64,{data}">')
    return ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(doc.title)}</title><style>{css}\n{PRINT_CSS}</style></head>"
            f'<body class="printout"><main class="page">{body}</main></body></html>')


# What the printout adds to app.css's print rules (which it inlines): charts at the page's width.
PRINT_CSS = """
body.printout { background: #fff; }
.print-chart { display: block; width: 100%; height: auto; break-inside: avoid; }
"""


def pdf_options(doc: PrintDoc) -> dict:
    """Page.printToPDF parameters: A4 portrait, backgrounds (the lights' colours), header and footer."""
    return {
        "paperWidth": A4_INCHES[0], "paperHeight": A4_INCHES[1], "landscape": False,
        "marginTop": MARGIN_TOP_IN, "marginBottom": MARGIN_BOTTOM_IN,
        "marginLeft": MARGIN_SIDE_IN, "marginRight": MARGIN_SIDE_IN,
        "printBackground": True, "preferCSSPageSize": False, "displayHeaderFooter": True,
        "headerTemplate": header_template(doc), "footerTemplate": footer_template(),
        "transferMode": "ReturnAsStream",
    }


# ---------------------------------------------------------------- the pages' printable documents

def overview_doc(service, view) -> PrintDoc:
    """The overview as printed: title, stage timeline, status counts, board, status heatmap."""
    import plotly.graph_objects as go

    from . import figures, reports
    from .pages import overview
    from .pages.common import title_text

    scheme = service.scheme(view.scheme_id)
    counts, board = overview._board_parts(service, view)  # noqa: SLF001 - the page's own content
    timeline = reports.tidy_timeline(figures.stage_timeline(scheme, view.quarter.end), CHART_PX)
    heatmap = go.Figure(overview._heatmap(service, view))  # noqa: SLF001 - the page's figure, as JSON
    # The page's own HTML blocks: the title, the counts and the board (with its heading).
    body = (f'<div class="title-block">{overview._title(service, view)}</div>'  # noqa: SLF001
            '<section class="section"><h2 class="section-title">阶段进度</h2>@@timeline@@</section>'
            f'<section class="section">{counts}</section>'
            f'<section class="section board-section">{board}</section>'
            '<section class="section heatmap-section page-break-before"><h2 class="section-title">各季度状态变化</h2>'
            "@@heatmap@@</section>")
    return PrintDoc(
        title=title_text(service, view, "工作进展总览"), scheme=scheme.name, region=view.region,
        as_of=view.quarter.label, approval=approval_text(service.data_status(view.scheme_id, view.region, view.quarter)),
        body=body, charts=(Chart("@@timeline@@", timeline), Chart("@@heatmap@@", heatmap, fit_height(heatmap.layout.height))),
        filename=figures.safe_name(view.region, str(view.quarter), "工作进展总览") + ".pdf",
    )


def detail_doc(service, ind, view) -> PrintDoc:
    """The detail page as printed: status line, chart, reported values, citation, revisions."""
    import plotly.graph_objects as go

    from . import datastatus, figures
    from .pages import detail

    names = service.display_names()
    status, fig = detail.status_and_chart(service, ind, view)
    review = datastatus.label(service.data_status(ind.scheme, view.region, view.quarter).of(ind.id))
    body = (f'<div class="title-block"><h1 class="page-title">{escape(detail._title(service, ind, view))}</h1>'  # noqa: SLF001
            f'<div class="page-subtitle text-muted">{escape(service.scheme(ind.scheme).name)}</div></div>'
            f'<div class="section">{component_html(status)}</div>'
            '<section class="section"><h2 class="section-title">完成情况走势</h2>@@chart@@</section>'
            '<section class="section"><h2 class="section-title">填报记录</h2>'
            f"{component_html(detail._values_table(service, ind, view.region, view.quarter, names))}</section>"  # noqa: SLF001
            '<section class="section"><h2 class="section-title">指标来源</h2>'
            f"{component_html(detail._citation(service, ind))}</section>"  # noqa: SLF001
            '<section class="section"><h2 class="section-title">修改记录</h2>'
            f"{component_html(detail._history(service, ind, view.region, names))}</section>")  # noqa: SLF001
    return PrintDoc(
        title=detail._title(service, ind, view), scheme=service.scheme(ind.scheme).name,  # noqa: SLF001
        region=view.region, as_of=view.quarter.label,
        approval=f"本指标数据:{review}" if review else "本指标数据:无本季度填报数值",
        body=body, charts=(Chart("@@chart@@", go.Figure(fig)),),  # the page's figure, as JSON
        filename=figures.safe_name(ind.name, view.region, str(view.quarter)) + ".pdf",
    )


def page_doc(service, page: str, scheme_id=None, region=None, quarter=None, indicator_id=None) -> PrintDoc:
    """The printable document of ``page`` ("overview" or "detail") for the view the controls name."""
    from .pages.common import resolve

    if page == "detail":
        ind = service.registry.indicators.get(indicator_id or "")
        if ind is None:
            raise PrintError(f"未找到指标“{indicator_id}”,无法导出。")
        return detail_doc(service, ind, resolve(service, scheme_id=ind.scheme, region=region, quarter=quarter))
    if page != "overview":
        raise PrintError(f"此页面不能导出PDF:{page}")
    return overview_doc(service, resolve(service, scheme_id=scheme_id, region=region, quarter=quarter))


# ---------------------------------------------------------------- Chromium

def render_pdf(doc: PrintDoc, browser_path: Optional[str] = None, timeout: float = 90) -> bytes:
    """The PDF of ``doc``: its charts rendered to SVG and the page printed in one Chromium session.

    Runs its own event loop in a worker thread (callable from code that already runs
    one). Raises PrintError (Chinese) when Chromium cannot render or print.
    """
    os.environ.setdefault("BROWSER_PATH", browser_path or "/usr/bin/chromium")
    import kaleido  # imported late: only exports need it

    async def run() -> bytes:
        # mathjax=False: kaleido would otherwise load MathJax from a CDN (no internet here).
        async with kaleido.Kaleido(n=1, mathjax=False) as k:
            svgs = []
            for chart in doc.charts:
                opts = {"format": "svg", "width": CHART_PX}
                if chart.height:
                    opts["height"] = chart.height
                svgs.append(await k.calc_fig(chart.figure, opts=opts))
            with tempfile.TemporaryDirectory(prefix="monitor-print-") as tmp:
                page = Path(tmp) / "print.html"
                page.write_text(document_html(doc, svgs), encoding="utf-8")
                tab = await k.create_tab()
                try:
                    await tab.send_command("Page.enable")
                    loaded = tab.subscribe_once("Page.loadEventFired")
                    await tab.send_command("Page.navigate", params={"url": page.as_uri()})
                    await asyncio.wait_for(loaded, timeout)
                    reply = await asyncio.wait_for(
                        tab.send_command("Page.printToPDF", params=pdf_options(doc)), timeout)
                    return await _read_stream(tab, _result(reply)["stream"])
                finally:
                    await k.close_tab(tab.target_id)

    from .reports import run_in_thread

    try:
        return run_in_thread(run, "pdf-print")
    except PrintError:
        raise
    except Exception as exc:  # noqa: BLE001 - Chromium missing or failing: one message
        raise PrintError(f"PDF 生成失败(需要 Chromium,BROWSER_PATH={os.environ.get('BROWSER_PATH')}):{exc}") from exc


def _result(reply: dict) -> dict:
    if "error" in reply:
        raise PrintError(f"Chromium 打印失败:{reply['error'].get('message', reply['error'])}")
    return reply["result"]


async def _read_stream(tab, handle: str) -> bytes:
    # The PDF comes as a stream in chunks: one multi-megabyte message would strain the pipe.
    chunks = []
    while True:
        part = _result(await tab.send_command("IO.read", params={"handle": handle, "size": 1 << 20}))
        chunks.append(base64.b64decode(part["data"]) if part.get("base64Encoded") else part["data"].encode("latin-1"))
        if part.get("eof"):
            await tab.send_command("IO.close", params={"handle": handle})
            return b"".join(chunks)


def export_file(service, page: str, fmt: str, scheme_id=None, region=None, quarter=None,
                indicator_id=None) -> tuple[str, bytes]:
    """(file name, bytes) of an export button's file: the PDF of a page, or the overview's Word or
    Excel report (dashboard/reports.py). What the pages' background export callbacks call."""
    if fmt == "pdf":
        return build_pdf(service, page, scheme_id=scheme_id, region=region, quarter=quarter, indicator_id=indicator_id)
    from . import reports
    from .pages.common import resolve

    if page != "overview" or fmt not in reports.FORMATS:
        raise PrintError(f"不支持的导出格式:{fmt}")
    view = resolve(service, scheme_id=scheme_id, region=region, quarter=quarter)
    buf = io.BytesIO()
    reports.build_report(service, view.scheme_id, view.region, view.quarter, fmt, buf)
    return reports.report_filename(service, view.scheme_id, view.region, view.quarter, fmt), buf.getvalue()


def build_pdf(service, page: str, **view) -> tuple[str, bytes]:
    """(file name, PDF bytes) of a page's printout: what the 导出PDF buttons and tests call."""
    doc = page_doc(service, page, **view)
    return doc.filename, render_pdf(doc)
