"""责任单位: each department's indicators and lights, and its chase list (催报)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from indicators.statuses import SEVERITY, Status

from .. import ids, urlstate
from ..components import fmt_value, light
from .common import page_title, register_view_page, resolve, selector_row, title_text

NAV_LABEL = "责任单位"
PATH = "/units"
# The part of the address the menu carries to this page (dashboard/markup.py navbar).
KEEP = ("scheme", "region", "q")


def match(pathname: str):
    return {} if pathname.rstrip("/") == PATH else None


def layout(service, search, **_):
    view = resolve(service, search)
    return html.Div([
        page_title(ids.UN_TITLE, title_text(service, view, "责任单位"), "各责任单位承担指标及本季度未填报(催报)清单"),
        selector_row(service, view, ids.UN_SCHEME, ids.UN_REGION, ids.UN_QUARTER),
        html.Div(id=ids.UN_BODY),
    ], className="units")


def _chase_block(view, st, names):
    """What a reporting unit still owes for the quarter (the same rule as the form and 审核)."""
    late = [html.Span("已逾期", className="badge text-bg-danger ms-1")] if st.late else []
    meta = html.Div([html.Span(st.state_text, className="me-1"), f"报送期限{st.deadline:%m-%d}", *late],
                    className="small text-muted")
    if st.missing:
        return html.Div(
            [html.Div(f"催报:{view.quarter.label}未填报 {len(st.missing)} 项", className="chase-title"), meta,
             html.Ul([html.Li(names[i], **{"data-chase-indicator": i}) for i in st.missing],
                     className="chase-list")],
            className="chase", **{"data-unit": st.unit, "data-late": "1" if st.late else "0"})
    if st.owes:
        return html.Div([html.Div("应报指标已填完,尚未报送", className="chase-title"), meta],
                        className="chase", **{"data-unit": st.unit, "data-late": "1" if st.late else "0"})
    return html.Div(["本季度应报指标均已填报", html.Span(f"({st.state_text})", className="ms-1")],
                    className="chase-ok small")


def _unit_cards(service, view):
    results = {r.indicator_id: r for r in service.results(view.scheme_id, view.region, view.quarter)}
    names = {i.id: i.name for i in service.indicators(view.scheme_id)}
    statuses = {st.unit: st for st in service.unit_statuses(view.scheme_id, view.region, view.quarter)}
    chase = {u: st.missing for u, st in statuses.items() if st.missing}
    rank = {s: i for i, s in enumerate(SEVERITY)}
    inds = service.indicators(view.scheme_id)
    units = service.registry.units(view.scheme_id)
    # Units with something to chase first, then by how much they carry.
    units.sort(key=lambda u: (-len(chase.get(u, [])), -sum(u in i.responsible_units for i in inds)))
    total = sum(len(v) for v in chase.values())
    unsent = [u for u, st in statuses.items() if st.owes and not st.missing]
    late = sum(st.late for st in statuses.values())
    text = (f"{view.quarter.label}共有{total}项指标未填报,涉及{len(chase)}个填报单位。" if total
            else f"{view.quarter.label}各单位指标均已填报。")
    if unsent:
        text += f"另有{len(unsent)}个单位已填完尚未报送。"
    if late:
        text += f"逾期未报送{late}个单位。"
    summary = dbc.Alert(text, color="warning" if total or unsent else "success", className="py-2",
                        id="chase-summary")
    cards = []
    for unit in units:
        mine = sorted([i for i in inds if unit in i.responsible_units], key=lambda i: rank[Status(results[i.id].status)])
        items = [html.Li([light(results[i.id].status, i.id, size="light-sm", stale=results[i.id].stale),
                          dcc.Link(i.name, href=f"/indicator/{i.id}" + urlstate.build(region=view.region, q=str(view.quarter)),
                                   className="ms-1"),
                          html.Span(" · " + fmt_value(results[i.id].actual, i), className="text-muted small")])
                 for i in mine]
        chase_block = _chase_block(view, statuses[unit], names) if unit in statuses else None
        card = dbc.Card([
            dbc.CardHeader([html.Strong(unit), html.Span(f" 承担{len(mine)}项", className="text-muted small")]),
            dbc.CardBody([chase_block, html.Ul(items, className="unit-inds")]),
        ], className="unit-card h-100")
        cards.append(dbc.Col(html.Div(card, className="h-100", **{"data-unit-card": unit}), lg=4, md=6, className="mb-3"))
    return [summary, dbc.Row(cards)]


def register(app, service):
    register_view_page(app, service, scheme_id=ids.UN_SCHEME, region_id=ids.UN_REGION,
                       quarter_id=ids.UN_QUARTER, title_id=ids.UN_TITLE, body_id=ids.UN_BODY,
                       what="责任单位", body=_unit_cards)
