"""Word and Excel review reports, the report command and CJK text in rendered charts.

One demo database and one rendering of each report per module: Chromium start-up
dominates the run time.
"""
from __future__ import annotations

import io
from collections import Counter
from datetime import date

import plotly.graph_objects as go
import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm
from openpyxl import load_workbook

from dashboard.__main__ import main as dashboard_main
from dashboard import reports
from dashboard.figures import FONT
from dashboard.service import MonitorService
from data.db import make_engine, upgrade
from data.demo import load_demo
from data.store import Store
from indicators.export import FORMULA_PREFIXES
from indicators.periods import Quarter
from indicators.registry import load_registry
from indicators.statuses import SEVERITY, Status

SCHEME = "anning"
QUARTER = Quarter(2025, 2)
TODAY = date(2025, 7, 15)
FORMULA_NOTE = "=1+1"
LATER_QUARTER_LABEL = "2026年第3季度"   # the demo has notes there: after the as-of quarter
TESTER, TESTER_NAME = "tester", "测试员张三"


# ---------------------------------------------------------------- fixtures

def _service(url: str, demo: bool) -> MonitorService:
    engine = make_engine(url)
    upgrade(engine)
    store = Store(engine)
    registry = load_registry()
    if demo:
        load_demo(store, registry)
    return MonitorService(registry, store)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{tmp}/d.db"
    service = _service(url, demo=True)
    region = service.default_region(SCHEME)
    # A note a spreadsheet would run as a formula, on the first indicator's as-of quarter
    # (approved by the demo loader, so reopened first).
    # Its unit's data is then 已退回; a second unit's is returned and submitted again (待审核); the
    # note is entered by an account whose display name the reports show.
    ind = service.indicators(SCHEME)[0]
    service.store.add_user(TESTER, "admin", display_name=TESTER_NAME)
    service.store.reopen(SCHEME, region, ind.reporting_unit, QUARTER, TESTER, "测试")
    cur = service.store.observation(ind.id, region, QUARTER)
    service.store.save_value(ind, region, QUARTER, cur.value, FORMULA_NOTE, TESTER, cur.version,
                             source="correction", reason="测试")
    other = next(i.reporting_unit for i in service.indicators(SCHEME) if i.reporting_unit != ind.reporting_unit)
    service.store.reopen(SCHEME, region, other, QUARTER, TESTER, "测试")
    service.store.submit(SCHEME, region, other, QUARTER, TESTER)
    docx_buf, xlsx_buf = io.BytesIO(), io.BytesIO()
    data = reports.build_docx(service, SCHEME, region, QUARTER, docx_buf, today=TODAY)
    reports.build_xlsx(service, SCHEME, region, QUARTER, xlsx_buf, today=TODAY)
    docx_buf.seek(0), xlsx_buf.seek(0)
    yield {
        "url": url, "tmp": tmp, "service": service, "region": region, "data": data, "formula_indicator": ind,
        "results": {r.indicator_id: r for r in service.results(SCHEME, region, QUARTER)},
        "review": service.data_status(SCHEME, region, QUARTER), "returned_unit": ind.reporting_unit,
        "submitted_unit": other,
        "doc": Document(docx_buf), "wb": load_workbook(xlsx_buf),
    }
    service.store.dispose()


def _table_with_header(doc, first_cells):
    for t in doc.tables:
        if tuple(c.text for c in t.rows[0].cells[:len(first_cells)]) == tuple(first_cells):
            return t
    raise AssertionError(f"no table with header {first_cells}")


def _fill(cell) -> str:
    shd = cell._tc.tcPr.find(qn("w:shd"))
    return shd.get(qn("w:fill")) if shd is not None else ""


def _all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


# ---------------------------------------------------------------- Word

def test_docx_indicator_table_one_row_per_indicator_with_status(demo):
    service, results = demo["service"], demo["results"]
    table = _table_with_header(demo["doc"], reports.INDICATOR_HEADER)
    inds = service.indicators(SCHEME)
    assert len(table.rows) == 1 + len(inds)
    by_name = {i.name: i for i in inds}
    assert len(by_name) == len(inds)   # names identify rows
    seen = []
    status_col = reports.INDICATOR_HEADER.index("状态")
    for row in table.rows[1:]:
        ind = by_name[row.cells[1].text]
        res = results[ind.id]
        cell = row.cells[status_col]
        # Label and shape in the text, colour in the shading: never colour alone.
        assert cell.text == f"{res.status.shape} {res.status.label}"
        assert _fill(cell) == res.status.colour.lstrip("#").upper()
        assert row.cells[0].text == ind.dimension
        assert row.cells[-1].text == res.explanation
        seen.append(ind.id)
    assert sorted(seen) == sorted(i.id for i in inds)


