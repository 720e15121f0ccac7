"""Issue 18: a milestone done late shows 逾期完成, and a stand-in baseline shows next to the
target, on the overview (board and counts), the detail status line, the 基线与参照值 page and
in the Word and Excel reports. A fresh database with a handful of values, so each case is known."""
from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook

from dashboard import reports
from dashboard.pages import overview, reference
from dashboard.pages.common import View
from dashboard.service import MonitorService
from data.db import make_engine, upgrade
from data.store import Store
from indicators.periods import Quarter
from indicators.registry import load_registry
from indicators.statuses import Status

SCHEME = "anning"
QUARTER = Quarter(2025, 2)
STOCK = "anning_trademark_registrations_valid"      # cumulative stock: no baseline recorded
STANDIN = "基线待录入,暂以2022年第4季度值代替"


@pytest.fixture(scope="module")
def shown(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('display')}/d.db")
    upgrade(engine)
    store, registry = Store(engine), load_registry()
    service = MonitorService(registry, store)
    region = service.regions(SCHEME)[0]
    late = next(i for i in service.indicators(SCHEME) if i.kind.value == "milestone" and i.deadline < date(2023, 1, 1))
    stock = registry.indicators[STOCK]
    for ind, q, v in [(late, "2022Q4", 0), (late, "2023Q4", 1),
                      (stock, "2022Q4", 6000), (stock, "2025Q2", 6300)]:
        store.save_value(ind, region, q, v, None, "tester", None)
    docx_buf, xlsx_buf = io.BytesIO(), io.BytesIO()
    reports.build_docx(service, SCHEME, region, QUARTER, docx_buf, today=date(2025, 7, 15))
    reports.build_xlsx(service, SCHEME, region, QUARTER, xlsx_buf, today=date(2025, 7, 15))
    docx_buf.seek(0), xlsx_buf.seek(0)
    counts, board = overview._board_parts(service, View(SCHEME, region, QUARTER))
    yield {"service": service, "region": region, "late": late, "stock": stock, "counts": counts, "board": board,
           "results": {r.indicator_id: r for r in service.results(SCHEME, region, QUARTER)},
           "doc": Document(docx_buf), "wb": load_workbook(xlsx_buf)}
    store.dispose()


def _row_html(board: str, indicator_id: str) -> str:
    start = board.index(f'data-indicator-row="{indicator_id}"')
    return board[start:board.index("</tr>", start)]


def test_the_engine_says_done_late_and_standin(shown):
    r = shown["results"]
    assert r[shown["late"].id].status is Status.achieved_late
    assert r[STOCK].baseline_pending_text == STANDIN


def test_overview_board_counts_and_standin(shown):
    late_row = _row_html(shown["board"], shown["late"].id)
    assert "逾期完成" in late_row and "达标" not in late_row.replace("逾期完成", "")
    assert 'data-count-status="achieved_late"' in shown["counts"]
    n_late = shown["counts"].split('data-count-status="achieved_late"')[1].split('class="count-n">')[1]
    assert n_late.startswith("1<")
    assert STANDIN in _row_html(shown["board"], STOCK)
    pending = sum(1 for x in shown["results"].values() if x.baseline_pending)
    assert f'data-baseline-pending="{pending}"' in shown["counts"] and f"{pending}项基线待录入" in shown["counts"]


def test_word_report_shows_done_late_and_the_standin_next_to_the_target(shown):
    doc = shown["doc"]
    table = next(t for t in doc.tables if tuple(c.text for c in t.rows[0].cells) == reports.INDICATOR_HEADER)
    rows = {row.cells[1].text: row for row in table.rows[1:]}
    col = reports.INDICATOR_HEADER.index
    assert rows[shown["late"].name].cells[col("状态")].text == f"{Status.achieved_late.shape} 逾期完成"
    assert STANDIN in rows[shown["stock"].name].cells[col("目标")].text
    counts = next(t for t in doc.tables if t.rows[0].cells[0].text == "维度" and len(t.rows[0].cells) > 5
                  and any("逾期完成" in c.text for c in t.rows[0].cells))
    assert counts is not None


def test_excel_shows_done_late_and_the_standin(shown):
    ws = shown["wb"]["指标完成情况"]
    header = [c.value for c in ws[reports.XLSX_HEADER_ROW]]
    rows = {row[header.index("编号")].value: row for row in ws.iter_rows(min_row=reports.XLSX_HEADER_ROW + 1)}
    assert rows[shown["late"].id][header.index("状态")].value == f"{Status.achieved_late.shape} 逾期完成"
    assert STANDIN in rows[STOCK][header.index("目标")].value
    counts = [c.value for c in shown["wb"]["状态统计"][reports.XLSX_HEADER_ROW]]
    assert f"{Status.achieved_late.shape} 逾期完成" in counts


def test_reference_page_lists_the_baselines_to_enter(shown):
    section = reference._baselines(shown["service"], SCHEME, shown["region"], admin=True)
    text = str(section.to_plotly_json())
    pending = sum(1 for x in shown["results"].values() if x.baseline_pending)
    assert f"{pending}项基线待录入" in text
    assert f"{shown['stock'].name}({STANDIN})" in text


def test_excel_figures_are_numbers_with_a_number_format(shown):
    ws = shown["wb"]["指标完成情况"]
    header = [c.value for c in ws[reports.XLSX_HEADER_ROW]]
    rows = {row[header.index("编号")].value: row for row in ws.iter_rows(min_row=reports.XLSX_HEADER_ROW + 1)}
    cell = rows[STOCK][header.index("实际")]
    assert cell.value == 6300 and isinstance(cell.value, (int, float))
    assert cell.number_format == '#,##0"件"'
    # A milestone stays in words.
    assert rows[shown["late"].id][header.index("实际")].value == "已完成"


def test_one_formatter_for_engine_pages_and_exports():
    from dashboard import components
    from indicators import status, values
    ind = load_registry().indicators[STOCK]
    assert components.fmt_number is values.fmt_number is status.fmt_number
    assert components.fmt_value(1234, ind) == values.fmt_quantity(1234, ind) == "1,234件"
    assert components.fmt_value(22.5, ind) == "22.5件"
