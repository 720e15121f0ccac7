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

from .. import ids, markup, urlstate
from ..components import status_counts
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
                    # The table is HTML in data-html (set by the callback, see _table).
                    dcc.Loading(html.Div(id=ids.RN_TABLE, className="region-table-wrap", **{"data-html": ""}),
                                type="default", delay_show=400),
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


def _style(bg: str, fg: str) -> str:
    return f"background-color: {bg}; color: {fg};"


def _index_cell(index: Optional[float]) -> str:
    pct = 0 if index is None else max(0.0, min(index, 100.0))
    return (f'<div class="ci-bar" title="完成指数:到期指标完成程度的平均值(0–100)">'
            f'<div class="ci-fill" style="width: {pct:.0f}%;"></div>'
            f'<span class="ci-label">{_fmt_index(index)}</span></div>')


def _heat_strip(row: RegionSummary) -> str:
    cells = []
    for dim, index in row.dimensions.items():
        bg, fg = heat_colour(index)
        cells.append(f"<span{markup.attrs(class_='heat-cell', style=_style(bg, fg), title=f'{dim}:完成指数 {_fmt_index(index)}', data_dimension=dim, data_index='' if index is None else f'{index:.1f}')}>"
                     f"{'—' if index is None else f'{index:.0f}'}</span>")
    return '<div class="heat-strip">' + "".join(cells) + "</div>"


def overview_href(scheme_id: str, region: str, quarter: Quarter) -> str:
    return "/" + urlstate.build(scheme=scheme_id, region=region, q=str(quarter))


def _table(scheme, rows: list[RegionSummary], quarter: Quarter) -> str:
    """One page of the ranking as server-rendered HTML (dashboard/markup.py, put in place by
    assets/monitor_html.js): as Dash components (≈ 40 per row) building and serialising the
    table was ⅔ of the callback's CPU, and the browser mounted each of them (docs/performance.md)."""
    n_status = len(SEVERITY)
    e = markup.escape
    head = ('<thead><tr><th colspan="4" class="grp-blank"></th>'
            f'<th colspan="{n_status}" class="grp">各状态指标数</th>'
            '<th class="grp">各维度完成指数</th><th class="grp-blank"></th></tr>'
            '<tr><th class="rk">排名</th><th class="rn">地区</th><th class="ci">完成指数</th>'
            '<th class="sa" title="已达标指标占到期指标的比例">达标率</th>'
            + "".join(f'<th class="cnt" title="{e(s.label)}">{markup.light(s, size="light-sm")}</th>' for s in SEVERITY)
            + '<th class="hs"><div class="heat-strip">'
            + "".join(f'<span class="heat-head" title="{e(d)}">{e(d[:2])}</span>' for d in scheme.dimensions)
            + '</div></th><th class="go"></th></tr></thead>')
    body = []
    for r in rows:
        href = overview_href(scheme.id, r.region, quarter)
        counts = "".join(
            f"<td{markup.attrs(class_=('cnt cnt-hot' if n and s.value in ('missed', 'behind') else 'cnt'), data_count_status=s.value, data_count=str(n))}>"
            f"{n if n else '·'}</td>"
            for s in SEVERITY for n in [r.counts.get(s, 0)])
        share = "—" if r.share_achieved is None else f"{r.share_achieved * 100:.0f}%"
        body.append(
            f"<tr{markup.attrs(class_='region-row', data_region=r.region, data_rank=str(r.rank), data_index=_fmt_index(r.completion_index))}>"
            f'<td class="rk">{r.rank}</td><td class="rn">{markup.link(r.region, href, "region-link")}</td>'
            f'<td class="ci">{_index_cell(r.completion_index)}</td><td class="sa">{share}</td>{counts}'
            f'<td class="hs">{_heat_strip(r)}</td>'
            f'<td class="go no-print">{markup.link("总览 →", href, "small")}</td></tr>')
    if not body:
        body = [f'<tr><td colspan="{6 + n_status}" class="text-muted">没有符合条件的地区。</td></tr>']
    # Column widths on <col>: with table-layout fixed the first row (the group headings) would set them.
    cols = "".join(f'<col class="{c}">' for c in ["rk", "rn", "ci", "sa", *(["cnt"] * n_status), "hs", "go"])
    return (f'<table class="table table-sm region-table mb-0"><colgroup>{cols}</colgroup>{head}'
            f'<tbody>{"".join(body)}</tbody></table>')


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
        Output(ids.RN_TABLE, "data-html"), Output(ids.RN_PAGER, "max_value"), Output(ids.RN_PAGER, "active_page"),
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