def test_docx_counts_table_matches_results(demo):
    table = _table_with_header(demo["doc"], ["维度"] + [f"{s.shape} {s.label}" for s in SEVERITY])
    counts = Counter(r.status for r in demo["results"].values())
    total_row = table.rows[-1].cells
    assert total_row[0].text == "合计"
    for cell, s in zip(total_row[1:], SEVERITY):
        assert cell.text == (str(counts[s]) if counts[s] else "·")
    assert total_row[-1].text == str(len(demo["results"]))
    for cell, s in zip(table.rows[0].cells[1:], SEVERITY):
        assert _fill(cell) == s.colour.lstrip("#").upper()


def test_docx_embeds_timeline_and_a_chart_per_behind_or_missed_indicator(demo):
    doc, results = demo["doc"], demo["results"]
    flagged = [r for r in results.values() if r.status in (Status.behind, Status.missed)]
    assert flagged, "the demo data should have behind/missed indicators at this quarter"
    shapes = doc.inline_shapes
    assert len(shapes) >= 1 + len(flagged)
    assert abs(shapes[0].width - Cm(17)) < Cm(0.1)
    assert all(abs(s.width - Cm(16)) < Cm(0.1) for s in list(shapes)[1:])
    blobs = [doc.part.related_parts[s._inline.graphic.graphicData.pic.blipFill.blip.embed].blob for s in shapes]
    assert all(b.startswith(b"\x89PNG") for b in blobs)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 3"]
    names = {i.id: i.name for i in demo["service"].indicators(SCHEME)}
    for r in flagged:
        assert any(names[r.indicator_id] in h and r.status.label in h for h in headings)


def test_docx_a4_portrait_and_cjk_fonts(demo):
    doc = demo["doc"]
    sec = doc.sections[0]
    assert (round(sec.page_width.cm, 1), round(sec.page_height.cm, 1)) == (21.0, 29.7)
    for name in ("Normal", "Title", "Heading 1", "Table Grid"):
        fonts = doc.styles[name].element.rPr.find(qn("w:rFonts"))
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
            assert fonts.get(qn(attr)) == reports.BODY_FONT, (name, attr)
        assert fonts.get(qn("w:asciiTheme")) is None and fonts.get(qn("w:eastAsiaTheme")) is None


def test_docx_title_block_marks_demo_data(demo):
    doc = demo["doc"]
    head = "\n".join(p.text for p in doc.paragraphs[:3])
    assert "工作进展报告" in head and "截至2025年第2季度" in head
    assert doc.tables[0].rows[0].cells[0].text.startswith("示例数据")
    assert "示例数据" in doc.sections[0].header.paragraphs[0].text
    text = _all_text(doc)
    assert "安宁市国家知识产权强县建设试点县工作方案" in text and "2025年7月15日" in text


def test_docx_notes_up_to_the_as_of_quarter_and_method_section(demo):
    doc = demo["doc"]
    table = _table_with_header(doc, ["指标", "报告期", "填报值", "备注", "填报人"])
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [demo["formula_indicator"].name, QUARTER.label] == rows[[r[3] for r in rows].index(FORMULA_NOTE)][:2]
    labels = {r[1] for r in rows}
    assert LATER_QUARTER_LABEL not in labels
    assert all(Quarter(int(lb[:4]), int(lb[6])) <= QUARTER for lb in labels)
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert "口径说明" in headings
    assert any("完成进度" in p.text for p in doc.paragraphs[[p.text for p in doc.paragraphs].index("口径说明"):])


def test_docx_on_a_real_database_has_no_demo_marking(tmp_path):
    service = _service(f"sqlite:///{tmp_path}/real.db", demo=False)
    buf = io.BytesIO()
    region = service.default_region(SCHEME)
    data = reports.build_docx(service, SCHEME, region, QUARTER, buf, today=TODAY)
    flagged = [r for r in service.results(SCHEME, region, QUARTER) if r.status in reports.CHART_STATUSES]
    service.store.dispose()
    doc = Document(io.BytesIO(buf.getvalue()))
    assert not data.demo and "示例数据" not in _all_text(doc)
    assert "示例数据" not in doc.sections[0].header.paragraphs[0].text
    # Nothing reported: only milestones past their deadline are missed; no notes.
    assert len(doc.inline_shapes) == 1 + len(flagged)
    assert "截至本季度无填报备注。" in [p.text for p in doc.paragraphs]


