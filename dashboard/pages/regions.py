"""地区排名: every region of a scheme ranked by completion index, with its status
counts, a heat strip per dimension and a link to its overview.

Built for the national office watching 3,000 pilot counties: each request reads
one page of the ranking and the province-wide figures from the status snapshot
in SQL (:mod:`dashboard.region_rollup`); the table shows one page of rows at a
time, with a search box.
"""
from __future__ import annotations

from collections import Counter
from typing import Optional

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update
from flask import current_app

from indicators.periods import Quarter
from indicators.statuses import SEVERITY

from .. import ids, urlstate
from ..components import light, status_counts
from ..grid import rows_xlsx
from ..region_rollup import RegionRanking, RegionSummary, Totals
from .common import View, page_title, resolve, scheme_col, selector_col, subtitle_id

NAV_LABEL = "地区排名"
PATH = "/regions"
# The part of the address the menu carries to this page (dashboard/markup.py navbar).
KEEP = ("scheme", "q")
PAGE_SIZE = 50

# Completion index bands, ColorBrewer PuOr (colour-blind safe): orange = lagging, purple = ahead.
# The value is printed in every cell, so colour is never the only carrier.
HEAT_BANDS = [  # (lower bound, background, text colour, legend label)
    (90.0, "#542788", "#ffffff", "≥90"),
    (75.0, "#998EC3", "#1a1a1a", "75–90"),
    (60.0, "#D8DAEB", "#1a1a1a", "60–75"),
    (40.0, "#F1A340", "#1a1a1a", "40–60"),
    (0.0, "#B35806", "#ffffff", "<40"),
]
HEAT_NONE = ("#F1F3F5", "#666666")


def heat_colour(index: Optional[float]) -> tuple[str, str]:
    """(background, text) for a completion index; grey when nothing is due."""
    if index is None:
        return HEAT_NONE
    for lower, bg, fg, _ in HEAT_BANDS:
        if index >= lower:
            return bg, fg
    return HEAT_BANDS[-1][1], HEAT_BANDS[-1][2]


def match(pathname: str):
    return {} if (pathname or "").rstrip("/") == PATH else None


def _view(service, ranking: RegionRanking, query=None, scheme_id=None, quarter=None) -> View:
    """The page's scheme and quarter (common.resolve): the quarters of the scheme's own
    region, by default the latest with data in any region."""
    def default(sid, _region, offered):
        q = ranking.default_quarter(sid)
        return q if q in offered or not offered else offered[-1]

    return resolve(service, query, scheme_id=scheme_id, quarter=quarter,
                   regions=lambda sid: [service.default_region(sid)], default_quarter=default)


def layout(service, search, **_):
    params = urlstate.parse(search)
    view = _view(service, current_app.extensions["monitor"]["regions"], params)
    scheme_id = view.scheme_id
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    return html.Div(
        [
            page_title(ids.RN_TITLE, "地区排名", service.scheme(scheme_id).name),
            dbc.Row(
                [
                    scheme_col(service, ids.RN_SCHEME, scheme_id, md=4),
                    selector_col("截至季度", dcc.Dropdown(id=ids.RN_QUARTER, options=_quarter_options(service, scheme_id),
                        clearable=False, searchable=False, value=str(view.quarter)), md=2),
                    selector_col("查找地区", dbc.Input(id=ids.RN_SEARCH, type="search", placeholder="输入地区名称",
                        value=params.get("search", ""), debounce=True), md=3),
                    selector_col("排序", dbc.RadioItems(id=ids.RN_ORDER, inline=True,
                        value=params.get("order", "desc"),
                        options=[{"label": "完成指数从高到低", "value": "desc"}, {"label": "从低到高", "value": "asc"}]), md=3),
                ],
                className="g-2 selectors no-print",
            ),
            dcc.Loading(html.Div(id=ids.RN_SUMMARY), type="dot", delay_show=400),
            html.Section(
                [
                    html.Div([html.H2("各地区完成情况", className="section-title"),
                              html.Span(id=ids.RN_COUNT, className="small text-muted ms-2"),
                              html.Span(id=ids.RN_EXPORT_NOTE, className="small text-muted ms-auto", role="status"),
                              dbc.Button("导出Excel(当前筛选)", id=ids.RN_EXPORT, size="sm", color="secondary",
                                         outline=True, className="ms-2 no-print text-nowrap"),
                              dcc.Download(id=ids.RN_DOWNLOAD)],
                             className="d-flex align-items-baseline"),
                    # Shown only when a page of the ranking takes long (rows the snapshot must compute first).
                    dcc.Loading(html.Div(id=ids.RN_TABLE, className="region-table-wrap"), type="default",
                                delay_show=400),
                    dbc.Pagination(id=ids.RN_PAGER, max_value=1, active_page=page, fully_expanded=False,
                                   first_last=True, previous_next=True, size="sm", className="mt-2 no-print"),
                    _heat_legend(),
                ],
                className="section",
            ),
        ],
        className="regions",
    )


