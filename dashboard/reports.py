"""Review reports for the leading-group office: Word (.docx) and Excel (.xlsx).

Builds files only (no Dash callbacks): the overview page's download button and
``python -m dashboard report`` both call :func:`build_docx` / :func:`build_xlsx`.
Everything shown comes from the same MonitorService results as the pages.
Charts are rendered to PNG by kaleido (system Chromium), all in one browser
session per report because starting Chromium costs more than a chart.
"""
from __future__ import annotations

import asyncio
import io
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Optional, Sequence, Union

from indicators.export import escape_cell
from indicators.model import Indicator, Scheme
from indicators.periods import Quarter
from indicators.rollup import Rollup, by_dimension, summarise
from indicators.status import Result
from indicators.values import excel_number_format
from indicators.statuses import SEVERITY, Status

from . import datastatus, figures
from .components import fmt_value, target_text

PathOrStream = Union[str, Path, IO[bytes]]
FORMATS = ("docx", "xlsx")
BODY_FONT = "Noto Sans CJK SC"
# Charts are drawn at these CSS widths and placed at the widths below, so the
# 13px plotly text prints at about 8 pt.
TIMELINE_PX, CHART_PX = 760, 720
CHART_HEIGHT_PX = 330
IMAGE_SCALE = 2
CHART_STATUSES = (Status.missed, Status.behind)


class ReportError(RuntimeError):
    """A report could not be built (message in Chinese, for the user)."""


# ---------------------------------------------------------------- data gathered once per report

@dataclass(frozen=True)
class Line:
    """One indicator's row: the registry entry and its result."""

    ind: Indicator
    res: Result
    review: Optional[str] = None    # data status of the figure shown (dashboard/datastatus.py)

    @property
    def review_text(self) -> str:
        """已审核 / 待审核 / 已退回 / 未报送, "—" for a figure without one (no value of its own quarter)."""
        return datastatus.label(self.review) or "—"

    @property
    def actual_text(self) -> str:
        text = fmt_value(self.res.actual, self.ind)
        if self.res.stale and self.res.value_period is not None:
            text += f"({self.res.value_period.label})"
        return text

    @property
    def actual_cell(self) -> tuple:
        """(value, number format) of the Excel cell: the number itself, shown as actual_text shows it;
        a milestone or a missing figure stays text (format None)."""
        if self.res.actual is None or self.ind.kind.value == "milestone":
            return self.actual_text, None
        stale = f"({self.res.value_period.label})" if self.res.stale and self.res.value_period else ""
        return self.res.actual, excel_number_format(self.ind, stale)

    @property
    def status_text(self) -> str:
        return f"{self.res.status.shape} {self.res.status.label}"

    @property
    def target_text(self) -> str:
        """The target as worded, and the baseline stand-in when the office has not entered one."""
        pending = self.res.baseline_pending_text
        return target_text(self.ind) + (f"({pending})" if pending else "")

    @property
    def units_text(self) -> str:
        return "、".join(self.ind.responsible_units)


@dataclass(frozen=True)
class Note:
    ind: Indicator
    period: Quarter
    value: str
    note: str
    entered_by: str                 # display name
    number: Optional[float] = None  # the value itself, for the Excel cell (None for a milestone or no value)