# ---------------------------------------------------------------- Excel

def test_xlsx_indicator_sheet(demo):
    ws = demo["wb"]["指标完成情况"]
    service, results = demo["service"], demo["results"]
    header_row = reports.XLSX_HEADER_ROW
    header = [c.value for c in ws[header_row]]
    assert header == [h for h, _ in reports.XLSX_COLUMNS]
    for name in ("编号", "条款", "完成进度", "维度", "指标", "目标", "截止", "实际", "状态", "责任单位", "说明"):
        assert name in header
    col = {h: i for i, h in enumerate(header)}
    data_rows = list(ws.iter_rows(min_row=header_row + 1))
    assert len(data_rows) == len(service.indicators(SCHEME))
    assert {r[col["编号"]].value for r in data_rows} == set(results)
    for row in data_rows:
        res = results[row[col["编号"]].value]
        status = row[col["状态"]]
        assert status.value == f"{res.status.shape} {res.status.label}"
        assert status.fill.fgColor.rgb[-6:] == res.status.colour.lstrip("#").upper()
        assert row[col["完成进度"]].value == res.p
    assert ws.freeze_panes == f"D{header_row + 1}"
    assert ws.auto_filter.ref == f"A{header_row}:L{header_row + len(data_rows)}"
    assert ws.column_dimensions["C"].width >= 30
    title = f"{ws['A1'].value} {ws['A2'].value}"
    assert "安宁市" in title and QUARTER.label in title
    assert ws["A3"].value.startswith("示例数据")


def test_xlsx_counts_sheet(demo):
    ws = demo["wb"]["状态统计"]
    header = [c.value for c in ws[reports.XLSX_HEADER_ROW]]
    assert header[1:1 + len(SEVERITY)] == [f"{s.shape} {s.label}" for s in SEVERITY]
    last = next([c.value for c in row] for row in ws.iter_rows() if row[0].value == "合计")
    counts = Counter(r.status for r in demo["results"].values())
    assert last[1:1 + len(SEVERITY)] == [counts[s] for s in SEVERITY]
    assert last[1 + len(SEVERITY)] == len(demo["results"])


# ---------------------------------------------------------------- data status and display names

def _expected_labels(demo):
    names = {i.id: i.name for i in demo["service"].indicators(SCHEME)}
    return {names[i]: {"approved": "已审核", "submitted": "待审核", "returned": "已退回", "draft": "未报送"}.get(s, "—")
            for i, s in demo["review"].by_indicator.items()}


def test_docx_marks_the_data_status_of_each_figure_and_counts_approved(demo):
    table = _table_with_header(demo["doc"], reports.INDICATOR_HEADER)
    col = reports.INDICATOR_HEADER.index("数据状态")
    shown = {row.cells[1].text: row.cells[col].text for row in table.rows[1:]}
    expected = _expected_labels(demo)
    assert shown == expected
    assert {"已审核", "待审核", "已退回"} <= set(shown.values())
    # The returned unit's figures of this quarter (not its milestones done in earlier quarters).
    returned = [i.name for i in demo["service"].indicators(SCHEME)
                if i.reporting_unit == demo["returned_unit"] and demo["results"][i.id].value_period == QUARTER]
    assert returned and all(shown[n] == "已退回" for n in returned)
    review = demo["review"]
    assert 0 < review.approved < review.reported
    summary = next(p.text for p in demo["doc"].paragraphs if p.text.startswith("本方案共"))
    assert "数据审核:" + review.summary_text() in summary
    assert f"{review.reported}项填报数值中,已审核{review.approved}项" in summary
    assert "待审核" in summary and "已退回" in summary


def _notes_people(rows, who_col):
    return {r[who_col] for r in rows}


def test_docx_shows_people_by_display_name(demo):
    table = _table_with_header(demo["doc"], ["指标", "报告期", "填报值", "备注", "填报人"])
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert rows[[r[3] for r in rows].index(FORMULA_NOTE)][4] == TESTER_NAME
    assert TESTER not in _notes_people(rows, 4)