def _heat_legend() -> html.Div:
    cells = [html.Span(label, className="heat-cell", style={"backgroundColor": bg, "color": fg})
             for _, bg, fg, label in reversed(HEAT_BANDS)]
    cells.append(html.Span("—", className="heat-cell", style={"backgroundColor": HEAT_NONE[0], "color": HEAT_NONE[1]}))
    return html.Div([html.Span("维度完成指数:", className="me-1"), *cells, html.Span("“—”为该维度尚无到期指标", className="ms-2")],
                    className="heat-legend small text-muted mt-2")


def _fmt_index(index: Optional[float]) -> str:
    return "—" if index is None else f"{index:.1f}"


def _index_cell(index: Optional[float]) -> html.Div:
    pct = 0 if index is None else max(0.0, min(index, 100.0))
    return html.Div([html.Div(className="ci-fill", style={"width": f"{pct:.0f}%"}),
                     html.Span(_fmt_index(index), className="ci-label")], className="ci-bar",
                    title="完成指数:到期指标完成程度的平均值(0–100)")


def _heat_strip(row: RegionSummary) -> html.Div:
    cells = []
    for dim, index in row.dimensions.items():
        bg, fg = heat_colour(index)
        cells.append(html.Span("—" if index is None else f"{index:.0f}", className="heat-cell",
                               style={"backgroundColor": bg, "color": fg},
                               title=f"{dim}:完成指数 {_fmt_index(index)}",
                               **{"data-dimension": dim, "data-index": "" if index is None else f"{index:.1f}"}))
    return html.Div(cells, className="heat-strip")


def overview_href(scheme_id: str, region: str, quarter: Quarter) -> str:
    return "/" + urlstate.build(scheme=scheme_id, region=region, q=str(quarter))


