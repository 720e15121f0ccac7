"""Render the tables of a Word report as a PNG, for docs and reviews where no office suite is
installed: python-docx reads the tables back (text and cell shading), Chromium draws them.

    .venv/bin/python scripts/docx_table_png.py REPORT.docx OUT.png [--header 维度,指标,目标] [--rows 12]
"""
from __future__ import annotations

import argparse
import html
import subprocess
import sys
import tempfile
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn


def _fill(cell) -> str:
    pr = cell._tc.tcPr
    shd = pr.find(qn("w:shd")) if pr is not None else None
    fill = shd.get(qn("w:fill")) if shd is not None else None
    return f"#{fill}" if fill and fill != "auto" else ""


def table_html(path: str, header_start: list[str], rows: int) -> str:
    doc = Document(path)
    table = next(t for t in doc.tables
                 if [c.text for c in t.rows[0].cells[:len(header_start)]] == header_start)
    body = []
    for i, row in enumerate(table.rows[:rows + 1]):
        tag = "th" if i == 0 else "td"
        cells = []
        for c in row.cells:
            fill = _fill(c)
            style = f' style="background:{fill};color:{"#fff" if fill and fill.upper() not in ("#E69F00", "#CC79A7") else "#000"}"' if fill and i else ""
            cells.append(f"<{tag}{style}>{html.escape(c.text).replace(chr(10), '<br>')}</{tag}>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return ("<html><head><meta charset='utf-8'><style>body{font-family:'Noto Sans CJK SC',sans-serif;margin:12px}"
            "table{border-collapse:collapse;font-size:12px;width:1340px}td,th{border:1px solid #999;padding:3px 5px;"
            "vertical-align:top}th{background:#dde3ea}</style></head><body>"
            f"<p>{html.escape(Path(path).name)} · 表:指标完成情况(python-docx 读回)</p><table>{''.join(body)}</table></body></html>")


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("docx")
    p.add_argument("out")
    p.add_argument("--header", default="维度,指标,目标")
    p.add_argument("--rows", type=int, default=12)
    p.add_argument("--height", type=int, default=900)
    args = p.parse_args(argv)
    page = table_html(args.docx, args.header.split(","), args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "t.html"
        src.write_text(page, encoding="utf-8")
        subprocess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--window-size=1366,{args.height}", f"--screenshot={Path(args.out).resolve()}",
                        src.as_uri()], check=True, capture_output=True, timeout=120)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
