"""阶段任务: each stage's work content and dated milestones; in 总结验收 the acceptance checklist."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from .. import ids, urlstate
from ..components import fmt_value, light, target_text
from .common import page_title, register_view_page, resolve, selector_row, title_text

NAV_LABEL = "阶段任务"
PATH = "/stages"
# The part of the address the menu carries to this page (dashboard/markup.py navbar).
KEEP = ("scheme", "region", "q")
ACCEPTANCE = "总结验收"


def match(pathname: str):
    return {} if pathname.rstrip("/") == PATH else None


def layout(service, search, **_):
    view = resolve(service, search)
    return html.Div([
        page_title(ids.ST_TITLE, title_text(service, view, "阶段任务"), "各阶段工作内容、节点任务与验收清单"),
        selector_row(service, view, ids.ST_SCHEME, ids.ST_REGION, ids.ST_QUARTER),
        html.Div(id=ids.ST_BODY),
    ], className="stages")


def _row(view, ind, res):
    href = f"/indicator/{ind.id}" + urlstate.build(region=view.region, q=str(view.quarter))
    return html.Tr([html.Td(light(res.status, ind.id, size="light-sm", stale=res.stale)),
                    html.Td(dcc.Link(ind.name, href=href)), html.Td(target_text(ind)),
                    html.Td(fmt_value(res.actual, ind)), html.Td(f"{ind.deadline:%Y-%m-%d}"),
                    html.Td("、".join(ind.responsible_units), className="small")])


def _table(view, pairs):
    head = html.Thead(html.Tr([html.Th(h) for h in ("状态", "任务 / 指标", "目标", "实际", "截止", "责任单位")]))
    return dbc.Table([head, html.Tbody([_row(view, i, r) for i, r in pairs])], size="sm", className="stage-table")


def _body(service, view):
    scheme = service.scheme(view.scheme_id)
    results = {r.indicator_id: r for r in service.results(view.scheme_id, view.region, view.quarter)}
    inds = service.indicators(view.scheme_id)
    current = scheme.stage_at(view.quarter.end)
    cards = []
    for st in scheme.stages:
        span = f"{st.start.label}—{st.end.label if st.end else '以后'}"
        is_current = current is not None and current.id == st.id
        mine = sorted([i for i in inds if i.stage == st.id], key=lambda i: (i.kind.value != "milestone", i.deadline))
        parts = [html.P(st.work, className="stage-work") if st.work else None]
        if mine:
            parts += [html.H4(f"本阶段任务与指标({len(mine)}项)", className="h6 mt-2"),
                      _table(view, [(i, results[i.id]) for i in mine])]
        if st.name == ACCEPTANCE and st.end is not None:
            # The acceptance checklist: every target due by the end of acceptance.
            due = sorted([i for i in inds if i.deadline <= st.end.last_day], key=lambda i: (i.dimension, i.deadline))
            met = sum(results[i.id].status.value == "achieved" for i in due)
            late = sum(results[i.id].status.value == "achieved_late" for i in due)
            late_text = f",逾期完成 {late} 项" if late else ""   # done, but not on time: counted apart
            parts += [html.H4(f"验收清单:截至{st.end.label}到期的目标 {len(due)} 项,已达标 {met} 项{late_text}",
                              className="h6 mt-3 acceptance-title"),
                      _table(view, [(i, results[i.id]) for i in due])]
        badge = dbc.Badge("当前阶段", color="primary", className="ms-2") if is_current else None
        cards.append(html.Div(dbc.Card([
            dbc.CardHeader([html.Strong(st.name), html.Span(f"  {span}", className="text-muted"), badge,
                            html.Span(f"  {st.clause}", className="small text-muted")]),
            dbc.CardBody(parts),
        ], className=f"stage-card mb-3 {'stage-current' if is_current else ''}"), **{"data-stage": st.id}))
    return cards


def register(app, service):
    register_view_page(app, service, scheme_id=ids.ST_SCHEME, region_id=ids.ST_REGION,
                       quarter_id=ids.ST_QUARTER, title_id=ids.ST_TITLE, body_id=ids.ST_BODY,
                       what="阶段任务", body=_body)