def test_xlsx_marks_the_data_status_and_counts_approved(demo):
    ws = demo["wb"]["指标完成情况"]
    header = [c.value for c in ws[reports.XLSX_HEADER_ROW]]
    col = {h: i for i, h in enumerate(header)}
    shown = {r[col["指标"]].value: r[col["数据状态"]].value for r in ws.iter_rows(min_row=reports.XLSX_HEADER_ROW + 1)}
    assert shown == _expected_labels(demo)
    counts = [c.value for row in demo["wb"]["状态统计"].iter_rows() for c in row if c.value]
    assert "数据审核:" + demo["review"].summary_text() in counts


def test_xlsx_shows_people_by_display_name(demo):
    ws = demo["wb"]["填报备注"]
    header = [c.value for c in ws[reports.XLSX_HEADER_ROW]]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=reports.XLSX_HEADER_ROW + 1)]
    who, note = header.index("填报人"), header.index("备注")
    assert next(r[who] for r in rows if r[note] == "'" + FORMULA_NOTE) == TESTER_NAME
    assert TESTER not in _notes_people(rows, who)


def test_xlsx_of_a_quarter_not_yet_submitted_marks_it(demo):
    # Luzhou's deadline quarter is a draft in the demo; milestones done earlier were approved then.
    buf = io.BytesIO()
    reports.build_xlsx(demo["service"], "luzhou", "泸州市", Quarter(2025, 4), buf, today=TODAY)
    ws = load_workbook(io.BytesIO(buf.getvalue()))["指标完成情况"]
    header = [c.value for c in ws[reports.XLSX_HEADER_ROW]]
    labels = Counter(r[header.index("数据状态")].value for r in ws.iter_rows(min_row=reports.XLSX_HEADER_ROW + 1))
    review = demo["service"].data_status("luzhou", "泸州市", Quarter(2025, 4))
    assert labels["未报送"] == review.counts["draft"] > 0 and labels["已审核"] == review.approved > 0


def test_xlsx_escapes_formula_like_strings(demo):
    wb = demo["wb"]
    notes = wb["填报备注"]
    values = [c.value for row in notes.iter_rows(min_row=reports.XLSX_HEADER_ROW + 1) for c in row]
    assert "'" + FORMULA_NOTE in values and FORMULA_NOTE not in values
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate)
                assert not (isinstance(c.value, str) and c.value.startswith(FORMULA_PREFIXES)), c.coordinate


def test_xlsx_escapes_indicator_names(demo, monkeypatch):
    service = demo["service"]
    ind = service.indicators(SCHEME)[0]
    evil = ind.model_copy(update={"name": "@SUM(A1:A2)"})
    real = service.indicators
    monkeypatch.setattr(service, "indicators",
                        lambda sid: [evil if i.id == ind.id else i for i in real(sid)])
    buf = io.BytesIO()
    reports.build_xlsx(service, SCHEME, demo["region"], QUARTER, buf, today=TODAY)
    ws = load_workbook(io.BytesIO(buf.getvalue()))["指标完成情况"]
    names = [c.value for c in ws["C"]]
    assert "'@SUM(A1:A2)" in names and "@SUM(A1:A2)" not in names


def test_report_filename(demo):
    service = demo["service"]
    assert reports.report_filename(service, SCHEME, "安宁市", QUARTER, "docx") == "安宁市_2025Q2_进展报告.docx"
    assert reports.report_filename(service, SCHEME, "安宁 市/x", QUARTER, "xlsx") == "安宁_市_x_安宁_2025Q2_进展报告.xlsx"
    with pytest.raises(ValueError):
        reports.report_filename(service, SCHEME, "安宁市", QUARTER, "pdf")


def test_text_colour_contrast():
    assert reports.text_colour("#8B1E1E") == "FFFFFF"
    assert reports.text_colour("#E69F00") == "000000"


# ---------------------------------------------------------------- command line