def _table(scheme, rows: list[RegionSummary], quarter: Quarter) -> html.Table:
    n_status = len(SEVERITY)
    head = html.Thead([
        html.Tr([html.Th("", colSpan=4, className="grp-blank"),
                 html.Th("各状态指标数", colSpan=n_status, className="grp"),
                 html.Th("各维度完成指数", className="grp"), html.Th("", className="grp-blank")]),
        html.Tr(
            [html.Th("排名", className="rk"), html.Th("地区", className="rn"), html.Th("完成指数", className="ci"),
             html.Th("达标率", className="sa", title="已达标指标占到期指标的比例")]
            + [html.Th(light(s, size="light-sm"), className="cnt", title=s.label) for s in SEVERITY]
            + [html.Th(html.Div([html.Span(d[:2], className="heat-head", title=d) for d in scheme.dimensions],
                                className="heat-strip"), className="hs")]
            + [html.Th("", className="go")]
        ),
    ])
    body = []
    for r in rows:
        href = overview_href(scheme.id, r.region, quarter)
        counts = [html.Td(str(n) if (n := r.counts.get(s, 0)) else "·",
                          className=f"cnt {'cnt-hot' if n and s.value in ('missed', 'behind') else ''}".strip(),
                          **{"data-count-status": s.value, "data-count": str(n)})
                  for s in SEVERITY]
        share = "—" if r.share_achieved is None else f"{r.share_achieved * 100:.0f}%"
        body.append(html.Tr(
            [html.Td(str(r.rank), className="rk"),
             html.Td(dcc.Link(r.region, href=href, className="region-link"), className="rn"),
             html.Td(_index_cell(r.completion_index), className="ci"),
             html.Td(share, className="sa"), *counts,
             html.Td(_heat_strip(r), className="hs"),
             html.Td(dcc.Link("总览 →", href=href, className="small"), className="go no-print")],
            className="region-row",
            **{"data-region": r.region, "data-rank": str(r.rank), "data-index": _fmt_index(r.completion_index)},
        ))
    if not body:
        body = [html.Tr(html.Td("没有符合条件的地区。", colSpan=6 + n_status, className="text-muted"))]
    # Column widths on <col>: with table-layout fixed the first row (the group headings) would set them.
    cols = html.Colgroup([html.Col(className=c) for c in ["rk", "rn", "ci", "sa", *(["cnt"] * n_status), "hs", "go"]])
    return html.Table([cols, head, html.Tbody(body)], className="table table-sm region-table mb-0")


def _summary(t: Totals) -> html.Div:
    facts = [("地区数", f"{t.regions:,}"),
             ("平均完成指数", "—" if t.mean_index is None else f"{t.mean_index:.1f}"),
             ("完成指数中位数", "—" if t.median_index is None else f"{t.median_index:.1f}"),
             ("有滞后或逾期指标的地区", f"{t.lagging:,}")]
    cards = html.Div([html.Div([html.Div(v, className="fact-n"), html.Div(k, className="fact-k")],
                               className="fact") for k, v in facts], className="facts")
    return html.Section([html.H2("全部地区汇总", className="section-title"), cards,
                         html.Div("各地区指标状态合计", className="small text-muted mt-2 mb-1"),
                         status_counts(Counter(t.counts), sum(t.counts.values()))],
                        className="section")


def shown_rows(rows: list[RegionSummary], text: str, order: Optional[str]) -> list[RegionSummary]:
    """The ranking as the table lists it: regions whose name contains ``text``, best first
    (``order`` "asc": worst first). The rule :meth:`RegionRanking.page` reads in SQL
    (tests/test_regions.py compares the two)."""
    text = (text or "").strip().lower()
    shown = [r for r in rows if text in r.region.lower()] if text else list(rows)
    return shown[::-1] if order == "asc" else shown


def ranking_sheet(scheme, rows: list[RegionSummary]) -> tuple[list[tuple[str, str]], list[dict]]:
    """(columns, rows) of the ranking for Excel: numbers stay numbers (index to one decimal)."""
    cols = [("rank", "排名"), ("region", "地区"), ("index", "完成指数"), ("share", "达标率(%)")]
    cols += [(f"n_{s.value}", s.label) for s in SEVERITY] + [(f"d_{d}", f"{d}完成指数") for d in scheme.dimensions]
    out = []
    for r in rows:
        row = {"rank": r.rank, "region": r.region,
               "index": None if r.completion_index is None else round(r.completion_index, 1),
               "share": None if r.share_achieved is None else round(r.share_achieved * 100, 1)}
        row.update({f"n_{s.value}": r.counts.get(s, 0) for s in SEVERITY})
        row.update({f"d_{d}": None if r.dimensions.get(d) is None else round(r.dimensions[d], 1)
                    for d in scheme.dimensions})
        out.append(row)
    return cols, out


def _quarter_options(service, scheme_id: str) -> list[dict]:
    region = service.default_region(scheme_id)
    return [{"label": q.label, "value": str(q)} for q in reversed(service.quarters(scheme_id, region))]