@dataclass(frozen=True)
class ReportData:
    scheme: Scheme
    region: str
    quarter: Quarter
    generated: date
    demo: bool
    data_version: int
    lines: list[Line]               # dimension order, then registry order
    total: Rollup
    dimensions: dict[str, Rollup]
    notes: list[Note]
    review: datastatus.DataStatus   # the quarter's data status: approved count
    # (indicator name, "2024-06-30起由500件调整为600件,依据…") for each adjusted target (方案调整)
    adjustments: list[tuple[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return report_title(self.scheme, self.region)

    @property
    def source_text(self) -> str:
        doc = self.scheme.document
        number = f"({doc.number})" if doc.number else ""
        return f"《{doc.title}》{number},{doc.issuer},{doc.date.year}年{doc.date.month}月{doc.date.day}日"


def gather(service, scheme_id: str, region: str, quarter: Quarter, today: Optional[date] = None) -> ReportData:
    """Everything a report shows, read once from the service and the store."""
    if scheme_id not in service.registry.schemes:
        raise ReportError(f"未知方案“{scheme_id}”")
    scheme = service.scheme(scheme_id)
    # The definitions in force at the quarter's end: the targets the statuses were judged by.
    inds = {i.id: service.in_force(i, quarter)[0] for i in service.indicators(scheme_id)}
    results = service.results(scheme_id, region, quarter)
    order = {d: n for n, d in enumerate(scheme.dimensions)}
    review = service.data_status(scheme_id, region, quarter)
    lines = [Line(inds[r.indicator_id], r, review.of(r.indicator_id)) for r in results]
    # Stable sort keeps registry order inside a dimension.
    lines.sort(key=lambda ln: order.get(ln.ind.dimension, len(order)))
    notes = []
    names = service.display_names()
    for ln in lines:
        for row in service.store.observation_rows(ln.ind.id, region):
            if row.period <= quarter and (row.note or "").strip():
                number = row.value if ln.ind.kind.value != "milestone" else None
                notes.append(Note(ln.ind, row.period, fmt_value(row.value, ln.ind), row.note.strip(),
                                  names.get(row.entered_by, row.entered_by or ""), number))
    return ReportData(
        scheme=scheme, region=region, quarter=quarter, generated=today or date.today(),
        demo=service.store.is_demo(), data_version=service.store.data_version(), lines=lines,
        total=summarise("合计", results), dimensions=by_dimension(results, service.registry), notes=notes,
        review=review,
        adjustments=[(ln.ind.name, text) for ln in lines for text in service.target_history(ln.ind.id)],
    )


def report_title(scheme: Scheme, region: str) -> str:
    """安宁市国家知识产权强县建设试点县工作方案(2022—2025年) -> 安宁市国家知识产权强县建设试点县工作进展报告."""
    base = re.sub(r"[((][^()()]*[))]\s*$", "", scheme.name).strip()
    stripped = re.sub(r"(工作方案|实施方案|方案)$", "", base)
    if stripped != base and stripped:
        title = stripped + "工作进展报告"
        return title if title.startswith(region) else f"{region} · {title}"
    return f"{region}知识产权工作进展报告"


def report_filename(service, scheme_id: str, region: str, quarter: Quarter, fmt: str) -> str:
    """e.g. 安宁市_2025Q2_进展报告.docx (the scheme's short name is added when the
    region is not the scheme's own, so two schemes' reports never collide)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    scheme = service.scheme(scheme_id)
    parts = [region] if region == scheme.region else [region, scheme.short_name]
    return figures.safe_name(*parts, str(quarter), "进展报告") + f".{fmt}"


# ---------------------------------------------------------------- static images (kaleido)

def render_pngs(figs: Sequence, widths: Sequence[int], scale: float = IMAGE_SCALE) -> list[bytes]:
    """PNG bytes of each plotly figure, all rendered in one Chromium session.

    Runs its own event loop in a worker thread, so it may be called from code that
    already runs one. Raises ReportError when Chromium cannot be started.
    """
    if not figs:
        return []
    os.environ.setdefault("BROWSER_PATH", "/usr/bin/chromium")
    import kaleido  # imported late: only reports need it

    async def run() -> list[bytes]:
        # mathjax=False: kaleido would otherwise load MathJax from a CDN (no internet here).
        async with kaleido.Kaleido(n=1, mathjax=False) as k:
            return [await k.calc_fig(fig, opts={"format": "png", "width": w, "scale": scale})
                    for fig, w in zip(figs, widths)]

    try:
        return run_in_thread(run, "kaleido-render")
    except Exception as exc:  # noqa: BLE001 - Chromium missing or failing: one message
        raise ReportError(f"图表图片生成失败(需要 Chromium,BROWSER_PATH={os.environ.get('BROWSER_PATH')}):{exc}") from exc


def run_in_thread(make_coroutine, name: str):
    """``asyncio.run(make_coroutine())`` in a worker thread, so that code already inside an event
    loop may call it (kaleido's Chromium for chart pictures and for PDFs); its exception is
    raised here, in the caller's thread."""
    box: dict = {}

    def worker():
        try:
            box["out"] = asyncio.run(make_coroutine())
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            box["err"] = exc

    t = threading.Thread(target=worker, name=name)
    t.start()
    t.join()
    if "err" in box:
        raise box["err"]
    return box["out"]


def tidy_timeline(fig, width_px: int):
    """Print version of the stage timeline: no text squeezed into stages too narrow
    to hold it (the stages are listed under the picture instead)."""
    lo, hi = fig.layout.xaxis.range
    span_ms = max(figures.days_between(lo, hi), 1) * 86400000
    for tr in fig.data:
        if tr.x and tr.x[0] / span_ms * width_px < 90:
            tr.text = None
    return fig


def tidy_chart(fig, width_px: int):
    """Print version of an indicator chart: stage names above the plot, the widest
    stages first and only where they do not collide; the target label under its line."""
    rects = [sh for sh in fig.layout.shapes if sh.type == "rect"]
    labels = [a for a in fig.layout.annotations if a.yref == "y domain"]
    if rects and len(rects) == len(labels):
        lo = min(str(r.x0) for r in rects)
        hi = max(str(r.x1) for r in rects)
        px_per_day = (width_px - 70) / max(figures.days_between(lo, hi), 1)  # 70: y-axis title and ticks
        kept: list[tuple[float, float]] = []
        for rect, ann in sorted(zip(rects, labels), key=lambda ra: -figures.days_between(ra[0].x0, ra[0].x1)):
            x = figures.days_between(lo, rect.x0) * px_per_day
            extent = (x, x + 12 * len(ann.text) + 8)
            if any(extent[0] < b and a < extent[1] for a, b in kept):
                ann.text = ""
                continue
            kept.append(extent)
            ann.update(y=1.0, yanchor="bottom", font={"size": 11, "color": "#555"})
        fig.layout.annotations = [a for a in fig.layout.annotations if a.text]
    for ann in fig.layout.annotations:
        if ann.text and ann.text.startswith("目标"):
            ann.yanchor = "top"
    return fig


def chart_figures(service, data: ReportData) -> tuple[list, list[int], list[Line]]:
    """The stage timeline, then one chart per behind/missed indicator."""
    # today = as-of: the report speaks for its quarter; the generation date is in the title block.
    figs = [tidy_timeline(figures.stage_timeline(data.scheme, data.quarter.end, today=data.quarter.end), TIMELINE_PX)]
    widths = [TIMELINE_PX]
    charted = [ln for ln in data.lines if ln.res.status in CHART_STATUSES]
    for ln in charted:
        points = figures.indicator_points(service, ln.ind, data.region, data.quarter)
        fig = figures.indicator_chart(ln.ind, data.scheme, points, ln.res.target, data.quarter,
                                      figures.verdict(ln.ind, ln.res, data.quarter))
        fig.update_layout(height=CHART_HEIGHT_PX)
        tidy_chart(fig, CHART_PX)
        figs.append(fig)
        widths.append(CHART_PX)
    return figs, widths, charted


# ---------------------------------------------------------------- colours

def _hex(colour: str) -> str:
    return colour.lstrip("#").upper()


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (WCAG luminance)."""
    rgb = [int(_hex(background)[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "FFFFFF" if (1.05 / (lum + 0.05)) > ((lum + 0.05) / 0.05) else "000000"


# ---------------------------------------------------------------- method text (口径说明)

def method_notes(data: ReportData) -> list[str]:
    th = data.scheme.thresholds
    on, warn = round(th.on_track * 100), round(th.warning * 100)
    return [
        f"状态按季度末评价:截至{data.quarter.label}(即{data.quarter.end.year}年{data.quarter.end.month}月"
        f"{data.quarter.end.day}日)各责任单位已填报的数值,与“按进度应达”值(自基线至目标、按时间均匀推进)比较。",
        "完成进度 = 实际完成量 ÷ 按进度应达量(比率类指标为实际值 ÷ 目标值)。",
        f"{Status.achieved.shape} 达标:已达到目标;{Status.achieved_late.shape} 逾期完成:截止日期后才完成;"
        f"{Status.on_track.shape} 正常:完成进度≥{on}%;"
        f"{Status.warning.shape} 预警:完成进度在{warn}%至{on}%之间;{Status.behind.shape} 滞后:完成进度低于{warn}%;"
        f"{Status.missed.shape} 逾期未达标:截止日期已过仍未达到目标;{Status.no_data.shape} 未填报:本季度未填报"
        f"(表中括注沿用的最近一次填报季度);{Status.not_due.shape} 未到期:指标尚未开始计算。",
        "完成指数:已到期指标得分的平均数×100,达标、正常计1分,预警、滞后、逾期未达标按完成进度计(不超过1分),未填报计0分。",
        f"数据来源:本平台各责任单位季度填报,数据版本{data.data_version},生成日期{data.generated.isoformat()}。",
        "数据状态:评价所用的数值按其所属季度(一般为本季度;截止日期已过的指标为截止季度)填报单位的报送情况标注:"
        + ";".join(f"{datastatus.LABELS[s]}:{datastatus.EXPLANATIONS[s]}" for s in datastatus.DATA_STATUSES)
        + "。沿用以前季度数值或无数值的指标标“—”。",
    ]


def interpretations(data: ReportData) -> list[tuple[str, str]]:
    return [(ln.ind.name, ln.ind.interpretation.strip()) for ln in data.lines if ln.ind.interpretation.strip()]


# ---------------------------------------------------------------- Word

def _set_fonts(rpr_parent, name: str = BODY_FONT) -> None:
    """Explicit fonts for Latin and East Asian text on a style's or run's rPr.

    Theme font attributes (asciiTheme ...) win over explicit names in Word, so they go.
    """
    from docx.oxml.ns import qn

    rpr = rpr_parent.find(qn("w:rPr"))
    if rpr is None:
        rpr = rpr_parent.makeelement(qn("w:rPr"), {})
        # Schema order in a style: ... pPr, rPr, tblPr, trPr, tcPr, tblStylePr.
        later = [rpr_parent.find(qn(t)) for t in ("w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr")]
        later = [el for el in later if el is not None]
        if later:
            later[0].addprevious(rpr)
        else:
            rpr_parent.append(rpr)
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def _setup_document():
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2.0)
    sec.top_margin, sec.bottom_margin = Cm(2.0), Cm(1.8)
    # Document defaults, then every style that names fonts of its own.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    if rpr_default is not None:
        _set_fonts(rpr_default)
    for style in doc.styles:
        if style.type in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER, WD_STYLE_TYPE.TABLE):
            _set_fonts(style.element)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.line_spacing = 1.15
    for name, size in (("Title", 18), ("Heading 1", 14), ("Heading 2", 12), ("Heading 3", 11)):
        st = doc.styles[name]
        st.font.size = Pt(size)
        st.font.color.rgb = RGBColor(0x12, 0x31, 0x5A)
        st.font.bold = True
        st.paragraph_format.space_before = Pt(10 if name != "Title" else 0)
        st.paragraph_format.space_after = Pt(4)
    # The Title style draws a rule under itself; the title block has its own layout.
    title_ppr = doc.styles["Title"].element.pPr
    if title_ppr is not None:
        for bdr in title_ppr.findall(qn("w:pBdr")):
            title_ppr.remove(bdr)
    return doc


def _shade(cell, colour: str) -> None:
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    for old in tc_pr.findall(qn("w:shd")):
        tc_pr.remove(old)
    shd = tc_pr.makeelement(qn("w:shd"), {qn("w:val"): "clear", qn("w:color"): "auto", qn("w:fill"): _hex(colour)})
    tc_pr.insert_element_before(shd, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
                                "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")


def _cell_text(cell, text: str, size: float = 8, bold: bool = False, colour: Optional[str] = None,
               align: Optional[str] = None) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    par = cell.paragraphs[0]
    par.paragraph_format.space_after = Pt(0)
    par.paragraph_format.line_spacing = 1.0
    if align == "center":
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif align == "right":
        par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = par.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    if colour:
        run.font.color.rgb = RGBColor.from_string(_hex(colour))


def _fixed_table(doc, widths_cm: Sequence[float], rows: int = 0, style: Optional[str] = "Table Grid"):
    """A fixed-layout table (Word and LibreOffice then keep the given widths) with narrow cell margins."""
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table = doc.add_table(rows=rows, cols=len(widths_cm))
    if style:
        table.style = doc.styles[style]
    table.autofit = False  # w:tblLayout fixed
    tbl_pr = table._tbl.tblPr
    mar = tbl_pr.makeelement(qn("w:tblCellMar"), {})
    for side in ("left", "right"):
        mar.append(mar.makeelement(qn(f"w:{side}"), {qn("w:w"): "70", qn("w:type"): "dxa"}))
    # Word rejects out-of-order children: tblCellMar goes before tblLook.
    tbl_pr.insert_element_before(mar, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
    for col, w in zip(table.columns, widths_cm):
        col.width = Cm(w)
    for row in table.rows:
        for cell, w in zip(row.cells, widths_cm):
            cell.width = Cm(w)
    return table


def _table(doc, widths_cm: Sequence[float], header: Sequence[str]):
    """A fixed-layout table whose shaded header row repeats on every page."""
    from docx.oxml.ns import qn

    table = _fixed_table(doc, widths_cm, rows=1)
    head = table.rows[0]
    tr_pr = head._tr.get_or_add_trPr()
    tr_pr.append(tr_pr.makeelement(qn("w:tblHeader"), {}))
    for cell, text in zip(head.cells, header):
        _shade(cell, "#E8EEF7")
        _cell_text(cell, text, bold=True, align="center")
    return table


def _add_row(table, widths_cm: Sequence[float]):
    from docx.oxml.ns import qn
    from docx.shared import Cm

    row = table.add_row()
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(tr_pr.makeelement(qn("w:cantSplit"), {}))
    for cell, w in zip(row.cells, widths_cm):
        cell.width = Cm(w)
    return row


def _status_cell(cell, status: Status, size: float = 8) -> None:
    _shade(cell, status.colour)
    _cell_text(cell, f"{status.shape} {status.label}", size=size, bold=True, colour=text_colour(status.colour),
               align="center")


def _page_number_footer(doc, demo: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    sec = doc.sections[0]
    par = sec.footer.paragraphs[0]
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for text, field in (("第 ", None), (None, "PAGE"), (" 页,共 ", None), (None, "NUMPAGES"), (" 页", None)):
        if field:
            fld = par._p.makeelement(qn("w:fldSimple"), {qn("w:instr"): field})
            run = par.add_run("1")
            run.font.size = Pt(8)
            par._p.remove(run._r)
            fld.append(run._r)
            par._p.append(fld)
        else:
            par.add_run(text).font.size = Pt(8)
    if demo:
        # Every printed page says so, not only the first.
        head = sec.header.paragraphs[0]
        head.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = head.add_run("示例数据 · 非真实填报")
        run.font.size, run.font.bold = Pt(9), True
        run.font.color.rgb = RGBColor(0xB0, 0x3A, 0x00)


def _title_block(doc, data: ReportData) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt, RGBColor

    if data.demo:
        cell = _fixed_table(doc, (17.0,), rows=1, style=None).rows[0].cells[0]
        _shade(cell, "#FFF3CD")
        _cell_text(cell, "示例数据", size=12, bold=True, colour="#8A4B00", align="center")
        par = cell.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = par.add_run("本报告使用虚构的演示数据,仅用于体验功能,不代表任何单位的真实填报。")
        run.font.size = Pt(9)
        run.font.color.rgb = RGBColor(0x8A, 0x4B, 0x00)
    title = doc.add_paragraph(data.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = sub.add_run(f"截至{data.quarter.label}")
    run.font.size, run.font.bold = Pt(13), True
    meta = [
        ("地区", data.region),
        ("评价时点", f"{data.quarter.end.year}年{data.quarter.end.month}月{data.quarter.end.day}日(季度末)"),
        ("依据文件", data.source_text),
        ("生成日期", f"{data.generated.year}年{data.generated.month}月{data.generated.day}日"
                    f"(数据版本 {data.data_version})"),
    ]
    lg = data.scheme.leading_group
    if lg is not None:
        meta.insert(1, ("报送", lg.office if lg.office else lg.name))
    table = _fixed_table(doc, (2.2, 14.8), style=None)
    for key, value in meta:
        row = _add_row(table, (2.2, 14.8))
        _cell_text(row.cells[0], key, size=9.5, bold=True, colour="#555555")
        _cell_text(row.cells[1], value, size=9.5)


def _summary_paragraph(doc, data: ReportData) -> None:
    t = data.total
    parts = [f"{s.label}{t.counts.get(s, 0)}项" for s in SEVERITY if t.counts.get(s, 0)]
    text = f"本方案共{t.total}项指标,已到评价期{t.due}项。截至{data.quarter.label}:" + "、".join(parts) + "。"
    if t.completion_index is not None:
        text += f"完成指数{t.completion_index:g}(满分100)。"
    text += "数据审核:" + data.review.summary_text()
    if data.review.approved < data.review.reported:
        text += "未审核的数值在指标表“数据状态”栏注明,可能还会修改。"
    stage = data.scheme.stage_at(data.quarter.end)
    if stage is not None:
        end = stage.end.label if stage.end else "以后"
        text += f"当前处于“{stage.name}”阶段({stage.start.label}—{end})。"
    watch = [ln.ind.name for ln in data.lines if ln.res.status in CHART_STATUSES]
    if watch:
        text += f"需重点关注(滞后或逾期未达标){len(watch)}项:" + "、".join(watch) + "。"
    doc.add_paragraph(text)


def _stage_caption(doc, data: ReportData) -> None:
    from docx.shared import Pt

    stages = [f"{st.name}({st.start.label}—{st.end.label if st.end else '以后'})" for st in data.scheme.stages]
    run = doc.add_paragraph().add_run("工作阶段:" + ";".join(stages) + "。竖线为本报告截至日期。")
    run.font.size = Pt(8.5)


COUNT_FIRST_CM = 2.0


def _counts_table(doc, data: ReportData) -> None:
    other = (17.0 - COUNT_FIRST_CM) / (len(SEVERITY) + 1)
    widths = [COUNT_FIRST_CM] + [other] * (len(SEVERITY) + 1)
    table = _table(doc, widths, ["维度"] + [""] * len(SEVERITY) + ["合计"])
    for cell, s in zip(table.rows[0].cells[1:], SEVERITY):
        cell.paragraphs[0].text = ""
        _status_cell(cell, s, size=7.5)
    rows = [*data.dimensions.values(), data.total]
    for ru in rows:
        row = _add_row(table, widths)
        last = ru is data.total
        _cell_text(row.cells[0], ru.key, size=8.5, bold=last)
        for cell, s in zip(row.cells[1:], SEVERITY):
            n = ru.counts.get(s, 0)
            _cell_text(cell, str(n) if n else "·", size=8.5, bold=last, align="center")
        _cell_text(row.cells[-1], str(ru.total), size=8.5, bold=True, align="center")


INDICATOR_HEADER = ("维度", "指标", "目标", "截止", "实际", "数据状态", "状态", "责任单位", "说明")
INDICATOR_WIDTHS_CM = (1.0, 2.8, 2.0, 1.7, 1.8, 1.5, 1.7, 1.9, 2.6)


def _indicator_table(doc, data: ReportData):
    table = _table(doc, INDICATOR_WIDTHS_CM, INDICATOR_HEADER)
    for ln in data.lines:
        row = _add_row(table, INDICATOR_WIDTHS_CM)
        c = row.cells
        _cell_text(c[0], ln.ind.dimension)
        _cell_text(c[1], ln.ind.name)
        _cell_text(c[2], ln.target_text)
        _cell_text(c[3], ln.ind.deadline.isoformat(), size=7.5)
        _cell_text(c[4], ln.actual_text)
        _cell_text(c[5], ln.review_text, bold=datastatus.mark(ln.review) is not None, align="center")
        _status_cell(c[6], ln.res.status)
        _cell_text(c[7], ln.units_text, size=7.5)
        _cell_text(c[8], ln.res.explanation, size=7.5)
    return table


def _charts(doc, data: ReportData, charted: list[Line], pngs: list[bytes]) -> None:
    from docx.shared import Cm, Pt

    for ln, png in zip(charted, pngs):
        doc.add_heading(f"{ln.res.status.shape} {ln.ind.name}({ln.res.status.label})", level=3)
        # Heading, text and chart stay on one page.
        doc.add_paragraph(ln.res.explanation).paragraph_format.keep_with_next = True
        info = doc.add_paragraph()
        info.paragraph_format.keep_with_next = True
        run = info.add_run(f"目标:{ln.target_text};截止:{ln.ind.deadline.isoformat()};"
                           f"责任单位:{ln.units_text};条款:{ln.ind.section} {ln.ind.clause}".strip())
        run.font.size = Pt(9)
        pic = doc.add_paragraph()
        pic.add_run().add_picture(io.BytesIO(png), width=Cm(16))


def _notes_table(doc, data: ReportData) -> None:
    widths = (4.2, 2.2, 2.2, 6.4, 2.0)
    table = _table(doc, widths, ("指标", "报告期", "填报值", "备注", "填报人"))
    for n in data.notes:
        row = _add_row(table, widths)
        for cell, text in zip(row.cells, (n.ind.name, n.period.label, n.value, n.note, n.entered_by)):
            _cell_text(cell, text)


def _method_section(doc, data: ReportData) -> None:
    from docx.shared import Pt

    def small(text: str, bold_head: str = "") -> None:
        par = doc.add_paragraph()
        par.paragraph_format.space_after = Pt(2)
        if bold_head:
            r = par.add_run(bold_head)
            r.font.size, r.font.bold = Pt(8.5), True
        r = par.add_run(text)
        r.font.size = Pt(8.5)

    for i, text in enumerate(method_notes(data), 1):
        small(text, f"{i}. ")
    interp = interpretations(data)
    if interp:
        small("", "指标口径:")
        for name, text in interp:
            small(text, f"{name}:")
    if data.adjustments:
        small("", "目标调整(各季度按当时有效的方案版本评价):")
        for name, text in data.adjustments:
            small(text, f"{name}:")


def build_docx(service, scheme_id: str, region: str, quarter: Quarter, stream_or_path: PathOrStream,
               today: Optional[date] = None) -> ReportData:
    """Write the Word review report; returns the data it shows.

    Sections: title block (示例数据 box on demo databases), 一 总体情况 with the stage
    timeline, 二 指标状态统计, 三 指标完成情况一览, 四 需关注指标 (chart per behind/missed
    indicator), 五 填报备注, 口径说明.
    """
    from docx.shared import Cm

    data = gather(service, scheme_id, region, quarter, today)
    figs, widths, charted = chart_figures(service, data)
    pngs = render_pngs(figs, widths)

    doc = _setup_document()
    _page_number_footer(doc, data.demo)
    _title_block(doc, data)

    doc.add_heading("一、总体情况", level=1)
    _summary_paragraph(doc, data)
    doc.add_paragraph().add_run().add_picture(io.BytesIO(pngs[0]), width=Cm(17))
    _stage_caption(doc, data)

    doc.add_heading("二、指标状态统计", level=1)
    _counts_table(doc, data)

    # The indicator table starts on a page of its own: the page most often printed alone.
    doc.add_page_break()
    doc.add_heading("三、指标完成情况一览", level=1)
    _indicator_table(doc, data)

    doc.add_heading("四、需关注指标", level=1)
    if charted:
        intro = doc.add_paragraph(f"以下{len(charted)}项指标滞后或逾期未达标。图中实线为各季度填报的实际完成情况,"
                                  "虚线为按进度应达,横线为目标,竖虚线为截止日期;菱形为截止时的考核值(状态按它判定)。")
        intro.paragraph_format.keep_with_next = True
        _charts(doc, data, charted, pngs[1:])
    else:
        doc.add_paragraph("本季度无滞后或逾期未达标的指标。")

    doc.add_heading("五、填报备注", level=1)
    if data.notes:
        doc.add_paragraph(f"各责任单位填报数值时所附备注(截至{data.quarter.label})。")
        _notes_table(doc, data)
    else:
        doc.add_paragraph("截至本季度无填报备注。")

    doc.add_heading("口径说明", level=2)
    _method_section(doc, data)
    doc.save(stream_or_path)
    return data


# ---------------------------------------------------------------- Excel

XLSX_COLUMNS = (  # (header, width)
    ("编号", 34), ("维度", 7), ("指标", 36), ("条款", 12), ("目标", 18), ("截止", 11), ("实际", 16),
    ("数据状态", 9), ("完成进度", 9), ("状态", 12), ("责任单位", 28), ("说明", 60),
)
XLSX_COL = {h: n for n, (h, _) in enumerate(XLSX_COLUMNS, 1)}  # header -> column number
XLSX_HEADER_ROW = 4


def _put(ws, row: int, col: int, value, **style):
    """Every cell goes through here: strings are escaped against formula injection."""
    cell = ws.cell(row=row, column=col, value=escape_cell(value))
    for k, v in style.items():
        setattr(cell, k, v)
    return cell


def _sheet_header(ws, data: ReportData, what: str, ncols: int) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    _put(ws, 1, 1, f"{data.title} · {what}", font=Font(bold=True, size=14))
    _put(ws, 2, 1, f"地区:{data.region}    截至:{data.quarter.label}({data.quarter.end.isoformat()})    "
                   f"生成日期:{data.generated.isoformat()}    数据版本:{data.data_version}    依据:{data.source_text}",
         font=Font(size=10, color="555555"))
    if data.demo:
        _put(ws, 3, 1, "示例数据 · 本表使用虚构的演示数据,不代表任何单位的真实填报",
             font=Font(bold=True, color="8A4B00"), fill=PatternFill("solid", fgColor="FFF3CD"))
        ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=ncols)
    for r in (1, 2):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
        ws.cell(row=r, column=1).alignment = Alignment(vertical="center")


def _header_row(ws, row: int, headers: Sequence[str]) -> None:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="9AA8BC")
    for col, text in enumerate(headers, 1):
        _put(ws, row, col, text, font=Font(bold=True), fill=PatternFill("solid", fgColor="E8EEF7"),
             alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
             border=Border(bottom=thin))


def _status_fill(cell, status: Status) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    cell.fill = PatternFill("solid", fgColor=_hex(status.colour))
    cell.font = Font(bold=True, color=text_colour(status.colour))
    cell.alignment = Alignment(horizontal="center", vertical="top")


def build_xlsx(service, scheme_id: str, region: str, quarter: Quarter, stream_or_path: PathOrStream,
               today: Optional[date] = None) -> ReportData:
    """Write the Excel review report; returns the data it shows.

    Sheet 指标完成情况 (title rows, header on row 4 frozen, autofilter), sheet 状态统计
    (counts by dimension and status), sheet 填报备注. Every string cell is escaped.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    data = gather(service, scheme_id, region, quarter, today)
    wb = Workbook()
    ws = wb.active
    ws.title = "指标完成情况"
    ncols = len(XLSX_COLUMNS)
    _sheet_header(ws, data, "指标完成情况", ncols)
    _header_row(ws, XLSX_HEADER_ROW, [h for h, _ in XLSX_COLUMNS])
    top = Alignment(vertical="top", wrap_text=True)
    for i, ln in enumerate(data.lines):
        r = XLSX_HEADER_ROW + 1 + i
        values = (ln.ind.id, ln.ind.dimension, ln.ind.name, f"{ln.ind.section} {ln.ind.clause}".strip(),
                  ln.target_text, ln.ind.deadline, ln.actual_cell[0], ln.review_text, ln.res.p, ln.status_text,
                  ln.units_text, ln.res.explanation)
        for col, value in enumerate(values, 1):
            _put(ws, r, col, value, alignment=top)
        ws.cell(row=r, column=XLSX_COL["截止"]).number_format = "yyyy-mm-dd"
        ws.cell(row=r, column=XLSX_COL["完成进度"]).number_format = "0%"
        if ln.actual_cell[1]:
            ws.cell(row=r, column=XLSX_COL["实际"]).number_format = ln.actual_cell[1]
        _status_fill(ws.cell(row=r, column=XLSX_COL["状态"]), ln.res.status)
    last = XLSX_HEADER_ROW + len(data.lines)
    ws.freeze_panes = ws.cell(row=XLSX_HEADER_ROW + 1, column=4)  # header rows and 编号/维度/指标 stay visible
    last_col = ws.cell(row=XLSX_HEADER_ROW, column=ncols).column_letter
    ws.auto_filter.ref = f"A{XLSX_HEADER_ROW}:{last_col}{max(last, XLSX_HEADER_ROW + 1)}"
    for col, (_, width) in enumerate(XLSX_COLUMNS, 1):
        ws.column_dimensions[ws.cell(row=XLSX_HEADER_ROW, column=col).column_letter].width = width
    ws.row_dimensions[1].height = 22
    ws.print_title_rows = f"{XLSX_HEADER_ROW}:{XLSX_HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    _counts_sheet(wb.create_sheet("状态统计"), data)
    _notes_sheet(wb.create_sheet("填报备注"), data)
    wb.save(stream_or_path)
    return data


def _counts_sheet(ws, data: ReportData) -> None:
    from openpyxl.styles import Alignment, Font

    headers = ["维度", *[f"{s.shape} {s.label}" for s in SEVERITY], "合计", "已到期", "完成指数"]
    _sheet_header(ws, data, "指标状态统计", len(headers))
    _header_row(ws, XLSX_HEADER_ROW, headers)
    for col, s in enumerate(SEVERITY, 2):
        _status_fill(ws.cell(row=XLSX_HEADER_ROW, column=col), s)
    rows = [*data.dimensions.values(), data.total]
    for i, ru in enumerate(rows):
        r = XLSX_HEADER_ROW + 1 + i
        bold = Font(bold=ru is data.total)
        _put(ws, r, 1, ru.key, font=bold)
        for col, s in enumerate(SEVERITY, 2):
            _put(ws, r, col, ru.counts.get(s, 0), font=bold, alignment=Alignment(horizontal="center"))
        _put(ws, r, len(SEVERITY) + 2, ru.total, font=bold, alignment=Alignment(horizontal="center"))
        _put(ws, r, len(SEVERITY) + 3, ru.due, font=bold, alignment=Alignment(horizontal="center"))
        _put(ws, r, len(SEVERITY) + 4, ru.completion_index, font=bold, alignment=Alignment(horizontal="center"))
    _put(ws, XLSX_HEADER_ROW + len(rows) + 2, 1, "数据审核:" + data.review.summary_text())
    ws.freeze_panes = ws.cell(row=XLSX_HEADER_ROW + 1, column=2)
    ws.column_dimensions["A"].width = 10
    for col in range(2, len(headers) + 1):
        ws.column_dimensions[ws.cell(row=XLSX_HEADER_ROW, column=col).column_letter].width = 12


def _notes_sheet(ws, data: ReportData) -> None:
    from openpyxl.styles import Alignment

    headers = [("编号", 34), ("指标", 36), ("报告期", 10), ("填报值", 14), ("备注", 60), ("填报人", 14)]
    _sheet_header(ws, data, "填报备注", len(headers))
    _header_row(ws, XLSX_HEADER_ROW, [h for h, _ in headers])
    top = Alignment(vertical="top", wrap_text=True)
    for i, n in enumerate(data.notes):
        r = XLSX_HEADER_ROW + 1 + i
        shown = n.value if n.number is None else n.number
        for col, value in enumerate((n.ind.id, n.ind.name, str(n.period), shown, n.note, n.entered_by), 1):
            _put(ws, r, col, value, alignment=top)
        if n.number is not None:   # a number, shown with its unit by the cell's format
            ws.cell(row=r, column=4).number_format = excel_number_format(n.ind)
    last = XLSX_HEADER_ROW + max(len(data.notes), 1)
    ws.freeze_panes = ws.cell(row=XLSX_HEADER_ROW + 1, column=1)
    ws.auto_filter.ref = f"A{XLSX_HEADER_ROW}:F{last}"
    for col, (_, width) in enumerate(headers, 1):
        ws.column_dimensions[ws.cell(row=XLSX_HEADER_ROW, column=col).column_letter].width = width


BUILDERS = {"docx": build_docx, "xlsx": build_xlsx}


def build_report(service, scheme_id: str, region: str, quarter: Quarter, fmt: str, stream_or_path: PathOrStream,
                 today: Optional[date] = None) -> ReportData:
    """Dispatch on ``fmt`` ("docx" or "xlsx")."""
    if fmt not in BUILDERS:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return BUILDERS[fmt](service, scheme_id, region, quarter, stream_or_path, today=today)