def test_cli_writes_both_formats(demo, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", demo["url"])
    for fmt in ("docx", "xlsx"):
        rc = dashboard_main(["report", "--scheme", SCHEME, "--as-of", "2025-07-15", "--format", fmt,
                              "--out", str(tmp_path)])
        assert rc == 0, capsys.readouterr().err
        path = tmp_path / reports.report_filename(demo["service"], SCHEME, "安宁市", QUARTER, fmt)
        assert path.stat().st_size > 0
        assert str(path) in capsys.readouterr().out
    doc = Document(str(tmp_path / "安宁市_2025Q2_进展报告.docx"))
    assert len(_table_with_header(doc, reports.INDICATOR_HEADER).rows) == 1 + len(demo["service"].indicators(SCHEME))
    ws = load_workbook(tmp_path / "安宁市_2025Q2_进展报告.xlsx")["指标完成情况"]
    assert QUARTER.label in ws["A2"].value
    # An explicit file name is used as given; as-of mid-quarter evaluates the quarter before.
    out = tmp_path / "r.xlsx"
    assert dashboard_main(["report", "--scheme", SCHEME, "--as-of", "2025-09-29", "--region", "安宁市",
                            "--format", "xlsx", "--out", str(out)]) == 0
    assert QUARTER.label in load_workbook(out)["指标完成情况"]["A2"].value


@pytest.mark.parametrize("argv, code, message", [
    (["--scheme", "nope", "--as-of", "2025-07-15"], 2, "未知方案"),
    (["--scheme", SCHEME, "--as-of", "2025-13-01"], 2, "YYYY-MM-DD"),
    (["--scheme", SCHEME, "--as-of", "15.07.2025"], 2, "YYYY-MM-DD"),
    (["--scheme", SCHEME, "--as-of", "2999-01-01"], 2, "晚于今天"),
    (["--scheme", SCHEME, "--as-of", "2025-07-15", "--region", "昆明市"], 2, "没有地区"),
])
def test_cli_rejects_bad_arguments(demo, tmp_path, monkeypatch, capsys, argv, code, message):
    monkeypatch.setenv("DATABASE_URL", demo["url"])
    rc = dashboard_main(["report", *argv, "--format", "xlsx", "--out", str(tmp_path)])
    assert rc == code
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_cli_unwritable_path_and_missing_database(demo, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", demo["url"])
    base = ["report", "--scheme", SCHEME, "--as-of", "2025-07-15", "--format", "xlsx"]
    assert dashboard_main([*base, "--out", str(tmp_path / "missing" / "r.xlsx")]) == 1
    assert "输出目录不存在" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert dashboard_main([*base, "--out", str(blocker / "r.xlsx")]) == 1
    assert "错误" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/none.db")
    assert dashboard_main([*base, "--out", str(tmp_path)]) == 1
    assert "数据库文件不存在" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()


def test_cli_usage_error_from_argparse(capsys):
    assert dashboard_main(["report", "--scheme", SCHEME, "--as-of", "2025-07-15", "--format", "pdf",
                            "--out", "x"]) == 2


# ---------------------------------------------------------------- CJK glyphs in kaleido renders

GLYPHS = "知识产权"


def _glyph_figure(text: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                       font={"family": FONT, "size": 64, "color": "black"})
    fig.update_layout(height=100, margin={"l": 0, "r": 0, "t": 0, "b": 0}, paper_bgcolor="white",
                      plot_bgcolor="white", xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def _render_glyphs(chars: str) -> tuple[list[bytes], bytes]:
    """One PNG per character plus a blank one, all the same size and layout: identical
    PNGs mean identical pixels (Chromium encodes deterministically)."""
    pngs = reports.render_pngs([_glyph_figure(c) for c in chars] + [_glyph_figure("")], [100] * (len(chars) + 1),
                               scale=1)
    return pngs[:-1], pngs[-1]


def test_chart_text_renders_cjk_glyphs_not_tofu(tmp_path, monkeypatch):
    # Four different characters drawn from a CJK font give four different images;
    # with no CJK font every one is the same missing-glyph box ("tofu").
    glyphs, blank = _render_glyphs(GLYPHS)
    assert len(set(glyphs)) == len(GLYPHS)
    assert blank not in glyphs

    # Control: the same check does catch tofu. Chromium gets a fontconfig that knows DejaVu only.
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        "  <dir>/usr/share/fonts/truetype/dejavu</dir>\n"
        f"  <cachedir>{tmp_path / 'fc-cache'}</cachedir>\n</fontconfig>\n", encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    tofu, blank_tofu = _render_glyphs(GLYPHS)
    assert len(set(tofu)) == 1 and blank_tofu not in tofu
    latin, _ = _render_glyphs("ABCD")
    assert len(set(latin)) == 4   # the restricted config still renders text it has glyphs for