def register(app, service):
    # The ranking's reads (SQL on the status snapshot, no per-process cache).
    ranking = RegionRanking(service)
    app.server.extensions.setdefault("monitor", {})["regions"] = ranking

    @app.callback(
        Output(ids.RN_QUARTER, "options"), Output(ids.RN_QUARTER, "value"),
        Output(ids.RN_TITLE, "children"), Output(subtitle_id(ids.RN_TITLE), "children"), Output(ids.RN_SUMMARY, "children"), Output(ids.RN_COUNT, "children"),
        Output(ids.RN_TABLE, "children"), Output(ids.RN_PAGER, "max_value"), Output(ids.RN_PAGER, "active_page"),
        Output(ids.ADDRESS, "data", allow_duplicate=True),
        Input(ids.RN_SCHEME, "value"), Input(ids.RN_QUARTER, "value"), Input(ids.RN_SEARCH, "value"),
        Input(ids.RN_ORDER, "value"), Input(ids.RN_PAGER, "active_page"),
        prevent_initial_call="initial_duplicate",
    )
    def update(scheme_id, quarter, search, order, page):
        triggered = list(ctx.triggered_prop_ids.values())
        view = _view(service, ranking, scheme_id=scheme_id, quarter=None if triggered == [ids.RN_SCHEME] else quarter)
        scheme_id, q = view.scheme_id, view.quarter
        quarter = str(q)
        options = _quarter_options(service, scheme_id)
        text = (search or "").strip()
        initial = len(triggered) > 1
        page = max(1, int(page or 1)) if (initial or triggered == [ids.RN_PAGER]) else 1
        # One page from SQL; a page past the end (fewer regions since) falls back to the last one.
        matched, part = ranking.page(scheme_id, q, text, order, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        pages = max(1, -(-matched // PAGE_SIZE))
        if page > pages:
            page = pages
            matched, part = ranking.page(scheme_id, q, text, order, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        scheme = service.scheme(scheme_id)
        title = f"{scheme.short_name}方案 · 截至{q.label} · 地区排名"
        count = (f"共{matched:,}个地区" + (f"(“{text}”)" if text else "")
                 + (f",当前显示第{(page - 1) * PAGE_SIZE + 1}–{(page - 1) * PAGE_SIZE + len(part)}个" if part else ""))
        url = urlstate.build(scheme=scheme_id, q=quarter, search=text or None,
                             order=order if order == "asc" else None, page=page if page > 1 else None)
        return (options, quarter, title, scheme.name, _summary(ranking.totals(scheme_id, q)), count,
                _table(scheme, part, q), pages, page, url)

    @app.callback(
        Output(ids.RN_DOWNLOAD, "data"), Output(ids.RN_EXPORT_NOTE, "children"),
        Input(ids.RN_EXPORT, "n_clicks"),
        State(ids.RN_SCHEME, "value"), State(ids.RN_QUARTER, "value"), State(ids.RN_SEARCH, "value"),
        State(ids.RN_ORDER, "value"),
        prevent_initial_call=True,
    )
    def export(_clicks, scheme_id, quarter, search, order):
        """Every region the table lists for the search and order (all pages), as an Excel sheet."""
        view = _view(service, ranking, scheme_id=scheme_id, quarter=quarter)
        shown = ranking.page(view.scheme_id, view.quarter, search or "", order)[1]
        if not shown:
            return no_update, "没有可导出的地区:请修改查找条件。"
        scheme = service.scheme(view.scheme_id)
        cols, data = ranking_sheet(scheme, shown)
        title = f"{scheme.short_name}方案 · 截至{view.quarter.label} · 地区排名"
        note = f"共{len(shown)}个地区" + (f"(查找“{search.strip()}”)" if (search or "").strip() else "")
        name = f"地区排名_{scheme.short_name}_{view.quarter.label}.xlsx"
        return dcc.send_bytes(rows_xlsx(title, cols, data, note=note), name), f"已导出 {len(shown)} 个地区"
