"""Hostile spreadsheets, built in the tests (nothing binary is checked in)."""
from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

SHEET_PATH = "xl/worksheets/sheet1.xml"
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def workbook_bytes(rows=(("指标编号", "报告期", "填报值", "备注"),), title="填报") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def replace_members(data: bytes, members: dict[str, bytes], extra: dict[str, bytes] | None = None,
                    compression=zipfile.ZIP_DEFLATED) -> bytes:
    """The same xlsx with some members' bytes replaced (and others added)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as dst:
        for info in src.infolist():
            body = members.get(info.filename, src.read(info.filename))
            dst.writestr(info.filename, body, compress_type=compression, compresslevel=9)
        for name, body in (extra or {}).items():
            dst.writestr(name, body, compress_type=compression, compresslevel=9)
    return out.getvalue()


def sheet_xml(rows_xml: str, dimension: str = "A1:XFD1048576") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{NS}"><dimension ref="{dimension}"/><sheetData>{rows_xml}'
            f'</sheetData></worksheet>').encode()


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def memory_bomb(empty_rows: int = 0) -> bytes:
    """The issue's file: the sheet declares A1:XFD1048576 and holds one cell in row 1,048,576
    (openpyxl pads every missing row to 16,384 cells). ``empty_rows``: that many explicit
    empty <row> elements before it as well."""
    empties = "".join(f'<row r="{n}"/>' for n in range(2, 2 + empty_rows))
    rows = empties + f'<row r="1048576">{inline("XFD1048576", "x")}</row>'
    return replace_members(workbook_bytes(rows=()), {SHEET_PATH: sheet_xml(rows)})


def header_then_far_row(far_row: int, empty_rows: int = 0, dimension: str = "A1:XFD1048576") -> bytes:
    """A real header, then many empty rows and one data row far below."""
    header = '<row r="1">' + "".join(inline(f"{c}1", h) for c, h in zip("ABCD", ("指标编号", "报告期", "填报值", "备注"))) + "</row>"
    empties = "".join(f'<row r="{n}"/>' for n in range(2, 2 + empty_rows))
    far = f'<row r="{far_row}">{inline(f"A{far_row}", "anning_x")}{inline(f"B{far_row}", "2024Q2")}</row>'
    return replace_members(workbook_bytes(rows=()), {SHEET_PATH: sheet_xml(header + empties + far, dimension)})
