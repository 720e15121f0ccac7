"""Ledgers as spreadsheets: the entry template of one ledger, reading it back (bounded, as the
value importer reads: data.importer), and writing several ledgers into one workbook.

Reading never trusts the file: its size, its zip members and its declared range are checked
before openpyxl reads anything; at most ``MAX_ROWS_PER_WRITE`` data rows of ``MAX_COLS``
cells are read. Columns are found by their headers (the registry's labels, a trailing * and
spaces ignored), so a reordered template still reads. Row numbers are the sheet's own.
"""
from __future__ import annotations

import io
from typing import Any, Iterable, Sequence

from indicators.model import Indicator

from .importer import (MAX_BYTES, MAX_COLS, OLE_MAGIC, XLSX_UNREADABLE, ImportFileError, _blank, _cell_text,
                       _check_zip, _norm_header, _unescape, escape_cell)
from .ledger import MAX_ROWS_PER_WRITE, LedgerRefused

SHEET = "台账"
MAX_SCAN_ROWS = 2 * MAX_ROWS_PER_WRITE
MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def header_label(col) -> str:
    return col.label + ("*" if col.required or col.type in ("name", "date") else "")


def sheet_title(text: str, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = "".join("_" if c in "[]:*?/\\" else c for c in text)[:31] or "台账"
    title, n = base, 2
    while title in taken:
        suffix = f"({n})"
        title, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def workbook(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """One workbook of (title, headers, rows) sheets, cells escaped against formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for title, headers, rows in sheets:
        ws = wb.create_sheet(sheet_title(title, taken))
        ws.append(list(headers))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in rows:
            ws.append([escape_cell(v) for v in r])
        for i, h in enumerate(headers):
            ws.column_dimensions[ws.cell(1, i + 1).column_letter].width = max(12, min(40, 2 * len(str(h)) + 4))
        ws.freeze_panes = "A2"
    if not wb.worksheets:
        wb.create_sheet(SHEET).append(["(无台账)"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template(ind: Indicator) -> bytes:
    """The entry template of ``ind``'s ledger: sheet 台账 with its columns (* = required), and 说明."""
    cols = ind.ledger.columns
    notes = [
        [f"指标:{ind.name}({ind.id})"],
        [f"每行登记一个{ind.ledger.item};带*的列必填;第1行表头请勿修改。"],
        ["日期写作2024-05-01(或Excel日期格式);统一社会信用代码为18位,系统按GB 32100-2015校验第18位。"],
        [f"一次最多{MAX_ROWS_PER_WRITE}行;任何一行有误时整份文件都不会导入,请按提示的行号修改后重新上传。"],
    ]
    return workbook([(SHEET, [header_label(c) for c in cols], []), ("说明", ["填写说明"], notes)])


def _fail(msg: str):
    raise LedgerRefused(msg)


def read(ind: Indicator, data: bytes, filename: str = "") -> tuple[list[dict], list[int]]:
    """(rows as {column key: cell}, their sheet row numbers) of an uploaded template;
    LedgerRefused with one Chinese message when the file cannot be read."""
    if not data:
        _fail("文件为空。")
    if len(data) > MAX_BYTES:
        _fail(f"文件过大({len(data) / 1024 / 1024:.2f} MB),上限为5 MB。")
    if data[:8] == OLE_MAGIC:
        _fail("不支持旧版Excel(.xls)或加密的文件,请另存为“Excel工作簿(.xlsx)”后再上传。")
    if data[:4] != b"PK\x03\x04":
        _fail("文件不是Excel工作簿(.xlsx),请用下载的台账模板填写后上传。")
    try:
        _check_zip(data)
    except ImportFileError as exc:
        _fail(str(exc) + "。")
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged files
        _fail(XLSX_UNREADABLE + "。")
    try:
        ws = wb[SHEET] if SHEET in wb.sheetnames else (wb.worksheets[0] if wb.worksheets else None)
        if ws is None:
            _fail("Excel文件中没有工作表。")
        declared = ws.max_row if isinstance(ws.max_row, int) else 0
        if declared > MAX_SCAN_ROWS:
            _fail(f"工作表“{ws.title}”的范围超过{MAX_SCAN_ROWS}行,一次最多导入{MAX_ROWS_PER_WRITE}行;"
                  "请删除多余的行后再上传。")
        ws.reset_dimensions()
        return _rows(ind, ws.iter_rows(max_row=MAX_SCAN_ROWS, max_col=MAX_COLS, values_only=True), ws.title)
    except LedgerRefused:
        raise
    except Exception:  # damaged sheet XML is only found while reading the rows
        _fail(XLSX_UNREADABLE + "。")
    finally:
        wb.close()


def _rows(ind: Indicator, rows, where: str) -> tuple[list[dict], list[int]]:
    it = iter(rows)
    header = next(it, None)
    wanted = {_norm_header(c.label): c.key for c in ind.ledger.columns}
    cols: dict[str, int] = {}
    for i, h in enumerate(header or ()):
        key = wanted.get(_norm_header(h).rstrip("*"))
        if key and key not in cols:
            cols[key] = i
    missing = [c.label for c in ind.ledger.columns if c.key not in cols and (c.required or c.type in ("name", "date"))]
    if missing:
        _fail(f"工作表“{where}”第1行缺少列:{'、'.join(missing)}。请使用本指标的台账模板"
              f"(表头:{'、'.join(header_label(c) for c in ind.ledger.columns)})。")
    out, numbers = [], []
    for n, cells in enumerate(it, start=2):
        if not cells or _blank(tuple(cells)):
            continue
        if len(out) >= MAX_ROWS_PER_WRITE:
            _fail(f"工作表“{where}”的数据超过{MAX_ROWS_PER_WRITE}行(第{n}行仍有内容),请分成几个文件上传。")
        values = {}
        for key, i in cols.items():
            v = cells[i] if i < len(cells) else None
            values[key] = _unescape(_cell_text(v)) if isinstance(v, str) else v
        out.append(values)
        numbers.append(n)
    if not out:
        _fail(f"工作表“{where}”除表头外没有数据行。")
    return out, numbers
