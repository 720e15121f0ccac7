"""指标库 on dash-ag-grid (issue 15): the export writes the rows the grid shows, in its order."""
import io

from openpyxl import load_workbook

from dashboard import Settings, create_app
from dashboard.grid import LOCALE_ZH, rows_xlsx
from dashboard.pages import registry


def _rows(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", secret_key="k" * 40, login_disabled=True))
    return registry._rows(app.server.extensions["monitor"]["service"])


def test_export_keeps_the_grids_rows_and_order_and_drops_unknown_ids(tmp_path):
    rows = _rows(tmp_path)
    shown = [rows[5]["id"], rows[0]["id"], "no_such_indicator", None, rows[5]["id"].upper()]
    out = registry.export_rows(rows, shown)
    assert [r["id"] for r in out] == [rows[5]["id"], rows[0]["id"]]

    ws = load_workbook(io.BytesIO(registry.registry_xlsx(out))).active
    header = [c.value for c in ws[4]]
    assert header[:4] == ["方案", "条款", "指标", "原文"] and header[-1] == "口径说明"
    # The plain name, not the markdown link the grid draws.
    assert ws.cell(row=5, column=3).value == rows[5]["plain_name"]
    assert ws.cell(row=6, column=3).value == rows[0]["plain_name"]
    assert ws.cell(row=7, column=1).value is None
    assert "共 2 项" in ws.cell(row=2, column=1).value


def test_rows_xlsx_escapes_formulas():
    data = rows_xlsx("t", [("a", "甲")], [{"a": "=HYPERLINK(\"http://x\")"}, {"a": 3}])
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.cell(row=5, column=1).value == "'=HYPERLINK(\"http://x\")"
    assert ws.cell(row=6, column=1).value == 3


def test_locale_covers_the_texts_of_filters_and_pagination():
    for key in ("contains", "equals", "applyFilter", "resetFilter", "page", "of", "to", "next", "previous",
                "noRowsToShow", "pageSizeSelectorLabel", "filterOoo", "andCondition", "orCondition"):
        assert key in LOCALE_ZH and not LOCALE_ZH[key].isascii() or LOCALE_ZH[key] in ("/",)
