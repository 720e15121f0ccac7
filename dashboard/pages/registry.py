"""指标库: every indicator of every scheme, searchable and filterable, with its source sentence."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, dash_table, dcc, html

from indicators.model import KIND_LABELS

from .. import ids, urlstate
from ..components import FONT_FAMILY, target_text
from .common import selector_col

NAV_LABEL = "指标库"
PATH = "/registry"

COLUMNS = [  # the source sentence right after the name, so it is on screen at 1366 px
    ("scheme", "方案"), ("clause", "条款"), ("name", "指标"), ("quote", "原文"), ("target", "目标"),
    ("dimension", "维度"), ("kind", "类型"), ("unit", "单位"), ("deadline", "截止"), ("stage", "阶段"),
    ("units", "牵头 / 责任单位"), ("id", "编号"),
]


WIDTHS = {
    "scheme": "52px", "clause": "88px", "name": "170px", "dimension": "52px", "kind": "76px", "target": "150px",
    "unit": "52px", "deadline": "92px", "stage": "72px", "units": "190px", "quote": "380px",
    "id": "170px",
}


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
        html.Div(id=ids.RG_COUNT, className="my-2 small text-muted"),
        dash_table.DataTable(
            id=ids.RG_TABLE,
            columns=[{"id": c, "name": n, "presentation": "markdown"} if c == "name" else {"id": c, "name": n}
                     for c, n in COLUMNS],
            data=[], page_size=50, sort_action="native",
            style_table={"overflowX": "auto"},
            style_cell={"whiteSpace": "normal", "height": "auto", "textAlign": "left", "fontSize": "13px",
                        "fontFamily": FONT_FAMILY, "verticalAlign": "top", "padding": "4px 6px"},
            style_cell_conditional=[{"if": {"column_id": c}, "minWidth": w, "width": w, "maxWidth": w}
                                    for c, w in WIDTHS.items()],
            style_header={"fontWeight": "bold", "backgroundColor": "#f1f3f5", "fontFamily": FONT_FAMILY},
            markdown_options={"link_target": "_self"},
            tooltip_delay=300, tooltip_duration=None,
        ),
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
        Output(ids.RG_TABLE, "data"), Output(ids.RG_TABLE, "tooltip_data"), Output(ids.RG_COUNT, "children"),
        Output(ids.ADDRESS, "data", allow_duplicate=True),
        Input(ids.RG_SEARCH, "value"), Input(ids.RG_SCHEME, "value"), Input(ids.RG_DIMENSION, "value"),
        Input(ids.RG_UNIT, "value"), Input(ids.RG_KIND, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def update(text, scheme, dim, unit, kind):
        text = (text or "").strip()
        hits = [r for r in rows if _matches(r, text, scheme, dim, unit, kind)]
        found = [{c: r[c] for c, _ in COLUMNS} for r in hits]
        # 口径说明 shows on hovering the indicator's name (and in full on its detail page).
        tips = [{"name": {"value": "口径说明:" + r["interpretation"], "type": "text"}} if r["interpretation"] else {}
                for r in hits]
        return (found, tips, f"共 {len(found)} 项指标(全库 {len(rows)} 项)",
                urlstate.build(search=text, scheme=scheme, dimension=dim, unit=unit, kind=kind))
