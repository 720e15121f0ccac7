"""Data tables: dash-ag-grid with one set of defaults (Chinese texts, column filters and sorting,
nothing fetched from the internet), and the Excel file of the rows a grid shows.

dash_table.DataTable is deprecated (dash recommends dash-ag-grid). AG Grid's own Excel export is
an Enterprise feature, so the rows after the user's filters and sort (the grid's
``virtualRowData``) come back to the server and are written with openpyxl, as the reports are.
"""
from __future__ import annotations

import io
from datetime import datetime
from typing import Iterable, Sequence

import dash_ag_grid as dag

from indicators.export import escape_cell

# AG Grid's texts in Simplified Chinese (the keys of its localeText; unlisted keys stay English,
# so every text the community grid shows with filters, sorting and pagination is here).
LOCALE_ZH = {
    # filters
    "selectAll": "(全选)", "selectAllSearchResults": "(全选搜索结果)", "searchOoo": "搜索……", "blanks": "(空白)",
    "noMatches": "无匹配项", "filterOoo": "筛选……", "equals": "等于", "notEqual": "不等于", "blank": "为空",
    "notBlank": "不为空", "empty": "请选择……", "lessThan": "小于", "greaterThan": "大于",
    "lessThanOrEqual": "小于或等于", "greaterThanOrEqual": "大于或等于", "inRange": "介于", "inRangeStart": "从",
    "inRangeEnd": "到", "contains": "包含", "notContains": "不包含", "startsWith": "开头是", "endsWith": "结尾是",
    "dateFormatOoo": "年-月-日", "before": "早于", "after": "晚于", "andCondition": "且", "orCondition": "或",
    "applyFilter": "应用", "resetFilter": "重置", "clearFilter": "清除", "cancelFilter": "取消",
    "textFilter": "文本筛选", "numberFilter": "数字筛选", "dateFilter": "日期筛选", "setFilter": "集合筛选",
    "filterSummaryInactive": "未筛选", "filterSummaryContains": "包含", "filterSummaryNotContains": "不包含",
    # header and column menu
    "columns": "列", "filters": "筛选", "pinColumn": "固定列", "pinLeft": "固定在左侧", "pinRight": "固定在右侧",
    "noPin": "不固定", "autosizeThisColumn": "自动调整此列宽度", "autosizeAllColumns": "自动调整所有列宽度",
    "resetColumns": "重置列", "sortAscending": "升序", "sortDescending": "降序", "sortUnSort": "取消排序",
    "columnFilter": "列筛选", "columnChooser": "选择列", "chooseColumns": "选择列", "hideColumn": "隐藏列",
    "copy": "复制", "copyWithHeaders": "连同表头复制", "export": "导出", "csvExport": "导出CSV",
    # rows and pagination
    "noRowsToShow": "没有符合条件的记录", "loadingOoo": "加载中……", "loadingError": "加载出错",
    "page": "第", "more": "更多", "to": "至", "of": "/", "next": "下一页", "last": "末页", "first": "首页",
    "previous": "上一页", "pageSizeSelectorLabel": "每页行数:", "pageLastRowUnknown": "?",
    "footerTotal": "合计", "totalRows": "总行数", "totalAndFilteredRows": "行",
    # screen readers
    "ariaFilterInput": "筛选输入", "ariaFilterValue": "筛选值", "ariaFilterFromValue": "起始值",
    "ariaFilterToValue": "结束值", "ariaFilterList": "筛选列表", "ariaFilteringOperator": "筛选条件",
    "ariaColumnFiltersApplied": "已应用列筛选", "ariaFilterColumnsInput": "筛选列", "ariaSearch": "搜索",
    "ariaSearchFilterValues": "搜索筛选值", "ariaPageSizeSelectorLabel": "每页行数", "ariaLabelColumnMenu": "列菜单",
    "ariaLabelColumnFilter": "列筛选", "ariaLabelDialog": "对话框", "ariaSortableColumn": "按回车键排序",
    "ariaMenuColumn": "按 Alt+向下 打开列菜单", "ariaFilterColumn": "按 Ctrl+回车 打开筛选",
    "ariaRowSelect": "按空格键选择此行", "ariaHidden": "隐藏", "ariaVisible": "可见", "ariaChecked": "已选中",
    "ariaUnchecked": "未选中", "ariaIndeterminate": "部分选中",
}


def grid(id_: str, column_defs: list[dict], *, page_size: int = 50, **kw) -> dag.AgGrid:
    """An AgGrid with the app's defaults: sortable, resizable, filterable columns whose text
    wraps, pages of ``page_size`` rows, the page's own height (it scrolls with the page and prints)."""
    options = {
        "localeText": LOCALE_ZH,
        "pagination": True, "paginationPageSize": page_size, "paginationPageSizeSelector": [20, 50, 100],
        "domLayout": "autoHeight",
        "tooltipShowDelay": 300,
        "enableCellTextSelection": True, "ensureDomOrder": True,
        # The theme's font is the page's; never load one from Google's servers.
        "loadThemeGoogleFonts": False,
        **kw.pop("dashGridOptions", {}),
    }
    return dag.AgGrid(
        id=id_, columnDefs=column_defs, rowData=kw.pop("rowData", []),
        defaultColDef={"sortable": True, "resizable": True, "filter": "agTextColumnFilter",
                       "wrapText": True, "autoHeight": True, "suppressHeaderMenuButton": False},
        dashGridOptions=options, className=kw.pop("className", "monitor-grid"), **kw)


def rows_xlsx(title: str, columns: Sequence[tuple[str, str]], rows: Iterable[dict], note: str = "") -> bytes:
    """One sheet: ``title`` (and ``note``) above a header of ``columns`` ((field, heading) pairs)
    and the rows in the order given; text escaped against formula injection, as in every export."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.cell(row=1, column=1, value=escape_cell(title)).font = Font(bold=True, size=13)
    ws.cell(row=2, column=1, value=escape_cell(note or f"导出时间:{datetime.now():%Y-%m-%d %H:%M}"))
    head = 4
    for c, (_, heading) in enumerate(columns, 1):
        cell = ws.cell(row=head, column=c, value=heading)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="F1F3F5")
    n = 0
    for n, row in enumerate(rows, 1):
        for c, (field, _) in enumerate(columns, 1):
            value = row.get(field)
            cell = ws.cell(row=head + n, column=c, value=escape_cell("" if value is None else value))
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for c, (field, heading) in enumerate(columns, 1):
        longest = max([len(str(heading))] + [len(str(ws.cell(row=head + i, column=c).value or ""))
                                              for i in range(1, min(n, 200) + 1)])
        ws.column_dimensions[get_column_letter(c)].width = max(6, min(60, longest * 1.6 + 2))
    ws.freeze_panes = ws.cell(row=head + 1, column=1)
    ws.auto_filter.ref = f"A{head}:{get_column_letter(len(columns))}{head + max(n, 1)}"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
