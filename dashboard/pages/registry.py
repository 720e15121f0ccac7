"""指标库: every indicator of every scheme, searchable and filterable, with its source sentence."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from indicators.model import KIND_LABELS

from .. import ids, urlstate
from ..components import target_text
from ..grid import grid, rows_xlsx
from .common import selector_col

NAV_LABEL = "指标库"
PATH = "/registry"

COLUMNS = [  # the source sentence right after the name, so it is on screen at 1366 px
    ("scheme", "方案"), ("clause", "条款"), ("name", "指标"), ("quote", "原文"), ("target", "目标"),
    ("dimension", "维度"), ("kind", "类型"), ("unit", "单位"), ("deadline", "截止"), ("stage", "阶段"),
    ("units", "牵头 / 责任单位"), ("id", "编号"),
]


WIDTHS = {
    "scheme": 86, "clause": 110, "name": 190, "dimension": 86, "kind": 96, "target": 170,
    "unit": 86, "deadline": 116, "stage": 100, "units": 210, "quote": 380, "id": 200,
}
# Columns with a filter box under the heading (every column also filters from its heading's
# icon; scheme, dimension, unit and kind have the page's own selectors above).
FLOATING = {"name", "quote", "target"}


def _column(field: str, heading: str) -> dict:
    col = {"field": field, "headerName": heading, "width": WIDTHS[field], "floatingFilter": field in FLOATING}
    if field == "name":
        # The name links to its detail page; filters and the export read the plain name, and
        # hovering shows the 口径说明 (in full on the detail page).
        col.update(cellRenderer="markdown", linkTarget="_self", tooltipField="interpretation", pinned="left",
                   filterValueGetter={"function": "params.data.plain_name"})
    if field == "quote":
        col.update(flex=1, minWidth=WIDTHS[field])
    return col


def match(pathname: str):
    return {} if pathname.rstrip("/") == PATH else None


def _rows(service):
    rows = []
    for ind in service.registry.indicators.values():
        scheme = service.scheme(ind.scheme)
        lead = "、".join(ind.lead_units)
        rows.append({
            "id": ind.id, "scheme_id": ind.scheme, "scheme": scheme.short_name, "clause": f"{ind.section} {ind.clause}".strip(),
            "name": f"[{ind.name}](/indicator/{ind.id})", "plain_name": ind.name, "dimension": ind.dimension,
            "kind": KIND_LABELS[ind.kind.value], "kind_id": ind.kind.value, "target": target_text(ind), "unit": ind.unit,
            "deadline": ind.deadline.isoformat(), "stage": scheme.stage(ind.stage).name,
            "units": (f"牵头:{lead};" if lead else "") + "责任:" + "、".join(ind.responsible_units),
            "unit_list": list(dict.fromkeys([*ind.lead_units, *ind.responsible_units])),
            "quote": ind.quote, "interpretation": ind.interpretation,
        })
    return rows


def _dropdown(id_, label, options, value=None, md=2):
    return selector_col(label, dcc.Dropdown(id=id_, options=options, value=value, placeholder="全部", clearable=True),
                        md=md)


def layout(service, search, **_):
    params = urlstate.parse(search)
    reg = service.registry
    dims = list(dict.fromkeys(i.dimension for i in reg.indicators.values()))
    units = reg.units()
    return html.Div([
        html.Div([html.H1("指标库", className="page-title"),
                  html.Div("各方案全部考核指标及其出处原文;可按方案、维度、责任单位、类型筛选,或输入关键词搜索。",
                           className="page-subtitle text-muted")], className="title-block"),
        dbc.Row([
            selector_col("搜索", dbc.Input(id=ids.RG_SEARCH, type="search", placeholder="指标名称、原文、条款……",
                                          value=params.get("search", ""), debounce=True), md=3),
            _dropdown(ids.RG_SCHEME, "方案", [{"label": s.short_name, "value": s.id} for s in reg.schemes.values()],
                      params.get("scheme")),
            _dropdown(ids.RG_DIMENSION, "维度", [{"label": d, "value": d} for d in dims], params.get("dimension")),
            _dropdown(ids.RG_UNIT, "责任单位", [{"label": u, "value": u} for u in units], params.get("unit"), md=3),
            _dropdown(ids.RG_KIND, "类型", [{"label": v, "value": k} for k, v in KIND_LABELS.items()], params.get("kind")),
        ], className="g-2 selectors no-print"),
        html.Div([html.Span(id=ids.RG_COUNT, className="small text-muted"),
                  dbc.Button("导出Excel(当前筛选)", id=ids.RG_EXPORT, size="sm", color="secondary", outline=True,
                             className="ms-auto no-print text-nowrap"),
                  html.Span(id=ids.RG_EXPORT_NOTE, className="small text-muted", role="status")],
                 className="d-flex align-items-center gap-2 my-2"),
        dcc.Download(id=ids.RG_DOWNLOAD),
        grid(ids.RG_TABLE, [_column(c, n) for c, n in COLUMNS], getRowId="params.data.id"),
    ], className="registry")


def _matches(row, text, scheme, dim, unit, kind) -> bool:
    if scheme and row["scheme_id"] != scheme:
        return False
    if dim and row["dimension"] != dim:
        return False
    if unit and unit not in row["unit_list"]:
        return False
    if kind and row["kind_id"] != kind:
        return False
    if text:
        hay = " ".join(str(row[k]) for k in ("plain_name", "quote", "clause", "id", "interpretation", "units", "target"))
        return all(t in hay for t in text.split())
    return True


def register(app, service):
    rows = _rows(service)  # built once per app: the registry does not change at run time

    @app.callback(
        Output(ids.RG_TABLE, "rowData"), Output(ids.RG_COUNT, "children"),
        Output(ids.ADDRESS, "data", allow_duplicate=True),
        Input(ids.RG_SEARCH, "value"), Input(ids.RG_SCHEME, "value"), Input(ids.RG_DIMENSION, "value"),
        Input(ids.RG_UNIT, "value"), Input(ids.RG_KIND, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def update(text, scheme, dim, unit, kind):
        text = (text or "").strip()
        hits = [r for r in rows if _matches(r, text, scheme, dim, unit, kind)]
        return (hits, f"共 {len(hits)} 项指标(全库 {len(rows)} 项);表头下可再按列筛选",
                urlstate.build(search=text, scheme=scheme, dimension=dim, unit=unit, kind=kind))

    @app.callback(
        Output(ids.RG_DOWNLOAD, "data"), Output(ids.RG_EXPORT_NOTE, "children"),
        Input(ids.RG_EXPORT, "n_clicks"), State(ids.RG_TABLE, "virtualRowData"),
        prevent_initial_call=True,
    )
    def export(_clicks, shown):
        """The rows the grid shows, after the page's and the columns' filters, in its order."""
        ids_shown = [r.get("id") for r in shown or [] if isinstance(r, dict)]
        data = export_rows(rows, ids_shown)
        if not data:
            return no_update, "没有可导出的指标:请放宽筛选条件。"
        return dcc.send_bytes(registry_xlsx(data), "指标库_筛选结果.xlsx"), f"已导出 {len(data)} 项指标"


def export_rows(rows: list[dict], ids_shown: list) -> list[dict]:
    """The registry rows with the given ids, in that order; ids not in the registry are dropped
    (the grid's rows come from the browser: only the id is taken from them)."""
    by_id = {r["id"]: r for r in rows}
    return [by_id[i] for i in ids_shown if isinstance(i, str) and i in by_id]


def registry_xlsx(data: list[dict]) -> bytes:
    cols = [("plain_name" if c == "name" else c, n) for c, n in COLUMNS] + [("interpretation", "口径说明")]
    return rows_xlsx("指标库", cols, data, note=f"指标库筛选结果,共 {len(data)} 项")
